package dev.nncompress.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nncompress.backend.cpu.TaskThreads;
import dev.nncompress.cli.Main;
import dev.nncompress.compress.prune.PruneSensitivity;
import dev.nncompress.compress.quant.calib.LayerSensitivity;
import dev.nncompress.compress.quant.calib.SensitivityReport;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Serializable;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A per-layer sensitivity scan split one layer per task: each task runs the single-machine command itself
 * ({@code nncompress prune MODEL --sensitivity --layers L}, {@code nncompress quantize MODEL --sensitivity-layers L}, in
 * process, through {@link Main#run}), so the distributed scan is the same code with the same numbers; the driver lists
 * the layers the same way ({@code --list-sensitivity-layers}) and merges the rows into the single-machine table.
 */
public final class LayerScan {
    /** Which scan: the pruning one (accuracy per sparsity level) or the quantization one (SQNR and logits MSE). */
    public enum Kind { prune, quantize }

    static final String LAYERS = "layers";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One layer's task: its status, its error (failed) or the command's --json object (ok), and its wall time. */
    public record Result(int index, String layer, String status, String error, String json, double seconds) implements Serializable {
        public boolean ok() { return PointResult.OK.equals(status); }
    }

    private LayerScan() {}

    /** The core command line of the scan, without the layer choice: {@code options} are the user's, passed as typed. */
    static List<String> command(Kind kind, String model, List<String> options) {
        List<String> c = new ArrayList<>(List.of(kind.name(), model));
        if (kind == Kind.prune) c.add("--sensitivity");
        c.addAll(options);
        c.add("--json");
        return c;
    }

    /** The options the sweep sets itself (the layer, the output); given by the user they would change what a task measures. */
    static void checkOptions(Kind kind, List<String> options) {
        for (String o : options) {
            String name = o.contains("=") ? o.substring(0, o.indexOf('=')) : o;
            if (List.of("--json", "--report", "--out", "-o", "--list-sensitivity-layers", "--sensitivity-layers").contains(name)
                    || kind == Kind.prune && List.of("--layers", "--sensitivity").contains(name)) {
                throw new IllegalArgumentException("sweep --sensitivity: " + name + " is set by the sweep (one layer per task, results under --out); drop it");
            }
        }
    }

    /** The layers the scan measures, as the single-machine command lists them (run here, on the driver). */
    public static List<String> layers(Kind kind, String model, List<String> options) {
        List<String> c = command(kind, model, options);
        c.add("--list-sensitivity-layers");
        JsonNode n = runCore(c, new PrintWriter(new StringWriter()));
        List<String> layers = new ArrayList<>();
        n.get("sensitivity_layers").forEach(l -> layers.add(l.asText()));
        if (layers.isEmpty()) throw new IllegalArgumentException(model + ": the " + kind + " sensitivity scan has no layers to measure");
        return layers;
    }

    /**
     * Task {@code index}: the scan of {@code layer} alone, its text output in {@code RUN_DIR/layers/lNN/log.txt} (the
     * directory is named by index: layer names may hold any character). A failure is a failed result with its one-line error.
     */
    public static Result run(Kind kind, String model, List<String> options, int index, String layer, Path runDir, int threads) {
        long t0 = System.nanoTime();
        Path dir = runDir.resolve(LAYERS).resolve(String.format(Locale.ROOT, "l%03d", index));
        try {
            Files.createDirectories(dir);
            try (PrintWriter log = new PrintWriter(Files.newBufferedWriter(dir.resolve(PointRun.LOG), StandardCharsets.UTF_8), true)) {
                try {
                    log.println("threads   " + TaskThreads.limit(threads).describe()); // the task's share of the cores, as a sweep point's
                    List<String> c = command(kind, model, options);
                    c.addAll(List.of(kind == Kind.prune ? "--layers" : "--sensitivity-layers", layer));
                    log.println("nncompress " + String.join(" ", c));
                    JsonNode n = runCore(c, log);
                    return new Result(index, layer, PointResult.OK, null, JSON.writeValueAsString(n), seconds(t0));
                } catch (Throwable e) { // every failure of the layer, errors included: it is reported, and the other layers run
                    log.println("nncompress: error: " + PointRun.message(e));
                    return new Result(index, layer, PointResult.FAILED, PointRun.message(e), null, seconds(t0));
                }
            }
        } catch (IOException e) {
            return new Result(index, layer, PointResult.FAILED, dir + ": cannot write its log: " + e.getMessage(), null, seconds(t0));
        }
    }

    /** Runs the core command {@code c} in this process; its --json object, or its error line as the exception's message. */
    private static JsonNode runCore(List<String> c, PrintWriter err) {
        StringWriter out = new StringWriter();
        StringWriter errors = new StringWriter();
        PrintWriter both = new PrintWriter(new java.io.Writer() {
            @Override public void write(char[] b, int off, int len) { errors.write(b, off, len); err.write(b, off, len); }
            @Override public void flush() { err.flush(); }
            @Override public void close() {}
        }, true);
        int code = Main.run(c.toArray(String[]::new), new PrintWriter(out, true), both);
        if (code != Main.EXIT_OK) {
            String line = errors.toString().lines().filter(l -> l.startsWith("nncompress: error: ")).reduce((a, b) -> b).orElse("exit " + code);
            String msg = line.replaceFirst("^nncompress: error: ", "") + " (nncompress " + String.join(" ", c) + ")";
            // the command's own exit status: a usage error stays one (2), anything else is a failure (1)
            if (code == Main.EXIT_USAGE) throw new IllegalArgumentException(msg);
            throw new java.io.UncheckedIOException(msg, new IOException(msg));
        }
        try {
            return JSON.readTree(out.toString());
        } catch (IOException e) {
            throw new IllegalStateException("nncompress " + String.join(" ", c) + ": its --json output is not JSON: " + e.getMessage(), e);
        }
    }

    /** The pruning table of the ok tasks' rows, in task (graph) order; every task measured the same dense model. */
    public static PruneSensitivity prune(List<Result> results) throws IOException {
        List<Result> ok = results.stream().filter(Result::ok).toList();
        if (ok.isEmpty()) return null;
        JsonNode first = JSON.readTree(ok.get(0).json());
        List<Double> levels = new ArrayList<>();
        first.get("levels").forEach(l -> levels.add(l.asDouble()));
        List<PruneSensitivity.Row> rows = new ArrayList<>();
        for (Result r : ok) {
            JsonNode n = JSON.readTree(r.json());
            if (n.get("dense_accuracy").asDouble() != first.get("dense_accuracy").asDouble()) {
                throw new IllegalStateException("layer " + r.layer() + ": dense accuracy " + n.get("dense_accuracy") + " differs from layer " + ok.get(0).layer()
                        + "'s " + first.get("dense_accuracy") + "; the tasks did not measure the same model");
            }
            for (JsonNode l : n.get("layers")) {
                List<Double> acc = new ArrayList<>();
                l.get("accuracy").forEach(a -> acc.add(a.asDouble()));
                rows.add(new PruneSensitivity.Row(l.get("layer").asText(), l.get("weights").asLong(), acc));
            }
        }
        return new PruneSensitivity(first.get("model").asText(), first.get("criterion").asText(), first.get("images").asInt(),
                first.get("dense_accuracy").asDouble(), levels, rows);
    }

    /** The quantization table of the ok tasks' rows, worst first as the single-machine scan sorts it. */
    public static SensitivityReport quantize(List<Result> results) throws IOException {
        List<Result> ok = results.stream().filter(Result::ok).toList();
        if (ok.isEmpty()) return null;
        JsonNode first = JSON.readTree(ok.get(0).json()).get("sensitivity");
        List<LayerSensitivity> layers = new ArrayList<>();
        for (Result r : ok) {
            for (JsonNode l : JSON.readTree(r.json()).get("sensitivity").get("layers")) {
                double sqnr = l.get("sqnr_db").isNull() ? Double.POSITIVE_INFINITY : l.get("sqnr_db").asDouble(); // toJson's null: an exact copy
                layers.add(new LayerSensitivity(l.get("node").asText(), l.get("op").asText(), l.get("quantised").asText(), sqnr, l.get("logits_mse").asDouble()));
            }
        }
        return SensitivityReport.of(first.get("model").asText(), first.get("images").asInt(), layers);
    }

    /** The merged table as the single-machine command's JSON (prune: its --report; quantize: its "sensitivity" object). */
    static ObjectNode json(Kind kind, List<Result> results) throws IOException {
        if (kind == Kind.prune) {
            PruneSensitivity p = prune(results);
            return p == null ? null : p.toJson();
        }
        SensitivityReport q = quantize(results);
        return q == null ? null : q.toJson();
    }

    private static double seconds(long t0) { return (System.nanoTime() - t0) / 1e9; }
}
