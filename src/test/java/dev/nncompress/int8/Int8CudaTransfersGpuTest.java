package dev.nncompress.int8;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.cuda.CudaBackend;
import dev.nncompress.backend.cuda.Gpu;
import dev.nncompress.backend.cuda.driver.Transfers;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.compress.quant.calib.CalibFixtures;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 21: on the cuda backend an int8 model's activations stay on the device from the input's quantisation to the
 * logits. The int8 student and teacher (PTQ-calibrated, every layer an int8 GEMM, max-pools and a flatten on codes) run on
 * the cuda backend itself (no reference backend over CUDA kernels), and a batch moves exactly one upload (the input
 * images) and one download (the logits), counted by the driver layer ({@link Transfers}); the weights go up once
 * when the runner prepares them, the epilogues' vectors on each layer's first call. Logits bit-identical to the
 * reference backend's. Under the emulated driver this proves what moves, never speed.
 */
@Tag("gpu")
class Int8CudaTransfersGpuTest {
    @ParameterizedTest
    @ValueSource(strings = {"student", "teacher"})
    void aBatchUploadsItsInputOnceAndDownloadsItsLogitsOnce(String model) {
        Gpu.driverOrSkip();
        Int8Model m = Int8RunnerConcurrencyTest.int8(model);
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
                assertArrayEquals(want, first, "logits bit-identical to the reference backend's");
                assertEquals(1, afterFirst.minus(prepared).downloads(), "first batch: " + afterFirst.minus(prepared));

                float[] second = r.logits(images, n);
                Transfers.Snapshot batch = Transfers.snapshot().minus(afterFirst);
                assertArrayEquals(want, second, "second batch");
                assertEquals(1, batch.uploads(), "one upload a batch: " + batch);
                assertEquals(4L * images.length, batch.uploadBytes(), "the upload is the input images: " + batch);
                assertEquals(1, batch.downloads(), "one download a batch: " + batch);
                assertEquals(4L * want.length, batch.downloadBytes(), "the download is the logits: " + batch);
            }
        }
    }
}
