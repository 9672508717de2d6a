package dev.nncompress.pipeline;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A recipe with some of its keys set from outside, as a sweep sets them for each grid point
 * ({@code prune.sparsity=0.7}, {@code quantize.observer=kl}, {@code seed=43}). The overrides are written into the
 * recipe's YAML tree and the result is parsed by {@link Recipe#parse} again, so an override is validated exactly as the
 * same value written in the file (same ranges, same mode rules, unknown keys refused), and the recipe text kept in
 * every artefact's provenance is the one that ran.
 *
 * <p>A key's first part is a stage kind (the recipe's one stage of that kind; {@code stages[2]} when it has several),
 * or a top-level key ({@code seed}, {@code data.train_limit}, {@code bench.rounds}, {@code budget.max_accuracy_drop}).
 * A value is read as a YAML scalar: {@code 0.7} is a number, {@code kl} a string, {@code true} a boolean.
 */
public final class RecipeOverrides {
    static final int MAX_OVERRIDES = 64;
    private static final Pattern KEY = Pattern.compile("[a-z_]+(\\[\\d{1,3}])?(\\.[a-z_]+){0,3}");
    private static final Pattern STAGE_INDEX = Pattern.compile("stages\\[(\\d{1,3})]");

    private RecipeOverrides() {}

    /**
     * {@code base} with each {@code key=value} of {@code overrides} (in order) set; RecipeException (one line naming
     * the recipe, the override and the problem) for a key that addresses nothing or a value the recipe refuses.
     */
    public static Recipe apply(Recipe base, Map<String, String> overrides) {
        if (overrides.isEmpty()) return base;
        if (overrides.size() > MAX_OVERRIDES) throw new RecipeException(base.fileName() + ": " + overrides.size() + " overrides; at most " + MAX_OVERRIDES);
        YAMLMapper yaml = Recipe.mapper();
        ObjectNode root;
        try {
            root = (ObjectNode) yaml.readTree(base.text()); // parsed once already: a mapping
        } catch (IOException e) {
            throw new IllegalStateException("a parsed recipe no longer parses", e);
        }
        for (Map.Entry<String, String> o : overrides.entrySet()) set(base.fileName(), root, o.getKey(), o.getValue(), yaml);
        String header = "# " + base.fileName() + " with " + describe(overrides) + "\n";
        String text;
        try {
            text = header + yaml.copy().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER).writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a recipe tree did not write as YAML", e);
        }
        try {
            return Recipe.parse(base.fileName(), text);
        } catch (RecipeException e) {
            throw new RecipeException(e.getMessage() + " (with " + describe(overrides) + ")", e);
        }
    }

    /** {@code a=1, b=x}: the overrides as a user writes them, for headers and messages. */
    public static String describe(Map<String, String> overrides) {
        List<String> parts = new ArrayList<>();
        overrides.forEach((k, v) -> parts.add(k + "=" + v));
        return String.join(", ", parts);
    }

    private static void set(String file, ObjectNode root, String key, String value, YAMLMapper yaml) {
        if (!KEY.matcher(key).matches()) {
            throw new RecipeException(file + ": override " + key + ": not a recipe key (e.g. prune.sparsity, quantize.observer, seed, data.train_limit)");
        }
        String[] parts = key.split("\\.");
        ObjectNode at = root;
        int first = 0;
        Matcher ix = STAGE_INDEX.matcher(parts[0]);
        if (ix.matches()) {
            at = stageAt(file, root, key, Integer.parseInt(ix.group(1)));
            first = 1;
        } else if (Stage.KINDS.contains(parts[0])) {
            at = stageOfKind(file, root, key, parts[0]);
            first = 1;
        }
        if (first == parts.length) throw new RecipeException(file + ": override " + key + ": names a stage, not one of its keys (e.g. " + key + ".epochs)");
        if (first == 1 && parts[1].equals("stage")) throw new RecipeException(file + ": override " + key + ": a stage's kind cannot be overridden");
        for (int i = first; i < parts.length - 1; i++) {
            JsonNode next = at.get(parts[i]);
            if (next == null || next.isNull()) next = at.putObject(parts[i]);
            if (!next.isObject()) throw new RecipeException(file + ": override " + key + ": " + parts[i] + " is not a mapping in the recipe");
            at = (ObjectNode) next;
        }
        at.set(parts[parts.length - 1], scalar(file, key, value, yaml));
    }

    private static ObjectNode stageAt(String file, ObjectNode root, String key, int index) {
        JsonNode stages = root.get("stages");
        if (stages == null || !stages.isArray() || index >= stages.size()) {
            throw new RecipeException(file + ": override " + key + ": the recipe has " + (stages == null ? 0 : stages.size()) + " stage(s)");
        }
        return (ObjectNode) stages.get(index);
    }

    private static ObjectNode stageOfKind(String file, ObjectNode root, String key, String kind) {
        List<Integer> found = new ArrayList<>();
        JsonNode stages = root.get("stages");
        for (int i = 0; stages != null && i < stages.size(); i++) {
            if (kind.equals(stages.get(i).path("stage").asText())) found.add(i);
        }
        if (found.isEmpty()) throw new RecipeException(file + ": override " + key + ": the recipe has no " + kind + " stage");
        if (found.size() > 1) {
            throw new RecipeException(file + ": override " + key + ": the recipe has " + found.size() + " " + kind + " stages; name one as stages["
                    + found.get(0) + "]" + key.substring(kind.length()));
        }
        return (ObjectNode) stages.get(found.get(0));
    }

    /** The value as YAML reads it (number, string, boolean); a mapping or list is refused: a sweep varies single values. */
    private static JsonNode scalar(String file, String key, String value, YAMLMapper yaml) {
        if (value.isBlank()) throw new RecipeException(file + ": override " + key + ": empty value");
        if (value.length() > 256) throw new RecipeException(file + ": override " + key + ": value longer than 256 characters");
        JsonNode v;
        try {
            v = yaml.readTree(value);
        } catch (IOException e) {
            throw new RecipeException(file + ": override " + key + "=" + value + ": not a YAML value", e);
        }
        if (v == null || !v.isValueNode()) throw new RecipeException(file + ": override " + key + "=" + value + ": must be a single value, not a list or mapping");
        return v;
    }
}
