package dev.nncompress.cli;

import dev.nncompress.backend.Backend;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.int8.Int8Model;
import dev.nncompress.int8.Int8Runner;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The commands' model and data loading ({@link ModelSource}, {@link DataBinding}) for library callers such as the
 * recipe pipeline: the same MODEL forms (built-in name, float/int8 model file, ONNX file), the same data formats and
 * the same normalisation choice as every command's {@code --data} options, so that a recipe stage and a command see
 * identical inputs. Kept here (not moved) because the commands' own classes are package-private.
 */
public final class ModelData {
    private ModelData() {}

    /** The {@code --data} options of the commands as values (nulls: what the options leave open). */
    public record DataSpec(Path data, Integer imageSize, Integer channels, List<String> classes, Double testFraction, long splitSeed,
                           List<Double> mean, List<Double> std, boolean coarseLabels) {}

    /**
     * A model and its data: the float graph (null for an int8 file) or the int8 model, the file's provenance, the
     * normalised splits, and what the data are (the provenance entries every command writes).
     */
    public record Loaded(String spec, boolean builtIn, Graph graph, Int8Model int8, Map<String, String> provenance, Dataset train, Dataset test,
                         Map<String, String> dataProvenance, List<String> classNames, String description) {}

    /**
     * {@code model} and its data read and checked (on the heap, before {@code backend} is touched), then the model put
     * on {@code backend}; {@code trainLimit}/{@code testLimit} are images to read ({@code DataRequest.ALL} for all).
     * Errors are those of the commands (IllegalArgumentException, DatasetException, ModelFormatException).
     */
    public static Loaded load(String model, long seed, DataSpec spec, int trainLimit, int testLimit, Backend backend, PrintWriter out) {
        DataOptions opts = options(spec);
        opts.check();
        ModelSource.Read read = ModelSource.read(model, seed);
        DataBinding.Bound bound = DataBinding.prepare(opts, read, trainLimit, testLimit, m -> { }, null).on(backend);
        if (out != null) bound.describe(out);
        ModelSource src = bound.model();
        Map<String, String> data = new LinkedHashMap<>();
        bound.contract().putInto(data);
        return new Loaded(src.spec(), src.builtIn(), src.isInt8() ? null : src.graph(), src.int8(), src.provenance(), bound.train(), bound.test(), data,
                bound.classNames(), src.describe(seed));
    }

    /** A model alone (a teacher): a built-in name, a float, int8 or ONNX file, on {@code backend}. */
    public static Loaded loadModel(String model, long seed, Backend backend) {
        ModelSource src = ModelSource.load(model, backend, seed);
        return new Loaded(src.spec(), src.builtIn(), src.isInt8() ? null : src.graph(), src.int8(), src.provenance(), null, null, Map.of(), List.of(),
                src.describe(seed));
    }

    /** An int8 runner on the kernels {@code --int8-kernels auto} would choose (announced on {@code err}), as the commands run int8 models. */
    public static Int8Runner int8Runner(Int8Model m, Backend backend, PrintWriter err) {
        Int8Option o = new Int8Option();
        o.kernels = Int8Option.Kernels.AUTO;
        return o.runner(m, backend, err);
    }

    /** A copy of {@code g} with its own parameters on {@code backend} (as a model file is put on a backend). */
    public static Graph copy(Graph g, Backend backend) { return ModelSource.copy(g, backend); }

    private static DataOptions options(DataSpec s) {
        DataOptions o = new DataOptions();
        if (s.data() != null) o.data = s.data();
        o.imageSize = s.imageSize();
        o.channels = s.channels();
        o.classes = s.classes();
        o.testFraction = s.testFraction();
        o.splitSeed = s.splitSeed();
        o.mean = s.mean();
        o.std = s.std();
        o.coarseLabels = s.coarseLabels();
        return o;
    }
}
