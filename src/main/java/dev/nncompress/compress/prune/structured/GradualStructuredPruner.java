package dev.nncompress.compress.prune.structured;

import dev.nncompress.backend.Backend;
import dev.nncompress.compress.prune.MaskingStepHook;
import dev.nncompress.compress.prune.SparsitySchedules;
import dev.nncompress.graph.Graph;
import dev.nncompress.io.TensorRecord;
import dev.nncompress.train.StateTensors;
import dev.nncompress.train.StepHook;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Gradual structured pruning inside fine-tuning: the graph trains at full width while whole channels of its coupled
 * groups are masked ({@link GroupChannelMasks}: every slice of a channel zeroed together, gradients zeroed, weights
 * re-zeroed after each optimiser step by {@link MaskingStepHook}); at each mask update every group is re-scored from
 * the current weights by the criterion and keeps its best {@code keepCount(C, s_t)} channels, masked channels ranking
 * below every live one (masks only grow); at the end the masked channels are cut out by {@link ChannelSurgery}, which
 * computes exactly what the masked graph computes.
 *
 * <p>Why: a one-shot cut of half of every group of a small BN network (MobileNetV2) leaves 10% accuracy that one epoch
 * cannot fully recover; removing channels a few at a time while the rest keep training lets the network move what
 * the doomed channels carried into the survivors (Zhu &amp; Gupta 2017 for weights; the same schedule here for channels).
 *
 * <p>Usage: train with {@link #hook()} (composed with any loss, e.g. distillation), then {@link #finish()}.
 */
public final class GradualStructuredPruner implements AutoCloseable {
    /** Sparsity over steps: cubic ramp with updates every {@code updateEvery} steps, or {@code rounds} equal rounds. */
    public enum Schedule { CUBIC, ITERATIVE }

    /**
     * Who loses the channels at a mask update: every group the same fraction ({@code PER_GROUP}, the one-shot cut's
     * structure), or the network's lowest-scoring channels by per-group-normalised score, the same total count
     * ({@code GLOBAL}, {@link GlobalChannelAllocation}; each group keeps at least half of its per-group count), or so but
     * each group also keeping at most halfway from its per-group count to all its channels ({@code BANDED}: closer to
     * the per-group structure's multiply-adds).
     */
    public enum Allocation { PER_GROUP, GLOBAL, BANDED }

    /**
     * @param totalSteps  optimiser steps of the whole fine-tuning
     * @param rampSteps   cubic: steps over which sparsity rises from 0 to the target (then it stays)
     * @param updateEvery cubic: steps between mask updates
     * @param rounds      iterative: round r of k starts at step floor((r-1) T / k) at sparsity 1 - (1 - s)^(r/k)
     */
    public record Plan(Schedule schedule, long totalSteps, long rampSteps, int updateEvery, int rounds) {
        public Plan {
            if (schedule == null) throw new IllegalArgumentException("schedule must be set");
            if (totalSteps < 1) throw new IllegalArgumentException("gradual pruning needs at least one training step, got " + totalSteps);
            if (rampSteps < 1) throw new IllegalArgumentException("ramp must be >= 1 step, got " + rampSteps);
            if (updateEvery < 1) throw new IllegalArgumentException("updateEvery must be >= 1, got " + updateEvery);
            if (rounds < 1) throw new IllegalArgumentException("rounds must be >= 1, got " + rounds);
        }

        /** Whether the masks change before step {@code t}. */
        boolean due(long t) {
            if (schedule == Schedule.CUBIC) return t <= rampSteps && (t % updateEvery == 0 || t == rampSteps);
            for (int r = 1; r <= rounds; r++) if (t == roundStart(r)) return true;
            return false;
        }

        /** The sparsity, for a group whose final sparsity is {@code target}, from step {@code t} on. */
        double sparsity(double target, long t) {
            if (schedule == Schedule.CUBIC) return SparsitySchedules.cubic(0, target, t, rampSteps);
            int round = 0;
            for (int r = 1; r <= rounds; r++) if (t >= roundStart(r)) round = r;
            return round == 0 ? 0 : SparsitySchedules.iterative(target, rounds)[round - 1];
        }

        private long roundStart(int r) { return (r - 1) * totalSteps / rounds; }

        /** Whether step {@code t} (1-based, the step just begun) can still inform a mask update: gradient scores skip the rest. */
        boolean observing(long t) { return schedule == Schedule.ITERATIVE ? t <= roundStart(rounds) : t <= rampSteps; }

        public String describe() {
            return schedule == Schedule.CUBIC
                    ? String.format("cubic over %d of %d steps, channel masks every %d", rampSteps, totalSteps, updateEvery)
                    : String.format("iterative, %d rounds over %d steps", rounds, totalSteps);
        }
    }

    private final Graph graph;
    private final StructuredPruneConfig config;
    private final FilterCriterion criterion;
    private final Plan plan;
    private final Allocation allocation;
    private final GroupChannelMasks channelMasks;
    private final Map<Integer, Double> targets = new LinkedHashMap<>(); // pruned groups -> final sparsity
    private final Map<Integer, int[]> keep = new LinkedHashMap<>();     // pruned groups -> kept channels now (ascending)
    private final MaskingStepHook masking;
    private long step;
    private boolean finished;

    /**
     * Starts with every channel kept, on a copy of {@code dense} ({@link #graph()}, what to train with {@link #hook()});
     * {@code dense} itself is never touched, so it can serve as the distillation teacher.
     */
    public GradualStructuredPruner(Backend backend, Graph dense, StructuredPruneConfig config, FilterCriterion criterion, Plan plan) {
        this(backend, dense, config, criterion, plan, Allocation.PER_GROUP);
    }

    /** As above, sharing the channels to remove among the groups as {@code allocation} says. */
    public GradualStructuredPruner(Backend backend, Graph dense, StructuredPruneConfig config, FilterCriterion criterion, Plan plan,
                                   Allocation allocation) {
        if (allocation == null) throw new IllegalArgumentException("allocation must be set");
        if (allocation != Allocation.PER_GROUP && config.roundTo() != 1) {
            throw new IllegalArgumentException("global channel allocation keeps any count per group; it cannot round counts to multiples of " + config.roundTo());
        }
        this.allocation = allocation;
        this.config = config;
        this.criterion = criterion;
        this.plan = plan;
        ChannelGroups groups = ChannelDependencies.analyze(dense);
        StructuredPruner.checkLayerNames(groups, config);
        this.graph = ChannelSurgery.apply(dense, groups, Map.of()); // keeps every channel: a fresh copy of each parameter
        this.channelMasks = new GroupChannelMasks(graph, groups);
        for (ChannelGroup g : groups.groups()) {
            if (StructuredPruner.wholeReason(g, config) != null) continue;
            targets.put(g.id(), StructuredPruner.sparsityOf(g, config));
            keep.put(g.id(), StructuredPruner.allChannels(g.channels()));
        }
        this.masking = new MaskingStepHook(backend, graph, channelMasks.masks(keep));
    }

    /** The graph being trained and masked (a copy of the dense one; after {@link #finish()} its masked channels are +0.0). */
    public Graph graph() { return graph; }

    public ChannelGroups groups() { return channelMasks.groups(); }

    /** The kept channels of every pruned group now. */
    public Map<Integer, int[]> kept() {
        Map<Integer, int[]> out = new LinkedHashMap<>();
        keep.forEach((id, k) -> out.put(id, k.clone()));
        return out;
    }

    /** Optimiser steps seen so far. */
    public long step() { return step; }

    /** The hook to train with: updates the masks when the plan says, holds them every step. */
    public StepHook hook() {
        return new StepHook() {
            @Override
            public Step begin(Graph trained) {
                if (trained != graph) throw new IllegalArgumentException("this pruner masks graph " + graph.name() + ", not the one being trained");
                if (plan.due(step)) updateTo(step);
                step++;
                Step masked = masking.begin(trained);
                if (!(criterion instanceof GroupTaylorCriterion taylor) || !plan.observing(step)) return masked;
                return new Step() { // the Taylor scores read this step's gradients before the masks zero the pruned ones
                    @Override public Graph graph() { return masked.graph(); }

                    @Override public dev.nncompress.graph.GraphRunner.OutputHook hook() { return masked.hook(); }

                    @Override
                    public void afterBackward() {
                        taylor.observe(trained, groups());
                        masked.afterBackward();
                    }

                    @Override public void close() { masked.close(); }
                };
            }

            @Override public void afterUpdate(Graph trained) { masking.afterUpdate(trained); }

            @Override
            public Map<String, TensorRecord> checkpointState() {
                Map<String, TensorRecord> out = new LinkedHashMap<>(masking.checkpointState());
                out.put("gradual_step", StateTensors.scalar(step));
                keep.forEach((id, k) -> out.put("gradual_keep/" + id, StateTensors.record(keptFlags(id, k), groups().get(id).channels())));
                if (criterion instanceof GroupTaylorCriterion taylor) out.putAll(taylor.checkpointState());
                return out;
            }

            @Override
            public void restoreCheckpointState(StateTensors state) {
                step = state.scalar("gradual_step", 0, plan.totalSteps());
                for (int id : keep.keySet()) {
                    boolean[] f = state.mask("gradual_keep/" + id, groups().get(id).channels());
                    List<Integer> k = new ArrayList<>();
                    for (int c = 0; c < f.length; c++) if (f[c]) k.add(c);
                    if (k.isEmpty()) throw new IllegalArgumentException("checkpoint keeps no channel of group " + id);
                    keep.put(id, k.stream().mapToInt(Integer::intValue).toArray());
                }
                masking.restoreCheckpointState(state); // the masks of those kept channels, as saved
                if (criterion instanceof GroupTaylorCriterion taylor) taylor.restoreCheckpointState(state, graph, groups(), plan.totalSteps());
            }
        };
    }

    /** Re-scores every pruned group from the current weights and masks them down to their sparsity at step {@code t}. */
    private void updateTo(long t) {
        double[][] scores = criterion.scores(graph, groups());
        for (int id : keep.keySet()) {
            double[] s = id < scores.length ? scores[id] : null;
            if (s == null || s.length != groups().get(id).channels()) {
                throw new IllegalStateException("criterion " + criterion.name() + " gave no scores for group " + id);
            }
        }
        if (allocation != Allocation.PER_GROUP) {
            keep.putAll(GlobalChannelAllocation.select(keep, scores, keptTotal(t), floors(), ceilings(t)));
        } else {
            for (var e : keep.entrySet()) {
                int k = keepCount(e.getKey(), t);
                if (k >= e.getValue().length) continue; // masks only grow
                double[] ranked = new double[scores[e.getKey()].length];
                java.util.Arrays.fill(ranked, Double.NEGATIVE_INFINITY); // masked channels go first
                for (int c : e.getValue()) ranked[c] = scores[e.getKey()][c];
                e.setValue(StructuredPruner.topChannels(ranked, k));
            }
        }
        masking.update(channelMasks.masks(keep));
        if (criterion instanceof GroupTaylorCriterion taylor) taylor.reset();
    }

    /** Channels group {@code id} keeps from step {@code t} on under per-group allocation. */
    private int keepCount(int id, long t) { return config.keepCount(groups().get(id).channels(), plan.sparsity(targets.get(id), t)); }

    /** Banded allocation's most channels per group from step {@code t} on: halfway from its per-group count to all (rounded up). */
    private Map<Integer, Integer> ceilings(long t) {
        Map<Integer, Integer> out = new LinkedHashMap<>();
        if (allocation != Allocation.BANDED) return out;
        for (int id : keep.keySet()) {
            int k = keepCount(id, t), c = groups().get(id).channels();
            out.put(id, k + (c - k + 1) / 2);
        }
        return out;
    }

    /** Channels group {@code id} keeps at the end under per-group allocation. */
    private int finalKeepCount(int id) { return config.keepCount(groups().get(id).channels(), targets.get(id)); }

    /** Channels all pruned groups keep together from step {@code t} on: the per-group counts summed. */
    private long keptTotal(long t) {
        long n = 0;
        for (int id : keep.keySet()) n += keepCount(id, t);
        return n;
    }

    /** Global allocation's fewest channels per group: half of what per-group allocation leaves it at the end (rounded up). */
    private Map<Integer, Integer> floors() {
        Map<Integer, Integer> out = new LinkedHashMap<>();
        for (int id : keep.keySet()) out.put(id, Math.max(1, (finalKeepCount(id) + 1) / 2));
        return out;
    }

    /**
     * Reaches the final sparsity if the schedule has not (a ramp as long as training, or training stopped early),
     * writes the masks as exact +0.0, and cuts the masked channels out. The trained graph keeps its zeroed channels.
     */
    public StructuredPruneResult finish() {
        if (finished) throw new IllegalStateException("finish() was already called");
        finished = true;
        boolean atTarget = true;
        long kept = 0, target = 0;
        for (var e : keep.entrySet()) {
            atTarget &= e.getValue().length == finalKeepCount(e.getKey());
            kept += e.getValue().length;
            target += finalKeepCount(e.getKey());
        }
        if (allocation != Allocation.PER_GROUP) atTarget = kept <= target;
        if (!atTarget) updateTo(Long.MAX_VALUE / 2);
        masking.close();
        Graph pruned = ChannelSurgery.apply(graph, groups(), keep);
        List<StructuredPruneReport.GroupOutcome> outcomes = new ArrayList<>();
        for (ChannelGroup g : groups().groups()) {
            int[] k = keep.get(g.id());
            outcomes.add(new StructuredPruneReport.GroupOutcome(g, k != null ? k.clone() : StructuredPruner.allChannels(g.channels()),
                    StructuredPruner.wholeReason(g, config)));
        }
        String how = criterion.name() + ", " + plan.describe() + (allocation == Allocation.PER_GROUP ? "" : ", " + allocation.name().toLowerCase(java.util.Locale.ROOT) + " allocation");
        return new StructuredPruneResult(pruned, new StructuredPruneReport(how, outcomes,
                graph.parameterCount(), pruned.parameterCount()));
    }

    private boolean[] keptFlags(int id, int[] k) {
        boolean[] f = new boolean[groups().get(id).channels()];
        for (int c : k) f[c] = true;
        return f;
    }

    @Override
    public void close() {
        if (!finished) masking.close();
    }
}
