package dev.nncompress.int8;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nncompress.backend.Backend;
import dev.nncompress.backend.cpu.CpuBackend;
import dev.nncompress.backend.cpu.Int8KernelChoice;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.compress.prepare.GraphPreparation;
import dev.nncompress.compress.quant.calib.Calibrator;
import dev.nncompress.compress.quant.calib.QuantPlan;
import dev.nncompress.compress.quant.calib.QuantTargets;
import dev.nncompress.compress.quant.convert.Int8Converter;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.io.Int8ModelIO;
import dev.nncompress.io.onnx.OnnxFixtures;
import dev.nncompress.io.onnx.OnnxImporter;
import dev.nncompress.models.Models;

import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Issue 21's check of the int8 engine's move onto Backend ops against the engine before it, in one process: the
 * classes of an older build (its {@code target/classes}, e.g. main before the move) load in a child-first class
 * loader beside this build's, each runs the same int8 model files on the same inputs, and this prints
 * <ul>
 *   <li>whether the logits are bit-identical (built-in models and the ONNX fixtures that convert; both engines with
 *       the reference backend's float ops, so nodes kept in float compute alike, and the int8 ops on the same
 *       kernels), and</li>
 *   <li>images/s of the old and the new engine on the cpu path (new: the cpu backend; old: its kernels, no float
 *       node in student and teacher) at batch 256 and 1, in alternating rounds, with the median ratio.</li>
 * </ul>
 * Usage: {@code Int8EngineComparison OLD_CLASSES_DIR [threads] [rounds] [speed]} ({@code speed}: skip the bit-exactness part). A benchmark, not a test.
 */
public final class Int8EngineComparison {
    public static void main(String[] args) throws Exception {
        Path oldClasses = Path.of(args[0]);
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : Int8KernelChoice.defaultThreads();
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        ReferenceBackend ref = new ReferenceBackend();
        Path dir = Files.createTempDirectory("int8-compare");
        ClassLoader old = new ChildFirst(new URL[] {oldClasses.toUri().toURL()}, Int8EngineComparison.class.getClassLoader());
        List<String> names = new ArrayList<>(List.of("student", "teacher", "lenet5", "resnet8"));
        for (String f : List.of("mobilenetv2", "mobilenetv2_student", "squeezenet", "se_resnet", "resnet_op13", "lenet_op17", "mlp_op11",
                "opzoo_op11", "opzoo_op13", "opzoo_op17", "opzoo_helper_op21", "se_resnet_dynamo_op18")) names.add("onnx:" + f);
        boolean speedOnly = args.length > 3 && args[3].equals("speed");
        if (speedOnly) names = List.of("student", "teacher");
        int mismatches = 0;
        for (String name : names) {
            Path file = dir.resolve(name.replace(':', '_') + ".safetensors");
            float[] x;
            int n;
            try {
                Object[] made = make(name, ref);
                Int8ModelIO.save((Int8Model) made[0], file, Map.of());
                x = (float[]) made[1];
                n = (int) made[2];
            } catch (RuntimeException e) {
                System.out.println(name + ": skipped (" + e.getMessage() + ")");
                continue;
            }
            if (speedOnly) continue;
            Object oldRunner = oldRunner(old, file, threads, false);
            try (Int8Runner neu = new Int8Runner(Int8ModelIO.load(file).model(), Int8KernelChoice.choose("auto", threads).kernels(), ref)) {
                for (int batch : new int[] {n, 1}) {
                    float[] in = Arrays.copyOf(x, batch * (x.length / n));
                    float[] a = oldLogits(oldRunner, in, batch), b = neu.logits(in, batch);
                    boolean same = Arrays.equals(a, b);
                    if (!same) mismatches++;
                    System.out.printf(Locale.ROOT, "%-28s batch %3d: %s (%d logits, kernels %s, %d float nodes)%n", name, batch,
                            same ? "bit-identical" : "DIFFERENT", b.length, neu.kernelsName(), neu.floatFallbacks().size());
                }
            }
            ((AutoCloseable) oldRunner).close();
        }
        System.out.println(mismatches == 0 ? "all bit-identical" : mismatches + " MISMATCHES");
        try (CpuBackend cpu = new CpuBackend()) {
            for (String name : List.of("student", "teacher")) speed(name, dir.resolve(name + ".safetensors"), old, cpu, threads, rounds);
        }
    }

    private static void speed(String name, Path file, ClassLoader old, Backend cpu, int threads, int rounds) throws Exception {
        Object oldRunner = oldRunner(old, file, threads, true);
        Backend b = (Boolean.getBoolean("int8.compare.ref") ? new ReferenceBackend() : cpu).withInt8Kernels(Int8KernelChoice.choose("auto", threads).kernels());
        try (Int8Runner neu = new Int8Runner(Int8ModelIO.load(file).model(), b)) {
            for (int batch : new int[] {256, 1}) {
                float[] x = images(batch, (int) neu.inputShape().numel());
                double budget = 0.4; // seconds per engine per round
                double[] oldIps = new double[rounds], newIps = new double[rounds], ratio = new double[rounds];
                for (int r = -3; r < rounds; r++) { // rounds -3 to -1 warm both up (the JIT's last tiers come late)
                    boolean newFirst = (r & 1) != 0; // each engine goes first in every other round: no order bias
                    double nw = newFirst ? ips(() -> neu.logits(x, batch), batch, budget, threads == 1) : 0;
                    double o = ips(() -> oldLogits(oldRunner, x, batch), batch, budget, threads == 1);
                    if (!newFirst) nw = ips(() -> neu.logits(x, batch), batch, budget, threads == 1);
                    if (r < 0) continue;
                    oldIps[r] = o;
                    newIps[r] = nw;
                    ratio[r] = nw / o;
                }
                Arrays.sort(ratio);
                System.out.printf(Locale.ROOT, "%-8s batch %3d, %d threads (" + (threads == 1 ? "thread CPU time" : "wall time") + "): old %.0f img/s, new %.0f img/s (medians), new/old %.3f (min %.3f, max %.3f), %s%n",
                        name, batch, threads, median(oldIps), median(newIps), ratio[rounds / 2], ratio[0], ratio[rounds - 1], neu.kernelsName());
            }
            if (Boolean.getBoolean("int8.compare.nodes")) { // where the time went, summed over every call of both batch sizes
                System.out.println("  ms per node, old: " + oldRunner.getClass().getMethod("millisPerNode").invoke(oldRunner));
                System.out.println("  ms per node, new: " + neu.millisPerNode());
            }
        }
        ((AutoCloseable) oldRunner).close();
    }

    /**
     * Images per second of {@code call} over about {@code seconds}: by the calling thread's CPU time with one thread
     * (the kernels then run on it, so other processes' load does not count), else by wall time.
     */
    private static double ips(ThrowingRunnable call, int batch, double seconds, boolean cpuTime) throws Exception {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        long t0 = System.nanoTime(), c0 = mx.getCurrentThreadCpuTime(), end = t0 + (long) (seconds * 1e9);
        int calls = 0;
        do {
            call.run();
            calls++;
        } while (System.nanoTime() < end);
        long spent = cpuTime ? mx.getCurrentThreadCpuTime() - c0 : System.nanoTime() - t0;
        return calls * (double) batch / (spent / 1e9);
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    /** The model, its inputs and their count: a built-in (random init, minmax on 256 training images) or an ONNX fixture. */
    private static Object[] make(String name, ReferenceBackend ref) {
        if (name.startsWith("onnx:")) {
            String f = name.substring(5);
            JsonNode expected = OnnxFixtures.expected(f);
            if (OnnxFixtures.needsDataset(expected) && !OnnxFixtures.datasetInstalled()) throw new IllegalStateException("Fashion-MNIST not installed");
            OnnxFixtures.Input in = OnnxFixtures.inputs(expected);
            int n = (int) in.shape()[0];
            Graph g = GraphPreparation.forInference(OnnxImporter.importFile(OnnxFixtures.file(f), ref).graph()).graph();
            int[] s = new int[] {1, 1, 1};
            for (int i = 1; i < in.shape().length; i++) s[i - 1] = (int) in.shape()[i];
            Dataset data = new Dataset(in.values(), new int[n], s[0], s[1], s[2], 10);
            QuantPlan plan = new Calibrator("minmax", n, n, null).calibrate(QuantTargets.of(g), data, ref);
            return new Object[] {Int8Converter.convert(g, plan, Map.of()), in.values(), n};
        }
        Dataset images = dev.nncompress.data.FashionMnist.train(dev.nncompress.data.FashionMnist.DEFAULT_DIR, 256);
        Graph g = GraphPreparation.forInference(Models.byName(name, ref, 0)).graph();
        QuantPlan plan = new Calibrator("minmax", 256, 256, null).calibrate(QuantTargets.of(g), images, ref);
        int per = (int) g.inputShape().numel();
        return new Object[] {Int8Converter.convert(g, plan, Map.of("source", name)), images(256, per), 256};
    }

    private static float[] images(int n, int per) {
        float[] x = new float[n * per];
        SplittableRandom rnd = new SplittableRandom(1);
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextDouble();
        return x;
    }

    /** The old build's Int8Runner over its kernels and its reference backend, through reflection. */
    private static Object oldRunner(ClassLoader old, Path file, int threads, boolean quiet) throws Exception {
        Object loaded = old.loadClass("dev.nncompress.io.Int8ModelIO").getMethod("load", Path.class).invoke(null, file);
        Object model = loaded.getClass().getMethod("model").invoke(loaded);
        Object choice = old.loadClass("dev.nncompress.backend.cpu.Int8KernelChoice").getMethod("choose", String.class, int.class).invoke(null, "auto", threads);
        Object kernels = choice.getClass().getMethod("kernels").invoke(choice);
        Object backend = old.loadClass("dev.nncompress.backend.ref.ReferenceBackend").getConstructor().newInstance();
        Class<?> runner = old.loadClass("dev.nncompress.int8.Int8Runner");
        return runner.getConstructor(old.loadClass("dev.nncompress.int8.Int8Model"), old.loadClass("dev.nncompress.backend.Int8Kernels"),
                old.loadClass("dev.nncompress.backend.Backend")).newInstance(model, kernels, backend);
    }

    private static float[] oldLogits(Object runner, float[] x, int n) throws Exception {
        Method m = runner.getClass().getMethod("logits", float[].class, int.class);
        return (float[]) m.invoke(runner, x, n);
    }

    /** Loads dev.nncompress classes from its own URLs first (the old build), everything else from the parent. */
    private static final class ChildFirst extends URLClassLoader {
        ChildFirst(URL[] urls, ClassLoader parent) { super(urls, parent); }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            synchronized (getClassLoadingLock(name)) {
                if (name.startsWith("dev.nncompress.")) {
                    Class<?> c = findLoadedClass(name);
                    if (c == null) {
                        try {
                            c = findClass(name);
                        } catch (ClassNotFoundException e) {
                            c = super.loadClass(name, false);
                        }
                    }
                    if (resolve) resolveClass(c);
                    return c;
                }
                return super.loadClass(name, resolve);
            }
        }

        @Override public URL getResource(String name) {
            URL u = findResource(name); // the old build's native library and kernels beside its classes
            return u != null ? u : super.getResource(name);
        }
    }
}
