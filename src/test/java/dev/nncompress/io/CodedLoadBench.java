package dev.nncompress.io;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.graph.Graph;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/**
 * Loading time of a coded model file ({@link CodedStorage}) beside the same model written sparse (bitmask) and
 * dense, in one process: read, validate, decode, build the graph on the heap backend. Median of the timed rounds
 * after warm-up rounds; the sizes of the three files beside. docs/deep-compression.md, "Loading".
 * Usage: CodedLoadBench CODED_FILE [rounds]
 */
public final class CodedLoadBench {
    public static void main(String[] args) throws Exception {
        Path coded = Path.of(args[0]);
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        Backend heap = new ReferenceBackend();
        Graph g = ModelIO.load(coded, heap).graph();
        Path dir = Files.createTempDirectory("coded-bench");
        Path sparse = dir.resolve("sparse.safetensors"), dense = dir.resolve("dense.safetensors");
        ModelIO.save(g, sparse, Map.of(), ModelIO.Storage.SPARSE);
        ModelIO.save(g, dense, Map.of(), ModelIO.Storage.DENSE);
        for (Path f : new Path[] {coded, sparse, dense}) {
            for (int i = 0; i < 5; i++) ModelIO.load(f, heap); // warm-up
            double[] ms = new double[rounds];
            for (int i = 0; i < rounds; i++) {
                long t = System.nanoTime();
                ModelIO.load(f, heap);
                ms[i] = (System.nanoTime() - t) / 1e6;
            }
            Arrays.sort(ms);
            System.out.printf(Locale.ROOT, "%-8s %,11d bytes  load median %.1f ms (min %.1f, max %.1f) over %d rounds%n",
                    f == coded ? "coded" : f == sparse ? "sparse" : "dense", Files.size(f), ms[rounds / 2], ms[0], ms[rounds - 1], rounds);
        }
        Files.delete(sparse);
        Files.delete(dense);
        Files.delete(dir);
    }
}
