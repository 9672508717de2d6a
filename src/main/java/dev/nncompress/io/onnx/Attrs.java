package dev.nncompress.io.onnx;

import dev.nncompress.io.onnx.proto.OnnxProto.AttributeProto;
import dev.nncompress.io.onnx.proto.OnnxProto.NodeProto;
import dev.nncompress.util.Quoted;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The attributes of one ONNX node, read strictly: only names the mapping of that op knows (an
 * attribute it would ignore could change the meaning, e.g. a {@code group} on a Conv), each at most
 * once, of the declared type, lists of at most {@link OnnxLimits#MAX_ATTRIBUTE_VALUES} values, no
 * references to function attributes. Messages name the node and the attribute.
 */
final class Attrs {
    // AttributeProto.AttributeType codes
    static final int FLOAT = 1, INT = 2, STRING = 3, TENSOR = 4, FLOATS = 6, INTS = 7;
    private static final String[] TYPE_NAMES = {"UNDEFINED", "FLOAT", "INT", "STRING", "TENSOR", "GRAPH", "FLOATS", "INTS", "STRINGS",
            "TENSORS", "GRAPHS", "SPARSE_TENSOR", "SPARSE_TENSORS", "TYPE_PROTO", "TYPE_PROTOS"};

    private final String where;
    private final Map<String, AttributeProto> byName = new HashMap<>();

    /** Checks {@code node}'s attributes against {@code known}; {@code where} names the node in messages. */
    Attrs(NodeProto node, String where, Set<String> known) {
        this.where = where;
        if (node.getAttributeCount() > OnnxLimits.MAX_ATTRIBUTES) {
            throw new IllegalArgumentException(where + " has " + node.getAttributeCount() + " attributes, more than " + OnnxLimits.MAX_ATTRIBUTES);
        }
        for (AttributeProto a : node.getAttributeList()) {
            String name = a.getName();
            if (!known.contains(name)) {
                throw new IllegalArgumentException(where + " has attribute " + Quoted.of(name) + ", which this importer does not read (it reads "
                        + (known.isEmpty() ? "none" : String.join(", ", known.stream().sorted().toList())) + ")");
            }
            if (!a.getRefAttrName().isEmpty()) throw new IllegalArgumentException(where + ": attribute " + name + " refers to a function attribute");
            if (byName.put(name, a) != null) throw new IllegalArgumentException(where + " has attribute " + name + " twice");
            if (a.getFloatsCount() > OnnxLimits.MAX_ATTRIBUTE_VALUES || a.getIntsCount() > OnnxLimits.MAX_ATTRIBUTE_VALUES) {
                throw new IllegalArgumentException(where + ": attribute " + name + " has more than " + OnnxLimits.MAX_ATTRIBUTE_VALUES + " values");
            }
        }
    }

    boolean has(String name) { return byName.containsKey(name); }

    long integer(String name, long fallback) {
        AttributeProto a = typed(name, INT);
        return a == null ? fallback : a.getI();
    }

    /** An INT attribute that must lie in [min, max]. */
    int intIn(String name, long fallback, int min, int max) {
        long v = integer(name, fallback);
        if (v < min || v > max) throw new IllegalArgumentException(where + ": attribute " + name + " = " + v + " is not in [" + min + ", " + max + "]");
        return (int) v;
    }

    float real(String name, float fallback) {
        AttributeProto a = typed(name, FLOAT);
        return a == null ? fallback : a.getF();
    }

    /** INTS, or null when absent. */
    long[] ints(String name) {
        AttributeProto a = typed(name, INTS);
        if (a == null) return null;
        long[] v = new long[a.getIntsCount()];
        for (int i = 0; i < v.length; i++) v[i] = a.getInts(i);
        return v;
    }

    /** FLOATS, or null when absent. */
    float[] reals(String name) {
        AttributeProto a = typed(name, FLOATS);
        if (a == null) return null;
        float[] v = new float[a.getFloatsCount()];
        for (int i = 0; i < v.length; i++) v[i] = a.getFloats(i);
        return v;
    }

    String string(String name, String fallback) {
        AttributeProto a = typed(name, STRING);
        return a == null ? fallback : a.getS().toStringUtf8();
    }

    AttributeProto tensor(String name) { return typed(name, TENSOR); }

    /** The attribute if present, after checking its declared type. */
    private AttributeProto typed(String name, int type) {
        AttributeProto a = byName.get(name);
        if (a == null) return null;
        if (a.getType() != type) {
            throw new IllegalArgumentException(where + ": attribute " + name + " is " + typeName(a.getType()) + ", expected " + typeName(type));
        }
        return a;
    }

    static String typeName(int code) { return code >= 0 && code < TYPE_NAMES.length ? TYPE_NAMES[code] : "type " + code; }

    /** The only attribute names given. */
    static Set<String> of(String... names) { return Set.copyOf(List.of(names)); }
}
