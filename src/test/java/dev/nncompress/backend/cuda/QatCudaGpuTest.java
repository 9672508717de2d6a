package dev.nncompress.backend.cuda;

import dev.nncompress.backend.cuda.driver.CudaDriver;
import dev.nncompress.compress.quant.calib.Calibrator;
import dev.nncompress.compress.quant.calib.QuantPlan;
import dev.nncompress.compress.quant.calib.QuantTargets;
import dev.nncompress.compress.quant.qat.QatFixtures;
import dev.nncompress.compress.quant.qat.QatResult;
import dev.nncompress.compress.quant.qat.QuantizationAwareTraining;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.train.TrainConfig;
import dev.nncompress.train.TrainListener;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * QAT on the CUDA backend fake-quantises on the device: every step launches {@code nnc_fake_quantize_s8} once per
 * weight and per quantised activation (not per max-pool or flatten output, already on its input's grid), and its backward once per weight and per activation whose gradient is taken
 * (all but the graph input's). Counted through the kernels' launch counters; runs under the emulated driver in CI
 * (here, in the GPU test package, so that the GPU bundle carries it too).
 */
@Tag("gpu")
class QatCudaGpuTest {
    @Test
    void qatOnCudaLaunchesTheFakeQuantiseKernelsEveryStep() {
        CudaDriver d = Gpu.driverOrSkip();
        try (CudaBackend gpu = new CudaBackend()) {
            Graph g = QatFixtures.tinyPrepared(gpu, 3);
            Dataset data = QatFixtures.columns(24, 1);
            QuantTargets targets = QuantTargets.of(g);
            QuantPlan start = new Calibrator("minmax", data.count(), 8, null).calibrate(targets, data, gpu);
            int weights = targets.weightNodes().size();
            // aliases already on their input's grid (max-pool, flatten) are left as they are, as in PyTorch's eager QAT
            int activations = targets.observedActivations().size() + targets.aliases().size() - targets.gridPreservingAliases().size();
            long forward0 = d.kernel("nnc_fake_quantize_s8").launches(), backward0 = d.kernel("nnc_fake_quantize_s8_backward").launches();

            TrainConfig r = QuantizationAwareTraining.fineTuning(1, 0.05f, 7);
            QatResult result = new QuantizationAwareTraining(gpu, new TrainConfig(1, 8, r.optimizer(), r.schedule(), 7))
                    .train(targets, start, data, TrainListener.NONE);

            int steps = 3;
            assertEquals(steps * (weights + activations), d.kernel("nnc_fake_quantize_s8").launches() - forward0, "forward launches");
            assertEquals(steps * (weights + activations - 1), d.kernel("nnc_fake_quantize_s8_backward").launches() - backward0,
                    "backward launches (the input's gradient is not taken)");
            assertTrue(Float.isFinite(result.history().get(0).trainLoss()));
        }
    }
}
