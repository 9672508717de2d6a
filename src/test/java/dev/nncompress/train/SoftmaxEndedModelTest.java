package dev.nncompress.train;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.data.Dataset;
import dev.nncompress.data.ToyDatasets;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Logits;
import dev.nncompress.graph.OpType;
import dev.nncompress.graph.Parameter;
import dev.nncompress.models.GraphBuilder;
import dev.nncompress.tensor.Shape;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * A model ending with a Softmax (as ONNX exports of classifiers often do) trains and evaluates on its logits:
 * {@link Logits} drops the final Softmax for the loss, sharing the model's parameters, so training it gives the
 * weights training the same model without the Softmax gives, and evaluation the same accuracy and loss.
 */
class SoftmaxEndedModelTest {
    private final Backend be = new ReferenceBackend();

    private Graph net(boolean softmax) {
        GraphBuilder b = new GraphBuilder("n", Shape.of(1, 6, 6), be, 4);
        String x = b.activation("hs", OpType.HARD_SWISH, b.conv("c", Graph.INPUT, 3, 3, 1, 1, true), Map.of());
        String fc = b.linear("fc", b.flatten("f", x), 3);
        return b.build(softmax ? b.softmax("probs", fc, -1) : fc);
    }

    @Test
    void trainingAndEvaluationReadTheLogitsBeforeAFinalSoftmax() {
        Graph with = net(true), without = net(false);
        Graph logits = Logits.of(with);
        assertEquals("fc", logits.output());
        assertSame(with.param("fc.weight"), logits.param("fc.weight"), "the same parameters: training updates the model");
        assertSame(without, Logits.of(without));
        Dataset data = ToyDatasets.columns(48, 1);
        TrainConfig c = new TrainConfig(1, 16, new OptimizerConfig.Sgd(0.1f, 0.9f, 0f, false), new LrSchedule.Constant(), 2);
        new Trainer(be, c).fit(with, data, null, TrainListener.NONE);
        new Trainer(be, c).fit(without, data, null, TrainListener.NONE);
        for (Parameter p : without.params().values()) {
            assertArrayEquals(p.value().toFloatArray(), with.param(p.name()).value().toFloatArray(), 0f, p.name());
        }
        EvalResult a = new Evaluator(be, 16).evaluate(with, data), b = new Evaluator(be, 16).evaluate(without, data);
        assertEquals(b.accuracy(), a.accuracy());
        assertEquals(b.loss(), a.loss(), "the loss of the logits, not of the probabilities");
    }

    /** Softmax over channels or over a non-final output is not a classifier's: left as it is. */
    @Test
    void onlyAFinalSoftmaxOverClassesIsDropped() {
        GraphBuilder b = new GraphBuilder("s", Shape.of(2, 3, 3), be, 1);
        Graph spatial = b.build(b.softmax("sm", b.conv("c", Graph.INPUT, 2, 1, 1, 0, true), 1));
        assertSame(spatial, Logits.of(spatial));
    }
}
