package dev.nncompress.graph;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.models.GraphBuilder;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

/**
 * Whole-network gradient check: the parameter gradients that {@link GraphRunner#backward} accumulates
 * through every op type (conv, BN in training mode, relu, max/avg/global pooling, residual add,
 * dropout, flatten, linear, loss) agree with central finite differences of the loss.
 */
class GraphGradientTest {
    private final Backend backend = new ReferenceBackend();

    private Graph tinyNet() {
        GraphBuilder b = new GraphBuilder("tiny", Shape.of(2, 9, 8), backend, 7);
        String x = b.relu("relu1", b.batchNorm("bn1", b.conv("conv1", Graph.INPUT, 4, 3, 1, 1, true)));
        String y = b.batchNorm("bn2", b.conv("conv2", x, 4, 3, 1, 1, false));
        x = b.relu("relu2", b.addNodes("add", x, y));
        x = b.maxPool("pool", x, 2);
        String a = b.avgPool("avg", x, 3, 1, 1);
        x = b.globalAvgPool("gap", b.conv("conv3", a, 6, 2, 2, 0, true));
        x = b.dropout("drop", b.flatten("flat", x), 0.3);
        x = b.relu("relu3", b.linear("fc1", x, 5));
        return b.build(b.linear("fc2", x, 3));
    }

    @Test
    void everyParameterGradientMatchesFiniteDifferences() {
        Graph g = tinyNet();
        SplittableRandom rng = new SplittableRandom(3);
        float[] input = new float[3 * 2 * 9 * 8];
        for (int i = 0; i < input.length; i++) input[i] = (float) rng.nextGaussian();
        Tensor x = backend.fromFloats(input, Shape.of(3, 2, 9, 8));
        int[] labels = {0, 2, 1};

        // 49 of the 64 sampled coordinates are above the noise floor (conv1.bias, before a BN, has an exact-zero gradient)
        GraphGradientCheck.check(g, backend, x, labels, 99, rng, 6, 40);
    }

}
