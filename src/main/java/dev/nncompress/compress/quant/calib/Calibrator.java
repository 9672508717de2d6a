package dev.nncompress.compress.quant.calib;

import dev.nncompress.backend.Backend;
import dev.nncompress.compress.quant.Observer;
import dev.nncompress.quant.QParams;
import dev.nncompress.data.Batch;
import dev.nncompress.data.BatchIterator;
import dev.nncompress.data.Batches;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.GraphRunner;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import dev.nncompress.util.ProgressListener;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Post-training calibration: runs a prepared graph in inference mode over N calibration images and
 * feeds every observed activation of {@link QuantTargets} to its own observer (copied to the host with
 * {@code toFloatArray()}); weights go through {@link QuantTargets#newWeightObserver()} once. Works on
 * any backend, since it only uses {@link GraphRunner}.
 *
 * @param observer   activation observer name ({@code minmax|ema|percentile|mse|kl})
 * @param images     how many calibration images (at most the dataset's size)
 * @param batchSize  images per forward pass (ema's result depends on it; the others' do not)
 * @param sampleSeed null: the first {@code images} of the dataset; else a uniform sample without
 *                   replacement drawn with this seed (kept in dataset order)
 */
public record Calibrator(String observer, int images, int batchSize, Long sampleSeed) {
    public Calibrator {
        if (images <= 0) throw new IllegalArgumentException("calibration needs at least 1 image, got " + images);
        if (batchSize <= 0) throw new IllegalArgumentException("calibration batch size must be > 0, got " + batchSize);
        QuantTargets.newActivationObserver(observer); // unknown names fail here, before any image is run
    }

    public QuantPlan calibrate(QuantTargets targets, Dataset data, Backend backend) {
        return calibrate(targets, data, backend, ProgressListener.NONE);
    }

    /** As {@link #calibrate(QuantTargets, Dataset, Backend)}, reporting a "calibrate" task of one step per batch. */
    public QuantPlan calibrate(QuantTargets targets, Dataset data, Backend backend, ProgressListener progress) {
        Dataset calib = select(data);
        Map<String, Observer> acts = new LinkedHashMap<>();
        for (String t : targets.observedActivations()) acts.put(t, targets.activationObserver(observer)); // the preset's scheme
        Batches batches = Batches.of(calib, batchSize);
        try (ProgressListener.Task task = progress.start("calibrate " + observer, batches.batchCount(), "batches")) {
            int done = 0;
            for (BatchIterator it = batches.epoch(0); it.hasNext(); ) {
                Batch b = it.next();
                try (GraphRunner run = new GraphRunner(targets.graph(), backend, false, 0);
                     Tensor x = backend.fromFloats(b.images(), Shape.of(b.size(), b.channels(), b.height(), b.width()))) {
                    run.forward(x);
                    for (Map.Entry<String, Observer> e : acts.entrySet()) {
                        Tensor t = run.output(e.getKey());
                        e.getValue().observe(t.toFloatArray(), t.shape());
                    }
                }
                task.update(++done);
            }
        }
        Map<String, QParams> activations = new LinkedHashMap<>();
        for (Map.Entry<String, Observer> e : acts.entrySet()) activations.put(e.getKey(), e.getValue().qparams());
        return targets.plan(observer, calib.count(), activations);
    }

    /** The calibration images: the first N, or a seeded sample of N in dataset order. */
    Dataset select(Dataset data) {
        if (images > data.count()) {
            throw new IllegalArgumentException("asked for " + images + " calibration images, the dataset has " + data.count());
        }
        if (sampleSeed == null) return data.slice(0, images);
        int[] idx = Batches.permutation(data.count(), sampleSeed, 0);
        int[] pick = Arrays.copyOf(idx, images);
        Arrays.sort(pick);
        int size = data.exampleSize();
        float[] img = new float[images * size];
        int[] labels = new int[images];
        for (int i = 0; i < images; i++) {
            data.copyImage(pick[i], img, i * size);
            labels[i] = data.label(pick[i]);
        }
        return new Dataset(img, labels, data.channels(), data.height(), data.width(), data.numClasses());
    }
}
