package dev.nncompress.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nncompress.data.FashionMnist;
import dev.nncompress.io.TensorRecord;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import static dev.nncompress.cli.HostileModels.attrs;
import static dev.nncompress.cli.HostileModels.f32;
import static dev.nncompress.cli.HostileModels.json;
import static dev.nncompress.cli.HostileModels.node;

/**
 * The catalogue of {@link CraftedFilesTest}: each hostile file, what makes it hostile, the command it is
 * given to and the phrase its error line must contain; plus the valid controls. Files go to {@code tmp}.
 */
final class HostileCases {
    /** One file, the command given it, the phrase its error line must contain (after the file name), the exit code expected. */
    record Case(String id, String hostile, Path file, List<String> args, String phrase, int exitCode) {}

    private final Path tmp;
    private final Path data;
    private final HostileModels models;

    HostileCases(Path tmp, Path data, HostileModels models) {
        this.tmp = tmp;
        this.data = data;
        this.models = models;
    }


    /** Valid files: the harness itself must let them through (exit 0), or every rejection below proves nothing. */
    List<Case> controls() {
        Path pruned = models.prunedModel("control-pruned.safetensors", p -> {});
        Path int8 = models.int8Model("control-int8.safetensors", p -> {});
        return List.of(new Case("control-pruned-float", "none (valid pruned model, sparse native kernels)", pruned, eval(pruned, "cpu"), "", 0),
                new Case("control-int8", "none (valid int8 model, native int8 kernels)", int8, eval(int8, "cpu"), "", 0),
                coded().control());
    }

    List<Case> hostile() {
        List<Case> c = new ArrayList<>();
        HostileModels m = models;
        // graph attributes
        Path padW = m.floatModel("conv1-pad_w-2147483647.safetensors", p -> {
            attrs(p.graph(), "conv1").put("pad_w", Integer.MAX_VALUE);
            float[] w = p.tensors().get("conv1.weight").toFloats(); // 90%+ zeros: the sparse native conv runs it
            for (int i = 0; i < w.length; i++) if (i % 12 != 0) w[i] = 0;
            p.tensors().put("conv1.weight", f32(w, 8, 1, 3, 3));
            float[] fc = p.tensors().get("fc1.weight").toFloats(); // the 672 features the wrapped geometry yields
            p.tensors().put("fc1.weight", f32(Arrays.copyOf(fc, 64 * 672), 64, 672));
        });
        c.add(new Case("pad_w-2^31-1", "issue 16: conv1 pad_w 2147483647, conv1 92% zeros, fc1 reshaped to 672 features (crashed the JVM, exit 134)",
                padW, eval(padW, "cpu"), "attribute pad_w = 2147483647 is not an integer in [0, 1024]", 1));
        c.add(attr("stride_h-0", "conv1 stride_h 0", "conv1", "stride_h", "0", "stride_h = 0 is not an integer in [1, 1024]", "train"));
        c.add(attr("stride_w-1e9", "conv2 stride_w 10^9", "conv2", "stride_w", "1000000000", "stride_w = 1000000000 is not", "bench"));
        c.add(attr("kernel_h-negative", "pool1 kernel_h -3", "pool1", "kernel_h", "-3", "kernel_h = -3 is not an integer in [1, 1024]", "prune"));
        c.add(attr("kernel_w-1e6", "pool2 kernel_w 10^6", "pool2", "kernel_w", "1000000", "kernel_w = 1000000 is not", "eval"));
        c.add(attr("pad_h-NaN-string", "conv1 pad_h \"NaN\" (Jackson's asDouble reads it as NaN, intAttr as 0)", "conv1", "pad_h", "\"NaN\"",
                "attribute 'pad_h' = 'NaN' is not a JSON number", "info"));
        c.add(attr("pad_h-1e300", "conv1 pad_h 1e300 ((int) Math.round gave -1)", "conv1", "pad_h", "1e300", "pad_h = 1.0E300 is not", "quantize"));
        c.add(attr("stride_h-2.5", "conv2 stride_h 2.5 (rounded to 3)", "conv2", "stride_h", "2.5", "stride_h = 2.5 is not an integer", "info"));
        c.add(attr("pad-equals-kernel", "conv1 pad_h 3 with a 3x3 kernel", "conv1", "pad_h", "3", "pad_h = 3 must be smaller than the kernel height 3",
                "eval"));
        c.add(attr("relu-flag-2", "fc1 fused relu flag 2", "fc1", "relu", "2", "relu = 2 is not an integer in [0, 1]", "distill"));
        c.add(attr("pad_w-true", "conv2 pad_w true (a JSON boolean)", "conv2", "pad_w", "true", "attribute 'pad_w' = 'true' is not a JSON number", "info"));
        c.add(attr("unknown-attribute", "conv1 dilations 2 (ONNX's name), an attribute CONV2D does not read", "conv1", "dilations", "2",
                "unknown attribute 'dilations'", "info"));
        // conv family (issue 17): the optional geometry attributes are checked like the others
        c.add(attr("dilation-0", "conv1 dilation_h 0", "conv1", "dilation_h", "0", "dilation_h = 0 is not an integer in [1, 1024]", "info"));
        c.add(attr("groups-weight-mismatch", "conv2 groups 4 with an ungrouped weight", "conv2", "groups", "4",
                "with O a multiple of 4 and 4 dividing the", "eval"));
        c.add(graphCase("missing-attribute", "conv1 without stride_w", g -> attrs(g, "conv1").remove("stride_w"), "lacks attribute stride_w", "distill-teacher"));
        c.add(graphCase("dropout-p-1.5", "a DROPOUT node with p 1.5", g -> insert(g, "DROPOUT", "{\"p\":1.5}"), "p = 1.5 is not a number in [0, 1)",
                "info"));
        c.add(graphCase("batchnorm-eps-negative", "a BATCHNORM2D node with eps -1", g -> insert(g, "BATCHNORM2D", "{\"eps\":-1}"),
                "eps = -1 is not a number in (0, 1]", "info"));
        Path nanToken = m.floatModel("pad_w-NaN-token.safetensors", p -> p.meta().put(HostileModels.GRAPH_KEY,
                p.graph().toString().replace("\"pad_w\":1.0", "\"pad_w\":NaN")));
        c.add(new Case("pad_w-NaN-token", "a bare NaN token in the graph JSON", nanToken, info(nanToken), "graph description is not valid JSON", 1));
        // graph structure and sizes
        c.add(graphCase("input-wraps-to-0", "input_shape [65536, 65536, 1]: its int product wraps to 0", g -> g.set("input_shape", json("[65536,65536,1]")),
                "has more than 16777216 values per sample", "bench"));
        c.add(graphCase("input-wraps-negative", "input_shape [46341, 46341, 1]: its int product wraps negative",
                g -> g.set("input_shape", json("[46341,46341,1]")), "has more than 16777216 values per sample", "eval"));
        c.add(graphCase("input-rank-4-long-wrap", "input_shape [65536]*4: even its long product wraps to 0",
                g -> g.set("input_shape", json("[65536,65536,65536,65536]")), "must be an array of 1 to 3 dims", "bench"));
        c.add(graphCase("input-dim-0", "input_shape [1, 0, 28]", g -> g.set("input_shape", json("[1,0,28]")), "dim 1 = '0' is not an integer", "quantize"));
        c.add(graphCase("input-dim-negative", "input_shape [-1, 28, 28]", g -> g.set("input_shape", json("[-1,28,28]")), "dim 0 = '-1' is not", "info"));
        c.add(graphCase("5000-nodes", "5000 ReLU nodes", g -> {
            ArrayNode nodes = g.withArray("nodes");
            String prev = "fc2";
            for (int i = 0; i < 5000; i++) {
                nodes.add(json("{\"name\":\"r" + i + "\",\"op\":\"RELU\",\"inputs\":[\"" + prev + "\"],\"attrs\":{}}"));
                prev = "r" + i;
            }
            g.put("output", prev);
        }, "graph has 5010 nodes, more than 4096", "info"));
        c.add(graphCase("name-300-chars", "a node name of 300 characters", g -> rename(g, "x".repeat(300)), "must be 1 to 256 characters", "info"));
        c.add(graphCase("name-with-newline", "a node name with a newline (would split the error line)", g -> rename(g, "conv\n1"),
                "without control characters", "info"));
        Path wide = m.floatModel("conv1-65535-channels.safetensors", p -> {
            p.tensors().put("conv1.weight", f32(new float[65535], 65535, 1, 1, 1));
            p.tensors().remove("conv1.bias");
            attrs(p.graph(), "conv1").put("pad_h", 0).put("pad_w", 0);
        });
        c.add(new Case("activation-bomb", "conv1 1x1 with 65535 channels: 256 KB of weights, 51M activations per image", wide, eval(wide, "reference"),
                "has 51379440 values per sample, more than 16777216", 1));
        // weights against the graph
        c.add(tensorCase("fc1-783-features", "fc1.weight [64, 783] for 784 features", t -> t.put("fc1.weight", f32(new float[64 * 783], 64, 783)),
                "does not fit 784 input features", "eval"));
        c.add(tensorCase("conv1-2-channels", "conv1.weight [8, 2, 3, 3] for a 1-channel input", t -> t.put("conv1.weight", f32(new float[144], 8, 2, 3, 3)),
                "does not fit input [1, 28, 28]", "info"));
        c.add(tensorCase("orphan-tensor", "a tensor 'ghost.weight' of no node", t -> t.put("ghost.weight", f32(new float[4], 4)),
                "tensor 'ghost.weight' belongs to no node", "info"));
        c.add(tensorCase("missing-weight", "conv2.weight absent", t -> t.remove("conv2.weight"), "has no parameter 'conv2.weight'", "info"));
        c.add(tensorCase("fc2-0-outputs", "fc2.weight [0, 64], fc2.bias [0]: an empty output",
                t -> { t.put("fc2.weight", f32(new float[0], 0, 64)); t.put("fc2.bias", f32(new float[0], 0)); }, "output shape [0] is empty", "eval"));
        // dtypes
        c.add(tensorCase("F64-weight", "conv1.weight stored as F64", t -> t.put("conv1.weight", TensorRecord.ofRaw("F64", new long[] {8, 1, 3, 3},
                new byte[8 * 72])), "tensor 'conv1.weight' has dtype F64, expected F32", "train"));
        c.add(tensorCase("I8-weight", "fc2.weight stored as I8", t -> t.put("fc2.weight", TensorRecord.ofRaw("I8", new long[] {10, 64}, new byte[640])),
                "tensor 'fc2.weight' has dtype I8, expected F32", "eval"));
        // sparse storage
        Path maskF32 = m.prunedModel("bitmask-as-F32.safetensors", p -> {
            TensorRecord bits = p.tensors().get("fc1.weight.bitmask");
            p.tensors().put("fc1.weight.bitmask", TensorRecord.ofRaw("F32", new long[] {bits.shape()[0] / 4}, bytes(bits)));
        });
        c.add(new Case("bitmask-as-F32", "fc1.weight.bitmask stored as F32 instead of U8", maskF32, command("prune", maskF32), "must be a 1-D U8 tensor, got F32", 1));
        Path bomb = m.prunedModel("bitmask-bomb.safetensors", p -> p.meta().put("nncompress.sparse",
                p.meta().get("nncompress.sparse").replace("[64,784]", "[1073741824]")));
        c.add(new Case("bitmask-bomb", "sparse index claims fc1.weight is [2^30] (4 GiB dense) for a 6 KB bitmask", bomb, eval(bomb, "reference"),
                "shape [1073741824] is too large for one dense array", 1));
        Path nmBomb = m.prunedModel("nm-bomb.safetensors", p -> p.meta().put("nncompress.sparse",
                p.meta().get("nncompress.sparse").replace("[16,8,3,3]", "[1048576,8,3,3]")));
        c.add(new Case("nm-bomb", "sparse index claims conv2.weight is [2^20, 8, 3, 3] (300 MB) for 2 KB of N:M values", nmBomb, info(nmBomb),
                "would decode to 302193832 bytes, more than 32 x the file's", 1));
        Path nmU8 = m.prunedModel("nm-values-as-U8.safetensors", p -> {
            TensorRecord v = p.tensors().get("conv2.weight.nm_values");
            p.tensors().put("conv2.weight.nm_values", TensorRecord.ofRaw("U8", new long[] {v.shape()[0] * 4}, bytes(v)));
        });
        c.add(new Case("nm-values-as-U8", "conv2.weight.nm_values stored as U8", nmU8, info(nmU8), "'conv2.weight.nm_values' must be a 1-D F32 tensor, got U8", 1));
        // int8 model files
        c.add(int8Case("int8-scale-0", "conv1.weight_scale[0] = 0", t -> t.put("conv1.weight_scale", scales(t, 0, 0f)), "int8 weight of node 'conv1': scale[0] = 0.0 outside [2^-23, 2^32]", "eval"));
        c.add(int8Case("int8-scale-NaN", "fc1.weight_scale[3] = NaN", t -> t.put("fc1.weight_scale", scales(t.get("fc1.weight_scale"), 3, Float.NaN)),
                "scale[3] = NaN outside [2^-23, 2^32]", "info"));
        c.add(int8Case("int8-act-scale-1e30", "input.act_scale 1e30", t -> t.put("input.act_scale", f32(new float[] {1e30f}, 1)),
                "activation 'input': scale[0] = 1.0E30 outside [2^-23, 2^32]", "eval"));
        c.add(int8Case("int8-zero-point-300", "input.act_zero_point 300", t -> t.put("input.act_zero_point", TensorRecord.ofInts(new int[] {300}, 1)),
                "zero point[0] = 300 outside [-128, 127]", "distill-teacher"));
        c.add(int8Case("int8-zero-point-F32", "input.act_zero_point stored as F32", t -> t.put("input.act_zero_point", f32(new float[] {0f}, 1)),
                "'input.act_zero_point' has dtype F32, expected I32", "info"));
        c.add(int8Case("int8-7-scales", "7 weight scales for conv1's 8 output channels",
                t -> t.put("conv1.weight_scale", f32(Arrays.copyOf(t.get("conv1.weight_scale").toFloats(), 7), 7)), "'conv1.weight_scale' must have shape [8]", "info"));
        c.add(int8Case("int8-codes-F32", "conv2.weight (the int8 codes) stored as F32", t -> t.put("conv2.weight", f32(new float[16 * 8 * 9], 16, 8, 3, 3)),
                "'conv2.weight' has dtype F32, expected I8", "info"));
        c.add(int8Case("int8-weight-0-channels", "conv1.weight of shape [0, 1, 3, 3] with 0 scales (fuzz campaign finding: / by zero, an internal error)", t -> {
            t.put("conv1.weight", TensorRecord.ofRaw("I8", new long[] {0, 1, 3, 3}, new byte[0]));
            t.put("conv1.weight_scale", f32(new float[0], 0));
        }, "has an empty dimension", "eval"));
        Path int8Pad = m.int8Model("int8-pad_w-2147483647.safetensors", p -> attrs(p.graph(), "conv1").put("pad_w", Integer.MAX_VALUE));
        c.add(new Case("int8-pad_w-2^31-1", "int8 model, conv1 pad_w 2147483647 (native int8 im2col)", int8Pad, eval(int8Pad, "cpu"),
                "attribute pad_w = 2147483647 is not", 1));
        Path int8Input = m.int8Model("int8-input-wraps.safetensors", p -> p.graph().set("input_shape", json("[46341,46341,1]")));
        c.add(new Case("int8-input-wraps", "int8 model, input_shape [46341, 46341, 1]", int8Input, eval(int8Input, "reference"),
                "has more than 16777216 values per sample", 1));
        // the safetensors container
        Path len = raw("header-length-2^62.safetensors", "{}", new byte[0], 1L << 62);
        c.add(new Case("header-length-2^62", "header length prefix 2^62 in a 10-byte file", len, info(len), "header length 4611686018427387904 is larger", 1));
        Path overlap = raw("overlapping-offsets.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12], -1);
        c.add(new Case("overlapping-offsets", "tensors a [0, 8) and b [4, 12) share bytes", overlap, info(overlap), "overlap tensor 'a'", 1));
        Path outside = raw("offsets-past-end.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[268435456],\"data_offsets\":[0,1073741824]}}",
                new byte[16], -1);
        c.add(new Case("offsets-past-end", "a 1 GiB tensor in a 16-byte data section", outside, eval(outside, "reference"), "out of bounds of the 16-byte data section", 1));
        Path lie = raw("shape-lies.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,8]}}", new byte[8], -1);
        c.add(new Case("shape-lies", "shape [2, 2] of F32 over 8 bytes", lie, info(lie), "needs 16 bytes but data_offsets [0, 8] span 8", 1));
        Path overflow = m.prunedModel("bitmask-shape-overflow.safetensors", p -> p.meta().put("nncompress.sparse",
                p.meta().get("nncompress.sparse").replace("[64,784]", "[1099511627776,1099511627776]")));
        c.add(new Case("bitmask-shape-overflow", "sparse index shape [2^40, 2^40] for fc1.weight: its product overflows a long", overflow,
                info(overflow), "shape [1099511627776, 1099511627776] is too large", 1));
        Path dupKeys = raw("duplicate-keys.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8], -1);
        c.add(new Case("duplicate-keys", "tensor 'a' listed twice in the header", dupKeys, info(dupKeys), "header is not valid JSON: Duplicate field 'a'", 1));
        Path dupMeta = duplicateGraphEntry(m.floatModel("duplicate-metadata-source.safetensors", p -> {}));
        c.add(new Case("duplicate-metadata", "__metadata__ holds nncompress.graph twice (the second would silently win)", dupMeta, info(dupMeta),
                "Duplicate field 'nncompress.graph'", 1));
        // IDX data files
        Path short4 = TinyFashionMnist.write(tmp.resolve("data-short"), 32).resolve(FashionMnist.TEST_IMAGES);
        write(short4, TinyFashionMnist.idx(new int[] {32, 28, 28}, new byte[4]));
        c.add(new Case("idx-images-truncated", "image header claims 32 images, 4 bytes follow", short4,
                evalWith(m.floatGraph("ok-1.safetensors", g -> {}), short4.getParent(), "reference", true), "truncated", 1));
        Path huge = TinyFashionMnist.write(tmp.resolve("data-huge"), 32).resolve(FashionMnist.TEST_IMAGES);
        write(huge, TinyFashionMnist.idx(new int[] {Integer.MAX_VALUE, 28, 28}, new byte[4]));
        c.add(new Case("idx-images-2^31-items", "image header claims 2^31-1 images of 28x28 (1.7 TB) in 20 bytes", huge,
                evalWith(m.floatGraph("ok-2.safetensors", g -> {}), huge.getParent(), "reference", true), "do not fit in one Java array", 1));
        Path labels = TinyFashionMnist.write(tmp.resolve("data-labels-2gib"), 4).resolve(FashionMnist.TEST_LABELS);
        write(labels, TinyFashionMnist.idx(new int[] {Integer.MAX_VALUE - 8}, new byte[12]));
        c.add(new Case("idx-labels-2GiB", "label header claims 2^31-9 labels (2 GiB) in a 20-byte file", labels,
                evalWith(m.floatGraph("ok-3.safetensors", g -> {}), labels.getParent(), "reference", false), "truncated: header declares", 1));
        Path noPixels = TinyFashionMnist.write(tmp.resolve("data-0-pixels"), 4).resolve(FashionMnist.TRAIN_IMAGES);
        write(noPixels, TinyFashionMnist.idx(new int[] {2, 0, 100663324}, new byte[0]));
        c.add(new Case("idx-images-0-pixels", "training images of 0 x 100663324 pixels (a fuzz finding: exit 2 without the file's name)", noPixels,
                List.of("train", "--model", "student", "--data", noPixels.getParent().toString(), "--epochs", "1", "-q"), "each image needs at least one pixel", 1));
        c.addAll(onnx());
        c.addAll(coded().hostile());
        return c;
    }

    private HostileCodedCases coded;

    /** The entropy-coded cases (their own file: a valid coded student and its damaged copies). */
    private HostileCodedCases coded() {
        if (coded == null) coded = new HostileCodedCases(tmp, this::info, f -> eval(f, "reference"));
        return coded;
    }

    /** ONNX files as MODEL arguments of every command that reads one (the importer runs on the fly), and of import. */
    private List<Case> onnx() {
        HostileOnnx o = new HostileOnnx(tmp);
        List<Case> c = new ArrayList<>();
        Path rawShort = o.conv1Weight("onnx-raw-data-short.onnx", w -> w.setRawData(w.getRawData().substring(0, 596)));
        c.add(new Case("onnx-raw-data-short", "ONNX conv1.weight [6, 1, 5, 5] with 596 bytes of raw_data", rawShort, eval(rawShort, "cpu"),
                "raw_data holds 596 bytes", 1));
        Path dims = o.conv1Weight("onnx-dims-2^31.onnx", w -> w.clearDims().addDims(Integer.MAX_VALUE).addDims(Integer.MAX_VALUE).addDims(1).addDims(1));
        c.add(new Case("onnx-dims-2^31", "ONNX conv1.weight of [2^31-1, 2^31-1, 1, 1]", dims, command("bench", dims), "has more than 268435456 values", 1));
        Path nan = o.conv1Weight("onnx-nan-weights.onnx", HostileOnnx::nanWeights);
        c.add(new Case("onnx-nan-weights", "ONNX conv1.weight all NaN (float_data)", nan, command("quantize", nan), "holds NaN at index 0", 1));
        Path erf = o.model("onnx-erf.onnx", m -> m.getGraphBuilder().getNodeBuilderList().stream().filter(n -> n.getOpType().equals("Relu"))
                .findFirst().orElseThrow().setOpType("Erf"));
        c.add(new Case("onnx-unsupported-op", "ONNX model with an Erf node (an op the importer does not map)", erf, command("train", erf), "(Erf) is not supported", 1));
        Path dangling = o.model("onnx-dangling-input.onnx", m -> m.getGraphBuilder().getNodeBuilder(1).setInput(0, "nowhere"));
        c.add(new Case("onnx-dangling-input", "ONNX node reading a value nothing defines", dangling, command("prune", dangling), "reads 'nowhere'", 1));
        Path cut = o.truncated("onnx-truncated.onnx", 0.5);
        c.add(new Case("onnx-truncated", "the first half of an ONNX file", cut, command("distill-teacher", cut), "not an ONNX model", 1));
        Path opset = o.model("onnx-opset-7.onnx", m -> m.getOpsetImportBuilder(0).setVersion(7));
        c.add(new Case("onnx-opset-7", "ONNX opset 7", opset, info(opset), "reads opsets 11 to 21", 1));
        Path bomb = o.metadataBomb("onnx-metadata-bomb.onnx");
        c.add(new Case("onnx-metadata-bomb", "2M empty metadata entries: 4 MB parsing into ~130 MB of objects", bomb, List.of("import", bomb.toString()),
                "would take about", 1));
        // external data (issue 18): the location must stay in the model's folder, offset + length inside the side file
        Path absolute = o.conv1Weight("onnx-external-absolute.onnx", w -> HostileOnnx.external(w, "/etc/passwd", "0"));
        c.add(new Case("onnx-external-absolute", "ONNX conv1.weight in external data at /etc/passwd", absolute, info(absolute),
                "is not a plain file name in the model's folder", 1));
        Path up = o.conv1Weight("onnx-external-dotdot.onnx", w -> HostileOnnx.external(w, "../onnx-ext.data", "0"));
        c.add(new Case("onnx-external-dotdot", "ONNX conv1.weight in external data at ../onnx-ext.data", up, command("bench", up),
                "is not a plain file name in the model's folder", 1));
        o.write("onnx-ext.data", new byte[700]);
        Path past = o.conv1Weight("onnx-external-past-end.onnx", w -> HostileOnnx.external(w, "onnx-ext.data", "200"));
        c.add(new Case("onnx-external-past-end", "ONNX conv1.weight (600 bytes) at offset 200 of a 700-byte side file", past, eval(past, "cpu"),
                "runs past the end of 'onnx-ext.data' (700 bytes)", 1));
        Path text = o.write("onnx-text.onnx", "this is not a protobuf message\n".getBytes(StandardCharsets.UTF_8));
        c.add(new Case("onnx-text", "a text file named .onnx", text, List.of("import", text.toString(), "--out", tmp.resolve("never.safetensors").toString()),
                "not an ONNX model", 1));
        return c;
    }

    // ---- building cases ----

    /** The same file with a second nncompress.graph entry (an empty graph) in front of the real one inside __metadata__. */
    private Path duplicateGraphEntry(Path f) {
        byte[] b = read(f);
        int n = (int) ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        String header = new String(b, 8, n, StandardCharsets.UTF_8);
        String twice = header.replace("\"__metadata__\":{", "\"__metadata__\":{\"nncompress.graph\":\"{}\",");
        return raw("duplicate-metadata.safetensors", twice, Arrays.copyOfRange(b, 8 + n, b.length), -1);
    }


    private Case attr(String id, String hostile, String nodeName, String key, String value, String phrase, String command) {
        return graphCase(id, hostile, g -> attrs(g, nodeName).set(key, json(value)), phrase, command);
    }

    private Case graphCase(String id, String hostile, Consumer<ObjectNode> edit, String phrase, String command) {
        Path f = models.floatGraph(id + ".safetensors", edit);
        return new Case(id, hostile, f, command(command, f), phrase, 1);
    }

    private Case tensorCase(String id, String hostile, Consumer<Map<String, TensorRecord>> edit, String phrase, String command) {
        Path f = models.floatModel(id + ".safetensors", p -> edit.accept(p.tensors()));
        return new Case(id, hostile, f, command(command, f), phrase, 1);
    }

    private Case int8Case(String id, String hostile, Consumer<Map<String, TensorRecord>> edit, String phrase, String command) {
        Path f = models.int8Model(id + ".safetensors", p -> edit.accept(p.tensors()));
        return new Case(id, hostile, f, command(command, f), phrase, 1);
    }

    /** {@code name}'s command line with {@code f} as its MODEL (as the student for distill, the teacher for distill-teacher), on tiny runs. */
    private List<String> command(String name, Path f) {
        String d = data.toString();
        return switch (name) {
            case "info" -> info(f);
            case "eval" -> eval(f, "reference");
            case "train" -> List.of("train", "--model", f.toString(), "--data", d, "--train-limit", "16", "--test-limit", "16", "--epochs", "1", "-q");
            case "distill" -> List.of("distill", f.toString(), "--teacher", validTeacher().toString(), "--data", d, "--train-limit", "16",
                    "--test-limit", "16", "--epochs", "1", "-q");
            case "distill-teacher" -> List.of("distill", "student", "--teacher", f.toString(), "--data", d, "--train-limit", "16",
                    "--test-limit", "16", "--epochs", "1", "-q");
            case "prune" -> List.of("prune", f.toString(), "--sparsity", "0.5", "--finetune-epochs", "0", "--data", d, "--train-limit", "16",
                    "--test-limit", "16", "-q");
            case "quantize" -> List.of("quantize", f.toString(), "--calib", "16", "--test-limit", "16", "--sensitivity-images", "0", "--data", d, "-q");
            case "bench" -> List.of("bench", f.toString(), "--backend", "reference", "--baseline", "none", "--rounds", "1", "--round-seconds",
                    "0.05", "--train-batch", "8", "--infer-batch", "8", "--sparse", "off", "--data", data.toString(), "-q");
            default -> throw new IllegalArgumentException(name);
        };
    }

    private List<String> info(Path f) { return List.of("info", f.toString()); }

    /** A valid float model, the teacher of distill cases whose student is the hostile file. */
    private Path validTeacher() {
        Path t = tmp.resolve("valid-teacher.safetensors");
        return Files.exists(t) ? t : models.floatGraph(t.getFileName().toString(), g -> {});
    }

    private List<String> eval(Path f, String backend) { return evalWith(f, data, backend, true); }

    private List<String> evalWith(Path f, Path dataDir, String backend, boolean limit) {
        List<String> a = new ArrayList<>(List.of("eval", f.toString(), "--backend", backend, "--data", dataDir.toString(), "--batch-size", "16", "-q"));
        if (limit) a.addAll(List.of("--test-limit", "16"));
        return a;
    }

    /** A node of {@code op} with {@code attrs} inserted before fc1 (which then reads it). */
    private void insert(ObjectNode g, String op, String attrsJson) {
        ArrayNode nodes = g.withArray("nodes");
        int at = 0;
        while (!nodes.get(at).path("name").asText().equals("fc1")) at++;
        String in = nodes.get(at).get("inputs").get(0).asText();
        nodes.insert(at, json("{\"name\":\"extra\",\"op\":\"" + op + "\",\"inputs\":[\"" + in + "\"],\"attrs\":" + attrsJson + "}"));
        ((ArrayNode) node(g, "fc1").get("inputs")).removeAll().add("extra");
    }

    /** fc2 renamed (and the graph's output with it). */
    private void rename(ObjectNode g, String name) {
        node(g, "fc2").put("name", name);
        g.put("output", name);
    }

    private TensorRecord scales(Map<String, TensorRecord> t, int i, float v) { return scales(t.get("conv1.weight_scale"), i, v); }

    private TensorRecord scales(TensorRecord r, int i, float v) {
        float[] s = r.toFloats();
        s[i] = v;
        return f32(s, s.length);
    }

    private byte[] bytes(TensorRecord r) {
        ByteBuffer b = r.data();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    /** A safetensors file byte by byte: length prefix ({@code length} < 0: the header's true length), header, data. */
    private Path raw(String name, String header, byte[] dataBytes, long length) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(length < 0 ? h.length : length).put(h).put(dataBytes);
        return write(tmp.resolve(name), b.array());
    }

    private Path write(Path f, byte[] b) {
        try {
            return Files.write(f, b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private byte[] read(Path f) {
        try {
            return Files.readAllBytes(f);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
