package dev.nncompress.io.onnx;

import dev.nncompress.io.onnx.proto.OnnxProto.GraphProto;
import dev.nncompress.io.onnx.proto.OnnxProto.ModelProto;
import dev.nncompress.io.onnx.proto.OnnxProto.NodeProto;
import dev.nncompress.io.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.nncompress.io.onnx.proto.OnnxProto.TensorProto;
import dev.nncompress.io.onnx.proto.OnnxProto.ValueInfoProto;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The structural part of ONNX's checker ({@code onnx.checker.check_model}), in Java, for the files the exporter
 * writes: an IR version and a default-domain opset import; typed graph inputs and outputs; every initializer
 * named once, of a known data type, its {@code raw_data} exactly its dims' worth of bytes; nodes in topological
 * order, each input defined before (graph input, initializer or an earlier node's output), each output defined
 * once; every graph output defined. Operator schemas are ONNX Runtime's to check (the tests load every export).
 */
public final class OnnxStructure {
    /** Bytes per element of the data types an export writes. */
    private static final Map<Integer, Integer> ELEMENT_BYTES = Map.of(DataTypes.FLOAT, 4, DataTypes.INT64, 8, DataTypes.INT32, 4,
            DataTypes.INT8, 1, DataTypes.UINT8, 1);

    private OnnxStructure() {}

    /** Throws naming the first problems when {@code m} is not well formed; an export that fails here is a bug of ours. */
    public static void check(ModelProto m) {
        List<String> p = problems(m);
        if (!p.isEmpty()) {
            throw new IllegalStateException("the ONNX model is malformed: " + String.join("; ", p.subList(0, Math.min(5, p.size())))
                    + (p.size() > 5 ? " (and " + (p.size() - 5) + " more)" : ""));
        }
    }

    /** Every structural problem of {@code m}, in file order; empty when it is well formed. */
    public static List<String> problems(ModelProto m) {
        List<String> p = new ArrayList<>();
        if (m.getIrVersion() < 3) p.add("IR version " + m.getIrVersion() + " (at least 3, the first with opset imports)");
        long defaults = m.getOpsetImportList().stream().filter(o -> o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")).count();
        if (defaults != 1) p.add(defaults + " opset imports of the default domain (exactly 1)");
        for (OperatorSetIdProto o : m.getOpsetImportList()) if (o.getVersion() < 1) p.add("opset import " + o.getDomain() + " has version " + o.getVersion());
        if (!m.hasGraph()) {
            p.add("no graph");
            return p;
        }
        GraphProto g = m.getGraph();
        Set<String> defined = new HashSet<>();
        if (g.getInputCount() == 0) p.add("the graph has no input");
        if (g.getOutputCount() == 0) p.add("the graph has no output");
        for (ValueInfoProto v : g.getInputList()) {
            typed(v, "input", p);
            if (!defined.add(v.getName())) p.add("input " + v.getName() + " is defined twice");
        }
        for (TensorProto t : g.getInitializerList()) {
            if (!defined.add(t.getName())) p.add("initializer " + t.getName() + " is defined twice");
            tensor(t, p);
        }
        for (int i = 0; i < g.getNodeCount(); i++) {
            NodeProto n = g.getNode(i);
            String where = "node #" + i + " " + n.getName() + " (" + n.getOpType() + ")";
            if (n.getOpType().isEmpty()) p.add(where + " has no op_type");
            for (String in : n.getInputList()) if (!in.isEmpty() && !defined.contains(in)) p.add(where + " reads " + in + ", not defined before it");
            if (n.getOutputCount() == 0) p.add(where + " has no output");
            for (String out : n.getOutputList()) if (out.isEmpty() || !defined.add(out)) p.add(where + " writes " + (out.isEmpty() ? "an empty name" : out + ", already defined"));
        }
        for (ValueInfoProto v : g.getOutputList()) {
            typed(v, "output", p);
            if (!defined.contains(v.getName())) p.add("output " + v.getName() + " is not computed by any node");
        }
        return p;
    }

    private static void typed(ValueInfoProto v, String what, List<String> p) {
        if (v.getName().isEmpty()) p.add("a graph " + what + " has no name");
        if (!v.hasType() || !v.getType().hasTensorType() || v.getType().getTensorType().getElemType() == 0) p.add(what + " " + v.getName() + " has no tensor type");
    }

    private static void tensor(TensorProto t, List<String> p) {
        String where = "initializer " + t.getName();
        if (t.getName().isEmpty()) p.add("an initializer has no name");
        Integer size = ELEMENT_BYTES.get(t.getDataType());
        if (size == null) {
            p.add(where + " has data type " + t.getDataType() + ", not one an export writes");
            return;
        }
        long numel = 1;
        for (long d : t.getDimsList()) {
            if (d < 0) p.add(where + " has a negative dim " + d);
            numel *= Math.max(d, 0);
        }
        if (!t.hasRawData()) {
            p.add(where + " has no raw_data");
        } else if (t.getRawData().size() != numel * size) {
            p.add(where + " holds " + t.getRawData().size() + " bytes, its dims " + t.getDimsList() + " need " + numel * size);
        }
    }
}
