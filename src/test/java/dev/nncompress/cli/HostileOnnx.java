package dev.nncompress.cli;

import dev.nncompress.io.onnx.OnnxFixtures;
import dev.nncompress.io.onnx.proto.OnnxProto.ModelProto;
import dev.nncompress.io.onnx.proto.OnnxProto.TensorProto;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.function.Consumer;

/**
 * ONNX files made hostile on purpose for the forked CLI suite: the LeNet fixture (opset 17) with one thing
 * changed, or bytes that are no ONNX model at all. The in-process checks of each kind are in
 * {@code io.onnx.OnnxHostileFilesTest}; these files prove the command line's path for a {@code .onnx} MODEL.
 */
final class HostileOnnx {
    private final Path dir;
    private final ModelProto lenet;

    HostileOnnx(Path dir) {
        this.dir = dir;
        try {
            lenet = ModelProto.parseFrom(Files.readAllBytes(OnnxFixtures.file("lenet_op17")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The fixture with {@code edit} applied to its initializer conv1.weight ([6, 1, 5, 5] FLOAT, 600 bytes of raw_data). */
    Path conv1Weight(String name, Consumer<TensorProto.Builder> edit) {
        ModelProto.Builder m = lenet.toBuilder();
        edit.accept(m.getGraphBuilder().getInitializerBuilderList().stream().filter(t -> t.getName().equals("conv1.weight")).findFirst().orElseThrow());
        return write(name, m.build().toByteArray());
    }

    /** The fixture with {@code edit} applied to the whole model. */
    Path model(String name, Consumer<ModelProto.Builder> edit) {
        ModelProto.Builder m = lenet.toBuilder();
        edit.accept(m);
        return write(name, m.build().toByteArray());
    }

    /** The fixture's first {@code fraction} of bytes. */
    Path truncated(String name, double fraction) {
        byte[] b = lenet.toByteArray();
        return write(name, Arrays.copyOf(b, (int) (b.length * fraction)));
    }

    /** 2M empty metadata_props entries (field 14): 4 MB of file that would parse into ~130 MB of message objects. */
    Path metadataBomb(String name) {
        byte[] entries = new byte[4_000_000];
        for (int i = 0; i < entries.length; i += 2) entries[i] = (byte) (14 << 3 | 2);
        return write(name, entries);
    }

    static void nanWeights(TensorProto.Builder w) {
        w.clearRawData().addAllFloatData(Collections.nCopies(150, Float.NaN));
    }

    /** {@code w}'s data moved to external data at {@code location} and {@code offset} (its raw_data dropped, its length kept). */
    static void external(TensorProto.Builder w, String location, String offset) {
        long length = w.getRawData().size();
        w.clearRawData().setDataLocation(1)
                .addExternalData(dev.nncompress.io.onnx.proto.OnnxProto.StringStringEntryProto.newBuilder().setKey("location").setValue(location))
                .addExternalData(dev.nncompress.io.onnx.proto.OnnxProto.StringStringEntryProto.newBuilder().setKey("offset").setValue(offset))
                .addExternalData(dev.nncompress.io.onnx.proto.OnnxProto.StringStringEntryProto.newBuilder().setKey("length").setValue(Long.toString(length)));
    }

    Path write(String name, byte[] bytes) {
        try {
            return Files.write(dir.resolve(name), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
