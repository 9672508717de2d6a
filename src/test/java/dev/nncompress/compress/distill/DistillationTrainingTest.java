package dev.nncompress.compress.distill;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.compress.prune.MaskingStepHook;
import dev.nncompress.compress.prune.PruneMasks;
import dev.nncompress.compress.prune.PruneTargets;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.graph.Predictor;
import dev.nncompress.tensor.Shape;
import dev.nncompress.train.StepHook;
import dev.nncompress.train.TrainListener;
import dev.nncompress.train.Trainer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static dev.nncompress.compress.distill.DistillFixtures.config;
import static dev.nncompress.compress.distill.DistillFixtures.weights;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Distillation through the ordinary Trainer: same data order as plain training, cache = live teacher, composition. */
class DistillationTrainingTest {
    private final Backend backend = new ReferenceBackend();
    private final Dataset data = DistillFixtures.columns(96, 1);
    private Graph teacher;

    @BeforeEach
    void trainTeacher() {
        teacher = DistillFixtures.teacher(backend, 5);
        new Trainer(backend, config(4, 9)).fit(teacher, data, null, TrainListener.NONE);
    }

    @Test
    void alphaZeroIsPlainTrainingBitForBit() {
        Graph plain = DistillFixtures.student(backend, 3);
        new Trainer(backend, config(2, 7)).fit(plain, data, null, TrainListener.NONE);
        Graph kd = DistillFixtures.student(backend, 3);
        DistillationLoss loss = DistillationLoss.response(new ResponseDistillation(4, 0), TeacherLogits.live(new GraphPredictor(teacher, backend)));
        new Trainer(backend, config(2, 7), StepHook.NONE, loss).fit(kd, data, null, TrainListener.NONE);
        assertSameWeights(weights(plain), weights(kd));
    }

    @Test
    void cachedLogitsTrainExactlyAsTheLiveTeacherWithOneTeacherPassInsteadOfOnePerEpoch() {
        AtomicLong liveImages = new AtomicLong();
        Graph live = DistillFixtures.student(backend, 3);
        try (Predictor p = counting(new GraphPredictor(teacher, backend), liveImages)) {
            DistillationLoss loss = DistillationLoss.response(new ResponseDistillation(4, 0.9), TeacherLogits.live(p));
            new Trainer(backend, config(3, 7), StepHook.NONE, loss).fit(live, data, null, TrainListener.NONE);
        }
        AtomicLong cacheImages = new AtomicLong();
        Graph cached = DistillFixtures.student(backend, 3);
        CachedTeacherLogits cache = CachedTeacherLogits.compute(counting(new GraphPredictor(teacher, backend), cacheImages), data, 40);
        assertEquals(data.count(), cache.count());
        assertEquals(3, cache.classes());
        new Trainer(backend, config(3, 7), StepHook.NONE, DistillationLoss.response(new ResponseDistillation(4, 0.9), cache))
                .fit(cached, data, null, TrainListener.NONE);
        assertEquals(3L * data.count(), liveImages.get());
        assertEquals(data.count(), cacheImages.get());
        assertSameWeights(weights(live), weights(cached));
        Graph plain = DistillFixtures.student(backend, 3);
        new Trainer(backend, config(3, 7)).fit(plain, data, null, TrainListener.NONE);
        assertFalse(java.util.Arrays.equals(weights(plain).get("fc.weight"), weights(cached).get("fc.weight")), "the teacher changes training");
    }

    @Test
    void withAlphaOneTheLabelsAreNotUsedAndTheStudentApproachesTheTeacher() {
        int[] shuffled = data.labels();
        for (int i = 0; i < shuffled.length; i++) shuffled[i] = (shuffled[i] + 1) % 3;
        Dataset wrongLabels = new Dataset(data.images(), shuffled, 1, 6, 6, 3);
        CachedTeacherLogits cache = CachedTeacherLogits.compute(new GraphPredictor(teacher, backend), data, 32);
        ResponseDistillation kd = new ResponseDistillation(2, 1);
        Graph a = DistillFixtures.student(backend, 3);
        Graph b = DistillFixtures.student(backend, 3);
        double before = softLoss(a, cache, kd);
        new Trainer(backend, config(6, 7), StepHook.NONE, DistillationLoss.response(kd, cache)).fit(a, data, null, TrainListener.NONE);
        new Trainer(backend, config(6, 7), StepHook.NONE, DistillationLoss.response(kd, cache)).fit(b, wrongLabels, null, TrainListener.NONE);
        assertSameWeights(weights(a), weights(b));
        double after = softLoss(a, cache, kd);
        assertTrue(after < 0.5 * before, "T^2 KL(teacher || student) " + before + " -> " + after);
    }

    @Test
    void prunedStudentKeepsItsZerosWhileDistilled() {
        Graph student = DistillFixtures.student(backend, 3);
        float[] w = student.param("conv.weight").value().toFloatArray();
        for (int i = 0; i < w.length; i += 2) w[i] = 0f;
        student.param("conv.weight").setValue(backend.fromFloats(w, student.param("conv.weight").value().shape()));
        PruneMasks masks = PruneMasks.ofZeros(student, PruneTargets.all(student));
        assertEquals(0.5, masks.sparsity("conv.weight"), 0.03);
        CachedTeacherLogits cache = CachedTeacherLogits.compute(new GraphPredictor(teacher, backend), data, 32);
        try (MaskingStepHook hold = new MaskingStepHook(backend, student, masks)) {
            new Trainer(backend, config(2, 7), hold, DistillationLoss.response(new ResponseDistillation(4, 0.9), cache))
                    .fit(student, data, null, TrainListener.NONE);
        }
        float[] after = student.param("conv.weight").value().toFloatArray();
        int moved = 0;
        for (int i = 0; i < after.length; i++) {
            if (i % 2 == 0) assertEquals(0f, after[i], "pruned weight " + i);
            else if (after[i] != w[i]) moved++;
        }
        assertTrue(moved > after.length / 4, "kept weights train: " + moved);
    }

    @Test
    void incompatibleTeachersAreRefusedWithBothNames() {
        Graph fourClasses = DistillFixtures.net("four", 4, 4, backend, 1);
        Graph student = DistillFixtures.student(backend, 3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DistillationLoss.checkCompatible(new GraphPredictor(fourClasses, backend), student));
        assertTrue(e.getMessage().contains("teacher four has 4 classes, student tiny-student outputs [3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DistillationLoss.withFeatures(new ResponseDistillation(4, 0.9), fourClasses, student,
                java.util.List.of(new AttentionTransfer("conv", "conv", 1))));
        assertTrue(e.getMessage().contains("4 classes"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DistillationLoss.withFeatures(new ResponseDistillation(4, 0.9), teacher, student,
                java.util.List.of(new AttentionTransfer("conv9", "conv", 1))));
        assertTrue(e.getMessage().contains("student tiny-student has no node 'conv9'; its nodes: conv, relu, pool, flatten, fc"), e.getMessage());
        DistillationLoss.checkCompatible(new GraphPredictor(teacher, backend), student); // same input and classes: fine
    }

    /** Mean soft term of the student against the cached teacher over the whole dataset. */
    private double softLoss(Graph student, CachedTeacherLogits cache, ResponseDistillation kd) {
        try (GraphPredictor p = new GraphPredictor(student, backend)) {
            float[] s = p.logits(data.images(), data.count());
            var batch = dev.nncompress.data.Batches.of(data, data.count()).epoch(0).next();
            try (var t = backend.fromFloats(s, Shape.of(data.count(), 3))) {
                var r = kd.compute(backend, t, cache.forBatch(batch), batch.labels());
                r.gradLogits().close();
                return r.loss();
            }
        }
    }

    private static Predictor counting(Predictor p, AtomicLong images) {
        return new Predictor() {
            @Override public String name() { return p.name(); }

            @Override public Shape inputShape() { return p.inputShape(); }

            @Override public float[] logits(float[] x, int n) {
                images.addAndGet(n);
                return p.logits(x, n);
            }

            @Override public void close() { p.close(); }
        };
    }

    static void assertSameWeights(Map<String, float[]> a, Map<String, float[]> b) {
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) assertArrayEquals(a.get(k), b.get(k), k);
    }

}
