package dev.nncompress.int8;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Int8Kernels;
import dev.nncompress.backend.cpu.CpuBackend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.compress.quant.calib.CalibFixtures;
import dev.nncompress.compress.quant.calib.Calibrator;
import dev.nncompress.compress.quant.calib.QuantPlan;
import dev.nncompress.compress.quant.calib.QuantTargets;
import dev.nncompress.compress.quant.convert.Int8Converter;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.ConcurrentCalls;
import dev.nncompress.graph.Graph;
import dev.nncompress.models.Models;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;

/**
 * One {@link Int8Runner} shared by {@link ConcurrentCalls#THREADS} threads, on the native kernels and on
 * the Java twin: the student (every layer an int8 GEMM; its per-node code buffers were once shared by
 * all calls of one batch size) and, on the native kernels, ResNet-8 (adds and the global pool run in
 * float on the CPU backend; on the Java twin it takes half a minute on a busy 2-core machine).
 */
class Int8RunnerConcurrencyTest {
    private static final Backend CPU = new CpuBackend();
    private static final int[] SIZES = {1, 6, 6, 19};

    @ParameterizedTest
    @ValueSource(strings = {"native", "java"})
    void callsFromManyThreadsGiveTheSingleThreadLogits(String kernels) {
        for (String model : kernels.equals("native") ? List.of("student", "resnet8") : List.of("student")) {
            try (Int8Runner r = new Int8Runner(int8(model), kernels(kernels), CPU)) {
                ConcurrentCalls.assertSameAsSingleThread(r, model.equals("student") ? 24 : 8, SIZES);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"native", "java"})
    void closeDuringUseRefusesLaterCalls(String kernels) {
        try (Int8Runner r = new Int8Runner(int8(kernels.equals("native") ? "resnet8" : "student"), kernels(kernels), CPU)) {
            ConcurrentCalls.assertCloseDuringUse(r, SIZES);
        }
    }

    static Int8Kernels kernels(String which) { return Int8KernelProviders.create(which, 2); }

    /** Calibrated on 16 noise images on the reference backend (seconds). */
    static Int8Model int8(String model) {
        Backend ref = new ReferenceBackend();
        Graph g = CalibFixtures.prepared(Models.byName(model, ref, 3));
        Dataset data = CalibFixtures.noise(16, 5);
        QuantPlan plan = new Calibrator("minmax", 16, 8, null).calibrate(QuantTargets.of(g), data, ref);
        return Int8Converter.convert(g, plan, Map.of());
    }
}
