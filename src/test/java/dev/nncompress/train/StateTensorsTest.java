package dev.nncompress.train;

import dev.nncompress.io.TensorRecord;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The checks on state tensors read from a checkpoint: each failure names the tensor (with its section) and the problem. */
class StateTensorsTest {
    private static StateTensors state() {
        Map<String, TensorRecord> t = new LinkedHashMap<>();
        t.put("hook/mask/w", StateTensors.record(new boolean[] {true, false, true}, 3));
        t.put("hook/bad_mask", TensorRecord.ofUnsignedBytes(new byte[] {0, 2}, 2));
        t.put("hook/step", StateTensors.scalar(12));
        t.put("hook/x", StateTensors.record(new float[] {1, Float.POSITIVE_INFINITY}, 2));
        t.put("param/w", StateTensors.record(new float[] {1, -0f, 3, 4}, 2, 2));
        return StateTensors.of(t);
    }

    private static String error(Runnable r) { return assertThrows(IllegalArgumentException.class, r::run).getMessage(); }

    @Test
    void readsWhatWasWrittenBitForBit() {
        StateTensors s = state().section("param/");
        float[] w = s.floats("w", 2, 2);
        assertArrayEquals(new float[] {1, -0f, 3, 4}, w);
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(w[1]));
        StateTensors h = state().section("hook/");
        assertArrayEquals(new boolean[] {true, false, true}, h.mask("mask/w", 3));
        assertEquals(12, h.scalar("step", 0, 100));
    }

    @Test
    void refusesWhatDoesNotFitNamingTheTensor() {
        StateTensors h = state().section("hook/");
        assertEquals("tensor 'hook/bad_mask' holds 2 at index 1, a mask holds only 0 and 1", error(() -> h.mask("bad_mask", 2)));
        assertEquals("tensor 'hook/step' is 12, outside [0, 10]", error(() -> h.scalar("step", 0, 10)));
        assertEquals("tensor 'hook/x' holds Infinity at index 1", error(() -> h.floats("x", 2)));
        assertEquals("tensor 'hook/mask/w' is U8, expected F32", error(() -> h.floats("mask/w", 3)));
        assertEquals("tensor 'hook/x' has shape [2], expected [3]", error(() -> h.floats("x", 3)));
        assertEquals("no tensor 'hook/missing'", error(() -> h.floats("missing", 1)));
        StateTensors p = state().section("param/");
        assertEquals("tensor 'param/w' is not part of this run's model", error(() -> p.requireAllRead("model")));
        p.floats("w", 2, 2);
        p.requireAllRead("model");
    }
}
