package dev.nncompress.io;

import dev.nncompress.backend.Backend;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.Parameter;
import dev.nncompress.tensor.Shape;
import dev.nncompress.util.Quoted;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Model files: safetensors whose tensors are the graph's parameters (PyTorch state-dict names) and
 * whose {@code __metadata__} holds the graph ({@value #GRAPH_KEY}) and provenance
 * ({@value #PROVENANCE_KEY}, a JSON object). Mostly-zero tensors are stored as bitmask + values
 * ({@link SparseStorage}), N:M ones possibly as kept values + in-group indices ({@link NmStorage}); a weight-shared model may be
 * written entropy-coded ({@link CodedStorage}, format {@value CodedStorage#FORMAT}); every form is loaded back dense. Writing is atomic; reading validates everything and
 * names the file in every error.
 */
public final class ModelIO {
    public static final String GRAPH_KEY = "nncompress.graph";
    public static final String PROVENANCE_KEY = "nncompress.provenance";
    /** Most nodes a model file's graph may have (what the reader accepts); importers refuse bigger graphs up front. */
    public static final int MAX_GRAPH_NODES = GraphJson.MAX_NODES;
    /** Most inputs a node of a model file's graph may read (a Concat's parts); importers refuse more up front. */
    public static final int MAX_NODE_INPUTS = GraphJson.MAX_INPUTS;

    private ModelIO() {}

    /** A loaded model with the provenance it was saved with. */
    public record LoadedModel(Graph graph, Map<String, String> provenance) {}

    /** How a model file stores its tensors. */
    public enum Storage {
        /** Every tensor dense F32 (the pre-pruning format). */
        DENSE,
        /** Mostly-zero tensors as bitmask + values or N:M ({@link SparseStorage}), the rest dense: what {@link #save} writes. */
        SPARSE,
        /** Tensors of at most 256 distinct values (shared weights) as codebook + Huffman-coded indices and positions ({@link CodedStorage}). */
        CODED
    }

    /** Writes {@code graph} atomically; mostly-zero weights (pruned models) are stored as bitmask + values ({@link SparseStorage}). */
    public static void save(Graph graph, Path file, Map<String, String> provenance) { save(graph, file, provenance, Storage.SPARSE); }

    /** Writes {@code graph} atomically in {@code storage}. */
    public static void save(Graph graph, Path file, Map<String, String> provenance, Storage storage) {
        Encoded e = encode(graph, provenance, storage, "refusing to save " + file);
        try {
            SafeTensors.write(file, e.tensors(), e.meta());
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot write model file " + file + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * Exact size in bytes of the file {@link #save} would write, or, with {@code sparse} false, of the same model
     * stored all dense (the pre-pruning format): lets a command report dense vs pruned sizes without writing.
     */
    public static long fileSize(Graph graph, Map<String, String> provenance, boolean sparse) {
        return fileSize(graph, provenance, sparse ? Storage.SPARSE : Storage.DENSE);
    }

    /** Exact size in bytes of the file {@link #save} would write in {@code storage}. */
    public static long fileSize(Graph graph, Map<String, String> provenance, Storage storage) {
        Encoded e = encode(graph, provenance, storage, "cannot size " + graph.name());
        long n = 8 + SafeTensors.encodeHeader(e.tensors(), e.meta()).length;
        for (TensorRecord t : e.tensors().values()) n += t.byteSize();
        return n;
    }

    private record Encoded(Map<String, TensorRecord> tensors, Map<String, String> meta) {}

    private static Encoded encode(Graph graph, Map<String, String> provenance, Storage storage, String refusal) {
        Map<String, TensorRecord> tensors = new LinkedHashMap<>();
        for (Parameter p : graph.params().values()) {
            float[] v = p.value().toFloatArray();
            for (float f : v) {
                if (!Float.isFinite(f)) throw new IllegalArgumentException(refusal + ": parameter " + p.name() + " contains " + f);
            }
            tensors.put(p.name(), TensorRecord.ofFloats(v, p.value().shape().dimsLong()));
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(GRAPH_KEY, GraphJson.write(graph));
        meta.put(PROVENANCE_KEY, StringMapJson.write(provenance));
        return new Encoded(switch (storage) {
            case DENSE -> tensors;
            case SPARSE -> SparseStorage.encodeAll(tensors, meta);
            case CODED -> CodedStorage.encodeAll(tensors, meta);
        }, meta);
    }

    public static LoadedModel load(Path file, Backend backend) { return floatModel(readFile(file), backend); }

    private static LoadedModel floatModel(SafeTensorsFile st, Backend backend) {
        Path file = st.path();
        if (Int8ModelIO.isInt8(st)) {
            throw new ModelFormatException(file + ": an int8 model (written by 'quantize --out'); eval, bench and info run it, "
                    + "but this needs the float model it was made from");
        }
        String format = st.metadata().get(Int8ModelIO.FORMAT_KEY);
        boolean coded = CodedStorage.isCoded(st);
        if (format != null && !coded) {
            throw new ModelFormatException(file + ": model format " + Quoted.of(format) + " ('" + Int8ModelIO.FORMAT_KEY
                    + "'), which this build cannot read (it reads float models, " + CodedStorage.FORMAT_V1 + ", " + CodedStorage.FORMAT_V2 + ", " + CodedStorage.FORMAT + " and " + Int8ModelIO.FORMAT + ")");
        }
        String graphJson = st.metadata().get(GRAPH_KEY);
        if (graphJson == null) {
            throw new ModelFormatException(file + ": a safetensors file without an nncompress graph ('" + GRAPH_KEY
                    + "' metadata); it was not written by nncompress");
        }
        try {
            GraphJson.Structure s = GraphJson.read(graphJson);
            Set<String> nodeNames = new HashSet<>();
            for (Node n : s.nodes()) nodeNames.add(n.name());
            Map<String, Parameter> params = new LinkedHashMap<>();
            for (var e : (coded ? CodedStorage.decodeAll(st) : SparseStorage.decodeAll(st)).entrySet()) {
                String name = e.getKey();
                String owner = name.contains(".") ? name.substring(0, name.indexOf('.')) : name;
                if (!nodeNames.contains(owner)) throw new IllegalArgumentException("tensor " + Quoted.of(name) + " belongs to no node of the graph");
                params.put(name, new Parameter(name, toTensor(name, e.getValue(), backend), !s.buffers().contains(name)));
            }
            return new LoadedModel(new Graph(s.name(), s.inputShape(), s.nodes(), s.output(), params),
                    StringMapJson.read(PROVENANCE_KEY, st.metadata().get(PROVENANCE_KEY)));
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new ModelFormatException(file + ": " + e.getMessage(), e);
        }
    }

    /** The parsed safetensors file, or a {@link ModelFormatException} naming the file and the problem. */
    static SafeTensorsFile readFile(Path file) {
        if (!Files.isRegularFile(file)) throw new ModelFormatException(file + ": model file not found");
        SafeTensorsFile st;
        try {
            st = SafeTensors.read(file);
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot read: " + e.getMessage(), e);
        }
        try {
            return CodedStorage.unpacked(st);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file + ": " + e.getMessage(), e);
        }
    }

    /** A float or an int8 model, whichever the file holds. */
    public sealed interface AnyModel permits FloatModel, Int8File {}

    public record FloatModel(LoadedModel loaded) implements AnyModel {}

    public record Int8File(Int8ModelIO.Loaded loaded) implements AnyModel {}

    public static AnyModel loadAny(Path file, Backend backend) {
        SafeTensorsFile st = readFile(file);
        return Int8ModelIO.isInt8(st) ? new Int8File(Int8ModelIO.fromFile(st)) : new FloatModel(floatModel(st, backend));
    }

    private static dev.nncompress.tensor.Tensor toTensor(String name, TensorRecord r, Backend backend) {
        if (!"F32".equals(r.dtype())) throw new IllegalArgumentException("tensor " + Quoted.of(name) + " has dtype " + r.dtype() + ", expected F32");
        float[] v = r.toFloats();
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) throw new IllegalArgumentException("tensor " + Quoted.of(name) + " holds " + v[i] + " at index " + i);
        }
        return backend.fromFloats(v, Shape.of(intDims("tensor " + Quoted.of(name), r.shape())));
    }

    /** A file's long dims as the int dims of a {@link Shape}; IllegalArgumentException when one does not fit. */
    static int[] intDims(String what, long[] s) {
        int[] dims = new int[s.length];
        for (int i = 0; i < s.length; i++) {
            if (s[i] > Integer.MAX_VALUE) throw new IllegalArgumentException(what + ": dimension " + s[i] + " is too large");
            dims[i] = (int) s[i];
        }
        return dims;
    }
}
