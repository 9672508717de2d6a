package dev.nncompress.train;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.LossResult;
import dev.nncompress.data.Batch;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.graph.Parameter;
import dev.nncompress.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a training step minimises, given the forward pass it just ran: plain softmax cross-entropy on the labels
 * ({@link #CROSS_ENTROPY}), or a distillation loss that also asks a teacher. A loss may add gradients at
 * intermediate nodes (feature distillation) and may own trainable parameters of its own (a hint adapter), which
 * the {@link Trainer} updates with the same optimiser as the model's.
 */
@FunctionalInterface
public interface TrainingLoss {
    /** Mean softmax cross-entropy on the batch's labels: plain training. */
    TrainingLoss CROSS_ENTROPY = (backend, run, logits, batch) -> {
        LossResult l = backend.softmaxCrossEntropy(logits, batch.labels());
        return new Terms(l.loss(), l.gradLogits(), Map.of());
    };

    /**
     * @param run    the step's training-mode pass, after forward ({@link GraphRunner#output} reads features)
     * @param logits the pass's output
     * @param batch  the step's batch ({@link Batch#indices()} names each row's example)
     */
    Terms compute(Backend backend, GraphRunner run, Tensor logits, Batch batch);

    /** Trainable parameters that live outside the model (adapters); updated and cleared with the model's. */
    default List<Parameter> extraParameters() { return List.of(); }

    /**
     * One step's loss: the mean loss, its gradient w.r.t. the logits, and gradients w.r.t. intermediate node
     * outputs (added to what reaches those nodes from the output in backward). Owns every tensor it holds.
     */
    final class Terms implements AutoCloseable {
        private final float loss;
        private final Tensor gradLogits;
        private final Map<String, Tensor> nodeGrads;
        private final List<Tensor> temporaries = new ArrayList<>();

        public Terms(float loss, Tensor gradLogits, Map<String, Tensor> nodeGrads) {
            this.loss = loss;
            this.gradLogits = gradLogits;
            this.nodeGrads = Map.copyOf(nodeGrads);
        }

        public float loss() { return loss; }

        public Tensor gradLogits() { return gradLogits; }

        public Map<String, Tensor> nodeGrads() { return nodeGrads; }

        /**
         * The hook for backward: {@code inner} (the step's own hook, e.g. QAT's) with this loss's node gradients
         * added first, because they are gradients w.r.t. the hooked output that later nodes (and the loss) read.
         */
        public GraphRunner.OutputHook backwardHook(GraphRunner.OutputHook inner) {
            if (nodeGrads.isEmpty()) return inner;
            return new GraphRunner.OutputHook() {
                @Override public Tensor apply(String node, Tensor t) { return inner.apply(node, t); }

                @Override
                public boolean changesGradient(String node) {
                    return nodeGrads.containsKey(node) || (inner != GraphRunner.OutputHook.NONE && inner.changesGradient(node));
                }

                @Override
                public Tensor gradient(String node, Tensor grad) {
                    Tensor extra = nodeGrads.get(node);
                    if (extra == null) return inner.gradient(node, grad);
                    Tensor sum = Backend.of(grad).add(grad, extra);
                    Tensor out = inner.gradient(node, sum);
                    if (out != sum) temporaries.add(sum); // the runner owns only what the hook returns
                    return out;
                }
            };
        }

        @Override
        public void close() {
            gradLogits.close();
            nodeGrads.values().forEach(Tensor::close);
            temporaries.forEach(Tensor::close);
            temporaries.clear();
        }
    }
}
