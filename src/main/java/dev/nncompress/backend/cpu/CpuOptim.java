package dev.nncompress.backend.cpu;

import static dev.nncompress.backend.cpu.Mem.get;
import static dev.nncompress.backend.cpu.Mem.put;

/**
 * Fused optimiser steps (one pass over param, grad and state) as PyTorch's SGD, Adam and AdamW.
 * Float arithmetic: the update is small against the parameter, so the difference to the reference's
 * double arithmetic stays within a few ulps of the parameter.
 */
final class CpuOptim {
    private CpuOptim() {}

    /** velocity is 0 when momentum is 0 (no state). */
    static void sgd(long p, long grad, long velocity, int n, float lr, float momentum, float wd, boolean nesterov) {
        CpuPar.forElements(n, (from, to) -> {
            if (velocity == 0L) {
                for (int i = from; i < to; i++) {
                    float pi = get(p, i);
                    put(p, i, pi - lr * (get(grad, i) + wd * pi));
                }
                return;
            }
            for (int i = from; i < to; i++) {
                float pi = get(p, i);
                float g = get(grad, i) + wd * pi;
                float v = momentum * get(velocity, i) + g;
                put(velocity, i, v);
                put(p, i, pi - lr * (nesterov ? g + momentum * v : v));
            }
        });
    }

    static void adam(long p, long grad, long m, long v, int n, int step, float lr, float beta1, float beta2, float eps,
                     float wd, boolean decoupled) {
        double bc1 = 1.0 - Math.pow(beta1, step);
        double bc2Sqrt = Math.sqrt(1.0 - Math.pow(beta2, step));
        float stepSize = (float) (lr / bc1);
        float invBc2Sqrt = (float) (1.0 / bc2Sqrt);
        float decay = decoupled ? (float) (1.0 - (double) lr * wd) : 1f;
        float l2 = decoupled ? 0f : wd;
        float oneMinusB1 = (float) (1.0 - beta1);
        float oneMinusB2 = (float) (1.0 - beta2);
        CpuPar.forElements(n, (from, to) -> {
            for (int i = from; i < to; i++) {
                float pi = get(p, i) * decay;
                float g = get(grad, i) + l2 * pi;
                float mi = beta1 * get(m, i) + oneMinusB1 * g;
                float vi = beta2 * get(v, i) + oneMinusB2 * g * g;
                put(m, i, mi);
                put(v, i, vi);
                put(p, i, pi - stepSize * mi / ((float) Math.sqrt(vi) * invBc2Sqrt + eps));
            }
        });
    }
}
