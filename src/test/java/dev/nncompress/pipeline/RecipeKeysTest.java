package dev.nncompress.pipeline;

import dev.nncompress.cli.BackendOption;
import dev.nncompress.cli.DataOptions;
import dev.nncompress.cli.Main;
import dev.nncompress.util.RequestSpelling;
import dev.nncompress.compress.PruneRequest;
import dev.nncompress.compress.QuantizeRequest;
import dev.nncompress.io.onnx.ExportRequest;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every option of {@code nncompress prune}, {@code quantize} and {@code export} has its recipe key (the stage reads
 * it: a wrong value is refused at that key, never "unknown key"), or is a recipe-level setting, or is listed below as
 * not a stage setting with the reason. A new option with none of these fails here, so the command and the recipe
 * cannot drift apart again. The options bound to a request field must also have the recipe's default.
 */
class RecipeKeysTest {
    /** Options (by the Java field bound to them) that a recipe sets outside the stage, and where. */
    static final Map<String, String> RECIPE_LEVEL = Map.of(
            "seed", "seed (top level)",
            "limit", "data.train_limit", "trainLimit", "data.train_limit",
            "testLimit", "data.test_limit", "eval", "data.test_limit",
            "out", "the run directory (out, -o) holds each stage's artefact",
            "report", "report.json in the run directory (prune --report is the --sensitivity table: no stage)");

    /** Options that are not stage settings, and why. */
    static final Map<String, String> NOT_A_STAGE_SETTING = Map.of(
            "sensitivity", "prune --sensitivity scans layers and writes no model (quantize's sensitivity is a key)",
            "sensitivityLevels", "the levels of prune --sensitivity's scan",
            "listSensitivityLayers", "prints the layers a sensitivity scan measures and writes nothing (sweep --sensitivity splits the scan by them)",
            "sensitivityLayers", "one task's share of quantize's sensitivity table under sweep --sensitivity; a recipe's stage measures every layer");

    /** Mixins and groups, by declaring class: where the recipe has them, or why not yet. */
    static final Map<String, String> BY_CLASS = Map.of(
            DataOptions.class.getSimpleName(), "data: {path, image_size, channels, classes, test_fraction, split_seed, mean, std, coarse_labels}",
            BackendOption.class.getSimpleName(), "backend (top level)",
            "Int8Option", "the recipe evaluates int8 models with the auto kernels",
            "JsonOption", "--json: report.json in the run directory holds the run's results as JSON",
            "CheckpointOptions", "not yet: a recipe resumes by stage (docs/pipeline.md, Not yet)",
            "TeacherOptions", "not yet: prune/QAT with a teacher in a recipe (docs/pipeline.md, Not yet); distill is its own stage");

    private static CommandSpec command(String name) {
        return new CommandLine(new Main()).getSubcommands().get(name).getCommandSpec();
    }

    private static String javaField(OptionSpec o) {
        return o.userObject() instanceof java.lang.reflect.Field f ? f.getName() : "";
    }

    private static String declaring(OptionSpec o) {
        return o.userObject() instanceof java.lang.reflect.Field f ? f.getDeclaringClass().getSimpleName() : "";
    }

    /** The stage parsed from its settings (YAML lines, 4-space indented), or the RecipeException's message. */
    private static Object parse(String stage, String settings) {
        try {
            return Recipe.parse("r.yaml", "model: student\nstages:\n  - stage: " + stage + "\n" + settings).stages().get(0);
        } catch (RecipeException e) {
            return e.getMessage();
        }
    }

    private static <F extends Enum<F>> void everyOptionHasARecipeKey(String command, Class<F> fields, String stage, String base, Record defaults) {
        everyOptionHasARecipeKey(command(command), fields, stage, base, defaults);
    }

    private static <F extends Enum<F>> void everyOptionHasARecipeKey(CommandSpec spec, Class<F> fields, String stage, String base, Record defaults) {
        String command = spec.name();
        List<String> missing = new ArrayList<>();
        int keys = 0;
        for (OptionSpec o : spec.options()) {
            if (o.usageHelp() || o.versionHelp() || o.inherited() || declaring(o).equals(Main.class.getSimpleName())) continue;
            String jf = javaField(o);
            F field = null;
            for (F f : fields.getEnumConstants()) if (RequestSpelling.camel(f).equals(jf)) field = f;
            if (field == null) {
                if (!RECIPE_LEVEL.containsKey(jf) && !NOT_A_STAGE_SETTING.containsKey(jf) && !BY_CLASS.containsKey(declaring(o))) missing.add(o.longestName());
                continue;
            }
            keys++;
            String key = RequestSpelling.key(field);
            // a mapping is the wrong type for every key: the stage must refuse it at the key, not as unknown
            String settings = (base.contains("    " + key + ":") ? base.replaceAll("    " + key + ":.*\n", "") : base) + "    " + key + ": {x: 1}\n";
            Object r = parse(stage, settings);
            assertTrue(r instanceof String, command + " " + o.longestName() + ": recipe key " + key + " accepted a mapping");
            assertTrue(((String) r).startsWith("r.yaml: stages[0]." + key + ": "), command + " " + o.longestName() + ": " + r);
            assertFalse(((String) r).contains("unknown key"), command + " " + o.longestName() + ": " + r);
            // and the same default as the command
            Object value = RequestSpelling.value(defaults, field);
            String dflt = o.defaultValue();
            if (value == null || dflt == null) continue;
            if (value instanceof Number n) assertEquals(Double.parseDouble(dflt), n.doubleValue(), 0, command + " " + o.longestName() + " default vs " + key);
            else assertEquals(dflt, String.valueOf(value), command + " " + o.longestName() + " default vs " + key);
        }
        if (!missing.isEmpty()) {
            fail(command + ": options without a recipe key: " + missing + "; add the field to the command's request (and read its key in the "
                    + stage + " stage), or list the option here with the reason");
        }
        // and every request field is an option of the command (OptionSpelling needs it to name the field)
        assertEquals(fields.getEnumConstants().length, keys, command + ": request fields without an option");
    }

    @Test
    void everyPruneOptionHasARecipeKeyWithTheCommandsDefault() {
        PruneStage p = (PruneStage) parse("prune", "    sparsity: 0.5\n");
        everyOptionHasARecipeKey("prune", PruneRequest.Field.class, "prune", "    sparsity: 0.5\n", p.request());
    }

    @Test
    void everyQuantizeOptionHasARecipeKeyWithTheCommandsDefault() {
        QuantizeStage q = (QuantizeStage) parse("quantize", "");
        everyOptionHasARecipeKey("quantize", QuantizeRequest.Field.class, "quantize", "    method: qat\n", q.request());
    }

    @Test
    void everyExportOptionHasARecipeKeyWithTheCommandsDefault() {
        ExportStage e = (ExportStage) parse("export", "");
        everyOptionHasARecipeKey("export", ExportRequest.Field.class, "export", "    format: onnx\n", e.request());
    }

    /** A command like prune with one option more, which no recipe key matches. */
    @CommandLine.Command(name = "prune-next")
    static final class WithANewOption {
        @CommandLine.Option(names = "--sparsity") Double sparsity;
        @CommandLine.Option(names = "--brand-new-knob") Double brandNewKnob;
    }

    @Test
    void aNewOptionWithoutARecipeKeyFailsTheWalk() {
        PruneStage p = (PruneStage) parse("prune", "    sparsity: 0.5\n");
        CommandSpec spec = new CommandLine(new WithANewOption()).getCommandSpec();
        org.opentest4j.AssertionFailedError e = org.junit.jupiter.api.Assertions.assertThrows(org.opentest4j.AssertionFailedError.class,
                () -> everyOptionHasARecipeKey(spec, PruneRequest.Field.class, "prune", "    sparsity: 0.5\n", p.request()));
        assertTrue(e.getMessage().startsWith("prune-next: options without a recipe key: [--brand-new-knob]"), e.getMessage());
    }

    @Test
    void theListedExceptionsAreStillOptions() {
        // a stale entry would hide a renamed option: each listed Java field must still be bound in some command
        Set<String> bound = new java.util.HashSet<>();
        for (String c : List.of("prune", "quantize", "export")) for (OptionSpec o : command(c).options()) bound.add(javaField(o));
        for (String jf : NOT_A_STAGE_SETTING.keySet()) assertTrue(bound.contains(jf), jf);
        assertTrue(bound.contains("seed") && bound.contains("out") && bound.contains("testLimit") && bound.contains("eval"), bound.toString());
    }
}
