package dev.nncompress.backend.cpu;

import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Parameter;
import dev.nncompress.models.Models;
import dev.nncompress.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The optimiser step (SGD with momentum, as the training benches) over a built-in model's parameters: one
 * {@code sgdUpdate} per parameter against one {@code sgdUpdateAll}, alternating rounds in one run. Plain main:
 * {@code ... OptimizerStepBench [model] [rounds] [stepsPerRound]}.
 */
public final class OptimizerStepBench {
    private OptimizerStepBench() {}

    public static void main(String[] args) {
        String model = args.length > 0 ? args[0] : "student";
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 7;
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 500;
        CpuBackend b = new CpuBackend();
        Graph g = Models.byName(model, b, 1);
        List<Tensor> params = new ArrayList<>(), grads = new ArrayList<>(), vel = new ArrayList<>();
        for (Parameter p : g.trainableParams()) {
            params.add(p.value());
            grads.add(b.zeros(p.value().shape()));
            vel.add(b.zeros(p.value().shape()));
        }
        // sides: 0 one sgdUpdate per parameter, 1 one sgdUpdateAll, 2 the SGD optimiser's step with its gradients cleared after (as Trainer)
        long[] best = {Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE};
        long[] bestCpu = {Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE}; // the calling thread's CPU: waiting for a core on a loaded machine is not in it
        java.lang.management.ThreadMXBean tmx = java.lang.management.ManagementFactory.getThreadMXBean();
        try (dev.nncompress.train.Optimizer opt = new dev.nncompress.train.OptimizerConfig.Sgd(0.01f, 0.9f, 0, false).create()) {
            for (int r = 0; r < rounds; r++) {
                for (int side = 0; side < 3; side++) {
                    long c0 = tmx.getCurrentThreadCpuTime();
                    long t0 = System.nanoTime();
                    for (int s = 0; s < steps; s++) {
                        if (side == 0) {
                            for (int i = 0; i < params.size(); i++) b.sgdUpdate(params.get(i), grads.get(i), vel.get(i), 0.01f, 0.9f, 0f, false);
                        } else if (side == 1) {
                            b.sgdUpdateAll(params, grads, vel, 0.01f, 0.9f, 0f, false);
                        } else {
                            for (int i = 0; i < params.size(); i++) g.trainableParams().get(i).accumulateGrad(b.reshape(grads.get(i), grads.get(i).shape()));
                            opt.step(g.trainableParams(), 0.01f);
                            for (Parameter p : g.trainableParams()) p.clearGrad();
                        }
                    }
                    best[side] = Math.min(best[side], System.nanoTime() - t0);
                    bestCpu[side] = Math.min(bestCpu[side], tmx.getCurrentThreadCpuTime() - c0);
                }
            }
        }
        System.out.printf(Locale.ROOT, "%s: %d params, us/step (calling thread CPU): per-parameter %.1f (%.1f), all in one pass %.1f (%.1f), optimiser step + clearGrad %.1f (%.1f); best of %d rounds%n",
                model, params.size(), best[0] / 1e3 / steps, bestCpu[0] / 1e3 / steps, best[1] / 1e3 / steps, bestCpu[1] / 1e3 / steps,
                best[2] / 1e3 / steps, bestCpu[2] / 1e3 / steps, rounds);
    }
}
