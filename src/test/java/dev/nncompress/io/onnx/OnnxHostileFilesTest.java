package dev.nncompress.io.onnx;

import com.google.protobuf.ByteString;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.io.ModelFormatException;
import dev.nncompress.io.onnx.proto.OnnxProto.ModelProto;
import dev.nncompress.io.onnx.proto.OnnxProto.StringStringEntryProto;
import dev.nncompress.io.onnx.proto.OnnxProto.TensorProto;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

import static dev.nncompress.io.onnx.OnnxModels.in;
import static dev.nncompress.io.onnx.OnnxModels.integer;
import static dev.nncompress.io.onnx.OnnxModels.ints;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Crafted and unsupported ONNX files are refused before a Graph is built, each with one line that
 * starts with the file name and says what is wrong (and, for what a later slice adds, that it is not
 * supported yet). Most start from the LeNet fixture and change one thing in it.
 */
class OnnxHostileFilesTest {
    @TempDir Path tmp;

    private static ModelProto lenet() throws IOException {
        return ModelProto.parseFrom(Files.readAllBytes(OnnxFixtures.file("lenet_op17")));
    }

    /** The LeNet fixture with {@code edit} applied to initializer conv1.weight. */
    private Path lenetWithConv1Weight(Consumer<TensorProto.Builder> edit) throws IOException {
        ModelProto.Builder m = lenet().toBuilder();
        TensorProto.Builder w = m.getGraphBuilder().getInitializerBuilderList().stream().filter(t -> t.getName().equals("conv1.weight")).findFirst().orElseThrow();
        edit.accept(w);
        return OnnxModels.write(m.build(), tmp.resolve("bad.onnx"));
    }

    private static String refused(Path file, String... phrases) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> OnnxImporter.importFile(file, new ReferenceBackend()),
                "refused with " + String.join(", ", phrases));
        String msg = e.getMessage();
        assertTrue(msg.startsWith(file + ": "), "names the file first: " + msg);
        assertFalse(msg.contains("\n"), "one line: " + msg);
        for (String p : phrases) assertTrue(msg.contains(p), "'" + p + "' in: " + msg);
        return msg;
    }

    @Test
    void wrongRawDataLength() throws IOException {
        Path f = lenetWithConv1Weight(w -> w.setRawData(w.getRawData().substring(0, 596)));
        refused(f, "initializer 'conv1.weight'", "raw_data holds 596 bytes", "[6, 1, 5, 5] of FLOAT needs 600");
    }

    @Test
    void hugeAndNegativeDims() throws IOException {
        refused(lenetWithConv1Weight(w -> w.clearDims().addDims(Integer.MAX_VALUE).addDims(Integer.MAX_VALUE).addDims(1).addDims(1)),
                "'conv1.weight' has more than 268435456 values");
        refused(lenetWithConv1Weight(w -> w.setDims(0, -6)), "dim 0 = -6 is not in [0, 2147483647]");
        refused(lenetWithConv1Weight(w -> w.setDims(0, 1L << 40)), "dim 0 = 1099511627776");
    }

    @Test
    void unknownOperatorNamesItsNodeAndTheSupportedList() throws IOException {
        ModelProto.Builder m = lenet().toBuilder();
        m.getGraphBuilder().getNodeBuilderList().stream().filter(n -> n.getOpType().equals("Relu")).findFirst().orElseThrow().setOpType("Einsum");
        String msg = refused(OnnxModels.write(m.build(), tmp.resolve("einsum.onnx")), "node '/Relu' (Einsum) is not supported");
        for (String op : OnnxImporter.SUPPORTED) assertTrue(msg.contains(op), op + " listed: " + msg);
    }

    @Test
    void opsetsOutside11To21() throws IOException {
        for (long v : new long[] {7, 10, 22}) {
            ModelProto.Builder m = lenet().toBuilder();
            m.getOpsetImportBuilder(0).setVersion(v);
            refused(OnnxModels.write(m.build(), tmp.resolve("opset.onnx")), "opset " + v + " of the default domain", "reads opsets 11 to 21");
        }
    }

    @Test
    void externalDataAndSegmentsAreRefused() throws IOException {
        refused(lenetWithConv1Weight(w -> w.clearRawData().setDataLocation(1)
                .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue("weights.bin"))), "external data file 'weights.bin' is not a file next to the model");
        refused(lenetWithConv1Weight(w -> w.setSegment(ByteString.copyFrom(new byte[] {8, 0, 16, 4}))), "segment");
    }

    @Test
    void nonFloatWeightsNameTheirDataType() throws IOException {
        refused(lenetWithConv1Weight(w -> w.clearRawData().setDataType(11).addAllDoubleData(java.util.Collections.nCopies(150, 0.5))),
                "has data type DOUBLE", "reads FLOAT weights");
        refused(lenetWithConv1Weight(w -> w.setDataType(10).setRawData(w.getRawData().substring(0, 300))), "has data type FLOAT16");
        refused(lenetWithConv1Weight(w -> w.setDataType(DataTypes.INT64).setRawData(ByteString.copyFrom(new byte[1200]))),
                "node '/conv1/Conv' (Conv): W 'conv1.weight' has data type INT64; weights must be FLOAT");
    }

    @Test
    void dataFieldsMustAgreeWithTheShape() throws IOException {
        refused(lenetWithConv1Weight(w -> w.addFloatData(1f)), "both raw_data and typed data");
        refused(lenetWithConv1Weight(w -> w.clearRawData().addAllFloatData(java.util.Collections.nCopies(149, 0.1f))), "149 values stored", "needs 150");
        refused(lenetWithConv1Weight(w -> w.clearRawData().addAllFloatData(java.util.Collections.nCopies(150, Float.NaN))), "holds NaN at index 0");
        refused(lenetWithConv1Weight(w -> w.addInt64Data(3)), "in a data field of another type");
    }

    @Test
    void filesThatAreNotOnnxModels() throws IOException {
        refused(Files.writeString(tmp.resolve("text.onnx"), "this is not a protobuf message\n"), "not an ONNX model");
        refused(Files.write(tmp.resolve("empty.onnx"), new byte[0]), "empty file");
        byte[] cut = Files.readAllBytes(OnnxFixtures.file("lenet_op17"));
        refused(Files.write(tmp.resolve("cut.onnx"), java.util.Arrays.copyOf(cut, cut.length / 2)), "not an ONNX model");
        refused(tmp.resolve("missing.onnx"), "ONNX file not found");
        Path big = tmp.resolve("big.onnx");
        try (RandomAccessFile r = new RandomAccessFile(big.toFile(), "rw")) {
            r.setLength(OnnxLimits.MAX_FILE_BYTES + 1); // sparse: no disk space used, and refused before reading
        }
        refused(big, "more than the importer's limit of 1073741824");
    }

    /** Files whose protobuf would parse into far more heap than their size are refused before the parse allocates. */
    @Test
    void protobufObjectBombsAreRefusedBeforeParsing() throws IOException {
        // 2M empty metadata entries: 4 MB of file, ~130 MB of message objects
        byte[] entries = new byte[4_000_000];
        for (int i = 0; i < entries.length; i += 2) entries[i] = (byte) (14 << 3 | 2);
        refused(Files.write(tmp.resolve("entries.onnx"), entries), "would take about", "not a plausible ONNX model");
        // an initializer whose packed dims are 20M one-byte varints: 20 MB of file, 160 MB of longs
        byte[] tensor = field(1, new byte[20_000_000]);
        refused(Files.write(tmp.resolve("dims.onnx"), field(7, field(5, tensor))), "would take about");
        // more nodes than the importer takes, each an empty message
        java.io.ByteArrayOutputStream g = new java.io.ByteArrayOutputStream();
        for (int i = 0; i <= OnnxLimits.MAX_NODES; i++) g.writeBytes(field(1, new byte[0]));
        refused(Files.write(tmp.resolve("nodes.onnx"), field(7, g.toByteArray())), "more than 16384 nodes");
    }

    /** A length-delimited protobuf field: tag, varint length, payload. */
    private static byte[] field(int number, byte[] payload) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        com.google.protobuf.CodedOutputStream c = com.google.protobuf.CodedOutputStream.newInstance(out);
        c.writeByteArray(number, payload);
        c.flush();
        return out.toByteArray();
    }

    @Test
    void brokenTopologyAndIo() throws IOException {
        ModelProto.Builder m = lenet().toBuilder();
        m.getGraphBuilder().getNodeBuilder(1).setInput(0, "nowhere");
        refused(OnnxModels.write(m.build(), tmp.resolve("a.onnx")), "reads 'nowhere', which no earlier node, initializer or input defines");

        m = lenet().toBuilder();
        m.getGraphBuilder().getNodeBuilder(1).setOutput(0, "/conv1/Conv_output_0");
        refused(OnnxModels.write(m.build(), tmp.resolve("b.onnx")), "value '/conv1/Conv_output_0' is defined twice");

        m = lenet().toBuilder();
        m.getGraphBuilder().addInput(OnnxModels.valueInfo("second", -1, 1, 28, 28));
        refused(OnnxModels.write(m.build(), tmp.resolve("c.onnx")), "takes models with one image input");

        m = lenet().toBuilder();
        m.getGraphBuilder().getInputBuilder(0).getTypeBuilder().getTensorTypeBuilder().getShapeBuilder().getDimBuilder(2).setDimParam("height");
        refused(OnnxModels.write(m.build(), tmp.resolve("d.onnx")), "dim 2 is symbolic ('height')", "must be fixed");

        m = lenet().toBuilder();
        m.getGraphBuilder().getNodeBuilder(0).setName("x".repeat(5000));
        refused(OnnxModels.write(m.build(), tmp.resolve("e.onnx")), "longer than 4096 characters");

        m = lenet().toBuilder();
        m.getGraphBuilder().getNodeBuilder(0).setDomain("com.microsoft");
        refused(OnnxModels.write(m.build(), tmp.resolve("f.onnx")), "from operator domain 'com.microsoft'");
    }

    @Test
    void theBatchMarkerCannotBeForgedByAFile() throws IOException {
        OnnxModels m = new OnnxModels(1).input("x", 1, 4, 4)
                .intInit("target", new long[] {Long.MIN_VALUE, -1}, 2)
                .node("Reshape", "rs", in("x", "target"), "y").output("y");
        refused(m.write(tmp.resolve("forged.onnx")), "holds -9223372036854775808");
    }

    /** What later slices of issue 17 add is refused by name, not mapped wrongly. */
    @Test
    void formsOfLaterSlicesAreRefusedByName() throws IOException {
        record Case(String phrase, Consumer<OnnxModels> conv) {}
        Case[] cases = {
            new Case("has attribute 'bogus', which this importer does not read", m -> m.node("Conv", "c", in("x", "w"), "y", integer("bogus", 1))),
            new Case("would broadcast over the batch", m -> m.node("Relu", "r", in("x"), "p").node("Add", "a", in("p", "w"), "y")),
        };
        for (Case c : cases) {
            OnnxModels m = new OnnxModels(5).input("x", 2, 3, 3).weight("w", 0.5f, 2, 2, 3, 3);
            c.conv().accept(m);
            m.output("y");
            refused(m.write(tmp.resolve("later.onnx")), c.phrase());
        }
    }
}
