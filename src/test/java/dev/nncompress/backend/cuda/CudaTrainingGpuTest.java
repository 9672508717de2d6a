package dev.nncompress.backend.cuda;

import dev.nncompress.backend.Backend;
import dev.nncompress.tensor.Shape;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Parameter;
import dev.nncompress.models.Models;
import dev.nncompress.tools.VendorCheck;
import dev.nncompress.train.EpochStats;
import dev.nncompress.train.LrSchedule;
import dev.nncompress.train.OptimizerConfig;
import dev.nncompress.train.TrainConfig;
import dev.nncompress.train.TrainListener;
import dev.nncompress.train.Trainer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The built-in student trained for a few steps on small synthetic data, once on cuda and once on the
 * reference backend from the same seed: losses and weights agree within float-vs-double tolerance,
 * and the device memory pool stops growing once the loop reaches its steady state.
 */
@Tag("gpu")
class CudaTrainingGpuTest {
    static List<EpochStats> train(Backend b, Graph g, Dataset data, int batch) {
        TrainConfig c = new TrainConfig(2, batch, new OptimizerConfig.Sgd(0.05f, 0.9f, 5e-4f, false), new LrSchedule.Constant(), 5);
        return new Trainer(b, c).fit(g, data, null, TrainListener.NONE);
    }

    @Test
    void studentTrainsLikeTheReferenceAndTheMemoryPoolIsSteady() {
        // on a GPU 96 samples of 28x28 in batches of 16 (12 steps); on the CPU emulation 24 of 16x16 in
        // batches of 8 (6 steps), so that CI's emulated stage stays short
        boolean emulated = Gpu.smallSizes();
        int size = emulated ? 16 : 28, batch = emulated ? 8 : 16;
        Dataset data = VendorCheck.synthetic(emulated ? 24 : 96, 1, size);
        Shape input = Shape.of(1, size, size);
        ReferenceBackend ref = new ReferenceBackend();
        try (CudaBackend gpu = new CudaBackend()) {
            Graph gg = Models.student(gpu, 42, input, 10);
            Graph gr = Models.student(ref, 42, input, 10);
            List<EpochStats> hg = train(gpu, gg, data, batch);
            List<EpochStats> hr = train(ref, gr, data, batch);
            for (int e = 0; e < hr.size(); e++) {
                float lr = hr.get(e).trainLoss();
                // up to 12 SGD steps with momentum amplify float-vs-double differences somewhat
                assertEquals(lr, hg.get(e).trainLoss(), 1e-3 * Math.max(1, Math.abs(lr)), "epoch " + (e + 1) + " loss");
            }
            assertTrue(hr.get(1).trainLoss() < hr.get(0).trainLoss(), "the synthetic task is learnable: " + hr);
            for (Parameter p : gr.params().values()) {
                float[] want = p.value().toFloatArray();
                float[] got = gg.param(p.name()).value().toFloatArray();
                double mag = 0;
                for (float v : want) mag = Math.max(mag, Math.abs(v));
                for (int i = 0; i < want.length; i++) {
                    assertEquals(want[i], got[i], 1e-3 * mag, p.name() + "[" + i + "]");
                }
            }
            // steady state: another run of the same loop needs no new device allocations
            long allocations = gpu.memory().allocations();
            long inUse = gpu.memory().bytesInUse();
            train(gpu, gg, data, batch);
            assertEquals(allocations, gpu.memory().allocations(), "no cuMemAlloc once the loop repeats itself");
            assertTrue(gpu.memory().bytesInUse() <= inUse, "every tensor of a step is returned to the pool");
        }
    }
}
