package dev.nncompress.io.onnx;

import dev.nncompress.quant.QParams;
import dev.nncompress.compress.quant.calib.QuantPreset;
import dev.nncompress.graph.Graph;
import dev.nncompress.int8.Int8Model;
import dev.nncompress.int8.QuantizedWeight;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/**
 * The runtime an int8 (QDQ) export is for (CLI {@code export --target}).
 *
 * <ul>
 *   <li>{@link #DEFAULT}: any ONNX runtime that fuses QDQ (ONNX Runtime, OpenVINO): activations as quantised
 *       (affine or not), biases of int8 layers as INT32 codes.</li>
 *   <li>{@link #TENSORRT}: TensorRT's explicit quantisation takes only symmetric int8 activations (zero point 0)
 *       and int8 weights in [-127, 127], and its ONNX parser dequantises INT8 tensors only, so the bias of an int8
 *       layer is written FLOAT, on the int32 grid of its accumulator (TensorRT quantises it again: the same codes).
 *       A model that is not in that form is refused ({@link #check}), never approximated: re-quantising it with
 *       {@code quantize --preset tensorrt} ({@link QuantPreset#TENSORRT}) is what gives that form exactly.</li>
 * </ul>
 */
public enum ExportTarget {
    DEFAULT, TENSORRT;

    public String cliName() { return name().toLowerCase(Locale.ROOT); }

    /** The CLI name, as {@code export --help} lists it. */
    @Override
    public String toString() { return cliName(); }

    /** The target of a CLI name; unknown names fail with the known ones. */
    public static ExportTarget of(String name) {
        for (ExportTarget t : values()) if (t.cliName().equals(name)) return t;
        throw new IllegalArgumentException("--target " + name + " is not one of: " + String.join(", ", Arrays.stream(values()).map(ExportTarget::cliName).toList()));
    }

    /** Whether the bias of an int8 layer is written as INT32 codes (else FLOAT, on the same grid). */
    boolean int32Bias() { return this != TENSORRT; }

    /**
     * Refuses, naming the first layer (in graph order) and the fix, a model this target cannot run as it is:
     * for TENSORRT an activation with a zero point other than 0, or a weight code of -128.
     */
    public void check(Int8Model model) {
        if (this != TENSORRT) return;
        String fix = "; re-quantize the float model with 'nncompress quantize --preset tensorrt'";
        for (Map.Entry<String, QParams> e : model.activations().entrySet()) {
            int zp = e.getValue().zeroPoint(0);
            if (zp != 0) {
                String what = Graph.INPUT.equals(e.getKey()) ? "the input" : "layer " + e.getKey();
                throw new OnnxExportException("--target tensorrt needs symmetric activations (zero point 0), but " + what
                        + " is quantised with zero point " + zp + fix);
            }
        }
        for (Map.Entry<String, QuantizedWeight> e : model.weights().entrySet()) {
            for (byte c : e.getValue().codes()) {
                if (c < -QuantPreset.NARROW_MAX) {
                    throw new OnnxExportException("--target tensorrt needs int8 weights in [-127, 127], but layer " + e.getKey() + " has weight code " + c + fix);
                }
            }
        }
    }
}
