package dev.nncompress.pipeline;

import dev.nncompress.io.Provenance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A run's report: the recipe it ran and one record per stage (the input first). Written as {@code report.json} (the
 * data) and {@code report.html} (one self-contained page drawn from the same data by {@link ReportHtml}); {@code
 * nncompress report RUN_DIR} reads the JSON back and draws the page again.
 */
public record Report(String recipeFile, String recipeSha256, String recipe, String model, String tool, List<String> classNames, List<StageRecord> stages,
                     SideBySide sideBySide) {
    public static final String JSON = "report.json";
    public static final String HTML = "report.html";
    /** More stages than a recipe may have, plus the input: a report with more was not written by us. */
    static final int MAX_ROWS = Recipe.MAX_STAGES + 1;

    public Report {
        classNames = classNames == null ? List.of() : List.copyOf(classNames);
        stages = stages == null ? List.of() : List.copyOf(stages);
    }

    /** @param sideBySide the baseline's and the final model's throughput in alternating rounds (null: none; older reports have none) */
    static Report of(Recipe r, List<String> classNames, List<StageRecord> stages, SideBySide sideBySide) {
        return new Report(r.fileName(), r.sha256(), r.text(), r.model(), "nncompress " + Provenance.version() + " (git " + Provenance.gitCommit() + ")",
                classNames, stages, sideBySide);
    }

    /** Writes report.json and report.html into {@code dir}. */
    void write(Path dir) {
        RunDirectory d = new RunDirectory(dir);
        d.write(dir.resolve(JSON), this);
        d.writeText(HTML, ReportHtml.render(this));
    }

    /** report.json of {@code dir}, read and checked (it may have been edited by hand: sizes are bounded before use). */
    public static Report read(Path dir) {
        Path f = dir.resolve(JSON);
        if (!Files.isRegularFile(f)) throw new RecipeException(dir + ": no " + JSON + " (not a recipe run directory?)");
        Report r = RunDirectory.readJson(f, Report.class);
        if (r.stages().isEmpty() || r.stages().size() > MAX_ROWS) throw new RecipeException(f + ": stages: expected 1 to " + MAX_ROWS + " entries, got " + r.stages().size());
        for (int i = 0; i < r.stages().size(); i++) {
            StageRecord s = r.stages().get(i);
            if (s == null || s.metrics() == null || s.stage() == null) throw new RecipeException(f + ": stages[" + i + "]: missing stage or metrics");
            int[][] c = s.metrics().confusion();
            if (c.length > 1000) throw new RecipeException(f + ": stages[" + i + "].metrics.confusion: more than 1000 classes");
            for (int[] row : c) {
                if (row == null || row.length != c.length) throw new RecipeException(f + ": stages[" + i + "].metrics.confusion: not a square matrix");
            }
        }
        SideBySide sb = r.sideBySide();
        if (sb != null && !(sb.batch() >= 1 && sb.rounds() >= 1 && sb.baselineImagesPerSecond() > 0 && sb.lastImagesPerSecond() > 0
                && Double.isFinite(sb.baselineImagesPerSecond()) && Double.isFinite(sb.lastImagesPerSecond()))) {
            throw new RecipeException(f + ": side_by_side: batch and rounds must be >= 1 and both throughputs positive and finite");
        }
        return r;
    }

    /** Re-renders report.html of {@code dir} from its report.json. */
    public static Report rerender(Path dir) {
        Report r = read(dir);
        new RunDirectory(dir).writeText(HTML, ReportHtml.render(r));
        return r;
    }
}
