package dev.nncompress.bench;

import dev.nncompress.graph.Predictor;
import dev.nncompress.tensor.Shape;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Throughput#sharedInference}: the shared side really has that many calls in flight at once. */
class SharedInferenceTest {
    @Test
    void theSharedSideRunsThatManyCallersAtOnce() {
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        Predictor sleepy = new Predictor() {
            @Override public String name() { return "sleepy"; }

            @Override public Shape inputShape() { return Shape.of(2); }

            @Override public float[] logits(float[] images, int n) {
                assertEquals(2 * n, images.length);
                most.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                inFlight.decrementAndGet();
                return new float[n];
            }

            @Override public void close() {}
        };
        // rounds of 0.25 s: the CPU per image is the process's, and a JIT or GC burst of a few tens of ms in a
        // 0.05 s round (CI, 2026-12-06: 1,250 us an image, one core busy) would be charged to ~40 images
        Throughput.Shared r = Throughput.sharedInference(sleepy, new float[8], 4, 6, 3, 0.25);
        assertEquals(6, most.get());
        // a call of 4 images sleeps at least 5 ms: at most 800 img/s for one caller (more means images counted
        // twice); six sleeping callers overlap whatever the load, so several times that
        assertTrue(r.one().imagesPerSecond() <= 800, "one: " + r.one());
        assertTrue(r.shared().imagesPerSecond() > 3 * r.one().imagesPerSecond(), "shared: " + r.shared() + ", one: " + r.one());
        assertTrue(r.ratio() > 3, "median ratio of the pairs " + r.ratio());
        assertTrue(r.lowestRatio() <= r.ratio() && r.ratio() <= r.highestRatio(), "median within the pairs' range: " + r);
        // sleeping callers use almost no CPU: well under the 5 ms of wall time a call of 4 images takes (1,250 us an image)
        assertTrue(r.oneCpuMicrosPerImage() >= 0 && r.oneCpuMicrosPerImage() < 1250, "CPU per image, one caller: " + r);
        assertTrue(r.sharedCpuMicrosPerImage() >= 0 && r.sharedCpuMicrosPerImage() < 1250, "CPU per image, shared: " + r);
        assertEquals(3, r.one().rounds());
        assertThrows(IllegalArgumentException.class, () -> Throughput.sharedInference(sleepy, new float[8], 4, 0, 1, 0.05));
    }
}
