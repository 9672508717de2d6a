package dev.nncompress.pipeline;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.nncompress.backend.Backends;
import dev.nncompress.cli.ModelData;
import dev.nncompress.data.DataRequest;
import dev.nncompress.models.Models;
import dev.nncompress.util.Seeds;
import org.yaml.snakeyaml.LoaderOptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * A parsed, fully validated recipe (docs/pipeline.md): the input model, its data, the seed, the run directory and the
 * stages in order. Everything a stage reads from the file is checked here, before any model or image is loaded;
 * what only the model can tell (layer names) is checked by the stage, still before it spends time.
 *
 * @param fileName    the recipe's name in error messages
 * @param text        the recipe as written, kept in every artefact's provenance
 * @param sha256      of {@code text}: what a resumed run compares
 * @param trainLimit  training images to read ({@link DataRequest#ALL} for all)
 * @param testLimit   test images every stage is evaluated on
 */
public record Recipe(String fileName, String text, String sha256, String model, long seed, Path out, String backend, ModelData.DataSpec data,
                     int trainLimit, int testLimit, Bench bench, Budget budget, List<Stage> stages) {
    /** Recipes are hand-written configuration: anything larger is not one. */
    static final int MAX_BYTES = 1 << 20;
    static final int MAX_STAGES = 100;

    /** The short latency/throughput measurement of every stage's model: rounds of {@code seconds} each. */
    public record Bench(int rounds, double seconds) {}

    /**
     * The accuracy budget: at most {@code maxDropPoints} percentage points below the reference (the input model, or
     * for an untrained built-in input the last train/distill stage before); {@code bisectionSteps} prune attempts.
     */
    public record Budget(double maxDropPoints, int bisectionSteps) {}

    public Recipe {
        stages = List.copyOf(stages);
    }

    /** Reads and validates {@code file}; errors are one line naming the file and the key. */
    public static Recipe read(Path file) {
        String name = file.getFileName() == null ? file.toString() : file.getFileName().toString();
        try {
            if (Files.isDirectory(file)) throw new RecipeException(name + ": is a directory, not a recipe file");
            if (Files.size(file) > MAX_BYTES) throw new RecipeException(name + ": larger than " + MAX_BYTES + " bytes; not a recipe");
            return parse(name, Files.readString(file, StandardCharsets.UTF_8));
        } catch (java.nio.charset.MalformedInputException e) {
            throw new RecipeException(name + ": not UTF-8 text", e);
        } catch (IOException e) {
            throw new RecipeException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Parses and validates recipe {@code text}; {@code fileName} names it in errors. */
    public static Recipe parse(String fileName, String text) {
        if (text.length() > MAX_BYTES) throw new RecipeException(fileName + ": larger than " + MAX_BYTES + " bytes; not a recipe");
        JsonNode root;
        try {
            root = mapper().readTree(text);
        } catch (IOException e) {
            String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
            throw new RecipeException(fileName + ": not valid YAML: " + msg, e);
        }
        if (root == null || root.isMissingNode()) throw new RecipeException(fileName + ": empty recipe; it needs at least 'model' and 'stages'");
        RecipeObject r = new RecipeObject(fileName, "", root);
        String model = r.requiredString("model");
        long seed = r.longValue("seed", Seeds.DEFAULT);
        String outText = r.string("out", null);
        String backend = r.choice("backend", "auto", Backends.knownNames()); // known here, not necessarily usable (that is said at run time)
        RecipeObject d = r.object("data");
        ModelData.DataSpec data = new ModelData.DataSpec(null, null, null, null, null, 0, null, null, false);
        int trainLimit = DataRequest.ALL;
        int testLimit = DataRequest.ALL;
        if (d != null) {
            String path = d.string("path", null);
            List<String> classes = d.strings("classes");
            data = new ModelData.DataSpec(path == null ? null : Path.of(path), d.integer("image_size", null, 1, 4096), d.integer("channels", null, 1, 3),
                    classes.isEmpty() ? null : classes, d.number("test_fraction", null, 0, 1, false), d.longValue("split_seed", 0),
                    d.numbers("mean"), d.numbers("std"), d.bool("coarse_labels", false));
            if (data.channels() != null && data.channels() == 2) throw d.errorAt("channels", "must be 1 or 3, got 2");
            if (data.testFraction() != null && data.testFraction() == 0) throw d.errorAt("test_fraction", "must be in (0, 1), got 0");
            trainLimit = d.integer("train_limit", DataRequest.ALL, 1, Integer.MAX_VALUE);
            testLimit = d.integer("test_limit", DataRequest.ALL, 1, Integer.MAX_VALUE);
            if ((data.mean() == null) != (data.std() == null)) throw d.errorAt(data.mean() == null ? "std" : "mean", "needs " + (data.mean() == null ? "mean" : "std") + " too");
            d.done();
        }
        RecipeObject b = r.object("bench");
        Bench bench = new Bench(3, 0.2);
        if (b != null) {
            bench = new Bench(b.integer("rounds", 3, 1, 100), b.number("seconds", 0.2, 0.001, 60, true));
            b.done();
        }
        RecipeObject bu = r.object("budget");
        Budget budget = null;
        if (bu != null) {
            Double drop = bu.number("max_accuracy_drop", null, 0, 100, true);
            if (drop == null) throw bu.errorAt("max_accuracy_drop", "is required: accuracy points the compressed model may lose, e.g. 0.5");
            budget = new Budget(drop, bu.integer("bisection_steps", 3, 1, 10));
            bu.done();
        }
        JsonNode list = r.list("stages");
        if (list == null) throw r.errorAt("stages", "is required: a list of stages (" + String.join(", ", Stage.KINDS) + ")");
        if (list.isEmpty()) throw r.errorAt("stages", "is empty; give at least one stage");
        if (list.size() > MAX_STAGES) throw r.errorAt("stages", "has " + list.size() + " stages; at most " + MAX_STAGES);
        List<Stage> stages = new ArrayList<>();
        boolean int8 = false;
        for (int i = 0; i < list.size(); i++) {
            RecipeObject s = new RecipeObject(fileName, "stages[" + i + "]", list.get(i));
            Stage stage = Stage.parse(s);
            s.done();
            if (int8 && stage.needsFloat()) {
                throw s.error(s.path(), stage.name() + " needs a float model, but an earlier quantize stage made it int8; move quantize after it");
            }
            stage.checkInput(s, int8, stages);
            int8 |= stage.makesInt8();
            stages.add(stage);
            if (budget != null && Models.NAMES.contains(model) && stage.hasBudget()
                    && stages.stream().noneMatch(x -> x.name().equals("train") || x.name().equals("distill"))) {
                throw r.errorAt("budget", "needs a reference accuracy: the model is an untrained built-in and " + s.path() + " (" + stage.name()
                        + ") has no train or distill stage before it");
            }
        }
        r.done();
        return new Recipe(fileName, text, sha256(text), model, seed, outText == null ? null : Path.of(outText), backend, data, trainLimit,
                testLimit, bench, budget, stages);
    }

    /** Jackson's YAML reader, strict about duplicate keys and bounded against alias bombs and huge documents. */
    static YAMLMapper mapper() {
        LoaderOptions lo = new LoaderOptions();
        lo.setMaxAliasesForCollections(20);
        lo.setCodePointLimit(MAX_BYTES);
        lo.setNestingDepthLimit(20);
        lo.setAllowDuplicateKeys(false);
        YAMLFactory f = YAMLFactory.builder().loaderOptions(lo)
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(20).maxStringLength(1 << 16).build()).build();
        YAMLMapper m = new YAMLMapper(f);
        m.enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION.mappedFeature());
        return m;
    }

    static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is in every JDK", e);
        }
    }
}
