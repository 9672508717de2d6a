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
