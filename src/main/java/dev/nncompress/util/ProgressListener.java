package dev.nncompress.util;

/**
 * Where the library's long loops (calibration, sensitivity scans, benchmark rounds, pruning rounds, recipe stages)
 * say how far they are. The library only reports; drawing is the caller's: {@link #NONE} (the default of every API
 * that takes one) prints nothing, and the command line draws a bar on a terminal or writes plain lines otherwise.
 *
 * <p>Tasks nest by time: a task started while another is open belongs to it (a recipe's "stage 2/5 prune" holds the
 * pruning rounds, which hold the fine-tuning epochs). Used from the thread that runs the loop; a task is closed when
 * its loop ends, also when it fails (try-with-resources).
 */
@FunctionalInterface
public interface ProgressListener {
    /** Reports nothing. */
    ProgressListener NONE = (name, total, unit) -> Task.NONE;

    /**
     * A task of {@code total} steps begins.
     *
     * @param name  what it is, for a person ("calibrate", "sensitivity", "stage 2/5 prune")
     * @param total its steps (at least 0; 0: nothing to count)
     * @param unit  what a step is ("batches", "layers", "rounds"), plural
     */
    Task start(String name, long total, String unit);

    /** One running task. */
    interface Task extends AutoCloseable {
        Task NONE = new Task() {
            @Override public void update(long done, String detail) { }

            @Override public void close() { }
        };

        /**
         * {@code done} of the total steps are finished.
         *
         * @param detail a short status after the count (the current layer, the loss), or null
         */
        void update(long done, String detail);

        default void update(long done) { update(done, null); }

        /** The task ended (done or failed); no more updates. */
        @Override
        void close();
    }
}
