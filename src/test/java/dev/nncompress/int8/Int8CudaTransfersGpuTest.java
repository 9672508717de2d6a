package dev.nncompress.int8;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.cuda.CudaBackend;
import dev.nncompress.backend.cuda.Gpu;
import dev.nncompress.backend.cuda.driver.Transfers;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.compress.quant.calib.CalibFixtures;
import dev.nncompress.compress.quant.calib.Calibrator;
import dev.nncompress.compress.quant.calib.QuantPlan;
import dev.nncompress.compress.quant.calib.QuantTargets;
import dev.nncompress.compress.quant.convert.Int8Converter;
import dev.nncompress.graph.Graph;
import dev.nncompress.models.GraphBuilder;
import dev.nncompress.tensor.Shape;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 21: on the cuda backend an int8 model's activations stay on the device from the input's quantisation to the
 * logits. The int8 student and teacher (PTQ-calibrated, every layer an int8 GEMM, max-pools and a flatten on codes),
 * and a MobileNet-style block with a depthwise int8 conv, run on the cuda backend itself (no reference backend over
 * CUDA kernels), and a batch moves exactly one upload (the input images) and one download (the logits), counted by
 * the driver layer ({@link Transfers}); the weights go up once when the runner prepares them, the epilogues' vectors
 * on each layer's first call. Logits bit-identical to the reference backend's. Under the emulated driver this proves
 * what moves, never speed.
 */
@Tag("gpu")
class Int8CudaTransfersGpuTest {
    @ParameterizedTest
    @ValueSource(strings = {"student", "teacher"})
    void aBatchUploadsItsInputOnceAndDownloadsItsLogitsOnce(String model) {
        Gpu.driverOrSkip();
        assertOneUploadOneDownloadPerBatch(model, Int8RunnerConcurrencyTest.int8(model));
    }

    /** The depthwise conv runs nnc_q8_depthwise_nhwc on device codes: no round trip through the host. */
    @Test
    void aModelWithADepthwiseConvAlsoMovesOneUploadAndOneDownloadPerBatch() {
        Gpu.driverOrSkip();
        Int8Model m = depthwiseBlock();
        assertTrue(m.weights().containsKey("dw"), "the depthwise conv is int8: " + m.weights().keySet());
        assertOneUploadOneDownloadPerBatch("depthwise block", m);
    }

    private static void assertOneUploadOneDownloadPerBatch(String model, Int8Model m) {
        int n = 3;
        float[] images = CalibFixtures.noise(n, 12).images();
        float[] want;
        try (Backend ref = new ReferenceBackend(); Int8Runner r = new Int8Runner(m, ref)) {
            want = r.logits(images, n);
        }
        try (CudaBackend cuda = new CudaBackend()) {
            Transfers.Snapshot start = Transfers.snapshot();
            try (Int8Runner r = new Int8Runner(m, cuda.deviceInt8Kernels(), cuda)) {
                Transfers.Snapshot prepared = Transfers.snapshot();
                assertSame(cuda, r.backend(), "the runner runs on the cuda backend itself");
                assertTrue(r.floatFallbacks().isEmpty(), model + ": every node runs on codes: " + r.floatFallbacks());
                assertTrue(prepared.minus(start).uploads() > 0, "weights go up at prepare time: " + prepared.minus(start));
                assertEquals(0, prepared.minus(start).downloads(), "preparing downloads nothing");

                float[] first = r.logits(images, n);
                Transfers.Snapshot afterFirst = Transfers.snapshot();
                assertArrayEquals(want, first, model + ": logits bit-identical to the reference backend's");
                assertEquals(1, afterFirst.minus(prepared).downloads(), "first batch: " + afterFirst.minus(prepared));

                float[] second = r.logits(images, n);
                Transfers.Snapshot batch = Transfers.snapshot().minus(afterFirst);
                assertArrayEquals(want, second, "second batch");
                assertEquals(1, batch.uploads(), model + ": one upload a batch: " + batch);
                assertEquals(4L * images.length, batch.uploadBytes(), "the upload is the input images: " + batch);
                assertEquals(1, batch.downloads(), model + ": one download a batch: " + batch);
                assertEquals(4L * want.length, batch.downloadBytes(), "the download is the logits: " + batch);
            }
        }
    }

    /** Stem, a depthwise 3x3 stride 2 with channel multiplier 2, a pointwise conv, global pool and a Linear head; PTQ-calibrated. */
    private static Int8Model depthwiseBlock() {
        Backend ref = new ReferenceBackend();
        GraphBuilder b = new GraphBuilder("dwblock", Shape.of(1, 28, 28), ref, 7);
        String x = b.relu("relu0", b.conv("stem", Graph.INPUT, 4, 3, 1, 1, true));
        x = b.relu("relu1", b.conv("dw", x, 8, 3, new Conv2dSpec(2, 2, 1, 1, 1, 1, 1, 1, 4), true));
        x = b.relu("relu2", b.conv("pw", x, 6, 1, 1, 0, true));
        x = b.flatten("flat", b.globalAvgPool("gap", x));
        Graph g = CalibFixtures.prepared(b.build(b.linear("fc", x, 10)));
        QuantPlan plan = new Calibrator("minmax", 16, 8, null).calibrate(QuantTargets.of(g), CalibFixtures.noise(16, 5), ref);
        return Int8Converter.convert(g, plan, Map.of());
    }
}
