package dev.nncompress.train;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.cpu.CpuBackend;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Parameter;
import dev.nncompress.models.Models;
import org.junit.jupiter.api.Test;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The trainer's next batch prepared on a background thread ({@link BatchPrefetch}) trains to the same bits as
 * without it, and its thread ends with the run, also when a step, a listener or the preparation itself fails.
 */
class BatchPrefetchTest {
    private static final Backend CPU = new CpuBackend();
    /** 200 examples at batch 32: six full batches and a short one per epoch. */
    private static final Dataset DATA = randomData(200);

    @Test
    void prefetchingGivesTheSameWeightsAsPreparingEachBatchWhenAsked() {
        TrainConfig cfg = new TrainConfig(2, 32, new OptimizerConfig.Sgd(0.05f, 0.9f, 1e-4f, true), new LrSchedule.Cosine(0), 11);
        Graph with = Models.student(CPU, 3);
        Graph without = Models.student(CPU, 3);
        var h1 = new Trainer(CPU, cfg).withPrefetch(true).fit(with, DATA, null, TrainListener.NONE);
        var h2 = new Trainer(CPU, cfg).withPrefetch(false).fit(without, DATA, null, TrainListener.NONE);
        assertEquals(h2.get(1).trainLoss(), h1.get(1).trainLoss(), 0f);
        for (Parameter p : with.trainableParams()) {
            assertArrayEquals(without.param(p.name()).value().toFloatArray(), p.value().toFloatArray(), 0f, p.name());
        }
        assertPrefetchThreadGone();
    }

    @Test
    void aListenerStoppingTheRunEndsThePrefetchThread() {
        TrainConfig cfg = new TrainConfig(1, 32, new OptimizerConfig.Sgd(0.05f, 0f, 0f, false), new LrSchedule.Constant(), 1);
        TrainListener stopAtStep2 = new TrainListener() {
            @Override public void stepDone(int step, float meanLoss, double imagesPerSecond) {
                if (step == 2) throw new IllegalStateException("stopped by the listener");
            }
        };
        var e = assertThrows(IllegalStateException.class, () -> new Trainer(CPU, cfg).fit(Models.student(CPU, 3), DATA, null, stopAtStep2));
        assertEquals("stopped by the listener", e.getMessage());
        assertPrefetchThreadGone();
    }

    @Test
    void aFailureWhilePreparingABatchReachesTheCallerAsThrown() {
        AtomicInteger inputs = new AtomicInteger();
        Backend failingThirdInput = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, (p, m, a) -> {
            // the batch inputs are the only [32, 1, 28, 28] tensors made from floats
            if (m.getName().equals("fromFloats") && ((float[]) a[0]).length == 32 * 28 * 28 && inputs.incrementAndGet() == 3) {
                throw new IllegalArgumentException("no memory for batch 3");
            }
            try {
                return m.invoke(CPU, a);
            } catch (InvocationTargetException ex) {
                throw ex.getCause();
            }
        });
        TrainConfig cfg = new TrainConfig(1, 32, new OptimizerConfig.Sgd(0.05f, 0f, 0f, false), new LrSchedule.Constant(), 1);
        var e = assertThrows(IllegalArgumentException.class,
                () -> new Trainer(failingThirdInput, cfg).fit(Models.student(CPU, 3), DATA, null, TrainListener.NONE));
        assertEquals("no memory for batch 3", e.getMessage());
        assertPrefetchThreadGone();
    }

    private static void assertPrefetchThreadGone() {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (!t.getName().equals("nncompress-batch-prefetch")) continue;
            try {
                t.join(2000); // its executor has terminated; the thread may still be on its way out
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            assertFalse(t.isAlive(), "the prefetch thread outlived its run");
        }
    }

    private static Dataset randomData(int n) {
        SplittableRandom r = new SplittableRandom(5);
        float[] images = new float[n * 28 * 28];
        int[] labels = new int[n];
        for (int i = 0; i < images.length; i++) images[i] = (float) r.nextDouble();
        for (int i = 0; i < n; i++) labels[i] = r.nextInt(10);
        return new Dataset(images, labels, 1, 28, 28, 10);
    }
}
