package dev.nncompress.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One tensor as stored in a safetensors file: dtype name, shape and raw little-endian bytes.
 *
 * <p>Deliberately independent of the tensor/backend layer so files can be inspected, converted
 * or validated without a backend. Any dtype in {@link #DTYPE_SIZES} can be held; typed helpers
 * exist for the common ones, the rest (F16, BF16, ...) are carried as raw bytes.
 *
 * <p>The record keeps a read-only view of {@code data} without copying it (a tensor read from a
 * file is a window on the mapped file); the {@code of*} factories copy their arrays, so records
 * built from them are fully immutable. {@link #data()} returns a fresh little-endian view each
 * call, positioned at 0, so readers cannot disturb each other.
 */
public record TensorRecord(String dtype, long[] shape, ByteBuffer data) {

    /** Bytes per element of every dtype the safetensors format defines, by its spelling. */
    public static final Map<String, Integer> DTYPE_SIZES = dtypeSizes();

    public TensorRecord {
        elementSize(dtype); // rejects unknown dtypes
        shape = shape.clone();
        long expected = Math.multiplyExact(numElements(shape), elementSize(dtype));
        if (data.remaining() != expected) {
            throw new IllegalArgumentException(dtype + " tensor of shape " + Arrays.toString(shape)
                    + " needs " + expected + " bytes, got " + data.remaining());
        }
        data = data.slice().asReadOnlyBuffer();
    }

    /** Element size of {@code dtype}; IllegalArgumentException if it is not a known dtype. */
    public static int elementSize(String dtype) {
        Integer size = DTYPE_SIZES.get(dtype);
        if (size == null) {
            throw new IllegalArgumentException("unknown dtype '" + dtype + "'; known: "
                    + DTYPE_SIZES.keySet());
        }
        return size;
    }

    /** Product of the dims (1 for a scalar); rejects negative dims and overflow. */
    public static long numElements(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape "
                        + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public static TensorRecord ofFloats(float[] values) {
        return ofFloats(values, values.length);
    }

    /** F32 tensor; {@code shape} must multiply to {@code values.length}. */
    public static TensorRecord ofFloats(float[] values, long... shape) {
        ByteBuffer b = allocate(values.length, 4);
        b.asFloatBuffer().put(values); // floatToRawIntBits semantics: NaN payloads survive
        return new TensorRecord("F32", shape, b);
    }

    public static TensorRecord ofInts(int[] values) {
        return ofInts(values, values.length);
    }

    /** I32 tensor. */
    public static TensorRecord ofInts(int[] values, long... shape) {
        ByteBuffer b = allocate(values.length, 4);
        b.asIntBuffer().put(values);
        return new TensorRecord("I32", shape, b);
    }

    /** I64 tensor. */
    public static TensorRecord ofLongs(long[] values, long... shape) {
        ByteBuffer b = allocate(values.length, 8);
        b.asLongBuffer().put(values);
        return new TensorRecord("I64", shape, b);
    }

    public static TensorRecord ofBytes(byte[] values) {
        return ofBytes(values, values.length);
    }

    /** I8 tensor (signed bytes, e.g. quantised weights). */
    public static TensorRecord ofBytes(byte[] values, long... shape) {
        return ofRaw("I8", shape, values);
    }

    /** U8 tensor (the Java bytes are reinterpreted as 0..255). */
    public static TensorRecord ofUnsignedBytes(byte[] values, long... shape) {
        return ofRaw("U8", shape, values);
    }

    /** Any dtype from raw little-endian bytes (copied), e.g. F16 or BF16 weights. */
    public static TensorRecord ofRaw(String dtype, long[] shape, byte[] bytes) {
        return new TensorRecord(dtype, shape, ByteBuffer.wrap(bytes.clone()));
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** A fresh read-only little-endian view of the bytes, position 0. */
    @Override
    public ByteBuffer data() {
        return data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    public long numElements() {
        return numElements(shape);
    }

    public long byteSize() {
        return data.remaining();
    }

    /** Values of an F32 tensor. */
    public float[] toFloats() {
        float[] out = new float[elementCountFor("F32")];
        data().asFloatBuffer().get(out);
        return out;
    }

    /** Values of an I32 tensor. */
    public int[] toInts() {
        int[] out = new int[elementCountFor("I32")];
        data().asIntBuffer().get(out);
        return out;
    }

    /** Values of an I64 tensor. */
    public long[] toLongs() {
        long[] out = new long[elementCountFor("I64")];
        data().asLongBuffer().get(out);
        return out;
    }

    /** Values of an I8 or U8 tensor (U8 values come back as signed Java bytes). */
    public byte[] toBytes() {
        if (!dtype.equals("I8") && !dtype.equals("U8")) {
            throw new IllegalStateException("toBytes needs an I8 or U8 tensor, this is " + dtype);
        }
        return rawBytes();
    }

    /** A copy of the raw little-endian bytes, whatever the dtype. */
    public byte[] rawBytes() {
        byte[] out = new byte[Math.toIntExact(byteSize())];
        data().get(out);
        return out;
    }

    @Override
    public boolean equals(Object o) {
        // Compares bytes, so two F32 tensors holding the same NaN bits are equal.
        return o instanceof TensorRecord t && dtype.equals(t.dtype)
                && Arrays.equals(shape, t.shape) && data.equals(t.data);
    }

    @Override
    public int hashCode() {
        return (dtype.hashCode() * 31 + Arrays.hashCode(shape)) * 31 + data.hashCode();
    }

    @Override
    public String toString() {
        return "TensorRecord[" + dtype + " " + Arrays.toString(shape) + ", " + byteSize()
                + " bytes]";
    }

    private int elementCountFor(String wanted) {
        if (!dtype.equals(wanted)) {
            throw new IllegalStateException("expected a " + wanted + " tensor, this is " + dtype);
        }
        return Math.toIntExact(numElements());
    }

    private static ByteBuffer allocate(int count, int size) {
        return ByteBuffer.allocate(Math.multiplyExact(count, size)).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static Map<String, Integer> dtypeSizes() {
        Map<String, Integer> m = new LinkedHashMap<>();
        m.put("BOOL", 1);
        m.put("U8", 1);
        m.put("I8", 1);
        m.put("F8_E5M2", 1);
        m.put("F8_E4M3", 1);
        m.put("I16", 2);
        m.put("U16", 2);
        m.put("F16", 2);
        m.put("BF16", 2);
        m.put("I32", 4);
        m.put("U32", 4);
        m.put("F32", 4);
        m.put("F64", 8);
        m.put("I64", 8);
        m.put("U64", 8);
        return Collections.unmodifiableMap(m);
    }
}
