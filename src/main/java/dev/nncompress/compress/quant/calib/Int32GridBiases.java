package dev.nncompress.compress.quant.calib;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.GemmS8Epilogue;
import dev.nncompress.quant.QParams;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.Parameter;
import dev.nncompress.int8.Int32Bias;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stand-in copies of the biases of int8 layers, moved onto the int32 grid of their accumulator
 * ({@link Int32Bias#onGrid}, scale = input scale x weight scale per channel): what the int8 engine, ONNX's
 * QLinearConv and our QDQ export add. Simulated int8 moves them once from its plan; QAT every step, as soon as a
 * layer's input has this step's parameters ({@link #inputQuantised}), so that the fake-quantised forward it
 * trains on adds the bias the converted engine will add (issue 18: a float bias is up to half an accumulator
 * step away, enough to flip codes). The gradient is straight through ({@link #passGradients}): the rounding is
 * treated as the identity, as for weights, and no code is ever clamped.
 *
 * <p>A layer gets a copy when its weight is planned and it has a bias; until its input is quantised the copy
 * holds the float bias (an input kept in float: the engine adds the float bias too). Close it to free the copies.
 */
public final class Int32GridBiases implements AutoCloseable {
    private record Copy(Parameter source, Parameter copy, float[] weightScales) {}

    private final Backend backend;
    /** input tensor -> the copies of the layers reading it. */
    private final Map<String, List<Copy>> byInput = new LinkedHashMap<>();
    private final Map<String, Parameter> params = new LinkedHashMap<>();

    /** @param weights node -> its weight's parameters (per output channel), for the planned weights */
    public Int32GridBiases(Graph prepared, Map<String, QParams> weights, Backend backend) {
        this.backend = backend;
        try {
            for (Node n : prepared.nodes()) {
                QParams w = weights.get(n.name());
                Parameter b = prepared.params().get(n.paramName("bias"));
                if (w == null || b == null) continue;
                Parameter copy = new Parameter(b.name(), backend.fromFloats(b.value().toFloatArray(), b.value().shape()), b.trainable());
                params.put(b.name(), copy);
                byInput.computeIfAbsent(n.inputs().get(0), k -> new ArrayList<>()).add(new Copy(b, copy, w.scales()));
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The copies by parameter name, to put in a stand-in graph's parameters. */
    public Map<String, Parameter> params() { return Collections.unmodifiableMap(params); }

    /** {@code tensor} is quantised with {@code q}: the biases of the layers that read it move onto their grid. */
    public void inputQuantised(String tensor, QParams q) {
        for (Copy c : byInput.getOrDefault(tensor, List.of())) {
            float[] grid = Int32Bias.onGrid(c.source().value().toFloatArray(), GemmS8Epilogue.combinedScales(q.scale(0), c.weightScales()));
            c.copy().setValue(backend.fromFloats(grid, c.source().value().shape())); // closes the previous value
        }
    }

    /** Straight-through estimator: each copy's gradient goes to its source bias unchanged. */
    public void passGradients() {
        for (List<Copy> cs : byInput.values()) {
            for (Copy c : cs) {
                if (c.copy().grad() == null) continue; // the bias did not reach the loss
                var g = c.copy().grad();
                c.source().accumulateGrad(Backend.of(g).fromFloats(g.toFloatArray(), g.shape()));
                c.copy().clearGrad();
            }
        }
    }

    @Override
    public void close() {
        for (Parameter p : params.values()) {
            p.clearGrad();
            p.value().close();
        }
        params.clear();
        byInput.clear();
    }
}
