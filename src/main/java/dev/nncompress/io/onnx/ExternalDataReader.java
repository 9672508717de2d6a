package dev.nncompress.io.onnx;

import com.google.protobuf.ByteString;
import dev.nncompress.io.onnx.proto.OnnxProto.GraphProto;
import dev.nncompress.io.onnx.proto.OnnxProto.ModelProto;
import dev.nncompress.io.onnx.proto.OnnxProto.StringStringEntryProto;
import dev.nncompress.io.onnx.proto.OnnxProto.TensorProto;
import dev.nncompress.util.Quoted;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The one place the importer reads ONNX external data (initializers whose {@code data_location} is EXTERNAL, their
 * bytes in a side file: {@code external_data} entries {@code location}, {@code offset}, {@code length}, optional
 * {@code checksum}). Everything is checked before a byte is read:
 * <ul>
 *   <li>{@code location} is a plain file name (no folder, no {@code ..}, not absolute) of a regular file in the model's
 *       own folder, and still inside that folder once symbolic links are followed: a model cannot make us read
 *       {@code /etc/passwd} or a file next to another model;</li>
 *   <li>the tensor's dims and data type give its byte count (the dims bounded as {@link TensorReader} bounds them);
 *       {@code length}, when given, equals it; {@code offset} and {@code length} are non-negative decimal integers and
 *       {@code offset + length} is inside the file;</li>
 *   <li>the tensor holds no inline data besides, and all external tensors together are at most
 *       {@link #MAX_TOTAL_BYTES}.</li>
 * </ul>
 * A tensor that passes becomes an ordinary one with {@code raw_data}, which {@link TensorReader} then reads (and checks)
 * as any other. Messages name the tensor and the problem; the importer adds the model file.
 */
final class ExternalDataReader {
    /** All external data of one model: 2 GiB, the heap the CLI's import keeps the weights in (twice, briefly). */
    static final long MAX_TOTAL_BYTES = 1L << 31;

    private ExternalDataReader() {}

    /** {@code model} with every external initializer read into its raw_data from {@code modelFile}'s folder; {@code model} itself if none. */
    static ModelProto inline(ModelProto model, Path modelFile) {
        GraphProto g = model.getGraph();
        boolean any = false;
        for (TensorProto t : g.getInitializerList()) any |= external(t);
        if (!any) return model;
        Path dir = modelFile.toAbsolutePath().getParent();
        ModelProto.Builder m = model.toBuilder();
        GraphProto.Builder gb = m.getGraphBuilder();
        long total = 0;
        for (int i = 0; i < gb.getInitializerCount(); i++) {
            TensorProto t = gb.getInitializer(i);
            if (!external(t)) continue;
            Entry e = entry(t, dir);
            total += e.length();
            if (total > MAX_TOTAL_BYTES) {
                throw new IllegalArgumentException("external data of more than " + MAX_TOTAL_BYTES + " bytes in all (at initializer " + Quoted.of(t.getName()) + ")");
            }
            gb.setInitializer(i, t.toBuilder().clearExternalData().clearDataLocation().setRawData(read(e, t)).build());
        }
        return m.build();
    }

    private static boolean external(TensorProto t) { return t.getDataLocation() != 0 || t.getExternalDataCount() > 0; }

    /** Where one tensor's bytes are, checked. */
    private record Entry(Path file, long offset, long length) {}

    private static Entry entry(TensorProto t, Path dir) {
        String where = "initializer " + Quoted.of(t.getName());
        if (t.getDataLocation() != 1) throw new IllegalArgumentException(where + " has external_data entries but data_location " + t.getDataLocation() + " (EXTERNAL is 1)");
        if (t.hasRawData() || t.getFloatDataCount() + t.getInt32DataCount() + t.getInt64DataCount() + t.getDoubleDataCount() + t.getUint64DataCount()
                + t.getStringDataCount() > 0) {
            throw new IllegalArgumentException(where + " has external data and inline data; a tensor has one");
        }
        String location = null, offset = null, length = null;
        for (StringStringEntryProto kv : t.getExternalDataList()) {
            String k = kv.getKey();
            String prev = switch (k) {
                case "location" -> { String p = location; location = kv.getValue(); yield p; }
                case "offset" -> { String p = offset; offset = kv.getValue(); yield p; }
                case "length" -> { String p = length; length = kv.getValue(); yield p; }
                case "checksum" -> null; // optional SHA-1 of the bytes; not verified
                default -> throw new IllegalArgumentException(where + " has external_data key " + Quoted.of(k)
                        + "; the keys are location, offset, length and checksum");
            };
            if (prev != null) throw new IllegalArgumentException(where + " has external_data key " + k + " twice");
        }
        if (location == null) throw new IllegalArgumentException(where + " has external data without a location");
        Path file = sideFile(location, dir, where);
        int size = DataTypes.rawSize(t.getDataType());
        if (size == 0) throw new IllegalArgumentException(where + " has data type " + DataTypes.name(t.getDataType()) + "; this importer reads FLOAT weights and integer shapes");
        long expected = TensorReader.numel(t, where) * size;
        if (expected > Integer.MAX_VALUE - 8) { // 2^28 INT64 values: more than one array (and one raw_data) holds
            throw new IllegalArgumentException(where + " declares " + expected + " bytes of external data, more than one tensor can hold (2 GiB)");
        }
        long off = offset == null ? 0 : number(offset, "offset", where);
        long len = length == null ? expected : number(length, "length", where);
        if (len != expected) {
            throw new IllegalArgumentException(where + ": external data length " + len + ", but shape " + t.getDimsList() + " of " + DataTypes.name(t.getDataType())
                    + " needs " + expected + " bytes");
        }
        long fileSize;
        try {
            fileSize = Files.size(file);
        } catch (IOException e) {
            throw new IllegalArgumentException(where + ": cannot read external data file " + Quoted.of(location) + ": " + e.getMessage(), e);
        }
        if (off > fileSize || len > fileSize - off) {
            throw new IllegalArgumentException(where + ": external data at offset " + off + " of length " + len + " runs past the end of "
                    + Quoted.of(location) + " (" + fileSize + " bytes)");
        }
        return new Entry(file, off, len);
    }

    /** {@code location} as a file of {@code dir}: a plain relative file name, a regular file, inside {@code dir} with links followed. */
    private static Path sideFile(String location, Path dir, String where) {
        String loc = Quoted.of(location);
        if (location.isEmpty() || location.equals(".") || location.equals("..") || location.indexOf('/') >= 0 || location.indexOf('\\') >= 0
                || location.indexOf('\0') >= 0 || location.indexOf(':') >= 0) {
            throw new IllegalArgumentException(where + ": external data location " + loc + " is not a plain file name in the model's folder"
                    + " (no folders, no '..', not absolute)");
        }
        Path file;
        try {
            file = dir.resolve(location);
            Path realDir = dir.toRealPath();
            if (!Files.isRegularFile(file)) throw new IllegalArgumentException(where + ": external data file " + loc + " is not a file next to the model");
            if (!file.toRealPath().getParent().equals(realDir)) {
                throw new IllegalArgumentException(where + ": external data location " + loc + " is a link out of the model's folder");
            }
            if (!Files.isRegularFile(file.toRealPath(), LinkOption.NOFOLLOW_LINKS)) {
                throw new IllegalArgumentException(where + ": external data file " + loc + " is not a regular file");
            }
        } catch (java.nio.file.InvalidPathException | IOException e) {
            throw new IllegalArgumentException(where + ": external data location " + loc + " cannot be opened: " + e.getMessage(), e);
        }
        return file;
    }

    private static long number(String s, String key, String where) {
        if (s.isEmpty() || s.length() > 19 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException(where + ": external data " + key + " " + Quoted.of(Quoted.escape(s, 40)) + " is not a non-negative integer");
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(where + ": external data " + key + " " + s + " is larger than " + Long.MAX_VALUE, e);
        }
    }

    private static ByteString read(Entry e, TensorProto t) {
        ByteBuffer b = ByteBuffer.allocate((int) e.length()); // <= MAX_TENSOR_VALUES x 8 bytes: checked by numel
        try (FileChannel ch = FileChannel.open(e.file(), StandardOpenOption.READ)) {
            while (b.hasRemaining()) {
                if (ch.read(b, e.offset() + b.position()) < 0) {
                    throw new IllegalArgumentException("initializer " + Quoted.of(t.getName()) + ": external data file " + e.file().getFileName() + " ended early (changed while being read)");
                }
            }
        } catch (IOException x) {
            throw new IllegalArgumentException("initializer " + Quoted.of(t.getName()) + ": cannot read external data: " + x.getMessage(), x);
        }
        return com.google.protobuf.UnsafeByteOperations.unsafeWrap(b.array()); // ours alone: no second copy
    }
}
