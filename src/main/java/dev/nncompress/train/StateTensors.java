package dev.nncompress.train;

import dev.nncompress.io.TensorRecord;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Named state tensors read back from a checkpoint, with the checks every reader applies: the dtype and the
 * exact shape it expects, finite floats, 0/1 masks, scalars within a range, and at the end no tensor left
 * unread (a tensor nobody expects means the checkpoint belongs to another model or run). Every failure is an
 * IllegalArgumentException naming the tensor; the caller adds the file. Writers use the {@code record}
 * helpers so that both directions agree on dtypes.
 */
public final class StateTensors {
    private final String prefix;
    private final Map<String, TensorRecord> tensors;
    private final Set<String> read = new LinkedHashSet<>();

    private StateTensors(String prefix, Map<String, TensorRecord> tensors) {
        this.prefix = prefix;
        this.tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
    }

    public static StateTensors of(Map<String, TensorRecord> tensors) { return new StateTensors("", tensors); }

    /** The tensors named {@code prefix + name}, by {@code name}; their errors carry the full name. */
    public StateTensors section(String sectionPrefix) {
        Map<String, TensorRecord> sub = new LinkedHashMap<>();
        tensors.forEach((k, v) -> {
            if (k.startsWith(sectionPrefix)) sub.put(k.substring(sectionPrefix.length()), v);
        });
        return new StateTensors(prefix + sectionPrefix, sub);
    }

    public boolean has(String name) { return tensors.containsKey(name); }

    public Set<String> names() { return tensors.keySet(); }

    /** An F32 tensor of exactly {@code shape}, every value finite. */
    public float[] floats(String name, long... shape) {
        TensorRecord t = get(name, "F32", shape);
        float[] v = t.toFloats();
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) throw error(name, "holds " + v[i] + " at index " + i);
        }
        return v;
    }

    /** A U8 mask of exactly {@code shape} holding only 0 and 1 (true = 1). */
    public boolean[] mask(String name, long... shape) {
        byte[] b = get(name, "U8", shape).toBytes();
        boolean[] k = new boolean[b.length];
        for (int i = 0; i < b.length; i++) {
            if (b[i] != 0 && b[i] != 1) throw error(name, "holds " + (b[i] & 0xff) + " at index " + i + ", a mask holds only 0 and 1");
            k[i] = b[i] == 1;
        }
        return k;
    }

    /** An I64 scalar within [min, max]. */
    public long scalar(String name, long min, long max) {
        long v = get(name, "I64").toLongs()[0];
        if (v < min || v > max) throw error(name, "is " + v + ", outside [" + min + ", " + max + "]");
        return v;
    }

    /** Doubles stored bit for bit as I64 ({@link #record(double[], long...)}), exactly {@code shape}, every value finite. */
    public double[] doubles(String name, long... shape) {
        long[] bits = get(name, "I64", shape).toLongs();
        double[] v = new double[bits.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = Double.longBitsToDouble(bits[i]);
            if (!Double.isFinite(v[i])) throw error(name, "holds " + v[i] + " at index " + i);
        }
        return v;
    }

    /** Fails naming the first tensor no reader asked for. */
    public void requireAllRead(String what) {
        for (String k : tensors.keySet()) {
            if (!read.contains(k)) throw new IllegalArgumentException("tensor '" + prefix + k + "' is not part of this run's " + what);
        }
    }

    private TensorRecord get(String name, String dtype, long... shape) {
        TensorRecord t = tensors.get(name);
        if (t == null) throw new IllegalArgumentException("no tensor '" + prefix + name + "'");
        if (!t.dtype().equals(dtype)) throw error(name, "is " + t.dtype() + ", expected " + dtype);
        if (!Arrays.equals(t.shape(), shape)) throw error(name, "has shape " + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(shape));
        read.add(name);
        return t;
    }

    private IllegalArgumentException error(String name, String problem) {
        return new IllegalArgumentException("tensor '" + prefix + name + "' " + problem);
    }

    /** F32 record of {@code values} with {@code shape}. */
    public static TensorRecord record(float[] values, long... shape) { return TensorRecord.ofFloats(values, shape); }

    /** U8 0/1 record of a mask. */
    public static TensorRecord record(boolean[] mask, long... shape) {
        byte[] b = new byte[mask.length];
        for (int i = 0; i < b.length; i++) b[i] = (byte) (mask[i] ? 1 : 0);
        return TensorRecord.ofUnsignedBytes(b, shape);
    }

    /** I64 scalar record. */
    /** Doubles as their raw bits (I64): accumulated statistics come back exactly, so a resumed run matches. */
    public static TensorRecord record(double[] values, long... shape) {
        long[] bits = new long[values.length];
        for (int i = 0; i < bits.length; i++) bits[i] = Double.doubleToRawLongBits(values[i]);
        return TensorRecord.ofLongs(bits, shape);
    }

    public static TensorRecord scalar(long value) { return TensorRecord.ofLongs(new long[] {value}); }
}
