package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Binary;
import dev.nncompress.backend.Unary;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.tensor.Tensor;

import java.util.Locale;
import java.util.Random;

import static dev.nncompress.backend.cpu.CpuBackendBench.rand;
import static dev.nncompress.backend.cpu.CpuBackendBench.time;

/**
 * The CPU pointwise ops (issue 17) against their baselines, measured in the same run: a broadcast multiply
 * (squeeze-excitation [64, 256, 14, 14] x [64, 256, 1, 1], a per-channel constant) against the same-shape
 * {@code mul} the backend had (its memory-bound floor) and the reference's definition; the gate's gradient
 * (a reduction over H*W); activations against {@code relu}; softmax of [256, 1000] logits. Not a JUnit test:
 * {@code java -cp target/classes:target/test-classes:<deps> dev.nncompress.backend.cpu.CpuPointwiseBench}.
 */
public final class CpuPointwiseBench {
    private CpuPointwiseBench() {}

    public static void main(String[] args) {
        CpuBackend b = CpuBackendBench.B;
        ReferenceBackend ref = new ReferenceBackend();
        Random rnd = new Random(1);
        Tensor x = rand(rnd, 64, 256, 14, 14), y = rand(rnd, 64, 256, 14, 14), gate = rand(rnd, 64, 256, 1, 1), c = rand(rnd, 256, 1, 1);
        Tensor rx = ref.fromFloats(x.toFloatArray(), x.shape()), rg = ref.fromFloats(gate.toFloatArray(), gate.shape());
        double mul = time(() -> b.mul(x, y).close(), 0.3);
        double se = time(() -> b.binary(Binary.MUL, x, gate).close(), 0.3);
        double pc = time(() -> b.binary(Binary.SUB, x, c).close(), 0.3);
        double same = time(() -> b.binary(Binary.MUL, x, y).close(), 0.3);
        double seRef = time(() -> ref.binary(Binary.MUL, rx, rg), 0.3);
        double seGrad = time(() -> b.binaryBackward(Binary.MUL, 1, x, gate, y).close(), 0.3);
        double seGradRef = time(() -> ref.binaryBackward(Binary.MUL, 1, rx, rg, ref.fromFloats(y.toFloatArray(), y.shape())), 0.3);
        double relu = time(() -> b.relu(x).close(), 0.3);
        double hswish = time(() -> b.unary(Unary.HARD_SWISH, x, 1f / 6f, 0.5f).close(), 0.3);
        double clip = time(() -> b.unary(Unary.CLIP, x, 0f, 6f).close(), 0.3);
        double sigmoid = time(() -> b.unary(Unary.SIGMOID, x, 0f, 0f).close(), 0.3);
        Tensor logits = rand(rnd, 256, 1000);
        double softmax = time(() -> b.softmax(logits, 1).close(), 0.3);
        double n = x.numel() / 1e6;
        System.out.printf(Locale.ROOT, "[64,256,14,14], %.1f M floats, %d Java loop threads:%n", n, CpuPar.threads());
        System.out.printf(Locale.ROOT, "  mul same shape (the existing op)     %7.2f ms%n", mul * 1e3);
        System.out.printf(Locale.ROOT, "  binary MUL same shape                 %7.2f ms  (%.2fx the existing op)%n", same * 1e3, same / mul);
        System.out.printf(Locale.ROOT, "  binary MUL SE gate [64,256,1,1]       %7.2f ms  (%.2fx the same-shape mul; reference %.1f ms, %.0fx)%n", se * 1e3, se / mul,
                seRef * 1e3, seRef / se);
        System.out.printf(Locale.ROOT, "  binary SUB per-channel [256,1,1]      %7.2f ms  (%.2fx the same-shape mul)%n", pc * 1e3, pc / mul);
        System.out.printf(Locale.ROOT, "  gate gradient (sum over H*W)          %7.2f ms  (reference %.1f ms, %.0fx)%n", seGrad * 1e3, seGradRef * 1e3, seGradRef / seGrad);
        System.out.printf(Locale.ROOT, "  relu (the existing op)                %7.2f ms%n", relu * 1e3);
        System.out.printf(Locale.ROOT, "  CLIP 0..6 / HARD_SWISH / SIGMOID      %7.2f / %.2f / %.2f ms  (%.2fx / %.2fx / %.2fx relu)%n", clip * 1e3, hswish * 1e3,
                sigmoid * 1e3, clip / relu, hswish / relu, sigmoid / relu);
        System.out.printf(Locale.ROOT, "  softmax [256, 1000]                   %7.2f ms%n", softmax * 1e3);
    }
}
