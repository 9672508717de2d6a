package dev.nncompress.io.onnx;

import dev.nncompress.graph.OpType;
import dev.nncompress.io.onnx.Value.Activation;
import dev.nncompress.io.onnx.proto.OnnxProto.NodeProto;
import dev.nncompress.tensor.Shape;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The ONNX ops that move or average values of an activation without weights: Concat -> CONCAT;
 * Reshape, Squeeze, Unsqueeze and Flatten -> RESHAPE with a static per-sample target (FLATTEN where the
 * target is one dim, nothing where it is the input's own shape); ReduceMean -> GLOBAL_AVGPOOL over
 * H and W (+ FLATTEN without keepdims), else REDUCE_MEAN over consecutive per-sample axes. The batch is
 * the first dim of every activation and stays there whole: anything that would move, merge or reduce
 * it is refused, naming the node and the axes.
 */
final class ShapeMappers {
    private ShapeMappers() {}

    /** Concat of activations along a per-sample axis; one input is the identity. */
    static Activation concat(NodeProto n, String where, List<Value> in, ImportContext ctx) {
        Attrs a = new Attrs(n, where, Attrs.of("axis"));
        if (!a.has("axis")) throw new IllegalArgumentException(where + " lacks attribute axis");
        List<Activation> parts = new ArrayList<>();
        for (int i = 0; i < in.size(); i++) {
            Value v = in.get(i);
            if (v == null) throw new IllegalArgumentException(where + ": input " + (i + 1) + " is empty");
            if (v instanceof Const c) {
                throw new IllegalArgumentException(where + " concatenates the constant " + Inputs.name(c)
                        + " with activations; only activations are concatenated (a constant would need a parameter per sample)");
            }
            parts.add((Activation) v);
        }
        Shape first = parts.get(0).shape();
        int axis = ConstantFolder.axis(a.integer("axis", 0), first.rank() + 1, where);
        if (axis == 0) throw new IllegalArgumentException(where + " concatenates along axis 0, the batch; only per-sample axes are supported");
        if (parts.size() == 1) {
            ctx.countFolded("Concat (one input)");
            return parts.get(0);
        }
        if (parts.size() > dev.nncompress.io.ModelIO.MAX_NODE_INPUTS) {
            throw new IllegalArgumentException(where + " concatenates " + parts.size() + " tensors; a model file's node takes at most "
                    + dev.nncompress.io.ModelIO.MAX_NODE_INPUTS + " inputs");
        }
        for (int i = 1; i < parts.size(); i++) {
            Shape s = parts.get(i).shape();
            boolean fits = s.rank() == first.rank();
            for (int d = 0; fits && d < s.rank(); d++) fits = d == axis - 1 || s.dim(d) == first.dim(d);
            if (!fits) {
                throw new IllegalArgumentException(where + ": input " + (i + 1) + " [N, " + dims(s) + "] does not match input 1 [N, " + dims(first)
                        + "] outside axis " + axis);
            }
        }
        return ctx.add(ctx.nodeName(null, n.getName(), n.getOpType()), OpType.CONCAT, parts, Map.of("axis", (double) (axis - 1)), Map.of(),
                n.getName(), n.getOutput(0));
    }

    /**
     * Reshape by a folded constant shape whose first entry is the batch: {@link Const#BATCH} (a folded
     * Shape), 0 (copy, unless allowzero), the batch size fixed in the ONNX input, or -1 with the rest
     * fixed (inferred as the batch). The rest may hold one -1 and 0s (copies of the input's dims).
     */
    static Activation reshape(NodeProto n, String where, List<Value> in, ImportContext ctx) {
        Attrs a = new Attrs(n, where, Attrs.of("allowzero"));
        Activation x = Inputs.activation(in, 0, where, "data", -1);
        Const shape = Inputs.ints(in, 1, where, "shape");
        boolean allowZero = a.integer("allowzero", 0) != 0;
        long[] t = shape.ints();
        Shape s = x.shape();
        String refusal = where + " reshapes [N, " + dims(s) + "] to " + shape.describe() + ", which moves or merges the batch dim (the first"
                + " dim stays the batch: N, 0, -1 with the rest fixed, or the export's fixed batch size)";
        if (shape.rank() != 1 || t.length < 1) throw new IllegalArgumentException(refusal);
        if (t.length - 1 > dev.nncompress.graph.ops.ReshapeOp.MAX_RANK) {
            throw new IllegalArgumentException(where + " reshapes to rank " + t.length + "; at most " + (dev.nncompress.graph.ops.ReshapeOp.MAX_RANK + 1));
        }
        boolean batchFirst = t[0] == Const.BATCH || (t[0] == 0 && !allowZero) || (ctx.fixedBatch > 0 && t[0] == ctx.fixedBatch);
        long[] rest = new long[t.length - 1];
        int infer = -1;
        long known = 1;
        for (int i = 1; i < t.length; i++) {
            long v = t[i];
            if (v == 0 && !allowZero) v = i - 1 < s.rank() ? s.dim(i - 1) : -2;
            if (v == -1 && infer < 0) {
                infer = i - 1;
            } else if (v < 1 || v > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(where + " reshapes [N, " + dims(s) + "] to " + shape.describe() + ": entry " + i + " is not a size");
            } else {
                known *= v; // each <= 2^31, and known stays <= numel below
                if (known > s.numel()) throw new IllegalArgumentException(refusal);
            }
            rest[i - 1] = v;
        }
        if (!batchFirst && !(t[0] == -1 && infer < 0 && known == s.numel())) throw new IllegalArgumentException(refusal);
        if (infer >= 0) {
            if (s.numel() % known != 0) throw new IllegalArgumentException(refusal);
            rest[infer] = s.numel() / known;
        } else if (known != s.numel()) {
            throw new IllegalArgumentException(refusal);
        }
        return view(n, x, Arrays.stream(rest).mapToInt(v -> (int) v).toArray(), ctx);
    }

    /** Squeeze (axes from the attribute before opset 13, from input 2 since; none: every per-sample dim of size 1). */
    static Activation squeeze(NodeProto n, String where, List<Value> in, ImportContext ctx) {
        Activation x = Inputs.activation(in, 0, where, "data", -1);
        long[] axes = axes(n, where, in, ctx);
        Shape s = x.shape();
        int r = s.rank() + 1;
        boolean[] drop = new boolean[r];
        if (axes == null) {
            if (ctx.fixedBatch == 1) throw new IllegalArgumentException(where + " squeezes every dim of size 1 of a batch-1 export, the batch included");
            for (int i = 1; i < r; i++) drop[i] = s.dim(i - 1) == 1;
        } else {
            for (long ax : axes) {
                int k = ConstantFolder.axis(ax, r, where);
                if (k == 0) throw new IllegalArgumentException(where + " squeezes axis 0, the batch");
                if (s.dim(k - 1) != 1) throw new IllegalArgumentException(where + ": axis " + ax + " of [N, " + dims(s) + "] has size " + s.dim(k - 1) + ", not 1");
                drop[k] = true;
            }
        }
        List<Integer> d = new ArrayList<>();
        for (int i = 1; i < r; i++) if (!drop[i]) d.add(s.dim(i - 1));
        if (d.isEmpty()) throw new IllegalArgumentException(where + " squeezes [N, " + dims(s) + "] to [N]; a sample keeps at least one dim here");
        return view(n, x, d.stream().mapToInt(Integer::intValue).toArray(), ctx);
    }

    /** Unsqueeze: new dims of size 1 at the given axes of the output (never before the batch). */
    static Activation unsqueeze(NodeProto n, String where, List<Value> in, ImportContext ctx) {
        Activation x = Inputs.activation(in, 0, where, "data", -1);
        long[] axes = axes(n, where, in, ctx);
        if (axes == null) throw new IllegalArgumentException(where + " lacks axes");
        Shape s = x.shape();
        int r = s.rank() + 1 + axes.length;
        if (r - 1 > dev.nncompress.graph.ops.ReshapeOp.MAX_RANK) throw new IllegalArgumentException(where + " would make a rank-" + r + " activation");
        boolean[] inserted = new boolean[r];
        for (long ax : axes) {
            int k = ConstantFolder.axis(ax, r, where);
            if (k == 0) throw new IllegalArgumentException(where + " inserts a dim at axis 0, before the batch");
            if (inserted[k]) throw new IllegalArgumentException(where + ": axis " + ax + " given twice");
            inserted[k] = true;
        }
        int[] d = new int[r - 1];
        for (int i = 1, j = 0; i < r; i++) d[i - 1] = inserted[i] ? 1 : s.dim(j++);
        return view(n, x, d, ctx);
    }

    /**
     * Flatten to 2-D around {@code axis}: [N, rest] for axis 1; for a later axis the dims between the batch
     * and it must all be 1 (otherwise they would merge into the batch); axis 0 is refused.
     */
    static Activation flatten(NodeProto n, String where, List<Value> in, ImportContext ctx) {
        Attrs a = new Attrs(n, where, Attrs.of("axis"));
        Activation x = Inputs.activation(in, 0, where, "input", -1);
        Shape s = x.shape();
        long axis = a.integer("axis", 1);
        int k = ConstantFolder.axis(axis, s.rank() + 2, where);
        boolean merges = k == 0;
        for (int i = 1; i < k && !merges; i++) merges = s.dim(i - 1) != 1;
        if (merges) {
            throw new IllegalArgumentException(where + " flattens [N, " + dims(s) + "] at axis " + axis + ", which merges the batch dim with others;"
                    + " only axis 1, or a later axis after dims of size 1, keeps it first");
        }
        return view(n, x, new int[] {s.numel()}, ctx);
    }

    /**
     * ReduceMean (axes from the attribute before opset 18, from input 2 since, with noop_with_empty_axes):
     * over H and W of [C, H, W] it is GLOBAL_AVGPOOL (+ FLATTEN to [C] without keepdims); over other
     * consecutive per-sample axes REDUCE_MEAN. The batch axis, an empty axis list (every axis) and axes
     * with gaps are refused, naming them.
     */
    static Activation reduceMean(NodeProto n, String where, List<Value> in, ImportContext ctx) {
        Attrs a = new Attrs(n, where, ctx.opset < 18 ? Attrs.of("axes", "keepdims") : Attrs.of("keepdims", "noop_with_empty_axes"));
        Activation x = Inputs.activation(in, 0, where, "data", -1);
        long[] axes = ctx.opset < 18 ? a.ints("axes") : (in.size() > 1 && in.get(1) != null ? Inputs.ints(in, 1, where, "axes").ints() : null);
        long keep = a.integer("keepdims", 1);
        if (keep != 0 && keep != 1) throw new IllegalArgumentException(where + ": keepdims " + keep + " is not 0 or 1");
        Shape s = x.shape();
        if (axes == null || axes.length == 0) {
            if (ctx.opset >= 18 && a.integer("noop_with_empty_axes", 0) != 0) {
                ctx.countFolded("ReduceMean (no axes, noop)");
                return x;
            }
            throw new IllegalArgumentException(where + " averages over every axis, the batch included; only per-sample axes are supported");
        }
        TreeSet<Integer> set = new TreeSet<>();
        for (long ax : axes) {
            int k = ConstantFolder.axis(ax, s.rank() + 1, where);
            if (!set.add(k)) throw new IllegalArgumentException(where + ": axis " + ax + " given twice");
        }
        if (set.first() == 0) throw new IllegalArgumentException(where + " averages over axis 0, the batch; only per-sample axes are supported");
        int first = set.first(), last = set.last();
        if (last - first + 1 != set.size()) {
            throw new IllegalArgumentException(where + " averages over axes " + set + " of [N, " + dims(s) + "], which are not consecutive;"
                    + " a mean over consecutive per-sample axes (e.g. [2, 3], or [1]) is supported");
        }
        if (keep == 0 && set.size() == s.rank()) {
            throw new IllegalArgumentException(where + " averages [N, " + dims(s) + "] over every per-sample axis without keepdims, to [N]; keep one dim");
        }
        if (s.rank() == 3 && first == 2 && last == 3) {
            String gap = ctx.nodeName(null, n.getName(), n.getOpType());
            Activation y = ctx.add(gap, OpType.GLOBAL_AVGPOOL, List.of(x), Map.of(), Map.of(), n.getName(), n.getOutput(0));
            if (keep == 1) return y;
            ctx.countFolded("ReduceMean keepdims 0 (as a flatten)");
            return ctx.add(ctx.nodeName(null, n.getName() + "/flatten", "Flatten"), OpType.FLATTEN, List.of(y), Map.of(), Map.of(), n.getName(),
                    n.getOutput(0));
        }
        Map<String, Double> attrs = Map.of("axis", (double) (first - 1), "count", (double) set.size(), "keepdims", (double) keep);
        return ctx.add(ctx.nodeName(null, n.getName(), n.getOpType()), OpType.REDUCE_MEAN, List.of(x), attrs, Map.of(), n.getName(), n.getOutput(0));
    }

    /** Squeeze/Unsqueeze axes: the attribute before opset 13, the optional input 2 since. */
    private static long[] axes(NodeProto n, String where, List<Value> in, ImportContext ctx) {
        Attrs a = new Attrs(n, where, ctx.opset < 13 ? Attrs.of("axes") : Attrs.of());
        return ctx.opset < 13 ? a.ints("axes") : (in.size() > 1 && in.get(1) != null ? Inputs.ints(in, 1, where, "axes").ints() : null);
    }

    /**
     * {@code x} viewed with per-sample dims {@code target} (same count): nothing for its own shape, FLATTEN
     * for one dim, else RESHAPE. Its dim0 is written -1 (inferred) when it is the input's dim0, the channels
     * carried through: the node then fits a graph whose channels structured pruning removed.
     */
    private static Activation view(NodeProto n, Activation x, int[] target, ImportContext ctx) {
        Shape s = x.shape();
        String op = n.getOpType();
        if (Arrays.equals(target, s.dims())) {
            ctx.countFolded(op + " (identity)");
            return x;
        }
        if (target.length == 1) {
            if (s.rank() == 1) return x;
            if (!op.equals("Flatten")) ctx.countFolded(op + " (as flatten)");
            return ctx.add(ctx.nodeName(null, n.getName(), op), OpType.FLATTEN, List.of(x), Map.of(), Map.of(), n.getName(), n.getOutput(0));
        }
        Map<String, Double> attrs = new LinkedHashMap<>();
        for (int i = 0; i < target.length; i++) attrs.put("dim" + i, (double) (i == 0 && target[0] == s.dim(0) ? -1 : target[i]));
        return ctx.add(ctx.nodeName(null, n.getName(), op), OpType.RESHAPE, List.of(x), attrs, Map.of(), n.getName(), n.getOutput(0));
    }

    private static String dims(Shape s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.rank(); i++) sb.append(i == 0 ? "" : ", ").append(s.dim(i));
        return sb.toString();
    }
}
