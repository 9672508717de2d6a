package dev.nncompress.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nncompress.io.ModelFormatException;
import dev.nncompress.io.SafeTensors;
import dev.nncompress.io.SafeTensorsFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A {@link Checkpoint} on disk: {@value #FILE_NAME} in the checkpoint directory, a safetensors file (the model
 * files' format, so ordinary tools can open it) whose tensors are the checkpoint's and whose metadata holds the
 * position and statistics ({@value #STATE_KEY}, JSON) and the canonical configuration ({@value #CONFIG_KEY}).
 * Written atomically over the previous one (temporary file, fsync, rename): a kill at any moment leaves the
 * previous or the new checkpoint, complete. Only the latest is kept. Reading validates everything, as for any
 * file from outside, and names the file in every error.
 */
public final class CheckpointFile {
    public static final String FILE_NAME = "checkpoint.safetensors";
    static final String STATE_KEY = "nncompress.checkpoint";
    static final String CONFIG_KEY = "nncompress.checkpoint.config";
    private static final int FORMAT = 1;
    private static final JsonMapper JSON = new JsonMapper();

    private CheckpointFile() {}

    public static Path path(Path dir) { return dir.resolve(FILE_NAME); }

    public static boolean exists(Path dir) { return Files.isRegularFile(path(dir)); }

    /** Writes {@code c} as the checkpoint of {@code dir} (which must exist), replacing the previous one atomically; returns its size in bytes. */
    public static long write(Path dir, Checkpoint c) {
        Path file = path(dir);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(STATE_KEY, stateJson(c));
        meta.put(CONFIG_KEY, c.config().json());
        try {
            SafeTensors.write(file, c.tensors(), meta);
            return Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + file + ": " + e.getMessage(), e);
        }
    }

    /** The checkpoint of {@code dir}, validated; ModelFormatException naming the file when it is missing or malformed. */
    public static Checkpoint read(Path dir) {
        Path file = path(dir);
        if (!Files.isRegularFile(file)) throw new ModelFormatException(dir + ": no checkpoint here (" + FILE_NAME + " is missing)");
        SafeTensorsFile st;
        try {
            st = SafeTensors.read(file);
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read: " + e.getMessage(), e);
        }
        try {
            return decode(st);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new ModelFormatException(file + ": not a valid checkpoint: " + e.getMessage(), e);
        }
    }

    private static String stateJson(Checkpoint c) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("epochs", c.epochs());
        root.put("steps_per_epoch", c.stepsPerEpoch());
        root.put("epoch", c.epoch());
        root.put("step", c.step());
        root.put("global_step", c.globalStep());
        root.put("epoch_loss_sum", c.epochLossSum());
        root.put("epoch_seen", c.epochSeen());
        root.put("config_sha256", c.config().sha256());
        root.put("environment", c.environment());
        ArrayNode history = root.putArray("history");
        for (EpochStats s : c.history()) {
            ObjectNode h = history.addObject();
            h.put("epoch", s.epoch());
            h.put("train_loss", (double) s.trainLoss()); // as double: exact, and read back to the same float
            h.put("images_per_second", s.imagesPerSecond());
            h.put("seconds", s.seconds());
            h.put("lr", (double) s.lr());
            if (s.eval() != null) {
                EvalResult e = s.eval();
                ObjectNode ev = h.putObject("eval");
                ev.put("count", e.count());
                ev.put("correct", e.correct());
                ev.put("loss", (double) e.loss());
                ev.put("images_per_second", e.imagesPerSecond());
                ArrayNode rows = ev.putArray("confusion");
                for (int[] row : e.confusion()) {
                    ArrayNode r = rows.addArray();
                    for (int v : row) r.add(v);
                }
            }
        }
        try {
            return JSON.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Checkpoint decode(SafeTensorsFile st) {
        JsonNode root = json(st, STATE_KEY);
        JsonNode configNode = json(st, CONFIG_KEY);
        int format = (int) integer(root, "format", 0, Integer.MAX_VALUE);
        if (format != FORMAT) throw new IllegalArgumentException("format " + format + ", this version reads format " + FORMAT);
        int epochs = (int) integer(root, "epochs", 1, Integer.MAX_VALUE);
        int stepsPerEpoch = (int) integer(root, "steps_per_epoch", 1, Integer.MAX_VALUE);
        int epoch = (int) integer(root, "epoch", 0, epochs);
        List<EpochStats> history = new ArrayList<>();
        JsonNode h = root.get("history");
        if (h == null || !h.isArray() || h.size() != epoch) {
            throw new IllegalArgumentException("\"history\" must be an array of the " + epoch + " finished epochs' statistics");
        }
        for (JsonNode e : h) history.add(epochStats(e, epochs));

        Map<String, String> config = new TreeMap<>();
        if (!configNode.isObject()) throw new IllegalArgumentException("the configuration must be a JSON object");
        for (var e : configNode.properties()) {
            if (!e.getValue().isTextual()) throw new IllegalArgumentException("configuration entry '" + e.getKey() + "' is not a string");
            config.put(e.getKey(), e.getValue().asText());
        }
        CheckpointConfig cfg = CheckpointConfig.of(config);
        String hash = text(root, "config_sha256");
        if (!hash.equals(cfg.sha256())) throw new IllegalArgumentException("the configuration does not match its SHA-256 (edited or damaged)");
        return new Checkpoint(epochs, stepsPerEpoch, epoch, (int) integer(root, "step", 0, stepsPerEpoch - 1L),
                integer(root, "global_step", 0, Long.MAX_VALUE), finite(root, "epoch_loss_sum"), (int) integer(root, "epoch_seen", 0, Integer.MAX_VALUE),
                history, cfg, environment(root), st.tensors());
    }

    /** Printed in a note when it differs from the resuming run's: short printable text only. */
    private static String environment(JsonNode root) {
        String e = text(root, "environment");
        if (e.length() > 1000 || e.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new IllegalArgumentException("\"environment\" must be one line of at most 1000 printable characters");
        }
        return e;
    }

    private static EpochStats epochStats(JsonNode h, int epochs) {
        if (!h.isObject()) throw new IllegalArgumentException("a history entry must be a JSON object");
        EvalResult eval = null;
        JsonNode e = h.get("eval");
        if (e != null && !e.isNull()) {
            if (!e.isObject()) throw new IllegalArgumentException("\"eval\" must be a JSON object");
            int count = (int) integer(e, "count", 0, Integer.MAX_VALUE);
            int correct = (int) integer(e, "correct", 0, count);
            JsonNode rows = e.get("confusion");
            if (rows == null || !rows.isArray() || rows.size() > 100_000) throw new IllegalArgumentException("\"confusion\" must be a square array of counts");
            int[][] confusion = new int[rows.size()][];
            for (int i = 0; i < confusion.length; i++) {
                JsonNode row = rows.get(i);
                if (!row.isArray() || row.size() != confusion.length) throw new IllegalArgumentException("\"confusion\" must be a square array of counts");
                confusion[i] = new int[row.size()];
                for (int j = 0; j < row.size(); j++) {
                    JsonNode v = row.get(j);
                    if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 0 || v.asInt() > count) {
                        throw new IllegalArgumentException("\"confusion\" holds " + v + ", not a count within 0.." + count);
                    }
                    confusion[i][j] = v.asInt();
                }
            }
            eval = new EvalResult(count, correct, asFloat(e, "loss"), confusion, nonNegative(e, "images_per_second"));
        }
        return new EpochStats((int) integer(h, "epoch", 1, epochs), asFloat(h, "train_loss"), nonNegative(h, "images_per_second"),
                nonNegative(h, "seconds"), asFloat(h, "lr"), eval);
    }

    private static JsonNode json(SafeTensorsFile st, String key) {
        String s = st.metadata().get(key);
        if (s == null) throw new IllegalArgumentException("no '" + key + "' metadata (not a checkpoint written by nncompress)");
        try {
            JsonNode n = JSON.readTree(s);
            if (n == null || !n.isObject()) throw new IllegalArgumentException("'" + key + "' metadata is not a JSON object");
            return n;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("'" + key + "' metadata is not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static long integer(JsonNode n, String key, long min, long max) {
        JsonNode v = n.get(key);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToLong()) throw new IllegalArgumentException("\"" + key + "\" must be an integer, got " + v);
        long x = v.asLong();
        if (x < min || x > max) throw new IllegalArgumentException("\"" + key + "\" is " + x + ", outside " + min + ".." + max);
        return x;
    }

    private static double finite(JsonNode n, String key) {
        JsonNode v = n.get(key);
        if (v == null || !v.isNumber() || !Double.isFinite(v.asDouble())) throw new IllegalArgumentException("\"" + key + "\" must be a finite number, got " + v);
        return v.asDouble();
    }

    private static double nonNegative(JsonNode n, String key) {
        double x = finite(n, key);
        if (x < 0) throw new IllegalArgumentException("\"" + key + "\" is " + x + ", expected >= 0");
        return x;
    }

    private static float asFloat(JsonNode n, String key) {
        double x = finite(n, key);
        if (Math.abs(x) > Float.MAX_VALUE) throw new IllegalArgumentException("\"" + key + "\" is " + x + ", beyond float range");
        return (float) x;
    }

    private static String text(JsonNode n, String key) {
        JsonNode v = n.get(key);
        if (v == null || !v.isTextual()) throw new IllegalArgumentException("\"" + key + "\" must be a string, got " + v);
        return v.asText();
    }
}
