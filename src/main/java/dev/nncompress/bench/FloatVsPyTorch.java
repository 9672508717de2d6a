package dev.nncompress.bench;

import dev.nncompress.backend.Backend;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.graph.SparseInference;
import dev.nncompress.util.ProgressListener;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code bench --vs-pytorch} without {@code --int8}: our float training (SGD steps, {@link Throughput.TrainingStep}) and
 * inference ({@link GraphPredictor}) of a built-in model beside PyTorch's on the same architecture, batch sizes and
 * thread count ({@link PyTorchFloat}), in alternating rounds, one table for all models.
 */
public final class FloatVsPyTorch {
    private final Backend backend;
    private final SparseInference.Mode sparse;
    private final int trainBatch, inferBatch, rounds, threads;
    private final double seconds;
    private final ProgressListener progress;
    private final SideBySideTable table = new SideBySideTable("pytorch");
    private String setup = "";
    /** Also the distillation (from a live built-in teacher) and QAT steps ({@link CompressionSteps}); null: not. */
    private Graph teacher;

    public FloatVsPyTorch(Backend backend, SparseInference.Mode sparse, int trainBatch, int inferBatch, int rounds, double seconds, int threads,
                          ProgressListener progress) {
        this.backend = backend;
        this.sparse = sparse;
        this.trainBatch = trainBatch;
        this.inferBatch = inferBatch;
        this.rounds = rounds;
        this.seconds = seconds;
        this.threads = threads;
        this.progress = progress;
    }

    /**
     * Also measure, for every model after this call, a distillation step from the live float {@code teacher} (the built-in
     * teacher; not for the teacher itself) and a QAT step, beside PyTorch's (issue 23: those epochs speed up in proportion).
     */
    public FloatVsPyTorch withCompressionSteps(Graph teacher) {
        this.teacher = teacher;
        return this;
    }

    /**
     * Measures built-in {@code model}: training on {@code train} (a copy of the model that the steps may change) and
     * inference on {@code infer}, over the first images and labels.
     */
    public void add(String model, String label, Graph train, Graph infer, float[] images, int[] labels) {
        try (PyTorchFloat torch = PyTorchFloat.start(model, trainBatch, inferBatch, threads)) {
            setup = torch.describe();
            Map<String, Object> t = table.add(label, "train batch " + trainBatch, torch.training(train, backend, images, labels, rounds, seconds, progress), "");
            t.put("pytorch", torch.info());
            try (GraphPredictor p = new GraphPredictor(infer, backend, sparse)) {
                table.add(label, "inference batch " + inferBatch, torch.inference(p, images, rounds, seconds, progress), "").put("pytorch", torch.info());
            }
            if (teacher != null && !model.equals("teacher")) {
                table.add(label, "distill batch " + trainBatch, torch.distillation(train, teacher, backend, images, labels, rounds, seconds, progress),
                        "").put("pytorch", torch.info());
            }
            if (teacher != null) {
                table.add(label, "qat batch " + trainBatch, torch.qat(train, backend, images, labels, rounds, seconds, progress), "").put("pytorch", torch.info());
            }
        }
    }

    public List<Map<String, Object>> json() { return table.json(); }

    public void print(PrintWriter out, int labelWidth) {
        table.print(out, labelWidth, String.format(Locale.ROOT, "float training and inference vs PyTorch (%s; ours: %s backend, %d threads), "
                + "%d alternating pairs of %s s rounds", setup, backend.name(), threads, rounds, seconds), "PyTorch", "");
    }
}
