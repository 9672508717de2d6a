package dev.nncompress.io.onnx;

/** ONNX's TensorProto.DataType codes: the names for messages, and the element sizes of those read here. */
final class DataTypes {
    static final int FLOAT = 1;
    static final int UINT8 = 2;
    static final int INT8 = 3;
    static final int INT16 = 5;
    static final int INT32 = 6;
    static final int INT64 = 7;
    static final int BOOL = 9;

    private static final String[] NAMES = {"UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING",
            "BOOL", "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16", "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ",
            "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4", "INT4", "FLOAT4E2M1", "FLOAT8E8M0", "UINT2", "INT2"};

    private DataTypes() {}

    static String name(int code) { return code >= 0 && code < NAMES.length ? NAMES[code] : "data type " + code; }

    /** Bytes per element in raw_data for the types read here, 0 for the others. */
    static int rawSize(int code) {
        return switch (code) {
            case FLOAT, INT32 -> 4;
            case INT64 -> 8;
            case INT16 -> 2;
            case UINT8, INT8, BOOL -> 1;
            default -> 0;
        };
    }

    /** True for the integer types a shape, axes or indices tensor may have. */
    static boolean isInteger(int code) { return code == INT64 || code == INT32 || code == INT16 || code == INT8 || code == UINT8 || code == BOOL; }
}
