package dev.nncompress.io.onnx;

import dev.nncompress.io.AtomicFiles;
import dev.nncompress.io.onnx.proto.OnnxProto.GraphProto;
import dev.nncompress.io.onnx.proto.OnnxProto.ModelProto;
import dev.nncompress.io.onnx.proto.OnnxProto.StringStringEntryProto;
import dev.nncompress.io.onnx.proto.OnnxProto.TensorProto;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes an export with its large tensors in a side file, ONNX's external-data convention (what
 * {@code onnx.save_model(..., save_as_external_data=True)} writes and ONNX Runtime reads): the file {@code MODEL.onnx.data}
 * next to {@code MODEL.onnx}, each moved initializer with {@code data_location} EXTERNAL and {@code external_data}
 * entries {@code location} (the side file's plain name), {@code offset} and {@code length} in bytes. A protobuf message
 * cannot reach 2 GiB, so an export whose tensors would not fit inside goes this way by itself ({@link #needed});
 * {@code export --external-data} asks for it on any model.
 */
final class ExternalDataWriter {
    /** Tensors smaller than this stay inside the model (scalars, zero points, shapes), as onnx's default size_threshold. */
    static final int MIN_BYTES = 1024;
    /** Offsets are multiples of this, so that a runtime may map the file and read each tensor aligned. */
    static final int ALIGNMENT = 64;

    private ExternalDataWriter() {}

    /** Whether {@code m}'s initializers' bytes exceed {@code limit} (counted in longs: a 2 GiB model cannot be serialised to measure it). */
    static boolean needed(ModelProto m, long limit) {
        long bytes = 0;
        for (TensorProto t : m.getGraph().getInitializerList()) bytes += t.getRawData().size() + 4L * t.getFloatDataCount() + 8L * t.getInt64DataCount();
        return bytes > limit;
    }

    /** The side file's name for model file {@code model}: its name plus {@code .data}. */
    static Path sideFile(Path model) { return model.resolveSibling(model.getFileName() + ".data"); }

    /**
     * Writes {@code m} (checked by {@link OnnxStructure} with its data inline) to {@code file} and its raw tensors of at
     * least {@link #MIN_BYTES} to {@link #sideFile}, both atomically: the side file first, the model second, and the side
     * file removed again if the model cannot be written. Returns the side file's size.
     */
    static long write(ModelProto m, Path file) {
        OnnxStructure.check(m);
        Path side = sideFile(file);
        String location = side.getFileName().toString();
        ModelProto.Builder out = m.toBuilder();
        GraphProto.Builder g = out.getGraphBuilder();
        long[] offsets = new long[g.getInitializerCount()];
        long end = 0;
        for (int i = 0; i < offsets.length; i++) {
            TensorProto t = g.getInitializer(i);
            if (!t.hasRawData() || t.getRawData().size() < MIN_BYTES) {
                offsets[i] = -1;
                continue;
            }
            end = (end + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
            offsets[i] = end;
            end += t.getRawData().size();
        }
        try {
            AtomicFiles.write(side, ch -> {
                OutputStream o = Channels.newOutputStream(ch);
                long at = 0;
                for (int i = 0; i < offsets.length; i++) {
                    if (offsets[i] < 0) continue;
                    o.write(new byte[(int) (offsets[i] - at)]); // padding up to the aligned offset
                    g.getInitializer(i).getRawData().writeTo(o);
                    at = offsets[i] + g.getInitializer(i).getRawData().size();
                }
                o.flush();
            });
            for (int i = 0; i < offsets.length; i++) {
                if (offsets[i] < 0) continue;
                TensorProto t = g.getInitializer(i);
                g.setInitializer(i, t.toBuilder().clearRawData().setDataLocation(1)
                        .addExternalData(entry("location", location))
                        .addExternalData(entry("offset", Long.toString(offsets[i])))
                        .addExternalData(entry("length", Long.toString(t.getRawData().size()))).build());
            }
            ModelProto model = out.build();
            try {
                AtomicFiles.write(file, ch -> model.writeTo(Channels.newOutputStream(ch)));
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(side); // no side file without its model
                throw e;
            }
            return end;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static StringStringEntryProto entry(String key, String value) { return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build(); }
}
