package dev.nncompress.tensor;

/** Element types a tensor can hold. Names match the safetensors dtype strings. */
public enum DType {
    F32(4), I8(1), I32(4);

    private final int bytes;

    DType(int bytes) { this.bytes = bytes; }

    public int bytes() { return bytes; }

    /** The safetensors spelling ("F32", "I8", "I32"). */
    public String safetensorsName() { return name(); }
}
