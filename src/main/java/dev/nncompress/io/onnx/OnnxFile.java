package dev.nncompress.io.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.nncompress.graph.Graph;
import dev.nncompress.io.ModelFormatException;
import dev.nncompress.io.onnx.proto.OnnxProto.GraphProto;
import dev.nncompress.io.onnx.proto.OnnxProto.ModelProto;
import dev.nncompress.io.onnx.proto.OnnxProto.NodeProto;
import dev.nncompress.io.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.nncompress.io.onnx.proto.OnnxProto.TensorProto;
import dev.nncompress.io.onnx.proto.OnnxProto.TensorShapeProto;
import dev.nncompress.io.onnx.proto.OnnxProto.TypeProto;
import dev.nncompress.io.onnx.proto.OnnxProto.ValueInfoProto;
import dev.nncompress.tensor.Shape;
import dev.nncompress.util.Quoted;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * Reading an .onnx file and the model-level checks: size and nesting bounds on the protobuf parse, IR
 * version and opset (11 to 21 of the default domain), counts and name lengths, one image input
 * [N, C, H, W] of FLOAT with static C, H, W (N symbolic or fixed) and one output.
 */
final class OnnxFile {
    private OnnxFile() {}

    /** What the model-level checks found. */
    record Header(int opset, long irVersion, String producer, String producerVersion, String inputName, Shape inputShape, long fixedBatch) {}

    static ModelProto read(Path file) {
        if (!Files.isRegularFile(file)) throw new ModelFormatException(file + ": ONNX file not found");
        try {
            long size = Files.size(file);
            if (size > OnnxLimits.MAX_FILE_BYTES) {
                throw new ModelFormatException(file + ": " + size + " bytes, more than the importer's limit of " + OnnxLimits.MAX_FILE_BYTES + " (1 GiB)");
            }
            if (size == 0) throw new ModelFormatException(file + ": empty file, not an ONNX model");
            byte[] bytes = Files.readAllBytes(file);
            if (bytes.length != size) throw new ModelFormatException(file + ": changed while being read");
            try {
                ProtoScan.check(bytes); // bounds what the parse below allocates, before it allocates
            } catch (IllegalArgumentException e) {
                throw new ModelFormatException(file + ": " + e.getMessage(), e);
            }
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            in.setRecursionLimit(OnnxLimits.MAX_PROTO_DEPTH);
            in.enableAliasing(true); // raw_data refers to the file's array instead of a copy: one copy of the weights
            ModelProto m = ModelProto.parseFrom(in);
            in.checkLastTagWas(0);
            return m;
        } catch (InvalidProtocolBufferException e) {
            throw new ModelFormatException(file + ": not an ONNX model (protobuf: " + Quoted.escape(String.valueOf(e.getMessage()), 200) + ")", e);
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    static Header check(ModelProto m) {
        if (!m.hasGraph()) throw new IllegalArgumentException("no graph: not an ONNX model (or an empty one)");
        long ir = m.getIrVersion();
        if (ir < OnnxLimits.MIN_IR_VERSION || ir > OnnxLimits.MAX_IR_VERSION) {
            throw new IllegalArgumentException("IR version " + ir + "; this importer reads " + OnnxLimits.MIN_IR_VERSION + " to " + OnnxLimits.MAX_IR_VERSION);
        }
        int opset = opset(m);
        GraphProto g = m.getGraph();
        if (g.getNodeCount() > OnnxLimits.MAX_NODES) throw new IllegalArgumentException(g.getNodeCount() + " nodes, more than " + OnnxLimits.MAX_NODES);
        if (g.getInitializerCount() > OnnxLimits.MAX_INITIALIZERS) {
            throw new IllegalArgumentException(g.getInitializerCount() + " initializers, more than " + OnnxLimits.MAX_INITIALIZERS);
        }
        if (g.getSparseInitializerCount() > 0) throw new IllegalArgumentException("sparse initializers, which this importer does not read");
        checkNames(g);
        Set<String> initializers = new HashSet<>();
        for (TensorProto t : g.getInitializerList()) {
            if (!initializers.add(t.getName())) throw new IllegalArgumentException("initializer " + Quoted.of(t.getName()) + " appears twice");
        }
        ValueInfoProto input = null;
        for (ValueInfoProto v : g.getInputList()) {
            if (initializers.contains(v.getName())) continue; // IR < 4 lists initializers among the inputs
            if (input != null) {
                throw new IllegalArgumentException("inputs " + Quoted.of(input.getName()) + " and " + Quoted.of(v.getName())
                        + "; this importer takes models with one image input");
            }
            input = v;
        }
        if (input == null) throw new IllegalArgumentException("no graph input; an image model has one");
        if (g.getOutputCount() != 1) throw new IllegalArgumentException(g.getOutputCount() + " graph outputs; this importer takes models with one");
        long[] dims = inputDims(input);
        int[] perSample = new int[3];
        for (int i = 0; i < 3; i++) perSample[i] = (int) dims[i + 1];
        return new Header(opset, ir, m.getProducerName(), m.getProducerVersion(), input.getName(), Shape.of(perSample), dims[0]);
    }

    /** The default domain's opset, in [11, 21]; other domains may be imported as long as no node uses them. */
    private static int opset(ModelProto m) {
        Long version = null;
        for (OperatorSetIdProto o : m.getOpsetImportList()) {
            if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) {
                if (version != null) throw new IllegalArgumentException("imports the default operator set twice");
                version = o.getVersion();
            }
        }
        if (version == null) throw new IllegalArgumentException("no opset of the default ONNX domain in opset_import");
        if (version < OnnxLimits.MIN_OPSET || version > OnnxLimits.MAX_OPSET) {
            throw new IllegalArgumentException("opset " + version + " of the default domain; this importer reads opsets " + OnnxLimits.MIN_OPSET + " to "
                    + OnnxLimits.MAX_OPSET + " (re-export with torch.onnx.export(..., opset_version=17), or convert with onnx.version_converter)");
        }
        return (int) (long) version;
    }

    /** [N, C, H, W] of FLOAT: N symbolic (0 returned) or fixed; C, H, W fixed, each in [1, 2^24] with their product too. */
    private static long[] inputDims(ValueInfoProto v) {
        String what = "input " + Quoted.of(v.getName());
        TypeProto t = v.getType();
        if (!t.hasTensorType()) throw new IllegalArgumentException(what + " is not a tensor");
        if (t.getTensorType().getElemType() != DataTypes.FLOAT) {
            throw new IllegalArgumentException(what + " has data type " + DataTypes.name(t.getTensorType().getElemType()) + "; an image input must be FLOAT");
        }
        if (!t.getTensorType().hasShape() || t.getTensorType().getShape().getDimCount() != 4) {
            throw new IllegalArgumentException(what + " must have a shape of rank 4 [N, C, H, W], got " + (t.getTensorType().hasShape()
                    ? "rank " + t.getTensorType().getShape().getDimCount() : "none"));
        }
        long[] dims = new long[4];
        long product = 1;
        for (int i = 0; i < 4; i++) {
            TensorShapeProto.Dimension d = t.getTensorType().getShape().getDim(i);
            if (!d.hasDimValue()) {
                if (i == 0) continue; // a symbolic batch
                throw new IllegalArgumentException(what + ": dim " + i + " is " + (d.hasDimParam() ? "symbolic (" + Quoted.of(d.getDimParam()) + ")" : "unknown")
                        + "; C, H and W must be fixed (export with a fixed image size)");
            }
            long x = d.getDimValue();
            if (x < 1 || x > Graph.MAX_SAMPLE_VALUES) {
                throw new IllegalArgumentException(what + ": dim " + i + " = " + x + " is not in [1, " + Graph.MAX_SAMPLE_VALUES + "]");
            }
            dims[i] = x;
            if (i > 0) {
                product *= x;
                if (product > Graph.MAX_SAMPLE_VALUES) throw new IllegalArgumentException(what + " has more than " + Graph.MAX_SAMPLE_VALUES + " values per image");
            }
        }
        return dims;
    }

    /** Every name the importer may print or key a map by is bounded in length. */
    private static void checkNames(GraphProto g) {
        for (TensorProto t : g.getInitializerList()) name(t.getName(), "initializer");
        for (ValueInfoProto v : g.getInputList()) name(v.getName(), "input");
        for (ValueInfoProto v : g.getOutputList()) name(v.getName(), "output");
        for (NodeProto n : g.getNodeList()) {
            name(n.getName(), "node");
            name(n.getOpType(), "op type");
            for (String s : n.getInputList()) name(s, "node input");
            for (String s : n.getOutputList()) name(s, "node output");
        }
    }

    private static void name(String s, String what) {
        if (s.length() > OnnxLimits.MAX_NAME_CHARS) {
            throw new IllegalArgumentException(what + " name " + Quoted.of(s) + " is longer than " + OnnxLimits.MAX_NAME_CHARS + " characters");
        }
    }
}
