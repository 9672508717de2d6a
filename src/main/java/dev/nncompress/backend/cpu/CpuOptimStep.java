package dev.nncompress.backend.cpu;

import dev.nncompress.backend.ArgChecks;
import dev.nncompress.tensor.Tensor;

import java.util.List;

/**
 * The CPU's many-parameter optimiser steps ({@code Backend.sgdUpdateAll}, {@code adamUpdateAll}): every tensor is
 * checked as the one-parameter op checks it, then one {@link CpuOptim} pass updates all of them.
 */
final class CpuOptimStep {
    private CpuOptimStep() {}

    static void sgd(List<Tensor> params, List<Tensor> grads, List<Tensor> velocities, float lr, float momentum, float wd, boolean nesterov) {
        String op = "sgdUpdateAll";
        if (velocities == null) ArgChecks.sameCount(op, params, grads);
        else ArgChecks.sameCount(op, params, grads, velocities);
        int k = params.size();
        CpuTensor[] ps = new CpuTensor[k];
        CpuTensor[] vs = new CpuTensor[k];
        long[] pa = new long[k], ga = new long[k], va = new long[k];
        int[] n = new int[k];
        for (int i = 0; i < k; i++) {
            Tensor v = velocities == null ? null : velocities.get(i);
            ps[i] = CpuChecks.cpu(op, "param", params.get(i));
            CpuTensor g = CpuChecks.cpu(op, "grad", grads.get(i));
            vs[i] = v == null ? null : CpuChecks.cpu(op, "velocity", v);
            ArgChecks.sgd(params.get(i), grads.get(i), v, lr, momentum, wd, nesterov);
            n[i] = params.get(i).numel();
            pa[i] = ps[i].address();
            ga[i] = g.address();
            va[i] = v == null ? 0L : vs[i].address();
        }
        CpuOptim.sgd(pa, ga, va, n, lr, momentum, wd, nesterov);
        for (int i = 0; i < k; i++) {
            ps[i].written();
            if (vs[i] != null) vs[i].written();
        }
    }

    static void adam(List<Tensor> params, List<Tensor> grads, List<Tensor> ms, List<Tensor> vs, int step, float lr, float beta1, float beta2,
                     float eps, float wd, boolean decoupled) {
        String op = decoupled ? "adamUpdateAll (AdamW)" : "adamUpdateAll";
        ArgChecks.sameCount(op, params, grads, ms, vs);
        int k = params.size();
        CpuTensor[][] written = new CpuTensor[k][];
        long[] pa = new long[k], ga = new long[k], ma = new long[k], va = new long[k];
        int[] n = new int[k];
        for (int i = 0; i < k; i++) {
            CpuTensor p = CpuChecks.cpu(op, "param", params.get(i));
            CpuTensor g = CpuChecks.cpu(op, "grad", grads.get(i));
            CpuTensor m = CpuChecks.cpu(op, "m", ms.get(i));
            CpuTensor v = CpuChecks.cpu(op, "v", vs.get(i));
            ArgChecks.adam(op, params.get(i), grads.get(i), ms.get(i), vs.get(i), step, lr, beta1, beta2, eps, wd);
            n[i] = params.get(i).numel();
            pa[i] = p.address();
            ga[i] = g.address();
            ma[i] = m.address();
            va[i] = v.address();
            written[i] = new CpuTensor[] {p, m, v};
        }
        CpuOptim.adam(pa, ga, ma, va, n, step, lr, beta1, beta2, eps, wd, decoupled);
        for (CpuTensor[] w : written) {
            for (CpuTensor t : w) t.written();
        }
    }
}
