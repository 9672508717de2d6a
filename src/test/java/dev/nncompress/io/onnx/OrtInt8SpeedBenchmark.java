package dev.nncompress.io.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.nncompress.backend.Backend;
import dev.nncompress.backend.cpu.CpuBackend;
import dev.nncompress.backend.cpu.Int8KernelChoice;
import dev.nncompress.bench.Timing;
import dev.nncompress.compress.prepare.GraphPreparation;
import dev.nncompress.compress.quant.calib.Calibrator;
import dev.nncompress.compress.quant.calib.QuantPlan;
import dev.nncompress.compress.quant.calib.QuantTargets;
import dev.nncompress.compress.quant.convert.Int8Converter;
import dev.nncompress.data.FashionMnist;
import dev.nncompress.graph.Graph;
import dev.nncompress.int8.Int8Model;
import dev.nncompress.int8.Int8Runner;
import dev.nncompress.models.Models;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.FloatBuffer;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Issue 18's speed target, a benchmark (slow tag, out of the default run; prints, asserts nothing about speed):
 * ONNX Runtime's int8 (the QDQ export, fused by its default optimizations) against ONNX Runtime's float (the float
 * export) and against our int8 engine, side by side in one run ({@link Timing#interleaved}), one thread each,
 * batch 64. Run: {@code mvn -o test -Dtest=OrtInt8SpeedBenchmark -DexcludedTestGroups=}.
 */
@Tag("slow")
class OrtInt8SpeedBenchmark {
    private static final int BATCH = 64;

    @ParameterizedTest
    @ValueSource(strings = {"student", "teacher"})
    void ortInt8VsOrtFloatVsOurInt8(String name) throws OrtException {
        assumeTrue(OnnxFixtures.datasetInstalled(), "Fashion-MNIST not installed");
        try (Backend cpu = new CpuBackend()) {
            Graph g = GraphPreparation.forInference(Models.byName(name, cpu, 1)).graph();
            QuantPlan plan = new Calibrator("minmax", 64, 64, null).calibrate(QuantTargets.of(g), FashionMnist.train(FashionMnist.DEFAULT_DIR, 64), cpu);
            Int8Model m = Int8Converter.convert(g, plan, Map.of());
            float[] x = FashionMnist.test(FashionMnist.DEFAULT_DIR, BATCH).images();
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
                opts.setIntraOpNumThreads(1);
                try (OrtSession f32 = env.createSession(OnnxExporter.export(g, Map.of(), OnnxExporter.DEFAULT_OPSET).toByteArray(), opts);
                     OrtSession s8 = env.createSession(QdqExporter.export(m, Map.of(), OnnxExporter.DEFAULT_OPSET).toByteArray(), opts);
                     OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), OrtRun.batchShape(g, BATCH));
                     Int8Runner ours = new Int8Runner(m, Int8KernelChoice.choose("auto", 1).kernels(), cpu)) {
                    List<Timing.Result> r = Timing.interleaved(List.of(() -> run(f32, t), () -> run(s8, t), () -> ours.logits(x, BATCH)), 7, 0.3);
                    double ortF32 = BATCH / r.get(0).median(), ortS8 = BATCH / r.get(1).median(), ourS8 = BATCH / r.get(2).median();
                    System.out.printf(Locale.ROOT, "%-8s images/s, 1 thread, batch %d: ONNX Runtime float %.0f, ONNX Runtime int8 (QDQ) %.0f (%.2fx its float),"
                            + " our int8 engine (%s) %.0f (ONNX Runtime int8 / ours %.2fx)%n", name, BATCH, ortF32, ortS8, ortS8 / ortF32,
                            ours.kernelsName(), ourS8, ortS8 / ourS8);
                }
            }
        }
    }

    private static void run(OrtSession s, OnnxTensor t) {
        try (OrtSession.Result r = s.run(Map.of(s.getInputNames().iterator().next(), t))) {
            r.get(0);
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }
}
