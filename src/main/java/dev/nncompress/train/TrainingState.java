package dev.nncompress.train;

import dev.nncompress.backend.Backend;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Parameter;
import dev.nncompress.io.TensorRecord;
import dev.nncompress.tensor.Tensor;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The tensor part of a {@link Checkpoint} for one {@link Trainer} run: every parameter and buffer of the graph
 * plus the loss's own parameters (hint adapters), the optimiser's state and the step hook's, each in its section.
 */
final class TrainingState {
    private final Graph graph;
    private final List<Parameter> extra;
    private final Optimizer optimizer;
    private final StepHook hook;

    TrainingState(Graph graph, List<Parameter> extra, Optimizer optimizer, StepHook hook) {
        this.graph = graph;
        this.extra = extra;
        this.optimizer = optimizer;
        this.hook = hook;
    }

    /** The parameters the optimiser updates (graph order, then the loss's). */
    List<Parameter> updated() {
        List<Parameter> params = new ArrayList<>(graph.trainableParams());
        params.addAll(extra);
        return params;
    }

    /** Everything saved as parameters: the graph's parameters and buffers, then the loss's, names checked unique. */
    private List<Parameter> saved() {
        List<Parameter> all = new ArrayList<>(graph.params().values());
        all.addAll(extra);
        Set<String> names = new HashSet<>();
        for (Parameter p : all) {
            if (!names.add(p.name())) throw new IllegalStateException("two trained parameters are named '" + p.name() + "'; a checkpoint needs unique names");
        }
        return all;
    }

    Map<String, TensorRecord> capture() {
        Map<String, TensorRecord> out = new LinkedHashMap<>();
        for (Parameter p : saved()) {
            out.put(Checkpoint.PARAMS + p.name(), StateTensors.record(p.value().toFloatArray(), p.value().shape().dimsLong()));
        }
        optimizer.state(updated()).forEach((k, v) -> out.put(Checkpoint.OPTIMIZER + k, v));
        hook.checkpointState().forEach((k, v) -> out.put(Checkpoint.HOOK + k, v));
        return out;
    }

    /**
     * Restores the hook first (pruning masks zero their weights when set), then the parameters bit for bit over
     * whatever that wrote, then the optimiser. IllegalArgumentException naming the tensor that does not fit.
     */
    void restore(Map<String, TensorRecord> tensors) {
        StateTensors all = StateTensors.of(tensors);
        StateTensors hookState = all.section(Checkpoint.HOOK);
        hook.restoreCheckpointState(hookState);
        hookState.requireAllRead("step hook state (pruning masks, observed ranges)");

        StateTensors params = all.section(Checkpoint.PARAMS);
        List<Parameter> saved = saved();
        List<float[]> values = new ArrayList<>();
        for (Parameter p : saved) values.add(params.floats(p.name(), p.value().shape().dimsLong())); // all checked before any is written
        params.requireAllRead("model");
        for (int i = 0; i < saved.size(); i++) {
            Tensor target = saved.get(i).value();
            Backend b = Backend.of(target);
            try (Tensor t = b.fromFloats(values.get(i), target.shape())) {
                b.copyInto(t, target);
            }
        }

        StateTensors opt = all.section(Checkpoint.OPTIMIZER);
        optimizer.restore(updated(), opt);
        opt.requireAllRead("optimizer state");
    }
}
