package dev.nncompress.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;

import org.junit.jupiter.api.AfterAll;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every fuzz target behind one fuzz test, for CI: Jazzer fuzzes one test per JVM, and a JVM's start with Jazzer's
 * agent (instrumenting the classes each target loads) and the cpu backend costs far more than 5 s of fuzzing,
 * so eleven targets in eleven JVMs would be mostly start-up (docs/reliability.md, "CI fuzzing"). Here the input's last
 * byte (the first that {@link FuzzedDataProvider} consumes) picks the target, the rest is that target's input,
 * handed to the target's own method unchanged. The seeds are every target's seeds with their target's byte
 * appended ({@link SeedCorpus}), so each target starts from its own corpus and libFuzzer's schedule spreads the
 * run over them; a mutation of the last byte tries one target's input on another, which is harmless. How many
 * inputs each target ran is written at the end ({@code scripts/fuzz.sh --ci} reports it, and fails when a target ran
 * none). The per-target tests stay for longer runs: there each target has the whole time and its own corpus.
 */
class AllTargetsFuzzTest {
    /** The targets in selector order: byte b picks {@code TARGETS.get(b % size)}; append new targets at the end. */
    static final List<String> TARGETS = List.of("floatModel", "sparseModel", "nmModel", "int8Model", "idxPair", "graphAttributes", "onnxModel",
            "npzFile", "npyPair", "imageFolder", "cifarBinary", "codedModel");
    private static final AtomicLongArray RUNS = new AtomicLongArray(TARGETS.size());

    /** Where the counts go (scripts/fuzz.sh reads them): a file, since the test's stdout may be closed by the time the JVM exits. */
    static final Path RUNS_FILE = Path.of("target/fuzz-work/allTargets/runs.txt");

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(AllTargetsFuzzTest::writeRuns)); // also after a finding
    }

    /**
     * Writes the counts; in regression mode (every build: each committed seed once, plus an empty input, which picks
     * target 0) also checks that every seed went to the target its name says, i.e. that the last byte picks it.
     */
    @AfterAll
    static void runsAfterFuzzing() throws IOException {
        writeRuns();
        if (System.getenv("JAZZER_FUZZ") != null) return;
        Path dir = SeedCorpus.seeds(ModelMutator.classPathRoot(), AllTargetsFuzzTest.class, "allTargets");
        for (int t = 0; t < TARGETS.size(); t++) {
            String prefix = TARGETS.get(t) + "-";
            long seeds;
            try (var files = Files.list(dir)) {
                seeds = files.filter(f -> f.getFileName().toString().startsWith(prefix)).count();
            }
            assertEquals(seeds + (t == 0 ? 1 : 0), RUNS.get(t), "inputs run by " + TARGETS.get(t) + " in regression mode");
        }
    }

    @DictionaryFile(resourcePath = "safetensors.dict")
    @DictionaryFile(resourcePath = "onnx.dict")
    @FuzzTest(maxDuration = "1m")
    void allTargets(FuzzedDataProvider data) {
        int target = target(data);
        RUNS.incrementAndGet(target);
        switch (TARGETS.get(target)) {
            case "floatModel" -> new FloatModelFuzzTest().floatModel(data.consumeRemainingAsBytes());
            case "sparseModel" -> new SparseModelFuzzTest().sparseModel(data.consumeRemainingAsBytes());
            case "nmModel" -> new NmModelFuzzTest().nmModel(data.consumeRemainingAsBytes());
            case "int8Model" -> new Int8ModelFuzzTest().int8Model(data.consumeRemainingAsBytes());
            case "idxPair" -> new IdxFuzzTest().idxPair(data.consumeRemainingAsBytes());
            case "graphAttributes" -> new GraphJsonFuzzTest().graphAttributes(data);
            case "onnxModel" -> new OnnxModelFuzzTest().onnxModel(data.consumeRemainingAsBytes());
            case "npzFile" -> new NpzFuzzTest().npzFile(data.consumeRemainingAsBytes());
            case "npyPair" -> new NpyPairFuzzTest().npyPair(data.consumeRemainingAsBytes());
            case "imageFolder" -> new ImageFolderFuzzTest().imageFolder(data.consumeRemainingAsBytes());
            case "cifarBinary" -> new CifarFuzzTest().cifarBinary(data.consumeRemainingAsBytes());
            case "codedModel" -> new CodedModelFuzzTest().codedModel(data.consumeRemainingAsBytes());
            default -> throw new IllegalStateException("no target " + TARGETS.get(target));
        }
    }

    /** The target an input is for: its last byte, modulo the number of targets. */
    static int target(FuzzedDataProvider data) { return Byte.toUnsignedInt(data.consumeByte()) % TARGETS.size(); }

    /** One line, {@code all-targets runs: floatModel=N sparseModel=N ...}, to {@link #RUNS_FILE}. */
    static synchronized void writeRuns() {
        StringBuilder line = new StringBuilder("all-targets runs:");
        for (int i = 0; i < TARGETS.size(); i++) line.append(' ').append(TARGETS.get(i)).append('=').append(RUNS.get(i));
        try {
            Files.createDirectories(RUNS_FILE.getParent());
            Files.writeString(RUNS_FILE, line + "\n");
        } catch (IOException e) {
            System.err.println("fuzz harness cannot write " + RUNS_FILE + ": " + e);
        }
    }
}
