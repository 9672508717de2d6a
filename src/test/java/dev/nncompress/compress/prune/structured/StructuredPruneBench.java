package dev.nncompress.compress.prune.structured;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Backends;
import dev.nncompress.bench.Throughput;
import dev.nncompress.data.Dataset;
import dev.nncompress.data.FashionMnist;
import dev.nncompress.graph.Graph;
import dev.nncompress.io.ModelIO;
import dev.nncompress.io.Provenance;
import dev.nncompress.models.Models;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Prunes a model structurally, saves the result and measures inference of dense and pruned side by side
 * (alternating, so that load on the shared machine hits both alike); prints each pair's ratio.
 * Plain main in the test sources, not a JUnit test and not a CLI command:
 * {@code java -cp target/classes:target/test-classes:target/lib/* dev.nncompress.compress.prune.structured.StructuredPruneBench
 * MODEL|FILE SPARSITY l1|l2|apoz|mean OUT.safetensors [pairs] [batch]}.
 */
public final class StructuredPruneBench {
    private StructuredPruneBench() {}

    public static void main(String[] args) {
        if (args.length < 4) throw new IllegalArgumentException("usage: MODEL|FILE SPARSITY l1|l2|apoz|mean OUT.safetensors [pairs] [batch]");
        Backend b = Backends.create("auto");
        Graph dense = Models.NAMES.contains(args[0]) ? Models.byName(args[0], b, 0) : ModelIO.load(Path.of(args[0]), b).graph();
        double sparsity = Double.parseDouble(args[1]);
        int pairs = args.length > 4 ? Integer.parseInt(args[4]) : 3;
        int batch = args.length > 5 ? Integer.parseInt(args[5]) : 256;
        Dataset test = FashionMnist.test(FashionMnist.DEFAULT_DIR, 512);
        float[] images = test.images(); // normalised, 512 x 784

        FilterCriterion c = switch (args[2]) {
            case "l1" -> FilterCriterion.l1();
            case "l2" -> FilterCriterion.l2();
            case "apoz" -> FilterCriterion.apoz(b, images, 128);
            case "mean" -> FilterCriterion.meanActivation(b, images, 128);
            default -> throw new IllegalArgumentException("criterion must be l1, l2, apoz or mean, got " + args[2]);
        };
        ChannelDependencies.analyze(dense).lines().forEach(System.out::println);
        StructuredPruneResult r = StructuredPruner.prune(dense, sparsity, c);
        r.report().lines().forEach(System.out::println);
        Path out = Path.of(args[3]);
        ModelIO.save(r.pruned(), out, Provenance.collect(Map.of("command", "StructuredPruneBench " + String.join(" ", args))));
        System.out.printf("saved %s (%,d bytes)%n", out, sizeOf(out));

        // one untimed pair first: the JIT and the native libraries warm up on whichever graph runs first
        Throughput.inference(dense, b, images, batch, 1, 1.0);
        Throughput.inference(r.pruned(), b, images, batch, 1, 1.0);
        for (int i = 0; i < pairs; i++) {
            Throughput.Result d = Throughput.inference(dense, b, images, batch, 3, 1.0);
            Throughput.Result p = Throughput.inference(r.pruned(), b, images, batch, 3, 1.0);
            System.out.printf("pair %d: dense %s | pruned %s | pruned/dense %.2fx%n", i + 1, d, p, p.imagesPerSecond() / d.imagesPerSecond());
        }
    }

    private static long sizeOf(Path p) {
        try {
            return Files.size(p);
        } catch (java.io.IOException e) {
            return -1;
        }
    }
}
