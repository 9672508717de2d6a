package dev.nncompress.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.nncompress.data.DataLimits;
import dev.nncompress.data.DataSource;
import dev.nncompress.data.Normalization;
import dev.nncompress.io.ModelFormatException;
import dev.nncompress.util.Quoted;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What a model was given as input, kept in the model file's provenance so that {@code eval}, {@code prune},
 * {@code quantize} and {@code distill} feed it the same: the normalisation ({@value #NORMALIZATION_KEY}, JSON
 * {@code {"mean": [...], "std": [...]}}) and the class names ({@value #CLASSES_KEY}, a JSON array), beside the
 * dataset's description. Reading them back is untrusted input: {@link #storedNormalization} and
 * {@link #storedClassNames} validate every value and name the model file in their errors.
 *
 * @param source      where the normalisation came from, for the "input" line ("from --mean/--std", ...)
 * @param floatValues the data are float32 arrays (normalised as they are), not 8-bit pixels (divided by 255 first)
 */
record DataContract(String format, Path path, String shape, Normalization normalization, String source, boolean floatValues,
                    List<String> classNames, String split) {
    static final String NORMALIZATION_KEY = "input_normalization";
    static final String CLASSES_KEY = "class_names";

    DataContract {
        classNames = List.copyOf(classNames);
    }

    /** Fashion-MNIST's IDX files with their usual normalisation: what every command read before other formats came. */
    boolean usual() {
        return format.equals(DataSource.Format.IDX.id()) && normalization.equals(Normalization.FASHION_MNIST);
    }

    /** Adds this contract's entries to a model file's provenance. */
    void putInto(Map<String, String> provenance) {
        provenance.put("dataset", format);
        provenance.put("dataset_path", path.toAbsolutePath().normalize().toString());
        provenance.put("data_split", split);
        Map<String, Object> norm = new LinkedHashMap<>();
        norm.put("mean", normalization.mean());
        norm.put("std", normalization.std());
        provenance.put(NORMALIZATION_KEY, CliSupport.compactJson(norm));
        if (!classNames.isEmpty()) provenance.put(CLASSES_KEY, CliSupport.compactJson(classNames));
    }

    /** "data  image-folder runs/shapes: 3x32x32, 3 classes (circle, cross, square); train/ and test/ folders" */
    String dataLine(int trainImages, int testImages) {
        StringBuilder sb = new StringBuilder("data      ").append(format).append(' ').append(path).append(": ").append(shape);
        if (!classNames.isEmpty()) {
            sb.append(", ").append(classNames.size()).append(" classes (");
            for (int i = 0; i < Math.min(10, classNames.size()); i++) sb.append(i == 0 ? "" : ", ").append(Quoted.safeLine(classNames.get(i)));
            sb.append(classNames.size() > 10 ? ", ...)" : ")");
        }
        if (trainImages > 0) sb.append(", ").append(CliSupport.grouped(trainImages)).append(" train");
        if (testImages > 0) sb.append(trainImages > 0 ? " / " : ", ").append(CliSupport.grouped(testImages)).append(" test");
        if (trainImages > 0 || testImages > 0) sb.append(" images");
        return sb.append(" (").append(split).append(')').toString();
    }

    /** "input     normalised as (x/255 - 0.2860)/0.3530, Fashion-MNIST's default" */
    String inputLine() {
        float[] m = normalization.mean();
        float[] s = normalization.std();
        String x = floatValues ? "x" : "x/255";
        boolean one = true;
        for (int c = 1; c < m.length; c++) one &= m[c] == m[0] && s[c] == s[0];
        String formula = one ? String.format(Locale.ROOT, "normalised as (%s - %.4f)/%.4f", x, m[0], s[0])
                : "normalised per channel as (" + x + " - mean)/std, " + normalization;
        return "input     " + formula + ", " + source;
    }

    /** The normalisation stored in a model file, or null when it has none. */
    static Normalization storedNormalization(ModelSource src) {
        String json = src.builtIn() ? null : src.provenance().get(NORMALIZATION_KEY);
        if (json == null) return null;
        try {
            JsonNode root = new JsonMapper().readTree(json);
            if (root == null || !root.isObject() || root.size() != 2) throw bad(src, NORMALIZATION_KEY, "is not an object of mean and std");
            return new Normalization(floats(src, root.get("mean")), floats(src, root.get("std")));
        } catch (JsonProcessingException e) {
            throw bad(src, NORMALIZATION_KEY, "is not JSON");
        } catch (IllegalArgumentException e) {
            throw bad(src, NORMALIZATION_KEY, e.getMessage());
        }
    }

    /** The class names stored in a model file, or an empty list when it has none. */
    static List<String> storedClassNames(ModelSource src) {
        String json = src.builtIn() ? null : src.provenance().get(CLASSES_KEY);
        if (json == null) return List.of();
        JsonNode root;
        try {
            root = new JsonMapper().readTree(json);
        } catch (JsonProcessingException e) {
            throw bad(src, CLASSES_KEY, "is not JSON");
        }
        if (root == null || !root.isArray() || root.isEmpty() || root.size() > DataLimits.MAX_CLASSES) {
            throw bad(src, CLASSES_KEY, "is not an array of 1 to " + DataLimits.MAX_CLASSES + " names");
        }
        List<String> names = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (JsonNode n : root) {
            if (!n.isTextual() || n.textValue().isBlank() || n.textValue().length() > DataLimits.MAX_CLASS_NAME_CHARS) {
                throw bad(src, CLASSES_KEY, "holds a name that is not a string of 1 to " + DataLimits.MAX_CLASS_NAME_CHARS + " characters");
            }
            if (!seen.add(n.textValue())) throw bad(src, CLASSES_KEY, "names " + Quoted.of(n.textValue()) + " twice");
            names.add(n.textValue());
        }
        return names;
    }

    private static float[] floats(ModelSource src, JsonNode array) {
        if (array == null || !array.isArray() || array.isEmpty() || array.size() > 3) throw bad(src, NORMALIZATION_KEY, "needs 1 to 3 mean and std values");
        float[] v = new float[array.size()];
        for (int i = 0; i < v.length; i++) {
            if (!array.get(i).isNumber()) throw bad(src, NORMALIZATION_KEY, "holds a value that is not a number");
            v[i] = array.get(i).floatValue();
        }
        return v;
    }

    private static ModelFormatException bad(ModelSource src, String key, String why) {
        return new ModelFormatException(src.spec() + ": provenance entry " + key + " " + why);
    }
}
