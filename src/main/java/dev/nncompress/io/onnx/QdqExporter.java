package dev.nncompress.io.onnx;

import dev.nncompress.backend.GemmS8Epilogue;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.quant.QParams;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Parameter;
import dev.nncompress.int8.Int32Bias;
import dev.nncompress.int8.Int8Model;
import dev.nncompress.int8.QuantizedWeight;
import dev.nncompress.io.onnx.proto.OnnxProto.ModelProto;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;

import static dev.nncompress.io.onnx.ExportBuilder.integer;

/**
 * An {@link Int8Model} as ONNX in QDQ form (issue 18), the form ONNX Runtime, TensorRT and OpenVINO fuse into
 * int8 kernels: the model's float graph ({@link Int8Model#floatGraph}) exported as {@link OnnxExporter} does, with
 * <ul>
 *   <li>each int8 weight an INT8 initializer ({@code <name>_quantized}, our codes) read through DequantizeLinear
 *       with its per-output-channel scales ({@code axis} 0) and zero points 0;</li>
 *   <li>the bias of a layer the int8 engine runs as an int8 GEMM (its input quantised) an INT32 initializer
 *       quantised with scale input scale x weight scale, zero point 0 (what the runtimes' QLinearConv/MatMul fusion
 *       reads; float where a value would not fit int32);</li>
 *   <li>after the input and each node whose output the model quantises, QuantizeLinear then DequantizeLinear with
 *       the tensor's scale and zero point (per tensor, INT8).</li>
 * </ul>
 * For TensorRT ({@link ExportTarget#TENSORRT}) the model must be symmetric with weights in [-127, 127] (else refused)
 * and the int8 layers' biases are FLOAT on their int32 grid.
 * ONNX Runtime rounds and clamps as our engine does (half to even, [-128, 127]) and adds the same int32 bias codes
 * ({@link Int32Bias}); what can differ is the float rounding of its requantisation, a code here and there.
 */
public final class QdqExporter {
    private QdqExporter() {}

    public static ModelProto export(Int8Model model, Map<String, String> onnxNames, int opset) { return export(model, onnxNames, opset, ExportTarget.DEFAULT); }

    /** As {@link #export(Int8Model, Map, int)} for {@code target}'s runtime; a model it cannot take is refused ({@link ExportTarget#check}). */
    public static ModelProto export(Int8Model model, Map<String, String> onnxNames, int opset, ExportTarget target) {
        target.check(model);
        try (ReferenceBackend heap = new ReferenceBackend()) {
            Graph g = model.floatGraph(heap);
            try {
                return OnnxExporter.export(g, onnxNames, opset, new Form(model, target));
            } finally {
                for (Parameter p : g.params().values()) p.value().close();
            }
        }
    }

    private record Form(Int8Model model, ExportTarget target) implements OnnxExporter.Form {
        @Override
        public void parameter(ExportBuilder b, Parameter p, String name) {
            String owner = p.name().substring(0, p.name().indexOf('.'));
            QuantizedWeight w = model.weights().get(owner);
            if (w != null && p.name().equals(owner + ".weight")) {
                String codes = int8s(b, name + "_quantized", w.codes(), OnnxExporter.longs(w.shape()));
                String scale = b.floats(b.fresh(name + "_scale"), w.scales(), w.outChannels());
                String zero = int8s(b, name + "_zero_point", new byte[w.outChannels()], w.outChannels());
                b.node("DequantizeLinear", name + "_DequantizeLinear", List.of(codes, scale, zero), name, integer("axis", 0));
                return;
            }
            QParams in = w == null ? null : model.activations().get(model.node(owner).inputs().get(0));
            if (in != null && p.name().equals(owner + ".bias")) {
                float[] scales = GemmS8Epilogue.combinedScales(in.scale(0), w.scales());
                if (target.int32Bias() && int32Bias(b, p, name, scales)) return;
                if (!target.int32Bias()) { // FLOAT, but the value the engine adds: a runtime quantising it gets our codes
                    b.floats(name, Int32Bias.onGrid(p.value().toFloatArray(), scales), OnnxExporter.longs(p.value().shape()));
                    return;
                }
            }
            OnnxExporter.FLOAT.parameter(b, p, name);
        }

        @Override
        public String activation(ExportBuilder b, String tensor, String value) {
            QParams q = model.activations().get(tensor);
            if (q == null) return value;
            String scale = b.scalar(tensor + "/scale", q.scale(0));
            String zero = int8s(b, tensor + "/zero_point", new byte[] {(byte) q.zeroPoint(0)}); // rank 0: per tensor
            String codes = b.node("QuantizeLinear", b.fresh(tensor + "_QuantizeLinear"), List.of(value, scale, zero), b.fresh(tensor + "_quantized"));
            return b.node("DequantizeLinear", b.fresh(tensor + "_DequantizeLinear"), List.of(codes, scale, zero), b.fresh(tensor + "_dequantized"));
        }

        /** The bias as INT32 codes of {@code scales} through DequantizeLinear; false (nothing written) if a code would not fit. */
        private static boolean int32Bias(ExportBuilder b, Parameter p, String name, float[] scales) {
            int[] values = Int32Bias.codes(p.value().toFloatArray(), scales); // the codes the int8 engine adds
            if (values == null) return false;
            ByteBuffer codes = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
            for (int v : values) codes.putInt(v);
            String quantized = b.fresh(name + "_quantized");
            b.addInitializer(ExportBuilder.tensor(quantized, DataTypes.INT32, new long[] {values.length}, codes.array()));
            String scale = b.floats(b.fresh(name + "_scale"), scales, scales.length);
            String zero = b.fresh(name + "_zero_point");
            b.addInitializer(ExportBuilder.tensor(zero, DataTypes.INT32, new long[] {values.length}, new byte[4 * values.length]));
            b.node("DequantizeLinear", name + "_DequantizeLinear", List.of(quantized, scale, zero), name, integer("axis", 0));
            return true;
        }

        /** An INT8 initializer of {@code dims} (none: a scalar) under a fresh name. */
        private static String int8s(ExportBuilder b, String wanted, byte[] values, long... dims) {
            String name = b.fresh(wanted);
            b.addInitializer(ExportBuilder.tensor(name, DataTypes.INT8, dims, values));
            return name;
        }
    }
}
