package dev.nncompress.train;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Backends;
import dev.nncompress.data.Dataset;
import dev.nncompress.data.FashionMnist;
import dev.nncompress.graph.Graph;
import dev.nncompress.models.Models;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** resnet8 (batch norm + residual adds) trains, and inference uses the running statistics it learned. */
class ResNetTrainingTest {
    @Test
    void resnetLearnsAndItsBatchNormStatisticsMove() {
        assumeTrue(Files.isDirectory(FashionMnist.DEFAULT_DIR), "Fashion-MNIST not installed");
        Backend backend = Backends.defaultBackend();
        Dataset train = FashionMnist.train(FashionMnist.DEFAULT_DIR, 2048);
        Dataset test = FashionMnist.test(FashionMnist.DEFAULT_DIR, 500);
        Graph g = Models.resnet8(backend, 3);
        List<EpochStats> h = new Trainer(backend, new TrainConfig(2, 32, new OptimizerConfig.Sgd(0.05f, 0.9f, 5e-4f, true),
                new LrSchedule.Cosine(0), 3)).fit(g, train, test, TrainListener.NONE);

        // 2 epochs over 2k images: ~70% on this slice; chance is 10%
        float acc = h.get(1).eval().accuracy();
        assertTrue(acc > 0.55f, "resnet8 accuracy " + acc);
        float[] mean = g.param("layer2_bn1.running_mean").value().toFloatArray();
        float[] var = g.param("layer2_bn1.running_var").value().toFloatArray();
        double meanAbs = 0;
        double varDev = 0;
        for (int c = 0; c < mean.length; c++) {
            meanAbs += Math.abs(mean[c]);
            varDev += Math.abs(var[c] - 1);
        }
        assertTrue(meanAbs / mean.length > 1e-3 && varDev / var.length > 1e-3,
                "running statistics stayed at their initial values: mean " + meanAbs + ", |var-1| " + varDev);
    }
}
