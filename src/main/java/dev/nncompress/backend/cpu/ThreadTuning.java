package dev.nncompress.backend.cpu;

/** Placeholder: thread/wait-policy settings for the native pools (decided by measurement). */
final class ThreadTuning {
    private ThreadTuning() {}

    static String apply() { return ""; }
}
