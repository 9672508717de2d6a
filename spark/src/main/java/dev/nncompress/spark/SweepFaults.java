package dev.nncompress.spark;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Faults injected into a sweep's tasks, for the tests of Spark's retries (a killed executor, a transient failure, a
 * task that fails on every attempt): the system property {@value #PROPERTY} = {@code POINT:FAULT}, set in the JVM that
 * runs the task (the test's for the embedded mode, the executor's through {@code spark.executor.extraJavaOptions}).
 * Unset, nothing happens: the property is read once per task.
 * <ul>
 * <li>{@code kill}: on the task's first attempt its executor's JVM halts at once (as if killed, no clean-up); refused
 *     in the driver's JVM (the embedded mode), which it would take down with the sweep.</li>
 * <li>{@code transient}: the first attempt throws what a shared file system's hiccup would; later attempts run.</li>
 * <li>{@code always}: every attempt throws, outside the point's own error handling, so that Spark gives up on the task
 *     and aborts the job (what an executor killed on every attempt does).</li>
 * </ul>
 */
final class SweepFaults {
    static final String PROPERTY = "nncompress.sweep.fault";
    /** The exit status of a JVM halted by {@code kill}. */
    static final int KILLED = 57;

    private SweepFaults() {}

    /** Thrown by {@code always}: not a transient failure, so the task's last attempt does not turn it into a row. */
    static final class Abort extends RuntimeException {
        Abort(String message) { super(message); }
    }

    /** Applies the fault configured for {@code point} (if any) to this attempt (0 the first). */
    static void inject(String point, int attempt, boolean driverJvm) {
        String spec = System.getProperty(PROPERTY);
        if (spec == null || spec.isBlank()) return;
        int colon = spec.indexOf(':');
        if (colon <= 0 || !spec.substring(0, colon).equals(point)) return;
        switch (spec.substring(colon + 1)) {
            case "kill" -> {
                if (driverJvm) throw new IllegalStateException(PROPERTY + "=" + spec + ": would halt the driver's JVM (embedded mode)");
                if (attempt == 0) Runtime.getRuntime().halt(KILLED);
            }
            case "transient" -> {
                if (attempt == 0) throw new UncheckedIOException(new IOException("injected transient failure of " + point + " (" + PROPERTY + ")"));
            }
            case "always" -> throw new Abort("injected failure of " + point + " on every attempt (" + PROPERTY + ")");
            default -> throw new IllegalArgumentException(PROPERTY + "=" + spec + ": the fault is kill, transient or always");
        }
    }
}
