package dev.nncompress.graph;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.cpu.CpuBackend;
import dev.nncompress.models.Models;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One float {@link GraphPredictor} shared by {@link ConcurrentCalls#THREADS} threads on the CPU backend,
 * dense and with a sparse plan on the native kernels. The batch sizes put the student's fc1 product
 * (n x 784 x 64) on both sides of the one-BLAS-thread threshold, so that concurrent calls ask OpenBLAS
 * for different thread counts.
 */
class GraphPredictorConcurrencyTest {
    private static final Backend CPU = new CpuBackend();
    private static final int[] SIZES = {1, 7, 32, 200};

    @Test
    void denseCallsFromManyThreadsGiveTheSingleThreadLogits() {
        try (GraphPredictor p = new GraphPredictor(Models.resnet8(CPU, 5), CPU, SparseInference.Mode.OFF)) {
            ConcurrentCalls.assertSameAsSingleThread(p, 12, 1, 3, 16);
        }
        try (GraphPredictor p = new GraphPredictor(Models.student(CPU, 5), CPU, SparseInference.Mode.OFF)) {
            ConcurrentCalls.assertSameAsSingleThread(p, 24, SIZES);
        }
    }

    @Test
    void sparseCallsFromManyThreadsGiveTheSingleThreadLogits() {
        try (GraphPredictor p = new GraphPredictor(SparseInferenceTest.prunedStudent(CPU), CPU, SparseInference.Mode.ON)) {
            assumeSparseKernels(p);
            assertEquals(4, p.sparse().layers().stream().filter(SparseInference.Layer::sparse).count());
            ConcurrentCalls.assertSameAsSingleThread(p, 24, SIZES);
        }
    }

    @Test
    void closeDuringUseRefusesLaterCallsAndFreesTheSparseWeightsAfterTheCallsInFlight() {
        try (GraphPredictor p = new GraphPredictor(SparseInferenceTest.prunedStudent(CPU), CPU, SparseInference.Mode.ON)) {
            assumeSparseKernels(p);
            ConcurrentCalls.assertCloseDuringUse(p, SIZES);
        }
        try (GraphPredictor p = new GraphPredictor(Models.student(CPU, 6), CPU, SparseInference.Mode.OFF)) {
            ConcurrentCalls.assertCloseDuringUse(p, SIZES);
        }
    }

    private static void assumeSparseKernels(GraphPredictor p) {
        org.junit.jupiter.api.Assumptions.assumeTrue(p.sparse().any(), "native sparse kernels not built: " + p.sparse().summary());
        assertTrue(p.sparse().summary().startsWith("native-"));
    }
}
