package dev.nncompress.bench;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.BackendUnavailableException;
import dev.nncompress.backend.Int8Kernels;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.graph.Predictor;
import dev.nncompress.graph.SparseInference;
import dev.nncompress.int8.Int8Model;
import dev.nncompress.int8.Int8Runner;
import dev.nncompress.io.onnx.OnnxExporter;
import dev.nncompress.io.onnx.QdqExporter;
import dev.nncompress.io.onnx.proto.OnnxProto.ModelProto;
import dev.nncompress.util.ProgressListener;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code bench --vs-ort}: our inference beside ONNX Runtime's CPU execution provider on the same model as our own ONNX
 * exporter writes it (the float graph as {@code export} writes it; the int8 model as its QDQ export against our int8
 * engine), same batch and thread count, in alternating rounds ({@link Alternating}), with the ratios. ONNX Runtime is
 * ONNX Runtime Java from the CLI's lib folder ({@code README.md}, dependencies); without it, one line saying so.
 */
public final class OrtSideBySide {
    private final Backend backend;
    private final Int8Kernels kernels;
    private final SparseInference.Mode sparse;
    private final int batch, rounds, threads;
    private final double seconds;
    private final ProgressListener progress;
    private final SideBySideTable table = new SideBySideTable("ort");
    private final String version;

    /**
     * @param kernels the int8 kernels our int8 rows run on (null: no int8 rows)
     * @param threads ONNX Runtime's intra-op threads: the count our backend's kernels split over
     */
    public OrtSideBySide(Backend backend, Int8Kernels kernels, SparseInference.Mode sparse, int batch, int rounds, double seconds,
                         int threads, ProgressListener progress) {
        this.backend = backend;
        this.kernels = kernels;
        this.sparse = sparse;
        this.batch = batch;
        this.rounds = rounds;
        this.seconds = seconds;
        this.threads = threads;
        this.progress = progress;
        this.version = ortVersion();
    }

    /** ONNX Runtime's version, or one line saying that its jar is not on the class path. */
    private static String ortVersion() {
        try {
            return OrtPredictor.version();
        } catch (NoClassDefFoundError | UnsatisfiedLinkError e) {
            throw new BackendUnavailableException("--vs-ort needs ONNX Runtime Java (com.microsoft.onnxruntime:onnxruntime) in the CLI's lib "
                    + "folder, which 'mvn package' puts there; it is not on this class path (" + e.getMessage() + ")");
        }
    }

    /**
     * Measures {@code graph} (fp32) and, when given and kernels were, {@code int8} beside ONNX Runtime on their
     * exports, over the first {@code batch} of {@code images}.
     */
    public void add(String label, Graph graph, Int8Model int8, float[] images) {
        float[] x = Arrays.copyOf(images, batch * graph.inputShape().numel());
        Alternating.Round fp32;
        try (GraphPredictor ours = new GraphPredictor(graph, backend, sparse);
             OrtPredictor ort = new OrtPredictor(OnnxExporter.export(graph, Map.of(), OnnxExporter.DEFAULT_OPSET), label, graph.inputShape(), threads)) {
            fp32 = row(label, "fp32", ours, ort, x, null).theirs();
        }
        if (int8 == null || kernels == null) return;
        ModelProto qdq = QdqExporter.export(int8, Map.of(), OnnxExporter.DEFAULT_OPSET);
        try (Int8Runner ours = new Int8Runner(int8, kernels, backend);
             OrtPredictor ort = new OrtPredictor(qdq, label + " (QDQ)", graph.inputShape(), threads)) {
            row(label, "int8", ours, ort, x, fp32);
        }
    }

    private Alternating.Comparison row(String label, String precision, Predictor ours, Predictor ort, float[] x, Alternating.Round ortFp32) {
        Alternating.Comparison c = Alternating.compare(s -> Alternating.timed(() -> ours.logits(x, batch), batch, s),
                s -> Alternating.timed(() -> ort.logits(x, batch), batch, s), rounds, seconds, progress, "bench " + precision + " vs ONNX Runtime");
        // the target that makes int8 worth choosing: ours in int8 against simply deploying fp32 with ONNX Runtime
        double vsFp32 = ortFp32 == null ? Double.NaN : c.ours().imagesPerSecond() / ortFp32.imagesPerSecond();
        Map<String, Object> r = table.add(label, precision + " inference " + batch, c,
                ortFp32 == null ? "" : String.format(Locale.ROOT, "%.2fx", vsFp32));
        r.put("precision", precision);
        r.put("batch", batch);
        r.put("threads", threads);
        if (ortFp32 != null) r.put("ratio_vs_ort_fp32", vsFp32);
        return c;
    }

    /** The rows measured so far, for {@code --json}. */
    public List<Map<String, Object>> json() { return table.json(); }

    /** The table, if any row was measured: heading, column names, one line per row; the model column {@code labelWidth} wide. */
    public void print(PrintWriter out, int labelWidth) {
        table.print(out, labelWidth, String.format(Locale.ROOT, "inference vs ONNX Runtime %s (CPU execution provider, all optimisations, %d threads) "
                + "on our ONNX export (int8: QDQ), %d alternating pairs of %s s rounds", version, threads, rounds, seconds), "ORT",
                "ours int8 / ORT fp32");
    }
}
