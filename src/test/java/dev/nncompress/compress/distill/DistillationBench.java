package dev.nncompress.compress.distill;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Backends;
import dev.nncompress.backend.cpu.Int8KernelChoice;
import dev.nncompress.data.BatchIterator;
import dev.nncompress.data.Batches;
import dev.nncompress.data.Dataset;
import dev.nncompress.data.FashionMnist;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.graph.Predictor;
import dev.nncompress.int8.Int8Runner;
import dev.nncompress.io.ModelIO;
import dev.nncompress.models.Models;
import dev.nncompress.train.EpochStats;
import dev.nncompress.train.LrSchedule;
import dev.nncompress.train.OptimizerConfig;
import dev.nncompress.train.Optimizer;
import dev.nncompress.train.StepHook;
import dev.nncompress.train.TrainConfig;
import dev.nncompress.train.TrainListener;
import dev.nncompress.train.Trainer;
import dev.nncompress.train.TrainingLoss;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Distillation measurements on Fashion-MNIST, one process so the teacher's logits are cached once. Plain main, not
 * a JUnit test:
 * <pre>{@code java -cp target/classes:target/test-classes:LIBS dev.nncompress.compress.distill.DistillationBench \
 *   speed TEACHER.safetensors [TEACHER-INT8.safetensors] [ROUNDS] [STEPS]
 *   cache TEACHER.safetensors BATCH [BATCH ...]
 *   compare TEACHER.safetensors EPOCHS val|test SEEDS SCHEDULE,LR,T,ALPHA ...}</pre>
 * speed: training throughput of plain student training, distillation from the cache, and from the live float (and
 * int8) teacher, in interleaved rounds of STEPS steps at batch 64 on the default backend; median per mode and its
 * ratio to plain. compare: plain training vs distillation, same seed and data order per pair, student from scratch,
 * sgd momentum 0.9, batch 64, accuracy after each epoch; settings chosen on a
 * validation split ("val"), then plain against distillation over several seeds on the test set ("test").
 */
public final class DistillationBench {
    private DistillationBench() {}

    public static void main(String[] args) {
        Backend backend = Backends.defaultBackend();
        Dataset train = FashionMnist.train(FashionMnist.DEFAULT_DIR);
        Dataset test = FashionMnist.test(FashionMnist.DEFAULT_DIR);
        Graph teacher = ModelIO.load(Path.of(args[1]), backend).graph();
        if (args[0].equals("cache")) {
            // teacher pass time per cache batch size, interleaved rounds over the first 12,800 images
            Dataset part = train.slice(0, 12_800);
            GraphPredictor p = new GraphPredictor(teacher, backend);
            for (int r = 0; r < 3; r++) {
                for (int i = 2; i < args.length; i++) {
                    CachedTeacherLogits c = CachedTeacherLogits.compute(p, part, Integer.parseInt(args[i]));
                    System.out.printf(Locale.ROOT, "round %d batch %s: %.0f img/s%n", r, args[i], c.count() / c.seconds());
                }
            }
        } else if (args[0].equals("speed")) {
            speed(backend, train, teacher, args.length > 2 ? args[2] : null, args.length > 3 ? Integer.parseInt(args[3]) : 5,
                    args.length > 4 ? Integer.parseInt(args[4]) : 100);
        } else {
            compare(backend, train, test, teacher, Arrays.copyOfRange(args, 2, args.length));
        }
    }

    private static void speed(Backend backend, Dataset train, Graph teacher, String int8File, int rounds, int steps) {
        Map<String, TrainingLoss> modes = new LinkedHashMap<>();
        ResponseDistillation kd = new ResponseDistillation(4, 0.9);
        GraphPredictor floatTeacher = new GraphPredictor(teacher, backend);
        long t0 = System.nanoTime();
        CachedTeacherLogits cache = CachedTeacherLogits.compute(floatTeacher, train, 64);
        System.out.printf(Locale.ROOT, "cache: %d images in %.1f s (%.0f img/s, float teacher, batch 64)%n", cache.count(),
                (System.nanoTime() - t0) / 1e9, cache.count() / cache.seconds());
        modes.put("plain", TrainingLoss.CROSS_ENTROPY);
        modes.put("kd cached", DistillationLoss.response(kd, cache));
        modes.put("kd live float teacher", DistillationLoss.response(kd, TeacherLogits.live(floatTeacher)));
        if (int8File != null) {
            var q = ((ModelIO.Int8File) ModelIO.loadAny(Path.of(int8File), backend)).loaded().model();
            Predictor int8 = new Int8Runner(q, Int8KernelChoice.choose("auto", Int8KernelChoice.defaultThreads()).kernels(), backend);
            modes.put("kd live int8 teacher", DistillationLoss.response(kd, TeacherLogits.live(int8)));
        }
        Map<String, List<Double>> rates = new LinkedHashMap<>();
        TrainConfig cfg = TrainConfig.sgdDefaults(1, 42);
        Batches batches = Batches.of(train, 64).shuffled(42);
        for (int r = -1; r < rounds; r++) { // round -1 warms up
            for (var m : modes.entrySet()) {
                Graph student = Models.student(backend, 42);
                Trainer trainer = new Trainer(backend, cfg, StepHook.NONE, m.getValue());
                BatchIterator it = batches.epoch(r + 1);
                try (Optimizer opt = cfg.optimizer().create()) {
                    long start = System.nanoTime();
                    int images = 0;
                    for (int s = 0; s < steps && it.hasNext(); s++) {
                        var b = it.next();
                        trainer.trainStep(student, b, opt, 0.01f, s);
                        images += b.size();
                    }
                    double ips = images / ((System.nanoTime() - start) / 1e9);
                    if (r >= 0) rates.computeIfAbsent(m.getKey(), k -> new ArrayList<>()).add(ips);
                }
            }
        }
        double plain = median(rates.get("plain"));
        for (var e : rates.entrySet()) {
            System.out.printf(Locale.ROOT, "%-24s median %7.0f img/s  (%.2fx plain)  rounds %s%n", e.getKey(), median(e.getValue()),
                    median(e.getValue()) / plain, e.getValue().stream().map(v -> String.format(Locale.ROOT, "%.0f", v)).toList());
        }
    }


    /**
     * compare EPOCHS val|test SEEDS CONFIG...: CONFIG = SCHEDULE,LR,T,ALPHA (T,ALPHA = "plain" for plain training),
     * e.g. cosine,0.01,4,0.5. "val" trains on the first 50,000 training images and scores the last 10,000 (for
     * choosing settings without looking at the test set); "test" trains on all 60,000 and scores the test set.
     * SEEDS is a comma list; each seed sets the student's initialisation and the data order, shared by every config.
     */
    private static void compare(Backend backend, Dataset train, Dataset test, Graph teacher, String[] a) {
        int epochs = Integer.parseInt(a[0]);
        boolean val = a[1].equals("val");
        Dataset fit = val ? train.slice(0, 50_000) : train;
        Dataset score = val ? train.slice(50_000, 60_000) : test;
        CachedTeacherLogits cache = CachedTeacherLogits.compute(new GraphPredictor(teacher, backend), fit, 64);
        for (String seedText : a[2].split(",")) {
            long seed = Long.parseLong(seedText);
            for (int i = 3; i < a.length; i++) {
                String[] c = a[i].split(",");
                LrSchedule schedule = c[0].equals("cosine") ? new LrSchedule.Cosine(0f) : new LrSchedule.Constant();
                TrainConfig cfg = new TrainConfig(epochs, 64, new OptimizerConfig.Sgd(Float.parseFloat(c[1]), 0.9f, 0f, false), schedule, seed);
                TrainingLoss loss = c[2].equals("plain") ? TrainingLoss.CROSS_ENTROPY
                        : DistillationLoss.response(new ResponseDistillation(Double.parseDouble(c[2]), Double.parseDouble(c[3])), cache);
                report((val ? "val " : "test ") + "seed " + seed + " " + a[i],
                        new Trainer(backend, cfg, StepHook.NONE, loss).fit(Models.student(backend, seed), fit, score, TrainListener.NONE));
            }
        }
    }

    private static void report(String name, List<EpochStats> h) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-40s", name));
        for (EpochStats e : h) sb.append(String.format(Locale.ROOT, "  ep%d %.2f%% (%.0f img/s)", e.epoch(), 100 * e.eval().accuracy(), e.imagesPerSecond()));
        System.out.println(sb);
    }

    private static double median(List<Double> v) {
        double[] a = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }
}
