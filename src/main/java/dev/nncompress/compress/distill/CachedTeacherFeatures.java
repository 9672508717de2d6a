package dev.nncompress.compress.distill;

import dev.nncompress.backend.Backend;
import dev.nncompress.data.Batch;
import dev.nncompress.data.BatchIterator;
import dev.nncompress.data.Batches;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.graph.Logits;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A float teacher's logits and, for each {@link FeatureLoss}, its per-sample targets for every example of one
 * dataset, computed in one teacher pass and looked up by example index: what {@link CachedTeacherLogits} does for
 * response distillation, extended to feature losses whose teacher side is small. Attention transfer keeps H*W
 * floats per image (the student's pool2 against the teacher's, 7x7: 49 floats, 11.8 MB for 60,000 images). A
 * FitNets hint needs the whole teacher map (the teacher's pool2, 128x7x7: 1.5 GB for 60,000 images; conv2,
 * 64x28x28: 12 GB), so hints are refused here and run the teacher live. Valid for the same reason as the logit
 * cache: a frozen teacher in inference mode on unaugmented images gives the same values every epoch.
 */
public final class CachedTeacherFeatures {
    private final PerExampleTable logits;
    private final List<PerExampleTable> targets;
    private final double seconds;

    private CachedTeacherFeatures(PerExampleTable logits, List<PerExampleTable> targets, double seconds) {
        this.logits = logits;
        this.targets = targets;
        this.seconds = seconds;
    }

    /**
     * Runs {@code teacher} in inference mode over {@code data} in order, {@code batchSize} images at a time, keeping
     * its logits and each loss's {@link FeatureLoss#teacherTargets}. Refuses a loss that is not cacheable, naming
     * it and what caching its teacher map would cost.
     */
    public static CachedTeacherFeatures compute(Graph teacher, Backend backend, List<FeatureLoss> features, Dataset data, int batchSize) {
        if (data.count() == 0) throw new IllegalArgumentException("cannot cache teacher features of an empty dataset");
        teacher = Logits.of(teacher); // its logits, not a final Softmax's probabilities
        Map<String, Shape> shapes = teacher.inferShapes();
        List<PerExampleTable> tables = new ArrayList<>();
        for (FeatureLoss f : features) {
            Shape s = shapes.get(f.teacherNode());
            if (s == null) throw new IllegalArgumentException("teacher " + teacher.name() + " has no node '" + f.teacherNode() + "'");
            if (!f.cacheable()) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "%s -> %s: a %s needs the teacher's whole %s map per image; caching it for %,d images would take %s; "
                                + "run it with the live teacher instead", f.studentNode(), f.teacherNode(),
                        f.getClass().getSimpleName(), s, data.count(), size(4.0 * s.numel() * data.count())));
            }
            tables.add(new PerExampleTable(data.count(), f.teacherTargetWidth(s)));
        }
        PerExampleTable logitTable = new PerExampleTable(data.count(), shapes.get(teacher.output()).numel());
        long start = System.nanoTime();
        int row = 0;
        for (BatchIterator it = Batches.of(data, batchSize).epoch(0); it.hasNext(); ) {
            Batch b = it.next();
            try (GraphRunner run = new GraphRunner(teacher, backend, false, 0);
                 Tensor x = backend.fromFloats(b.images(), GraphPredictor.batchShape(teacher.inputShape(), b.size()))) {
                logitTable.put(row, run.forward(x).toFloatArray());
                for (int i = 0; i < features.size(); i++) {
                    tables.get(i).put(row, features.get(i).teacherTargets(run.output(features.get(i).teacherNode())));
                }
            }
            row += b.size();
        }
        return new CachedTeacherFeatures(logitTable, List.copyOf(tables), (System.nanoTime() - start) / 1e9);
    }

    private static String size(double bytes) {
        return bytes >= 1e9 ? String.format(Locale.ROOT, "%.1f GB", bytes / 1e9) : String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }

    /** The teacher's logits for the batch's examples. */
    public float[] logits(Batch b) { return logits.rowsFor(b); }

    /** Targets of the {@code feature}-th loss (in the order given to {@link #compute}) for the batch's examples. */
    public float[] targets(int feature, Batch b) { return targets.get(feature).rowsFor(b); }

    /** Examples cached. */
    public int count() { return logits.count(); }

    /** Bytes held: logits plus every loss's targets. */
    public long bytes() {
        long floats = (long) logits.count() * logits.width();
        for (PerExampleTable t : targets) floats += (long) t.count() * t.width();
        return 4 * floats;
    }

    /** Wall time of the teacher pass. */
    public double seconds() { return seconds; }
}
