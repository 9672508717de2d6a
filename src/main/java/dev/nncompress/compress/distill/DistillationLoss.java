package dev.nncompress.compress.distill;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.LossResult;
import dev.nncompress.data.Batch;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.graph.Logits;
import dev.nncompress.graph.Parameter;
import dev.nncompress.graph.Predictor;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import dev.nncompress.train.TrainingLoss;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * The {@link TrainingLoss} of a distillation run: {@link ResponseDistillation} on the teacher's logits, plus
 * optional {@link FeatureLoss}es between chosen layer pairs. Handed to the ordinary {@code Trainer}, so the data
 * order, seeds and optimiser are exactly plain training's, and it composes with any {@code StepHook}
 * (pruning masks, quantisation-aware training).
 *
 * <p>The teacher is frozen: it runs in inference mode and nothing propagates into it. With feature losses the
 * teacher must be a float graph, run once per step on the training backend for its logits and its features;
 * without, it is any {@link TeacherLogits} (a live float or int8 {@link Predictor}, or a cache).
 */
public final class DistillationLoss implements TrainingLoss, AutoCloseable {
    private final ResponseDistillation response;
    private final TeacherLogits teacherLogits;
    private final Graph teacherGraph;
    private final List<FeatureLoss> features;
    private final CachedTeacherFeatures featureCache;
    private double lastFeatureLoss;

    private DistillationLoss(ResponseDistillation response, TeacherLogits teacherLogits, Graph teacherGraph, List<FeatureLoss> features,
                             CachedTeacherFeatures featureCache) {
        if (response == null) throw new IllegalArgumentException("distillation needs a response loss (temperature, alpha)");
        this.response = response;
        this.teacherLogits = teacherLogits;
        this.teacherGraph = teacherGraph == null ? null : Logits.of(teacherGraph); // a teacher's logits, not a final Softmax's probabilities
        this.features = List.copyOf(features);
        this.featureCache = featureCache;
    }

    /** Response distillation only; {@code teacher} is live or cached. */
    public static DistillationLoss response(ResponseDistillation response, TeacherLogits teacher) {
        if (teacher == null) throw new IllegalArgumentException("distillation needs a teacher");
        return new DistillationLoss(response, teacher, null, List.of(), null);
    }

    /**
     * Response plus feature distillation from a float {@code teacher} graph, checked against {@code student}: class
     * counts, node names and each pair's feature shapes. The loss owns {@code features} (closes them).
     */
    public static DistillationLoss withFeatures(ResponseDistillation response, Graph teacher, Graph student, List<FeatureLoss> features) {
        checkFeatures(teacher, student, features);
        return new DistillationLoss(response, null, teacher, features, null);
    }

    /**
     * As {@link #withFeatures}, but the teacher runs once over {@code data} ({@link CachedTeacherFeatures}) and every
     * step reads its logits and feature targets by example index; only for cacheable losses (attention transfer).
     * Training on {@code data} then gives the weights the live teacher gives, without the teacher in the steps.
     */
    public static DistillationLoss withCachedFeatures(ResponseDistillation response, Graph teacher, Graph student, List<FeatureLoss> features,
                                                      Backend backend, Dataset data, int batchSize) {
        checkFeatures(teacher, student, features);
        CachedTeacherFeatures cache = CachedTeacherFeatures.compute(teacher, backend, features, data, batchSize);
        return new DistillationLoss(response, null, teacher, features, cache);
    }

    private static void checkFeatures(Graph teacher, Graph student, List<FeatureLoss> features) {
        if (teacher == null) throw new IllegalArgumentException("feature distillation needs a float teacher graph");
        if (features.isEmpty()) throw new IllegalArgumentException("feature distillation needs at least one layer pair");
        checkSameInput(teacher.name(), teacher.inputShape(), student);
        Map<String, Shape> ts = teacher.inferShapes();
        Map<String, Shape> ss = student.inferShapes();
        checkSameClasses(teacher.name(), ts.get(teacher.output()).dim(0), student);
        for (FeatureLoss f : features) {
            f.checkShapes(nodeShape(student, ss, f.studentNode(), "student"), nodeShape(teacher, ts, f.teacherNode(), "teacher"));
        }
    }

    /** Refuses a teacher whose input or class count differs from the student's, naming both. */
    public static void checkCompatible(Predictor teacher, Graph student) {
        checkSameInput(teacher.name(), teacher.inputShape(), student);
        int classes = teacher.logits(new float[teacher.inputShape().numel()], 1).length;
        checkSameClasses(teacher.name(), classes, student);
    }

    private static void checkSameInput(String teacher, Shape teacherInput, Graph student) {
        if (!teacherInput.equals(student.inputShape())) {
            throw new IllegalArgumentException("teacher " + teacher + " takes inputs " + teacherInput + ", student " + student.name()
                    + " takes " + student.inputShape() + "; distillation needs the same input");
        }
    }

    private static void checkSameClasses(String teacher, int teacherClasses, Graph student) {
        Shape out = student.inferShapes().get(student.output());
        if (out.rank() != 1 || out.dim(0) != teacherClasses) {
            throw new IllegalArgumentException("teacher " + teacher + " has " + teacherClasses + " classes, student " + student.name()
                    + " outputs " + out + "; distillation needs the same class count");
        }
    }

    private static Shape nodeShape(Graph g, Map<String, Shape> shapes, String node, String role) {
        Shape s = shapes.get(node);
        if (s == null || Graph.INPUT.equals(node)) {
            List<String> names = g.nodes().stream().map(n -> n.name()).toList();
            throw new IllegalArgumentException(role + " " + g.name() + " has no node '" + node + "'; its nodes: " + String.join(", ", names));
        }
        return s;
    }

    @Override
    public Terms compute(Backend backend, GraphRunner run, Tensor logits, Batch batch) {
        if (teacherGraph == null) {
            LossResult r = response.compute(backend, logits, teacherLogits.forBatch(batch), batch.labels());
            return new Terms(r.loss(), r.gradLogits(), Map.of());
        }
        if (featureCache != null) {
            return withFeatures(backend, logits, batch, featureCache.logits(batch),
                    (i, f) -> f.computeFromTargets(backend, run.output(f.studentNode()), featureCache.targets(i, batch)));
        }
        try (GraphRunner teacher = new GraphRunner(teacherGraph, backend, false, 0);
             Tensor x = backend.fromFloats(batch.images(), GraphPredictor.batchShape(teacherGraph.inputShape(), batch.size()))) {
            float[] t = teacher.forward(x).toFloatArray();
            return withFeatures(backend, logits, batch, t,
                    (i, f) -> f.compute(backend, run.output(f.studentNode()), teacher.output(f.teacherNode())));
        }
    }

    /**
     * The response loss on {@code teacherLogits} plus every feature loss ({@code feature} computes the i-th), their
     * student gradients summed per node (two losses may share one layer).
     */
    private Terms withFeatures(Backend backend, Tensor logits, Batch batch, float[] teacherLogits,
                               BiFunction<Integer, FeatureLoss, FeatureLoss.Result> feature) {
        Map<String, Tensor> nodeGrads = new LinkedHashMap<>();
        double featureLoss = 0;
        try {
            for (int i = 0; i < features.size(); i++) {
                FeatureLoss f = features.get(i);
                FeatureLoss.Result r = feature.apply(i, f);
                featureLoss += r.loss();
                Tensor prev = nodeGrads.get(f.studentNode());
                if (prev == null) {
                    nodeGrads.put(f.studentNode(), r.gradStudent());
                } else {
                    backend.addInPlace(prev, r.gradStudent());
                    r.gradStudent().close();
                }
            }
            LossResult r = response.compute(backend, logits, teacherLogits, batch.labels());
            lastFeatureLoss = featureLoss;
            return new Terms((float) (r.loss() + featureLoss), r.gradLogits(), nodeGrads);
        } catch (RuntimeException e) {
            nodeGrads.values().forEach(Tensor::close);
            throw e;
        }
    }

    /** The teacher pass behind {@link #withCachedFeatures}, or null when the teacher runs live. */
    public CachedTeacherFeatures featureCache() { return featureCache; }

    /** The feature terms' part of the last step's loss (0 without feature losses). */
    public double lastFeatureLoss() { return lastFeatureLoss; }

    @Override
    public List<Parameter> extraParameters() {
        List<Parameter> p = new ArrayList<>();
        for (FeatureLoss f : features) p.addAll(f.parameters());
        return p;
    }

    @Override
    public void close() { features.forEach(FeatureLoss::close); }
}
