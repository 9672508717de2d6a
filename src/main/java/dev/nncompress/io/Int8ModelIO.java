package dev.nncompress.io;

import dev.nncompress.quant.QParams;
import dev.nncompress.compress.quant.calib.QuantTargets;
import dev.nncompress.int8.FloatParam;
import dev.nncompress.int8.Int8Model;
import dev.nncompress.int8.QuantizedWeight;
import dev.nncompress.tensor.Shape;
import dev.nncompress.util.Quoted;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * int8 model files: safetensors, like float models, whose tensors are ordinary and readable by any
 * safetensors reader: {@code <node>.weight} I8 in the float weight's layout (OIHW / [out, in]),
 * {@code <node>.weight_scale} F32 [out] (symmetric per output channel, zero point 0), float parameters
 * under their own names, and per activation tensor {@code <tensor>.act_scale} F32 [1] and
 * {@code <tensor>.act_zero_point} I32 [1] ({@code input.*} for the graph input). The metadata holds the
 * graph ({@link ModelIO#GRAPH_KEY}), {@value #FORMAT_KEY} = {@value #FORMAT}, how the model was made
 * ({@value #INFO_KEY}) and provenance. Writing is atomic (temporary file + rename).
 */
public final class Int8ModelIO {
    public static final String FORMAT_KEY = "nncompress.format";
    public static final String FORMAT = "int8/1";
    public static final String INFO_KEY = "nncompress.int8";
    private static final String W_SCALE = ".weight_scale";
    private static final String A_SCALE = ".act_scale";
    private static final String A_ZP = ".act_zero_point";

    private Int8ModelIO() {}

    /**
     * Writes {@code m} atomically; refuses (IllegalArgumentException) a model whose scales lie outside
     * [{@link #MIN_SCALE}, {@link #MAX_SCALE}], which the loader would refuse.
     */
    public static void save(Int8Model m, Path file, Map<String, String> provenance) {
        Map<String, TensorRecord> t = new LinkedHashMap<>();
        m.weights().forEach((node, w) -> {
            checkScales("refusing to save " + file + ": int8 weight of node " + Quoted.of(node), w.scales());
            t.put(node + ".weight", TensorRecord.ofBytes(w.codes(), w.shape().dimsLong()));
            t.put(node + W_SCALE, TensorRecord.ofFloats(w.scales(), w.scales().length));
        });
        m.floats().forEach((name, p) -> t.put(name, TensorRecord.ofFloats(p.values(), p.shape().dimsLong())));
        m.activations().forEach((tensor, q) -> {
            checkScales("refusing to save " + file + ": activation " + Quoted.of(tensor), q.scales());
            t.put(tensor + A_SCALE, TensorRecord.ofFloats(new float[] {q.scale(0)}, 1));
            t.put(tensor + A_ZP, TensorRecord.ofInts(new int[] {q.zeroPoint(0)}, 1));
        });
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(ModelIO.GRAPH_KEY, GraphJson.write(m.name(), m.inputShape(), m.nodes(), m.output(), List.of()));
        meta.put(FORMAT_KEY, FORMAT);
        meta.put(INFO_KEY, StringMapJson.write(m.info()));
        meta.put(ModelIO.PROVENANCE_KEY, StringMapJson.write(provenance));
        try {
            SafeTensors.write(file, t, meta);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write int8 model file " + file + ": " + e.getMessage(), e);
        }
    }

    /** True when {@code st} was written by {@link #save}. */
    public static boolean isInt8(SafeTensorsFile st) { return FORMAT.equals(st.metadata().get(FORMAT_KEY)); }

    public record Loaded(Int8Model model, Map<String, String> provenance) {}

    public static Loaded load(Path file) {
        SafeTensorsFile st = ModelIO.readFile(file);
        if (!isInt8(st)) throw new ModelFormatException(file + ": not an nncompress int8 model ('" + FORMAT_KEY + "' is not " + FORMAT + ")");
        return fromFile(st);
    }

    static Loaded fromFile(SafeTensorsFile st) {
        Path file = st.path();
        String graphJson = st.metadata().get(ModelIO.GRAPH_KEY);
        if (graphJson == null) throw new ModelFormatException(file + ": int8 model without a graph ('" + ModelIO.GRAPH_KEY + "' metadata)");
        try {
            GraphJson.Structure s = GraphJson.read(graphJson);
            Map<String, TensorRecord> rest = new LinkedHashMap<>(st.tensors());
            Map<String, QuantizedWeight> weights = new LinkedHashMap<>();
            Map<String, QParams> acts = new LinkedHashMap<>();
            for (String name : List.copyOf(rest.keySet())) {
                if (name.endsWith(W_SCALE)) {
                    String node = name.substring(0, name.length() - W_SCALE.length());
                    weights.put(node, weight(rest, node, name));
                } else if (name.endsWith(A_SCALE)) {
                    String tensor = name.substring(0, name.length() - A_SCALE.length());
                    acts.put(tensor, activation(rest, tensor, name));
                }
            }
            Map<String, FloatParam> floats = new LinkedHashMap<>();
            for (var e : rest.entrySet()) {
                if (!"F32".equals(e.getValue().dtype())) {
                    throw new IllegalArgumentException("tensor " + Quoted.of(e.getKey()) + " has dtype " + e.getValue().dtype()
                            + " but is neither an int8 weight with a scale nor an activation parameter");
                }
                String what = "float parameter " + Quoted.of(e.getKey());
                floats.put(e.getKey(), rethrowAs(what, () -> new FloatParam(e.getValue().toFloats(), shape(what, e.getValue()))));
            }
            Map<String, String> info = StringMapJson.read(INFO_KEY, st.metadata().get(INFO_KEY));
            Int8Model m = new Int8Model(s.name(), s.inputShape(), s.nodes(), s.output(), weights, floats, acts, info);
            return new Loaded(m, StringMapJson.read(ModelIO.PROVENANCE_KEY, st.metadata().get(ModelIO.PROVENANCE_KEY)));
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new ModelFormatException(file + ": " + e.getMessage(), e);
        }
    }

    /** {@code <node>.weight} (I8, the float weight's shape) with {@code <node>.weight_scale} (F32 [out], every scale in range). */
    private static QuantizedWeight weight(Map<String, TensorRecord> rest, String node, String scaleName) {
        String what = "int8 weight of node " + Quoted.of(node);
        TensorRecord codes = take(rest, node + ".weight", "I8");
        TensorRecord scale = take(rest, scaleName, "F32");
        long[] codesShape = codes.shape();
        if (scale.shape().length != 1 || codesShape.length < 2 || scale.shape()[0] != codesShape[0]) {
            throw new IllegalArgumentException(what + ": " + Quoted.of(scaleName) + " must have shape [" + (codesShape.length < 2 ? "out" : codesShape[0])
                    + "] (one scale per output channel of the weight's " + Arrays.toString(codesShape) + "), got " + Arrays.toString(scale.shape()));
        }
        float[] scales = scale.toFloats();
        checkScales(what, scales);
        return rethrowAs(what, () -> new QuantizedWeight(codes.toBytes(), shape(what, codes), scales));
    }

    /** {@code <tensor>.act_scale} (F32 [1], in range) with {@code <tensor>.act_zero_point} (I32 [1], in [-128, 127]). */
    private static QParams activation(Map<String, TensorRecord> rest, String tensor, String scaleName) {
        String what = "activation " + Quoted.of(tensor);
        TensorRecord scale = take(rest, scaleName, "F32");
        TensorRecord zp = take(rest, tensor + A_ZP, "I32");
        if (!Arrays.equals(scale.shape(), new long[] {1}) || !Arrays.equals(zp.shape(), new long[] {1})) {
            throw new IllegalArgumentException(what + " needs one scale and one zero point (shape [1] each), got "
                    + Arrays.toString(scale.shape()) + " and " + Arrays.toString(zp.shape()));
        }
        float[] s = scale.toFloats();
        checkScales(what, s);
        return rethrowAs(what, () -> new QParams(QuantTargets.ACTIVATION_SCHEME, s, zp.toInts())); // zero point range: QParams
    }

    /**
     * Scales an int8 file may hold: from {@link QParams#EPS} (2^-23, the floor every observer puts under a scale, so
     * every file we write is above it) to 2^32 (a weight or activation range of ~10^12, far past any trained
     * network). Within these bounds every product the engine forms stays a finite, normal float: the combined scale
     * s_in * s_w lies in [2^-46, 2^64] and an int32 accumulator times it over an output scale stays below 2^118.
     */
    static final float MIN_SCALE = QParams.EPS;
    static final float MAX_SCALE = 0x1p32f;

    private static void checkScales(String what, float[] scales) {
        for (int i = 0; i < scales.length; i++) {
            if (!(scales[i] >= MIN_SCALE && scales[i] <= MAX_SCALE)) {
                throw new IllegalArgumentException(what + ": scale[" + i + "] = " + scales[i] + " outside [2^-23, 2^32]");
            }
        }
    }

    /** Runs a constructor that validates, prefixing its IllegalArgumentException with {@code what} it was building. */
    private static <T> T rethrowAs(String what, java.util.function.Supplier<T> make) {
        try {
            return make.get();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + ": " + e.getMessage(), e);
        }
    }

    private static TensorRecord take(Map<String, TensorRecord> rest, String name, String dtype) {
        TensorRecord r = rest.remove(name);
        if (r == null) throw new IllegalArgumentException("tensor " + Quoted.of(name) + " is missing");
        if (!dtype.equals(r.dtype())) throw new IllegalArgumentException("tensor " + Quoted.of(name) + " has dtype " + r.dtype() + ", expected " + dtype);
        return r;
    }

    private static Shape shape(String what, TensorRecord r) { return Shape.of(ModelIO.intDims(what, r.shape())); }
}
