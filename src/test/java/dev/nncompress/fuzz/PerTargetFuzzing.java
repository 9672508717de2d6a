package dev.nncompress.fuzz;

/**
 * Whether the per-target fuzz tests (FloatModelFuzzTest, IdxFuzzTest, ...) run: when fuzzing ({@code JAZZER_FUZZ}
 * set: {@code scripts/fuzz.sh TARGET}, each target alone with its own corpus), or when asked for with
 * {@code -Dfuzz.perTarget=true}. Not in every build's regression run: there {@link AllTargetsFuzzTest} already runs each
 * of their seeds (up to 16 KB, with the target's byte appended) through the same target method, and
 * {@code SeedCorpusTest} loads and runs every seed, the larger ones too, so the per-target regression run repeated
 * that work (about half of the fuzz execution's time).
 */
final class PerTargetFuzzing {
    private PerTargetFuzzing() {}

    /** For {@code @EnabledIf("dev.nncompress.fuzz.PerTargetFuzzing#enabled")}. */
    static boolean enabled() {
        return System.getenv("JAZZER_FUZZ") != null || Boolean.getBoolean("fuzz.perTarget");
    }
}
