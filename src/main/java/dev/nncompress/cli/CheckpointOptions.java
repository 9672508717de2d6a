package dev.nncompress.cli;

import dev.nncompress.models.Models;
import dev.nncompress.train.CheckpointConfig;
import dev.nncompress.train.Checkpointing;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.reflect.Array;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Checkpoint and resume for the commands that train ({@code train}, {@code distill}, {@code prune} fine-tuning,
 * {@code quantize --qat-epochs}), as a picocli mixin: one set of names and checks. The configuration a checkpoint
 * belongs to is read off the command's own options, all of them except those below {@link #NOT_CONFIG} (where
 * the run writes, which backend runs it, how it talks), so a new option of any command is covered without a list
 * to keep up to date; a model or teacher file is represented by the SHA-256 of its bytes, not its path.
 */
public final class CheckpointOptions {
    /** Options that do not change a run's weights: where checkpoints, models and reports go, the backend, verbosity. */
    static final Set<String> NOT_CONFIG = Set.of("--checkpoint-dir", "--resume", "--checkpoint-every", "--out", "--report", "--json", "--backend",
            "--quiet", "--debug", "--help", "--version");

    @Option(names = "--checkpoint-dir", paramLabel = "DIR",
            description = "Write a checkpoint of the training (weights, optimizer, position, masks/ranges) into DIR at the end of every epoch "
                    + "and every --checkpoint-every steps, atomically; only the latest is kept. A killed run continues with --resume DIR.")
    Path dir;

    @Option(names = "--resume", paramLabel = "DIR",
            description = "Continue the run checkpointed in DIR, bit for bit: give the same options (a different one is refused, named); "
                    + "checkpoints continue in DIR.")
    Path resume;

    // 200: the student's full epoch is 938 steps (~10 s on 2 cores); its 0.4 MB checkpoint took 4-25 ms to write and fsync
    // (docs/benchmarks.md), so 5 per epoch cost well under 1% while a kill loses at most ~2 s
    @Option(names = "--checkpoint-every", paramLabel = "STEPS", defaultValue = "200",
            description = "Steps between checkpoints within an epoch, 0 for epoch ends only (default: ${DEFAULT-VALUE}).")
    int every;

    /** Usage errors for options that do not go together; {@code trains} says whether this invocation trains at all. */
    void check(CommandSpec spec, boolean trains, String whyNot) {
        if (dir != null && resume != null) {
            throw new IllegalArgumentException("--checkpoint-dir starts a checkpointed run, --resume continues one; give one of them");
        }
        if (every < 0) throw new IllegalArgumentException("--checkpoint-every must be >= 0 (0: at epoch ends only), got " + every);
        if (dir == null && resume == null) {
            if (spec.commandLine().getParseResult().hasMatchedOption("--checkpoint-every")) {
                throw new IllegalArgumentException("--checkpoint-every needs --checkpoint-dir DIR (or --resume DIR)");
            }
            return;
        }
        if (!trains) throw new IllegalArgumentException((dir != null ? "--checkpoint-dir" : "--resume") + " checkpoints training; " + whyNot);
    }

    /** Whether checkpoints were asked for. */
    boolean enabled() { return dir != null || resume != null; }

    /**
     * The run's checkpointing, or null without --checkpoint-dir/--resume; with --resume the checkpoint is read and its
     * configuration compared now, before any data is loaded or backend created. Notes (a resume on another backend) go to {@code err}.
     */
    Checkpointing open(CommandSpec spec, PrintWriter out, PrintWriter err) {
        if (!enabled()) return null;
        CheckpointConfig config = configOf(spec);
        if (dir != null) return Checkpointing.start(dir, every, config, note -> note(err, note));
        Checkpointing c = Checkpointing.resume(resume, every, config, note -> note(err, note));
        out.println("resuming " + resume + " from " + c.resumed().describePosition());
        out.flush();
        return c;
    }

    /** The provenance entry of a resumed run: what it continued from. */
    static void putProvenance(Checkpointing c, Map<String, String> provenance) {
        if (c != null && c.resumed() != null) provenance.put("resumed_from", c.dir() + " at " + c.resumed().describePosition());
    }

    /** One line on {@code err} saying how many checkpoints went where, how large and how fast. */
    static void summary(Checkpointing c, PrintWriter err) {
        if (c == null || c.summary() == null) return;
        err.println("nncompress: note: " + c.summary());
        err.flush();
    }

    private static void note(PrintWriter err, String note) {
        err.println("nncompress: note: " + note);
        err.flush();
    }

    /** Every option and parameter of the command but {@link #NOT_CONFIG}, by name, values as strings (files by content hash). */
    static CheckpointConfig configOf(CommandSpec spec) {
        Map<String, String> cfg = new TreeMap<>();
        cfg.put("command", spec.qualifiedName());
        for (OptionSpec o : spec.options()) {
            if (NOT_CONFIG.contains(o.longestName()) || o.usageHelp() || o.versionHelp()) continue;
            put(cfg, o.longestName(), o);
        }
        for (PositionalParamSpec p : spec.positionalParameters()) put(cfg, p.paramLabel(), p);
        return CheckpointConfig.of(cfg);
    }

    private static void put(Map<String, String> cfg, String key, ArgSpec arg) {
        Object v = arg.getValue();
        if (v != null) cfg.put(key, text(v));
    }

    private static String text(Object v) {
        if (v instanceof Collection<?> c) {
            List<String> parts = new ArrayList<>();
            for (Object o : c) parts.add(text(o));
            return String.join(",", parts);
        }
        if (v.getClass().isArray()) {
            List<String> parts = new ArrayList<>();
            for (int i = 0; i < Array.getLength(v); i++) parts.add(text(Array.get(v, i)));
            return String.join(",", parts);
        }
        if (v instanceof Path p) return fileOrPath(p);
        if (v instanceof String s && !Models.NAMES.contains(s) && !s.isBlank()) {
            try {
                if (Files.isRegularFile(Path.of(s))) return fileOrPath(Path.of(s));
            } catch (InvalidPathException e) {
                return s; // not a file name on this system: a plain value
            }
        }
        return String.valueOf(v);
    }

    /** A file by its content (a copy elsewhere is the same input), anything else by its absolute path. */
    private static String fileOrPath(Path p) {
        if (!Files.isRegularFile(p)) return p.toAbsolutePath().normalize().toString();
        try (InputStream in = new DigestInputStream(Files.newInputStream(p), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return "file sha256:" + HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (IOException e) {
            throw new UncheckedIOException(p + ": cannot read: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
