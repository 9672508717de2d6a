package dev.nncompress.io.onnx;

import com.google.protobuf.ByteString;
import dev.nncompress.io.onnx.proto.OnnxProto.AttributeProto;
import dev.nncompress.io.onnx.proto.OnnxProto.NodeProto;
import dev.nncompress.io.onnx.proto.OnnxProto.TensorProto;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The ONNX graph an export is writing: nodes in order, initializers, and the value names taken so far
 * (ONNX graphs are single-assignment, so every name is handed out once). Tensors are written as
 * little-endian {@code raw_data}, what {@link TensorReader} reads back.
 */
final class ExportBuilder {
    final int opset;
    private final List<NodeProto> nodes = new ArrayList<>();
    private final List<TensorProto> initializers = new ArrayList<>();
    private final Set<String> taken = new HashSet<>();

    ExportBuilder(int opset) { this.opset = opset; }

    List<NodeProto> nodes() { return nodes; }

    List<TensorProto> initializers() { return initializers; }

    /** {@code wanted} if no value has it yet, else {@code wanted_2}, {@code wanted_3}... */
    String fresh(String wanted) {
        String name = wanted;
        for (int k = 2; !taken.add(name); k++) name = wanted + "_" + k;
        return name;
    }

    /** True when {@code name} is still free; then it is taken. */
    boolean claim(String name) { return !name.isEmpty() && taken.add(name); }

    /** Adds a node reading {@code inputs} ("" for a left-out optional input) and writing {@code output}; returns the output. */
    String node(String opType, String nodeName, List<String> inputs, String output, AttributeProto... attrs) {
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(opType).setName(nodeName).addAllInput(inputs).addOutput(output);
        for (AttributeProto a : attrs) if (a != null) n.addAttribute(a);
        nodes.add(n.build());
        return output;
    }

    /** A FLOAT initializer under a name already claimed; returns the name. */
    String floats(String name, float[] values, long... dims) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : values) b.putFloat(f);
        initializers.add(tensor(name, DataTypes.FLOAT, dims, b.array()));
        return name;
    }

    /** An INT64 initializer made by the export (shapes, axes), under a fresh name; returns the name. */
    String int64s(String wanted, long... values) {
        String name = fresh(wanted);
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) b.putLong(v);
        initializers.add(tensor(name, DataTypes.INT64, new long[] {values.length}, b.array()));
        return name;
    }

    /** A rank-0 FLOAT initializer made by the export (Clip's bounds), under a fresh name; returns the name. */
    String scalar(String wanted, float value) {
        String name = fresh(wanted);
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(value);
        initializers.add(tensor(name, DataTypes.FLOAT, new long[0], b.array()));
        return name;
    }

    /** A tensor of {@code dataType} whose {@code raw} bytes are already little-endian. */
    static TensorProto tensor(String name, int dataType, long[] dims, byte[] raw) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(dataType);
        for (long d : dims) t.addDims(d);
        return t.setRawData(ByteString.copyFrom(raw)).build();
    }

    void addInitializer(TensorProto t) { initializers.add(t); }

    static AttributeProto ints(String name, long... v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(Attrs.INTS);
        for (long x : v) a.addInts(x);
        return a.build();
    }

    static AttributeProto integer(String name, long v) { return AttributeProto.newBuilder().setName(name).setType(Attrs.INT).setI(v).build(); }

    static AttributeProto real(String name, double v) { return AttributeProto.newBuilder().setName(name).setType(Attrs.FLOAT).setF((float) v).build(); }
}
