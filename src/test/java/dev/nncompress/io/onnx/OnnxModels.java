package dev.nncompress.io.onnx;

import com.google.protobuf.ByteString;
import dev.nncompress.io.onnx.proto.OnnxProto.AttributeProto;
import dev.nncompress.io.onnx.proto.OnnxProto.GraphProto;
import dev.nncompress.io.onnx.proto.OnnxProto.ModelProto;
import dev.nncompress.io.onnx.proto.OnnxProto.NodeProto;
import dev.nncompress.io.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.nncompress.io.onnx.proto.OnnxProto.TensorProto;
import dev.nncompress.io.onnx.proto.OnnxProto.TensorShapeProto;
import dev.nncompress.io.onnx.proto.OnnxProto.TypeProto;
import dev.nncompress.io.onnx.proto.OnnxProto.ValueInfoProto;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Small ONNX models written in Java with the generated protobuf builders, for the tests of single
 * operators and of hostile files: an image input [N, C, H, W] (batch symbolic), float initializers with
 * seeded random values in raw_data, nodes with typed attributes, one output.
 */
final class OnnxModels {
    private final GraphProto.Builder graph = GraphProto.newBuilder().setName("test");
    private final SplittableRandom rng;
    private int opset = 17;

    OnnxModels(long seed) { rng = new SplittableRandom(seed); }

    OnnxModels opset(int v) {
        opset = v;
        return this;
    }

    OnnxModels input(String name, int c, int h, int w) {
        graph.addInput(valueInfo(name, -1, c, h, w));
        return this;
    }

    /** An input whose batch dim is fixed at {@code n} (some exporters write 1). */
    OnnxModels fixedBatchInput(String name, int n, int c, int h, int w) {
        graph.addInput(valueInfo(name, n, c, h, w));
        return this;
    }

    OnnxModels output(String name) {
        graph.addOutput(ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(DataTypes.FLOAT))));
        return this;
    }

    /** A float initializer of uniform values in [-scale, scale]. */
    OnnxModels weight(String name, float scale, long... dims) {
        long n = 1;
        for (long d : dims) n *= d;
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) v[i] = (float) ((rng.nextDouble() * 2 - 1) * scale);
        graph.addInitializer(floats(name, v, dims));
        return this;
    }

    /** A float initializer of the given values (variances must be positive, for example). */
    OnnxModels weight(String name, float[] values, long... dims) {
        graph.addInitializer(floats(name, values, dims));
        return this;
    }

    OnnxModels intInit(String name, long[] values, long... dims) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(DataTypes.INT64);
        for (long d : dims) t.addDims(d);
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) b.putLong(v);
        graph.addInitializer(t.setRawData(ByteString.copyFrom(b.array())));
        return this;
    }

    /** A BOOL scalar initializer (Dropout's training_mode). */
    OnnxModels boolInit(String name, boolean value) {
        graph.addInitializer(TensorProto.newBuilder().setName(name).setDataType(DataTypes.BOOL).setRawData(ByteString.copyFrom(new byte[] {(byte) (value ? 1 : 0)})));
        return this;
    }

    OnnxModels node(String op, String name, String[] inputs, String output, AttributeProto... attrs) {
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(name).addOutput(output);
        for (String i : inputs) n.addInput(i);
        for (AttributeProto a : attrs) n.addAttribute(a);
        graph.addNode(n);
        return this;
    }

    GraphProto.Builder graph() { return graph; }

    ModelProto build() {
        return ModelProto.newBuilder().setIrVersion(8).setProducerName("nncompress-test").setGraph(graph)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset)).build();
    }

    Path write(Path file) { return write(build(), file); }

    static Path write(ModelProto m, Path file) {
        try {
            Files.write(file, m.toByteArray());
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static TensorProto floats(String name, float[] v, long... dims) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(DataTypes.FLOAT);
        for (long d : dims) t.addDims(d);
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return t.setRawData(ByteString.copyFrom(b.array())).build();
    }

    static ValueInfoProto valueInfo(String name, long... dims) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (long d : dims) {
            s.addDim(d < 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam("batch") : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(DataTypes.FLOAT).setShape(s))).build();
    }

    static AttributeProto ints(String name, long... v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(Attrs.INTS);
        for (long x : v) a.addInts(x);
        return a.build();
    }

    static AttributeProto integer(String name, long v) { return AttributeProto.newBuilder().setName(name).setType(Attrs.INT).setI(v).build(); }

    static AttributeProto real(String name, float v) { return AttributeProto.newBuilder().setName(name).setType(Attrs.FLOAT).setF(v).build(); }

    static AttributeProto string(String name, String v) {
        return AttributeProto.newBuilder().setName(name).setType(Attrs.STRING).setS(ByteString.copyFromUtf8(v)).build();
    }

    static String[] in(String... names) { return names; }
}
