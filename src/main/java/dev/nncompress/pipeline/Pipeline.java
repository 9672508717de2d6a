package dev.nncompress.pipeline;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Backends;
import dev.nncompress.cli.ModelData;
import dev.nncompress.io.ModelIO;
import dev.nncompress.io.onnx.OnnxImporter;
import dev.nncompress.util.ProgressListener;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A recipe run end to end (docs/pipeline.md): the input model and its data loaded once, evaluated, then every stage in
 * order on the model the previous one left, each writing its artefact with provenance and its record into the run
 * directory, then {@code report.json} and {@code report.html}.
 *
 * <pre>{@code Pipeline.fromYaml(Path.of("recipe.yaml")).run(Path.of("runs/demo"));}</pre>
 *
 * <p>Resume: a run of the same recipe (same SHA-256) in the same directory skips the leading stages whose record and
 * artefact exist, loads the last of those artefacts, and runs from the first stage not done.
 */
public final class Pipeline {
    private final Recipe recipe;

    private Pipeline(Recipe recipe) {
        this.recipe = recipe;
    }

    /** The recipe in {@code file}, parsed and validated (RecipeException: one line naming the file and the key). */
    public static Pipeline fromYaml(Path file) { return new Pipeline(Recipe.read(file)); }

    /** A recipe given as text; {@code name} names it in errors and provenance. */
    public static Pipeline fromYaml(String name, String text) { return new Pipeline(Recipe.parse(name, text)); }

    public Recipe recipe() { return recipe; }

    /** What a run produced: its directory and one record per stage, the input's first. */
    public record Result(Path runDir, List<StageRecord> stages, Report report) {
        public StageRecord last() { return stages.get(stages.size() - 1); }
    }

    /** Runs into the recipe's {@code out} directory, printing to stdout and stderr. */
    public Result run() { return run(null); }

    /** Runs into {@code runDir} (null: the recipe's {@code out}), printing to stdout and stderr. */
    public Result run(Path runDir) {
        PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        return run(runDir, out, err);
    }

    public Result run(Path runDir, PrintWriter out, PrintWriter err) { return run(runDir, out, err, ProgressListener.NONE); }

    /**
     * As {@link #run(Path, PrintWriter, PrintWriter)}, reporting a "recipe" task of one step per stage (its detail the
     * stage, {@code stage 2/5 prune}) holding each stage's own long steps: epochs, calibration, rounds, evaluation.
     */
    public Result run(Path runDir, PrintWriter out, PrintWriter err, ProgressListener progress) {
        Path dirPath = runDir != null ? runDir : recipe.out();
        if (dirPath == null) throw new RecipeException(recipe.fileName() + ": out: no run directory; give 'out: DIR' in the recipe or -o DIR");
        RunDirectory dir = new RunDirectory(dirPath);
        dir.create();
        dir.writeText("recipe.yaml", recipe.text());
        int stageCount = recipe.stages().size();
        try (Backend backend = Backends.create(recipe.backend(), line -> {
            err.println(line);
            err.flush();
        }); ProgressListener.Task overall = progress.start("recipe", stageCount, "stages")) {
            ModelData.Loaded input = at("model", () -> ModelData.load(recipe.model(), recipe.seed(), recipe.data(), recipe.trainLimit(),
                    recipe.testLimit(), backend, out));
            ModelState state = input.int8() != null ? ModelState.of(input.int8()) : ModelState.of(input.graph());
            if (state.isInt8() && recipe.stages().get(0).needsFloat()) {
                throw new RecipeException(recipe.fileName() + ": model: " + recipe.model() + " is an int8 model; stages[0] ("
                        + recipe.stages().get(0).name() + ") needs a float one");
            }
            out.printf(Locale.ROOT, "recipe    %s (sha256 %s), %d stage(s), run directory %s%n", recipe.fileName(), recipe.sha256().substring(0, 12),
                    recipe.stages().size(), dir.dir());
            out.printf(Locale.ROOT, "model     %s, %,d parameters; %,d train / %,d test images%n", input.description(), state.parameterCount(),
                    input.train().count(), input.test().count());
            List<StageRecord> records = new ArrayList<>();
            overall.update(0, "input");
            StageRecord in = dir.finished(-1, "input", recipe.sha256());
            if (in == null) {
                long t0 = System.nanoTime();
                StageRecord.Metrics m = Evaluation.measure(state, inputBytes(input, state), Map.of(), input.test(), backend, recipe.bench(), err,
                        progress);
                in = new StageRecord(-1, "input", null, recipe.sha256(), Map.of("model", recipe.model()), m, (System.nanoTime() - t0) / 1e9, List.of(), false);
                dir.writeRecord(in);
            }
            print(out, in);
            records.add(in);
            Path resumeFrom = null; // the artefact of the last stage skipped, loaded before the first stage that runs
            boolean skipping = true;
            for (int i = 0; i < recipe.stages().size(); i++) {
                Stage stage = recipe.stages().get(i);
                overall.update(i, String.format(Locale.ROOT, "stage %d/%d %s", i + 1, stageCount, stage.name()));
                StageRecord done = skipping ? dir.finished(i, stage.name(), recipe.sha256()) : null;
                if (done != null) {
                    if (stage.name().equals("export")) { /* the model goes on unchanged */ } else resumeFrom = dir.dir().resolve(done.artefact());
                    out.printf(Locale.ROOT, "%-24s done (resumed from %s)%n", done.label(), done.artefact());
                    records.add(done);
                    continue;
                }
                skipping = false;
                if (resumeFrom != null) {
                    state = load(resumeFrom, backend);
                    resumeFrom = null;
                }
                StageContext ctx = new StageContext(recipe, i, stage, backend, input.train(), input.test(), input, out, err, reference(input, records),
                        progress);
                Path artefact = dir.artefact(i, stage.name(), stage.extension(state));
                out.printf(Locale.ROOT, "%s  %s%n", ctx.where(), Json.compact(stage.settings()));
                out.flush();
                long t0 = System.nanoTime();
                ModelState before = state;
                Stage.Outcome o = at(ctx.where(), () -> stage.run(ctx, before, artefact));
                double seconds = (System.nanoTime() - t0) / 1e9;
                StageRecord.Metrics m = Evaluation.measure(o.evaluated(), size(artefact), o.sqnrDb(), input.test(), backend, recipe.bench(), err,
                        progress);
                StageRecord r = new StageRecord(i, stage.name(), artefact.getFileName().toString(), recipe.sha256(), stage.settings(), m, seconds,
                        o.notes(), false);
                dir.writeRecord(r);
                r.notes().forEach(n -> out.println(ctx.where() + "  " + n));
                print(out, r);
                records.add(r);
                state = o.model();
            }
            overall.update(stageCount, "report");
            if (resumeFrom != null) state = load(resumeFrom, backend); // every stage was done: the run ends with the last artefact
            Report report = Report.of(recipe, input.classNames(), records,
                    SideBySide.of(recipe, dir.dir(), records, state, input.test(), backend, err)); // baseline vs final, same load
            report.write(dir.dir());
            Summary.of(report).print(out); // every row in one table, then the final model against the baseline
            out.printf(Locale.ROOT, "report    %s%n", dir.dir().resolve(Report.HTML));
            return new Result(dir.dir(), records, report);
        }
    }

    /**
     * The budget's reference accuracy: the input model's, or for an untrained built-in input that of the last train
     * or distill stage so far (the recipe refuses a budget that has neither).
     */
    private static double reference(ModelData.Loaded input, List<StageRecord> records) {
        if (input.builtIn()) {
            for (int k = records.size() - 1; k > 0; k--) {
                String s = records.get(k).stage();
                if (s.equals("train") || s.equals("distill")) return records.get(k).metrics().accuracy();
            }
        }
        return records.get(0).metrics().accuracy();
    }

    private static void print(PrintWriter out, StageRecord r) {
        StageRecord.Metrics m = r.metrics();
        out.printf(Locale.ROOT, "%-24s accuracy %6.2f%%  %,d bytes  %,d params  %.3f ms/image  %,.0f img/s  (%s)%n", r.label(),
                100 * m.accuracy(), m.fileBytes(), m.params(), m.latencyMs(), m.throughput(), m.kind());
        out.flush();
    }

    /** The input's file size, or for a built-in name the size of the model file it would be saved as. */
    private static long inputBytes(ModelData.Loaded input, ModelState state) {
        if (!input.builtIn()) return size(Path.of(input.spec()));
        return ModelIO.fileSize(state.graph(), Map.of(), true);
    }

    static ModelState load(Path artefact, Backend backend) {
        if (OnnxImporter.isOnnxPath(artefact.toString())) return ModelState.of(OnnxImporter.importFile(artefact, backend).graph());
        ModelIO.AnyModel m = ModelIO.loadAny(artefact, backend);
        if (m instanceof ModelIO.Int8File q) return ModelState.of(q.loaded().model());
        return ModelState.of(((ModelIO.FloatModel) m).loaded().graph());
    }

    /** The artefact's bytes, with its ONNX external data file (FILE.data) when it has one: what a user ships. */
    private static long size(Path f) {
        try {
            Path side = f.resolveSibling(f.getFileName() + ".data");
            return Files.size(f) + (Files.isRegularFile(side) ? Files.size(side) : 0);
        } catch (IOException e) {
            throw new UncheckedIOException(f + ": " + e.getMessage(), e);
        }
    }

    /**
     * Runs {@code body}, turning a usage-style error (IllegalArgumentException: an unknown layer or model name, a
     * teacher that does not fit) into a RecipeException naming the recipe key it came from.
     */
    private <T> T at(String where, java.util.function.Supplier<T> body) {
        try {
            return body.get();
        } catch (IllegalArgumentException e) {
            throw new RecipeException(recipe.fileName() + ": " + where + ": " + e.getMessage(), e);
        }
    }
}
