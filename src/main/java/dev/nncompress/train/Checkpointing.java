package dev.nncompress.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * Where and how often one training run ({@link Trainer#fit}) writes checkpoints, and the checkpoint it resumes
 * from, if any. Made by {@link #start} (a fresh run; refuses a directory that already holds a checkpoint, which
 * would be overwritten) or {@link #resume} (reads the directory's checkpoint and refuses it, naming the differing
 * keys, when it was made with another configuration). One per run: a second {@code fit} with the same object is
 * refused, since its checkpoints would overwrite the first's.
 */
public final class Checkpointing {
    private final Path dir;
    private final int everySteps;
    private final CheckpointConfig config;
    private final Checkpoint resumed;
    private final Consumer<String> notes;
    private boolean used;
    private int written;
    private long lastBytes;
    private long writeNanos;

    private Checkpointing(Path dir, int everySteps, CheckpointConfig config, Checkpoint resumed, Consumer<String> notes) {
        if (everySteps < 0) throw new IllegalArgumentException("checkpoint interval must be >= 0 steps (0: at the end of each epoch only), got " + everySteps);
        this.dir = dir;
        this.everySteps = everySteps;
        this.config = config;
        this.resumed = resumed;
        this.notes = notes;
    }

    /**
     * A fresh run writing to {@code dir} (created if missing) at the end of every epoch and, when {@code everySteps} > 0,
     * every that many steps. {@code notes} receives warnings (a resume on another backend).
     */
    public static Checkpointing start(Path dir, int everySteps, CheckpointConfig config, Consumer<String> notes) {
        if (CheckpointFile.exists(dir)) {
            throw new IllegalArgumentException("--checkpoint-dir " + dir + " already holds a checkpoint; continue that run with --resume " + dir
                    + ", or choose an empty directory");
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create checkpoint directory " + dir + ": " + e.getMessage(), e);
        }
        if (!Files.isWritable(dir)) throw new IllegalArgumentException("--checkpoint-dir " + dir + " is not writable");
        return new Checkpointing(dir, everySteps, config, null, notes);
    }

    /** Continues the run checkpointed in {@code dir}, which must have been made with {@code config}; further checkpoints go there too. */
    public static Checkpointing resume(Path dir, int everySteps, CheckpointConfig config, Consumer<String> notes) {
        Checkpoint c = CheckpointFile.read(dir);
        if (!c.config().sha256().equals(config.sha256())) {
            List<String> diff = c.config().differences(config);
            throw new IllegalArgumentException("--resume " + dir + ": the checkpoint was made with another configuration (" + String.join("; ", diff)
                    + "); rerun with the options it was made with, or start a new run with --checkpoint-dir");
        }
        if (!Files.isWritable(dir)) throw new IllegalArgumentException("--resume " + dir + " is not writable (further checkpoints go there)");
        return new Checkpointing(dir, everySteps, config, c, notes);
    }

    public Path dir() { return dir; }

    /** The checkpoint this run continues from, or null for a fresh run. */
    public Checkpoint resumed() { return resumed; }

    CheckpointConfig config() { return config; }

    /** Whether a checkpoint is due after {@code globalStep} steps (epoch ends are handled by the trainer). */
    boolean dueAfter(long globalStep) { return everySteps > 0 && globalStep % everySteps == 0; }

    void claim() {
        if (used) throw new IllegalStateException("a Checkpointing serves one training run; this one was already used");
        used = true;
    }

    void note(String message) { notes.accept(message); }

    void write(Checkpoint c) {
        long t0 = System.nanoTime();
        lastBytes = CheckpointFile.write(dir, c);
        writeNanos += System.nanoTime() - t0;
        written++;
    }

    /** "3 checkpoints written to DIR (412.0 KiB each, 2.1 ms per write)", or null when none was written. */
    public String summary() {
        if (written == 0) return null;
        return String.format(java.util.Locale.ROOT, "%d checkpoint%s written to %s (%.1f KiB, %.1f ms per write)", written, written == 1 ? "" : "s",
                dir, lastBytes / 1024.0, writeNanos / 1e6 / written);
    }
}
