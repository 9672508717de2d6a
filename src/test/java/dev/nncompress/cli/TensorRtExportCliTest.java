package dev.nncompress.cli;

import dev.nncompress.io.onnx.OnnxFixtures;
import dev.nncompress.io.onnx.proto.OnnxProto.ModelProto;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.nncompress.cli.MainTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code quantize --preset tensorrt} then {@code export --target tensorrt}; an affine int8 file is refused in one line, nothing written. */
class TensorRtExportCliTest {
    @TempDir Path tmp;

    private Path quantize(String name, String... preset) {
        Path q = tmp.resolve(name);
        String[] args = {"quantize", OnnxFixtures.file("lenet_op17").toString(), "--calib", "32", "--test-limit", "50", "--sensitivity-images", "0", "--out", q.toString()};
        String[] all = java.util.stream.Stream.concat(java.util.Arrays.stream(args), java.util.Arrays.stream(preset)).toArray(String[]::new);
        MainTest.Run r = run(all);
        assertEquals(0, r.code(), r.err());
        return q;
    }

    @Test
    void presetFileExportsForTensorRt() throws IOException {
        assumeTrue(OnnxFixtures.datasetInstalled(), "Fashion-MNIST not installed");
        Path q = quantize("trt.safetensors", "--preset", "tensorrt");
        Path out = tmp.resolve("trt.onnx");
        MainTest.Run r = run("export", q.toString(), "--target", "tensorrt", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("ONNX nodes (QDQ, for tensorrt)"), r.out());
        ModelProto m = ModelProto.parseFrom(Files.readAllBytes(out));
        assertTrue(m.getGraph().getInitializerList().stream().filter(t -> t.getName().endsWith("zero_point")).allMatch(t -> {
            for (byte b : t.getRawData().toByteArray()) if (b != 0) return false;
            return true;
        }), "every zero point 0");
    }

    @Test
    void affineFileIsRefusedInOneLine() {
        assumeTrue(OnnxFixtures.datasetInstalled(), "Fashion-MNIST not installed");
        Path q = quantize("affine.safetensors");
        Path out = tmp.resolve("affine.onnx");
        MainTest.Run r = run("export", q.toString(), "--target", "tensorrt", "--out", out.toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().startsWith("nncompress: error: " + q + ": --target tensorrt needs symmetric activations (zero point 0), but the input is quantised with zero point ")
                && r.err().strip().endsWith("re-quantize the float model with 'nncompress quantize --preset tensorrt'") && r.err().strip().lines().count() == 1, r.err());
        assertFalse(Files.exists(out));
        MainTest.Run bad = run("export", q.toString(), "--target", "tensorrtx", "--out", out.toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--target tensorrtx is not one of: default, tensorrt"), bad.err());
        MainTest.Run badPreset = run("quantize", "lenet5", "--preset", "trt");
        assertEquals(2, badPreset.code());
        assertTrue(badPreset.err().contains("--preset trt is not one of: default, tensorrt"), badPreset.err());
    }
}
