package dev.nncompress.backend.cuda;

import dev.nncompress.backend.Backend;
import dev.nncompress.tensor.Shape;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.compress.distill.AttentionTransfer;
import dev.nncompress.compress.distill.DistillationLoss;
import dev.nncompress.compress.distill.HintLoss;
import dev.nncompress.compress.distill.ResponseDistillation;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Parameter;
import dev.nncompress.models.Models;
import dev.nncompress.tools.VendorCheck;
import dev.nncompress.train.LrSchedule;
import dev.nncompress.train.OptimizerConfig;
import dev.nncompress.train.StepHook;
import dev.nncompress.train.TrainConfig;
import dev.nncompress.train.TrainListener;
import dev.nncompress.train.Trainer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Distillation on the GPU: the frozen teacher (lenet5) and the student both run on cuda, with response
 * distillation, a FitNets hint (its adapter on backend ops, so on the device) and attention transfer; the
 * student's weights after a few steps agree with the same run on the reference backend, and the teacher is
 * untouched. Tolerance as {@link CudaTrainingGpuTest}: 1e-3 of each tensor's largest magnitude.
 */
@Tag("gpu")
class CudaDistillationGpuTest {
    @Test
    void distillationWithHintAndAttentionTrainsLikeTheReference() {
        // on a GPU 64 samples of 28x28 (8 steps); on the CPU emulation 16 of 16x16 (2 steps), for CI's time
        boolean emulated = Gpu.smallSizes();
        int size = emulated ? 16 : 28;
        Dataset data = VendorCheck.synthetic(emulated ? 16 : 64, 3, size);
        Map<String, float[]> want = distill(new ReferenceBackend(), data);
        try (CudaBackend gpu = new CudaBackend()) {
            Map<String, float[]> got = distill(gpu, data);
            for (var e : want.entrySet()) {
                float[] w = e.getValue();
                float[] g = got.get(e.getKey());
                if (e.getKey().startsWith("teacher.")) {
                    assertArrayEquals(w, g, e.getKey() + ": the teacher is frozen");
                    continue;
                }
                double mag = 0;
                for (float v : w) mag = Math.max(mag, Math.abs(v));
                for (int i = 0; i < w.length; i++) assertEquals(w[i], g[i], 1e-3 * mag, e.getKey() + "[" + i + "]");
            }
        }
    }

    /** Student weights after two epochs of distillation, and the teacher's (prefixed "teacher."). */
    private static Map<String, float[]> distill(Backend b, Dataset data) {
        Shape input = Shape.of(data.channels(), data.height(), data.width());
        Graph teacher = Models.lenet5(b, 7, input, 10);
        Graph student = Models.student(b, 42, input, 10);
        TrainConfig c = new TrainConfig(2, 16, new OptimizerConfig.Sgd(0.05f, 0.9f, 0f, false), new LrSchedule.Constant(), 5);
        // student pool1 8xHxW -> lenet5 pool1 6xHxW through the adapter (14x14 for 28x28 images); relu1 maps 8 vs 6 channels
        try (DistillationLoss loss = DistillationLoss.withFeatures(new ResponseDistillation(4, 0.7), teacher, student,
                List.of(new HintLoss("pool1", "pool1", 8, 6, 0.5, b, 1), new AttentionTransfer("relu1", "relu1", 100)))) {
            new Trainer(b, c, StepHook.NONE, loss).fit(student, data, null, TrainListener.NONE);
        }
        Map<String, float[]> w = new LinkedHashMap<>();
        for (Parameter p : student.params().values()) w.put(p.name(), p.value().toFloatArray());
        for (Parameter p : teacher.params().values()) w.put("teacher." + p.name(), p.value().toFloatArray());
        return w;
    }
}
