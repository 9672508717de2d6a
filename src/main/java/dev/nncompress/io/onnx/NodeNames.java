package dev.nncompress.io.onnx;

import dev.nncompress.graph.Graph;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Names of the nodes an import creates, taken from the user's names so that {@code info}, pruning and
 * quantization reports speak them: the module path of the layer's weight when it has one
 * ({@code layer1.0.conv1.weight} gives {@code layer1_0_conv1}), else the ONNX node's name
 * ({@code /layer1/Relu_1} gives {@code layer1_Relu_1}), else the op and its position. Our node names
 * cannot hold '.' (a parameter is {@code <node>.<suffix>}), so every character outside
 * {@code [A-Za-z0-9_-]} becomes '_'; the exact ONNX names are kept in the model's provenance
 * ({@link OnnxImporter#NAMES_KEY}).
 */
final class NodeNames {
    private static final int MAX_CHARS = 96;
    private final Set<String> taken = new HashSet<>(Set.of(Graph.INPUT));

    /** A new unique name for a node: the first usable of the candidates, sanitized, with a suffix _2, _3... on collision. */
    String unique(String weightName, String onnxNodeName, String opType, int index) {
        String base = sanitize(modulePath(weightName));
        if (base.isEmpty()) base = sanitize(onnxNodeName);
        if (base.isEmpty()) base = sanitize(opType.toLowerCase(Locale.ROOT) + "_" + index);
        String name = base;
        for (int k = 2; !taken.add(name); k++) name = base + "_" + k;
        return name;
    }

    /** "layer1.0.conv1.weight" -> "layer1.0.conv1"; a name without a '.' suffix (w2, onnx::Conv_12) gives "". */
    private static String modulePath(String weightName) {
        if (weightName == null || weightName.startsWith("onnx::")) return "";
        int dot = weightName.lastIndexOf('.');
        return dot > 0 ? weightName.substring(0, dot) : "";
    }

    static String sanitize(String s) {
        if (s == null) return "";
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length() && sb.length() < MAX_CHARS; i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
            if (ok) {
                sb.append(c);
            } else if (sb.length() > 0 && sb.charAt(sb.length() - 1) != '_') {
                sb.append('_');
            }
        }
        while (sb.length() > 0 && sb.charAt(sb.length() - 1) == '_') sb.setLength(sb.length() - 1);
        return sb.toString();
    }
}
