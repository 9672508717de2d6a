package dev.nncompress.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ReadOnlyBufferException;
import org.junit.jupiter.api.Test;

class TensorRecordTest {

    @Test
    void floatsAreStoredLittleEndian() {
        TensorRecord t = TensorRecord.ofFloats(new float[] {1f}, 1);
        assertArrayEquals(new byte[] {0, 0, (byte) 0x80, 0x3f}, t.rawBytes());
        assertEquals(ByteOrder.LITTLE_ENDIAN, t.data().order());
    }

    @Test
    void isImmutable() {
        float[] values = {1f, 2f};
        long[] shape = {2};
        TensorRecord t = TensorRecord.ofFloats(values, shape);
        values[0] = 9f;
        shape[0] = 7;
        t.shape()[0] = 5;
        assertArrayEquals(new float[] {1f, 2f}, t.toFloats());
        assertArrayEquals(new long[] {2}, t.shape());
        ByteBuffer view = t.data();
        assertThrows(ReadOnlyBufferException.class, () -> view.put(0, (byte) 1));
        view.position(4);
        assertEquals(0, t.data().position()); // views are independent
    }

    @Test
    void equalityIsByContent() {
        TensorRecord a = TensorRecord.ofFloats(new float[] {Float.NaN, -0f}, 2);
        TensorRecord b = TensorRecord.ofFloats(new float[] {Float.NaN, -0f}, 2);
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, TensorRecord.ofFloats(new float[] {Float.NaN, 0f}, 2));
        assertNotEquals(a, TensorRecord.ofFloats(new float[] {Float.NaN, -0f}, 1, 2));
    }

    @Test
    void rejectsInconsistentInput() {
        assertThrows(IllegalArgumentException.class,
                () -> TensorRecord.ofFloats(new float[3], 2, 2));
        assertThrows(IllegalArgumentException.class,
                () -> TensorRecord.ofRaw("F128", new long[] {1}, new byte[16]));
        assertThrows(IllegalArgumentException.class,
                () -> TensorRecord.ofRaw("BF16", new long[] {-2}, new byte[0]));
        assertThrows(IllegalStateException.class,
                () -> TensorRecord.ofInts(new int[] {1}).toFloats());
        assertThrows(IllegalStateException.class,
                () -> TensorRecord.ofFloats(new float[] {1}).toBytes());
        assertEquals(2, TensorRecord.elementSize("BF16"));
    }
}
