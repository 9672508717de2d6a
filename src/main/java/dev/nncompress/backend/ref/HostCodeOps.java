package dev.nncompress.backend.ref;

import dev.nncompress.quant.QParams;
import dev.nncompress.quant.QuantArithmetic;
import dev.nncompress.backend.Binary;
import dev.nncompress.backend.BroadcastGeometry;
import dev.nncompress.backend.Int8OpChecks;
import dev.nncompress.backend.QTensor;
import dev.nncompress.backend.Unary;
import dev.nncompress.tensor.Shape;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static dev.nncompress.backend.ref.HostInt8Ops.data;
import static dev.nncompress.backend.Int8OpChecks.perTensor;

/**
 * The host backends' int8 ops on codes that are not GEMMs ({@link HostInt8Ops} has those): activations (256-entry
 * tables), arithmetic with broadcasting (per element in float, or a 65,536-entry table of code pairs), concat and
 * reshape/flatten, each requantising to the output's parameters exactly as the int8 engine's steps did
 * ({@link CodeOps}: dequantise, one float op, {@code QuantArithmetic.quantizeS8}'s rounding).
 */
public final class HostCodeOps {
    /** Pair tables by their parameters: built once per layer (65,536 float ops), not once per call. Bounded by {@link #MAX_TABLES}. */
    private final Map<PairKey, byte[]> pairTables = new ConcurrentHashMap<>();
    private static final int MAX_TABLES = 256;
    private final HostInt8Ops ops;

    HostCodeOps(HostInt8Ops ops) { this.ops = ops; }

    private record PairKey(Binary kind, float sa, int za, float sb, int zb, float so, int zo) {}

    /** {@code kind}(x) with its parameters a, b ({@code RefActivations}; ReLU is CLIP(0, +inf)), requantised to {@code out}. */
    public QTensor unary(Unary kind, QTensor x, float a, float b, QParams out) {
        byte[] d = data("qunary", x);
        QParams q = perTensor("qunary", x);
        Int8OpChecks.out("qunary", out);
        byte[] table = unaryTable(kind, a, b, q, out);
        ByteTensor y = ops.alloc(x.shape());
        CodeOps.lookup(d, table, images(x.shape()), perImage(x.shape()), y.data());
        return ops.wrap(y, out);
    }

    /**
     * {@code table[q + 128]}: the code of {@code kind}(x) for each input code q (per-tensor {@code in} and {@code out}):
     * the one table {@link #unary} looks codes up in, public for the device backends' lookup kernels.
     */
    public static byte[] unaryTable(Unary kind, float a, float b, QParams in, QParams out) {
        return CodeOps.table(in.scale(), in.zeroPoint(), v -> RefActivations.forward(kind, v, a, b), out.scale(), out.zeroPoint());
    }

    /** {@code table[q + 128]}: each code requantised from per-tensor {@code in} to {@code out} (what requantize and concat use). */
    public static byte[] requantTable(QParams in, QParams out) {
        return CodeOps.requantTable(in.scale(), in.zeroPoint(), out.scale(), out.zeroPoint());
    }

    /** {@code a kind b} of two code tensors of the same rank with numpy broadcasting, requantised to {@code out}. */
    public QTensor binary(Binary kind, QTensor a, QTensor b, QParams out) {
        byte[] da = data("qbinary", a), db = data("qbinary", b);
        QParams qa = perTensor("qbinary", a), qb = perTensor("qbinary", b);
        Int8OpChecks.out("qbinary", out);
        Shape os = Int8OpChecks.binary(kind, a.shape(), b.shape()).out();
        byte[] pairs = pairTables.get(new PairKey(kind, qa.scale(), qa.zeroPoint(), qb.scale(), qb.zeroPoint(), out.scale(), out.zeroPoint()));
        if (pairs == null) {
            pairs = CodeOps.pairTable(kind, qa.scale(), qa.zeroPoint(), qb.scale(), qb.zeroPoint(), out.scale(), out.zeroPoint());
            if (pairTables.size() < MAX_TABLES) pairTables.put(new PairKey(kind, qa.scale(), qa.zeroPoint(), qb.scale(), qb.zeroPoint(), out.scale(), out.zeroPoint()), pairs);
        }
        ByteTensor y = ops.alloc(os);
        CodeOps.binary(kind, operand(a, da, qa), operand(b, db, qb), out.scale(), out.zeroPoint(), pairs, y.data());
        return ops.wrap(y, out);
    }

    /**
     * {@code x kind c} (or {@code c kind x} with {@code constantFirst}) with a float constant of shape {@code constShape}
     * aligned from the right with x's shape (broadcast), per element in float, requantised to {@code out}.
     */
    public QTensor binaryConstant(Binary kind, QTensor x, float[] constant, Shape constShape, boolean constantFirst, QParams out) {
        byte[] d = data("qbinaryConstant", x);
        QParams q = perTensor("qbinaryConstant", x);
        Int8OpChecks.out("qbinaryConstant", out);
        Shape xs = x.shape(), aligned = Int8OpChecks.constant(kind, xs, constant, constShape);
        Shape sample = sample(xs);
        CodeOps.Operand c = CodeOps.constant(constant, constShape, sample);
        CodeOps.Operand v = operand(x, d, q);
        ByteTensor y = ops.alloc(BroadcastGeometry.of("qbinaryConstant " + kind, xs, aligned).out());
        CodeOps.binary(kind, constantFirst ? c : v, constantFirst ? v : c, out.scale(), out.zeroPoint(), y.data());
        return ops.wrap(y, out);
    }

    /** The tensors joined along logical dimension {@code axis} (>= 1), each requantised to {@code out} (copied where already at it). */
    public QTensor concat(List<QTensor> parts, int axis, QParams out) {
        Shape os = Int8OpChecks.concat(parts, axis, out);
        byte[][] codes = new byte[parts.size()][], tables = new byte[parts.size()][];
        Shape[] storage = new Shape[parts.size()];
        for (int i = 0; i < codes.length; i++) {
            QTensor p = parts.get(i);
            codes[i] = data("qconcat", p);
            QParams q = p.params();
            storage[i] = storage(p.shape());
            if (!q.sameAs(out)) tables[i] = CodeOps.requantTable(q.scale(), q.zeroPoint(), out.scale(), out.zeroPoint());
        }
        ByteTensor y = ops.alloc(os);
        CodeOps.concat(codes, storage, tables, CodeOps.storageAxis(axis - 1, os.rank() - 1), y.data());
        return ops.wrap(y, out);
    }

    /**
     * The codes under a new logical shape (same count; a flatten or ONNX reshape keeps NCHW order, so channels-last
     * codes go through it), requantised to {@code out} (null: x's parameters).
     */
    public QTensor reshape(QTensor x, Shape shape, QParams out) {
        byte[] d = data("qreshape", x);
        QParams q = x.params();
        out = Int8OpChecks.reshape(x, shape, out);
        ByteTensor y = ops.alloc(shape);
        boolean same = q.sameAs(out);
        if (same && ByteTensor.transposed(x.shape()) && !ByteTensor.transposed(shape)) { // a flatten after a conv: one pass into y
            ops.kernels().nhwcToNchw(d, x.shape().dim(0), x.shape().dim(2) * x.shape().dim(3), x.shape().dim(1), y.data());
            return ops.wrap(y, out);
        }
        d = ops.nchwCodes(d, x.shape());
        if (ByteTensor.transposed(shape)) d = CodeOps.transpose(d, shape.dim(0), shape.dim(1), shape.dim(2) * shape.dim(3));
        if (same) System.arraycopy(d, 0, y.data(), 0, d.length);
        else CodeOps.lookup(d, CodeOps.requantTable(q.scale(), q.zeroPoint(), out.scale(), out.zeroPoint()), images(shape), perImage(shape), y.data());
        return ops.wrap(y, out);
    }

    private static CodeOps.Operand operand(QTensor x, byte[] d, QParams q) { return CodeOps.Operand.codes(storage(x.shape()), d, q.scale(), q.zeroPoint()); }

    /** The dims in the order the codes are stored: [n, h, w, c] for rank 4, else as is. */
    static Shape storage(Shape s) { return s.rank() == 4 ? Shape.of(s.dim(0), s.dim(2), s.dim(3), s.dim(1)) : s; }

    private static Shape sample(Shape s) {
        int[] d = new int[s.rank() - 1];
        for (int i = 0; i < d.length; i++) d[i] = s.dim(i + 1);
        return Shape.of(d);
    }

    private static int images(Shape s) { return s.rank() == 0 || s.numel() == 0 ? 1 : s.dim(0); }

    private static int perImage(Shape s) { return s.numel() / images(s); }
}
