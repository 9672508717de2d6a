package dev.nncompress.io.onnx;

import com.google.protobuf.ByteString;
import dev.nncompress.io.onnx.proto.OnnxProto.TensorProto;
import dev.nncompress.util.Quoted;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The one place a TensorProto (initializer or Constant value) becomes a {@link Const}: every number is
 * checked before anything is allocated from it. Dims are non-negative ints, at most {@link OnnxLimits#MAX_RANK}
 * of them with at most {@link OnnxLimits#MAX_TENSOR_VALUES} values in all; the data sit in the file (external data is
 * read into raw_data first by {@link ExternalDataReader}; segments are refused) in exactly one field, raw_data of exactly numel x element size bytes or the typed
 * field with exactly numel values; the data type is FLOAT or an integer type (the others are refused by name),
 * and float values are finite. Messages name the tensor; the caller adds the file.
 */
final class TensorReader {
    private TensorReader() {}

    static Const read(TensorProto t, String what) {
        String where = what + " " + Quoted.of(t.getName());
        if (t.getDataLocation() != 0 || t.getExternalDataCount() > 0) {
            throw new IllegalArgumentException(where + " keeps its data outside the file (external data), which this importer reads for initializers "
                    + "only; save the model with its weights inside (onnx.save_model(model, path, save_as_external_data=False))");
        }
        if (t.hasSegment()) throw new IllegalArgumentException(where + " is a segment of a larger tensor, which this importer does not read");
        int type = t.getDataType();
        if (type != DataTypes.FLOAT && !DataTypes.isInteger(type)) {
            throw new IllegalArgumentException(where + " has data type " + DataTypes.name(type) + "; this importer reads FLOAT weights "
                    + "and integer shapes (convert the model to float32 first)");
        }
        int[] dims = dims(t, where);
        int n = (int) Const.numel(dims);
        boolean raw = t.hasRawData();
        int typed = typedCount(t, type);
        if (otherFieldsUsed(t, type)) {
            throw new IllegalArgumentException(where + " (" + DataTypes.name(type) + ") has values in a data field of another type");
        }
        if (raw && typed > 0) throw new IllegalArgumentException(where + " has both raw_data and typed data; a tensor has one");
        if (raw) {
            long expected = (long) n * DataTypes.rawSize(type);
            if (t.getRawData().size() != expected) {
                throw new IllegalArgumentException(where + ": raw_data holds " + t.getRawData().size() + " bytes, but shape "
                        + java.util.Arrays.toString(dims) + " of " + DataTypes.name(type) + " needs " + expected);
            }
        } else if (typed != n) {
            throw new IllegalArgumentException(where + ": " + typed + " values stored, but shape " + java.util.Arrays.toString(dims) + " needs " + n);
        }
        if (type == DataTypes.FLOAT) {
            float[] v = raw ? rawFloats(t.getRawData(), n) : floats(t, n);
            for (int i = 0; i < n; i++) {
                if (!Float.isFinite(v[i])) throw new IllegalArgumentException(where + " holds " + v[i] + " at index " + i);
            }
            return Const.ofFloats(dims, v, t.getName());
        }
        long[] v = raw ? rawInts(t.getRawData(), n, type) : ints(t, n, type);
        for (long x : v) {
            // no real shape or index is -2^63; the importer uses that value for the unknown batch size
            if (x == Const.BATCH) throw new IllegalArgumentException(where + " holds " + x + ", which no shape, axis or index can be");
        }
        return new Const(dims, null, v, t.getName(), type);
    }

    /** The tensor's number of values from its dims, bounded as {@link #read} bounds them (for {@link ExternalDataReader}). */
    static long numel(TensorProto t, String where) { return Const.numel(dims(t, where)); }

    private static int[] dims(TensorProto t, String where) {
        if (t.getDimsCount() > OnnxLimits.MAX_RANK) {
            throw new IllegalArgumentException(where + " has rank " + t.getDimsCount() + ", more than " + OnnxLimits.MAX_RANK);
        }
        int[] dims = new int[t.getDimsCount()];
        long n = 1;
        for (int i = 0; i < dims.length; i++) {
            long d = t.getDims(i);
            if (d < 0 || d > Integer.MAX_VALUE) throw new IllegalArgumentException(where + ": dim " + i + " = " + d + " is not in [0, " + Integer.MAX_VALUE + "]");
            dims[i] = (int) d;
            n *= d; // n <= 2^28 before, d < 2^31: no overflow
            if (n > OnnxLimits.MAX_TENSOR_VALUES) {
                throw new IllegalArgumentException(where + " has more than " + OnnxLimits.MAX_TENSOR_VALUES + " values (shape " + t.getDimsList() + ")");
            }
        }
        return dims;
    }

    /** Values in the typed field that {@code type} uses (float_data, int64_data or int32_data). */
    private static int typedCount(TensorProto t, int type) {
        return switch (type) {
            case DataTypes.FLOAT -> t.getFloatDataCount();
            case DataTypes.INT64 -> t.getInt64DataCount();
            default -> t.getInt32DataCount();
        };
    }

    private static boolean otherFieldsUsed(TensorProto t, int type) {
        boolean floatOk = type == DataTypes.FLOAT, int64Ok = type == DataTypes.INT64, int32Ok = !floatOk && !int64Ok;
        return (!floatOk && t.getFloatDataCount() > 0) || (!int64Ok && t.getInt64DataCount() > 0) || (!int32Ok && t.getInt32DataCount() > 0)
                || t.getStringDataCount() > 0 || t.getDoubleDataCount() > 0 || t.getUint64DataCount() > 0;
    }

    private static float[] rawFloats(ByteString raw, int n) {
        float[] v = new float[n];
        raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return v;
    }

    private static float[] floats(TensorProto t, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = t.getFloatData(i);
        return v;
    }

    private static long[] rawInts(ByteString raw, int n, int type) {
        ByteBuffer b = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (type) {
                case DataTypes.INT64 -> b.getLong();
                case DataTypes.INT32 -> b.getInt();
                case DataTypes.INT16 -> b.getShort();
                case DataTypes.INT8 -> b.get();
                default -> b.get() & 0xff; // UINT8, BOOL
            };
        }
        return v;
    }

    private static long[] ints(TensorProto t, int n, int type) {
        long[] v = new long[n];
        for (int i = 0; i < n; i++) v[i] = type == DataTypes.INT64 ? t.getInt64Data(i) : t.getInt32Data(i);
        return v;
    }
}
