package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Conv2dGrads;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.LossResult;
import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Whole training steps and inference of the teacher CNN (conv 1->32, 32->64 at 28x28, pool,
 * 64->128 at 14x14, pool, linear 6272->256->10) and the student (conv 1->8, pool, 8->16, pool,
 * linear 784->64->10), written against the Backend API as the graph layer will call it, with a
 * per-op time profile. Plain main, not a JUnit test: {@code ... CpuTrainBench [teacher|student|all] [seconds]}.
 */
public final class CpuTrainBench {
    private final Backend b;
    private final Map<String, Long> profile = new LinkedHashMap<>();
    private long last;

    CpuTrainBench(Backend b) { this.b = b; }

    private void tick(String what) {
        long now = System.nanoTime();
        profile.merge(what, now - last, Long::sum);
        last = now;
    }

    /** One conv block: conv(+bias) -> relu [-> maxpool 2]; layers = [w, bias]. */
    record Conv(Tensor w, Tensor bias, boolean pool) {}

    record Net(List<Conv> convs, Tensor w1, Tensor b1, Tensor w2, Tensor b2) {}

    static Tensor rand(Backend b, Random rnd, float scale, int... dims) {
        Shape s = Shape.of(dims);
        float[] d = new float[s.numel()];
        for (int i = 0; i < d.length; i++) d[i] = (float) rnd.nextGaussian() * scale;
        return b.fromFloats(d, s);
    }

    static Net teacher(Backend b, Random r) {
        return new Net(List.of(new Conv(rand(b, r, 0.3f, 32, 1, 3, 3), b.zeros(Shape.of(32)), false),
                new Conv(rand(b, r, 0.06f, 64, 32, 3, 3), b.zeros(Shape.of(64)), true),
                new Conv(rand(b, r, 0.04f, 128, 64, 3, 3), b.zeros(Shape.of(128)), true)),
                rand(b, r, 0.02f, 256, 6272), b.zeros(Shape.of(256)), rand(b, r, 0.06f, 10, 256), b.zeros(Shape.of(10)));
    }

    static Net student(Backend b, Random r) {
        return new Net(List.of(new Conv(rand(b, r, 0.3f, 8, 1, 3, 3), b.zeros(Shape.of(8)), true),
                new Conv(rand(b, r, 0.1f, 16, 8, 3, 3), b.zeros(Shape.of(16)), true)),
                rand(b, r, 0.05f, 64, 784), b.zeros(Shape.of(64)), rand(b, r, 0.1f, 10, 64), b.zeros(Shape.of(10)));
    }

    /** Forward (and, when train, backward + SGD momentum step); returns the loss. Closes every temporary. */
    float step(Net net, Tensor x, int[] labels, boolean train, Map<Tensor, Tensor> velocity) {
        Conv2dSpec same = Conv2dSpec.of(1, 1);
        Pool2dSpec p2 = Pool2dSpec.square(2);
        List<Tensor> tmp = new ArrayList<>();
        List<Tensor> inputs = new ArrayList<>();
        List<Tensor> relus = new ArrayList<>();
        last = System.nanoTime();
        Tensor h = x;
        for (Conv c : net.convs()) {
            inputs.add(h);
            Tensor z = b.conv2d(h, c.w(), c.bias(), same);
            tick("conv" + inputs.size() + " fwd");
            Tensor y = b.relu(z);
            z.close();
            relus.add(y);
            tick("relu fwd");
            h = y;
            if (c.pool()) {
                h = b.maxPool2d(y, p2);
                tmp.add(h);
                tick("pool fwd");
            }
        }
        Tensor flat = b.reshape(h, Shape.of(h.shape().dim(0), h.shape().numel() / h.shape().dim(0)));
        Tensor m1 = b.matmul(flat, false, net.w1(), true);
        Tensor a1 = b.addRowVector(m1, net.b1());
        m1.close();
        Tensor r1 = b.relu(a1);
        Tensor m2 = b.matmul(r1, false, net.w2(), true);
        Tensor logits = b.addRowVector(m2, net.b2());
        m2.close();
        tick("linear fwd");
        LossResult loss = b.softmaxCrossEntropy(logits, labels);
        tick("loss");
        if (train) {
            Tensor g = loss.gradLogits();
            update(net.w2(), b.matmul(g, true, r1, false), velocity);
            update(net.b2(), b.sumRows(g), velocity);
            Tensor gMid = b.matmul(g, false, net.w2(), false);
            Tensor gr1 = b.reluBackward(r1, gMid);
            gMid.close();
            update(net.w1(), b.matmul(gr1, true, flat, false), velocity);
            update(net.b1(), b.sumRows(gr1), velocity);
            Tensor gFlat = b.matmul(gr1, false, net.w1(), false);
            gr1.close();
            Tensor gh = b.reshape(gFlat, h.shape());
            gFlat.close();
            tick("linear bwd+sgd");
            for (int i = net.convs().size() - 1; i >= 0; i--) {
                Conv c = net.convs().get(i);
                Tensor y = relus.get(i);
                if (c.pool()) {
                    Tensor up = b.maxPool2dBackward(y, gh, p2);
                    gh.close();
                    gh = up;
                    tick("pool bwd");
                }
                Tensor gz = b.reluBackward(y, gh);
                gh.close();
                tick("relu bwd");
                Conv2dGrads cg = b.conv2dBackward(inputs.get(i), c.w(), gz, same, true, i > 0);
                tick("conv" + (i + 1) + " bwd");
                update(c.w(), cg.weight(), velocity);
                update(c.bias(), cg.bias(), velocity);
                gz.close();
                gh = cg.input();
                tick("sgd");
            }
        }
        flat.close();
        for (Tensor t : tmp) t.close();
        for (Tensor t : relus) t.close();
        a1.close();
        r1.close();
        logits.close();
        loss.gradLogits().close();
        tick("close");
        return loss.loss();
    }

    private void update(Tensor param, Tensor grad, Map<Tensor, Tensor> velocity) {
        Tensor v = velocity.computeIfAbsent(param, p -> b.zeros(p.shape()));
        b.sgdUpdate(param, grad, v, 0.01f, 0.9f, 5e-4f, false);
        grad.close();
    }

    /** Images per second over the given wall time (after a warm-up of a third of it). */
    double run(Net net, int batch, boolean train, double seconds) {
        Random rnd = new Random(7);
        Tensor x = rand(b, rnd, 1f, batch, 1, 28, 28);
        int[] labels = new int[batch];
        for (int i = 0; i < batch; i++) labels[i] = rnd.nextInt(10);
        Map<Tensor, Tensor> vel = new java.util.IdentityHashMap<>();
        long w0 = System.nanoTime();
        while (System.nanoTime() - w0 < seconds / 3 * 1e9) step(net, x, labels, train, vel);
        profile.clear();
        long[] load = SystemLoad.sample();
        long t0 = System.nanoTime();
        int steps = 0;
        do {
            step(net, x, labels, train, vel);
            steps++;
        } while (System.nanoTime() - t0 < seconds * 1e9);
        double dt = (System.nanoTime() - t0) / 1e9;
        double others = SystemLoad.othersShare(load, SystemLoad.sample());
        StringBuilder prof = new StringBuilder();
        for (var e : profile.entrySet()) prof.append(String.format(" %s %.2f", e.getKey(), e.getValue() / 1e6 / steps));
        System.out.printf("  %s batch %d: %.0f img/s (%.2f ms/step; other processes %.0f%% CPU)%n    ms/step:%s%n",
                train ? "train" : "infer", batch, batch * steps / dt, dt * 1e3 / steps, others * 100, prof);
        return batch * steps / dt;
    }

    public static void main(String[] args) {
        String which = args.length > 0 ? args[0] : "all";
        double sec = args.length > 1 ? Double.parseDouble(args[1]) : 6;
        CpuBackend cpu = new CpuBackend();
        System.out.println("cpu backend: " + cpu.describe());
        SystemLoad.waitForIdle(60);
        CpuTrainBench bench = new CpuTrainBench(cpu);
        if (!which.equals("teacher")) {
            System.out.println("student");
            bench.run(student(cpu, new Random(1)), 64, true, sec);
            bench.run(student(cpu, new Random(1)), 256, false, sec / 2);
        }
        if (!which.equals("student")) {
            System.out.println("teacher");
            bench.run(teacher(cpu, new Random(1)), 64, true, sec);
            bench.run(teacher(cpu, new Random(1)), 256, false, sec / 2);
        }
    }
}
