package dev.nncompress.io;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.JavaInt8Kernels;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.compress.quant.calib.CalibFixtures;
import dev.nncompress.compress.quant.calib.Calibrator;
import dev.nncompress.compress.quant.calib.QuantPlan;
import dev.nncompress.compress.quant.calib.QuantTargets;
import dev.nncompress.compress.quant.convert.Int8Converter;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.int8.Int8Model;
import dev.nncompress.int8.Int8Runner;
import dev.nncompress.models.Models;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Int8ModelIOTest {
    @TempDir Path tmp;
    private final Backend ref = new ReferenceBackend();

    private Int8Model convert(Graph raw, int images) {
        Graph g = CalibFixtures.prepared(raw);
        Dataset data = CalibFixtures.noise(images, 2);
        QuantPlan plan = new Calibrator("minmax", images, images, null).calibrate(QuantTargets.of(g), data, ref);
        return Int8Converter.convert(g, plan, Map.of("source", "test"));
    }

    @Test
    void roundTripKeepsEveryCodeScaleAndOutputBit() {
        Int8Model m = convert(Models.resnet8(ref, 1), 8); // float BN-free convs, adds, a global pool
        Path f = tmp.resolve("r8.safetensors");
        Int8ModelIO.save(m, f, Map.of("k", "v"));
        Int8ModelIO.Loaded back = Int8ModelIO.load(f);
        Int8Model b = back.model();
        assertEquals(m.nodes(), b.nodes());
        assertEquals(m.activations(), b.activations());
        assertEquals(m.info(), b.info());
        assertEquals("v", back.provenance().get("k"));
        assertEquals(m.weights().keySet(), b.weights().keySet());
        m.weights().forEach((n, w) -> {
            assertArrayEquals(w.codes(), b.weights().get(n).codes(), n);
            assertArrayEquals(w.scales(), b.weights().get(n).scales(), n);
            assertEquals(w.shape(), b.weights().get(n).shape());
        });
        assertEquals(m.floats().keySet(), b.floats().keySet());
        Dataset x = CalibFixtures.noise(5, 9);
        try (Int8Runner r1 = new Int8Runner(m, new JavaInt8Kernels(1), ref); Int8Runner r2 = new Int8Runner(b, new JavaInt8Kernels(1), ref)) {
            assertArrayEquals(r1.logits(x.images(), 5), r2.logits(x.images(), 5));
        }
    }

    /** The size target, on the file bytes: int8 teacher >= 3.8x smaller than the float teacher file. */
    @Test
    void teacherInt8FileIsAtLeast3point8TimesSmaller() throws Exception {
        Graph teacher = Models.teacher(ref, 0);
        Path f32 = tmp.resolve("teacher.safetensors");
        Path s8 = tmp.resolve("teacher-int8.safetensors");
        ModelIO.save(teacher, f32, Map.of());
        Int8ModelIO.save(convert(teacher, 2), s8, Map.of());
        double ratio = (double) Files.size(f32) / Files.size(s8);
        assertTrue(ratio >= 3.8, "ratio " + ratio);
        assertTrue(ratio < 4.0, "ratio " + ratio); // int8 codes are a quarter of float; scales and biases cost a little
    }

    @Test
    void floatLoaderRefusesAnInt8FileByName() {
        Path f = tmp.resolve("s.safetensors");
        Int8ModelIO.save(convert(Models.student(ref, 0), 4), f, Map.of());
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelIO.load(f, ref));
        assertTrue(e.getMessage().contains("an int8 model"), e.getMessage());
        assertTrue(ModelIO.loadAny(f, ref) instanceof ModelIO.Int8File);
    }

    @Test
    void damagedFilesAreRejectedNamingTheProblem() throws Exception {
        Path good = tmp.resolve("good.safetensors");
        Int8ModelIO.save(convert(Models.student(ref, 0), 4), good, Map.of());

        byte[] bytes = Files.readAllBytes(good);
        Path truncated = tmp.resolve("truncated.safetensors");
        Files.write(truncated, Arrays.copyOf(bytes, bytes.length - 100));
        assertThrows(ModelFormatException.class, () -> Int8ModelIO.load(truncated));

        assertProblem(good, "zero-scale", t -> {
            t.put("conv2.weight_scale", TensorRecord.ofFloats(new float[16], 16));
            return t;
        }, "conv2", "scale");
        assertProblem(good, "nan-act", t -> {
            t.put("fc1.act_scale", TensorRecord.ofFloats(new float[] {Float.NaN}, 1));
            return t;
        }, "fc1", "scale");
        assertProblem(good, "no-zp", t -> {
            t.remove("pool1.act_zero_point");
            return t;
        }, "pool1.act_zero_point", "missing");
        assertProblem(good, "float-weight", t -> {
            t.put("fc2.weight", TensorRecord.ofFloats(new float[640], 10, 64));
            return t;
        }, "fc2.weight", "F32");
        assertProblem(good, "bad-zp", t -> {
            t.put("input.act_zero_point", TensorRecord.ofInts(new int[] {300}, 1));
            return t;
        }, "input", "zero point");
        assertProblem(good, "wrong-shape", t -> {
            t.put("fc1.weight", TensorRecord.ofBytes(new byte[64 * 100], 64, 100));
            return t;
        }, "fc1", "784");
    }

    /** Every number of an int8 file is checked: scales in [2^-23, 2^32], shapes of scales and zero points, formats, metadata. */
    @Test
    void everyNumberIsValidated() throws Exception {
        Path good = tmp.resolve("good.safetensors");
        Int8ModelIO.save(convert(Models.student(ref, 0), 4), good, Map.of("k", "v"));
        float[] scales = SafeTensors.read(good).tensor("conv2.weight_scale").toFloats();
        for (float bad : new float[] {-1f, Float.POSITIVE_INFINITY, 1e-45f, 1e-8f, 1e20f}) {
            float[] s = scales.clone();
            s[3] = bad;
            assertProblem(good, "scale", t -> {
                t.put("conv2.weight_scale", TensorRecord.ofFloats(s, s.length));
                return t;
            }, "int8 weight of node 'conv2'", "scale[3] = " + bad + " outside [2^-23, 2^32]");
        }
        assertProblem(good, "scale-shape", t -> {
            t.put("conv2.weight_scale", TensorRecord.ofFloats(scales, scales.length, 1));
            return t;
        }, "'conv2.weight_scale' must have shape [" + scales.length + "]", "got [" + scales.length + ", 1]");
        assertProblem(good, "act-scale-range", t -> {
            t.put("fc1.act_scale", TensorRecord.ofFloats(new float[] {5e9f}, 1));
            return t;
        }, "activation 'fc1'", "outside [2^-23, 2^32]");
        assertProblem(good, "act-shape", t -> {
            t.put("fc1.act_zero_point", TensorRecord.ofInts(new int[] {0, 0}, 2));
            return t;
        }, "activation 'fc1' needs one scale and one zero point (shape [1] each), got [1] and [2]");
        assertProblem(good, "zp-range", t -> {
            t.put("fc1.act_zero_point", TensorRecord.ofInts(new int[] {-129}, 1));
            return t;
        }, "activation 'fc1'", "zero point[0] = -129 outside [-128, 127]");
        assertProblem(good, "nonfinite-bias", t -> {
            float[] b = t.get("fc1.bias").toFloats();
            b[0] = Float.NaN;
            t.put("fc1.bias", TensorRecord.ofFloats(b, b.length));
            return t;
        }, "float parameter 'fc1.bias'", "NaN");

        SafeTensorsFile st = SafeTensors.read(good);
        Map<String, String> meta = new LinkedHashMap<>(st.metadata());
        meta.put(ModelIO.PROVENANCE_KEY, "{\"k\": {\"nested\": 1}}");
        Path badProvenance = tmp.resolve("prov.safetensors");
        SafeTensors.write(badProvenance, st.tensors(), meta);
        var e = assertThrows(ModelFormatException.class, () -> Int8ModelIO.load(badProvenance));
        assertTrue(e.getMessage().contains("nncompress.provenance metadata value of 'k' must be a string"), e.getMessage());

        meta = new LinkedHashMap<>(st.metadata());
        meta.put(Int8ModelIO.FORMAT_KEY, "int4/1");
        Path int4 = tmp.resolve("int4.safetensors");
        SafeTensors.write(int4, st.tensors(), meta);
        var f = assertThrows(ModelFormatException.class, () -> ModelIO.loadAny(int4, ref));
        assertTrue(f.getMessage().contains("model format 'int4/1'") && f.getMessage().contains("cannot read"), f.getMessage());
    }

    @Test
    void saveRefusesScalesTheLoaderWouldRefuse() {
        Int8Model m = convert(Models.student(ref, 0), 4);
        Map<String, dev.nncompress.int8.QuantizedWeight> w = new LinkedHashMap<>(m.weights());
        var conv2 = w.get("conv2");
        float[] s = conv2.scales();
        s[0] = 1e-30f;
        w.put("conv2", new dev.nncompress.int8.QuantizedWeight(conv2.codes(), conv2.shape(), s));
        Int8Model tiny = new Int8Model(m.name(), m.inputShape(), m.nodes(), m.output(), w, m.floats(), m.activations(), m.info());
        Path f = tmp.resolve("tiny.safetensors");
        var e = assertThrows(IllegalArgumentException.class, () -> Int8ModelIO.save(tiny, f, Map.of()));
        assertTrue(e.getMessage().contains("refusing to save") && e.getMessage().contains("scale[0] = 1.0E-30"), e.getMessage());
        assertFalse(Files.exists(f));
    }

    private void assertProblem(Path good, String name, UnaryOperator<Map<String, TensorRecord>> edit, String... mentions) throws Exception {
        SafeTensorsFile st = SafeTensors.read(good);
        Path bad = tmp.resolve(name + ".safetensors");
        SafeTensors.write(bad, edit.apply(new LinkedHashMap<>(st.tensors())), st.metadata());
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Int8ModelIO.load(bad), name);
        assertTrue(e.getMessage().startsWith(bad.toString()), e.getMessage());
        for (String m : mentions) assertTrue(e.getMessage().contains(m), name + ": " + e.getMessage());
        assertFalse(e.getMessage().isBlank());
    }
}
