package dev.nncompress.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.nncompress.compress.quant.QParams;
import dev.nncompress.compress.quant.calib.QuantTargets;
import dev.nncompress.int8.FloatParam;
import dev.nncompress.int8.Int8Model;
import dev.nncompress.int8.QuantizedWeight;
import dev.nncompress.tensor.Shape;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

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
    private static final JsonMapper JSON = new JsonMapper();

    private Int8ModelIO() {}

    public static void save(Int8Model m, Path file, Map<String, String> provenance) {
        Map<String, TensorRecord> t = new LinkedHashMap<>();
        m.weights().forEach((node, w) -> {
            t.put(node + ".weight", TensorRecord.ofBytes(w.codes(), w.shape().dimsLong()));
            t.put(node + W_SCALE, TensorRecord.ofFloats(w.scales(), w.scales().length));
        });
        m.floats().forEach((name, p) -> t.put(name, TensorRecord.ofFloats(p.values(), p.shape().dimsLong())));
        m.activations().forEach((tensor, q) -> {
            t.put(tensor + A_SCALE, TensorRecord.ofFloats(new float[] {q.scale(0)}, 1));
            t.put(tensor + A_ZP, TensorRecord.ofInts(new int[] {q.zeroPoint(0)}, 1));
        });
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(ModelIO.GRAPH_KEY, GraphJson.write(m.name(), m.inputShape(), m.nodes(), m.output(), List.of()));
        meta.put(FORMAT_KEY, FORMAT);
        try {
            meta.put(INFO_KEY, JSON.writeValueAsString(new TreeMap<>(m.info())));
            meta.put(ModelIO.PROVENANCE_KEY, JSON.writeValueAsString(new TreeMap<>(provenance)));
            SafeTensors.write(file, t, meta);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
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
                    TensorRecord codes = take(rest, node + ".weight", "I8");
                    float[] scales = take(rest, name, "F32").toFloats();
                    try {
                        weights.put(node, new QuantizedWeight(codes.toBytes(), shape(codes), scales));
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("node '" + node + "': " + e.getMessage(), e);
                    }
                } else if (name.endsWith(A_SCALE)) {
                    String tensor = name.substring(0, name.length() - A_SCALE.length());
                    float[] scale = take(rest, name, "F32").toFloats();
                    int[] zp = take(rest, tensor + A_ZP, "I32").toInts();
                    if (scale.length != 1 || zp.length != 1) throw new IllegalArgumentException("activation '" + tensor + "' needs one scale and one zero point");
                    try {
                        acts.put(tensor, new QParams(QuantTargets.ACTIVATION_SCHEME, scale, zp));
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("activation '" + tensor + "': " + e.getMessage(), e);
                    }
                }
            }
            Map<String, FloatParam> floats = new LinkedHashMap<>();
            for (var e : rest.entrySet()) {
                if (!"F32".equals(e.getValue().dtype())) {
                    throw new IllegalArgumentException("tensor '" + e.getKey() + "' has dtype " + e.getValue().dtype() + " but is neither an int8 weight with a scale nor an activation parameter");
                }
                floats.put(e.getKey(), new FloatParam(e.getValue().toFloats(), shape(e.getValue())));
            }
            Map<String, String> info = jsonMap(st.metadata().get(INFO_KEY));
            Int8Model m = new Int8Model(s.name(), s.inputShape(), s.nodes(), s.output(), weights, floats, acts, info);
            return new Loaded(m, jsonMap(st.metadata().get(ModelIO.PROVENANCE_KEY)));
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new ModelFormatException(file + ": " + e.getMessage(), e);
        }
    }

    private static TensorRecord take(Map<String, TensorRecord> rest, String name, String dtype) {
        TensorRecord r = rest.remove(name);
        if (r == null) throw new IllegalArgumentException("tensor '" + name + "' is missing");
        if (!dtype.equals(r.dtype())) throw new IllegalArgumentException("tensor '" + name + "' has dtype " + r.dtype() + ", expected " + dtype);
        return r;
    }

    private static Shape shape(TensorRecord r) {
        long[] s = r.shape();
        int[] d = new int[s.length];
        for (int i = 0; i < s.length; i++) d[i] = Math.toIntExact(s[i]);
        return Shape.of(d);
    }

    private static Map<String, String> jsonMap(String json) {
        Map<String, String> out = new LinkedHashMap<>();
        if (json == null) return out;
        try {
            JSON.readTree(json).fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("metadata is not valid JSON: " + e.getOriginalMessage());
        }
        return out;
    }
}
