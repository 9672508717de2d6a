package dev.nncompress.fuzz;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.compress.prepare.GraphPreparation;
import dev.nncompress.compress.prune.MagnitudeCriterion;
import dev.nncompress.compress.prune.PruneConfig;
import dev.nncompress.compress.prune.PruneScope;
import dev.nncompress.compress.prune.PruneTargets;
import dev.nncompress.compress.prune.UnstructuredPruner;
import dev.nncompress.compress.quant.calib.Calibrator;
import dev.nncompress.compress.quant.calib.QuantTargets;
import dev.nncompress.compress.quant.convert.Int8Converter;
import dev.nncompress.compress.share.ShareConfig;
import dev.nncompress.compress.share.SharedWeights;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.int8.Int8Model;
import dev.nncompress.io.CodedFiles;
import dev.nncompress.io.Int8ModelIO;
import dev.nncompress.io.ModelIO;
import dev.nncompress.io.onnx.OnnxSeeds;
import dev.nncompress.models.GraphBuilder;
import dev.nncompress.models.Models;
import dev.nncompress.tensor.NmPattern;
import dev.nncompress.tensor.Shape;
import dev.nncompress.train.TrainListener;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes the committed seed corpus of the fuzz targets: small valid inputs of each kind, made by the real
 * writers (ModelIO, pruning, N:M pruning, int8 conversion, the IDX layout, ONNX's protobuf, numpy's and ImageIO's files). Every file comes out the same
 * on every run (fixed seeds, no provenance that changes). Regenerate after a format change with
 * {@code scripts/fuzz.sh --seeds}; {@link SeedCorpusTest} checks that every seed still loads and runs.
 */
public final class SeedCorpus {
    static final Path RESOURCES = Path.of("src/test/resources/dev/nncompress/fuzz");
    private static final Backend REF = new ReferenceBackend();
    private static final Path ONNX_FIXTURES = Path.of("src/test/resources/onnx");

    private SeedCorpus() {}

    /** The seeds directory of a target, under {@code root} (src/test/resources/dev/nncompress/fuzz or its copy on the class path). */
    static Path seeds(Path root, Class<?> target, String method) { return root.resolve(target.getSimpleName() + "Inputs").resolve(method); }

    public static void main(String[] args) throws IOException {
        Path root = args.length > 0 ? Path.of(args[0]) : RESOURCES;
        Map<String, String> provenance = Map.of("source", "fuzz seed corpus (dev.nncompress.fuzz.SeedCorpus)");

        Path floats = clean(seeds(root, FloatModelFuzzTest.class, "floatModel"));
        ModelIO.save(tinyCnn(), floats.resolve("tiny_cnn.safetensors"), provenance);
        ModelIO.save(tinyResnet(), floats.resolve("tiny_resnet.safetensors"), provenance);
        ModelIO.save(tinyGap(), floats.resolve("tiny_gap.safetensors"), provenance);

        Path sparse = clean(seeds(root, SparseModelFuzzTest.class, "sparseModel"));
        ModelIO.save(pruned(tinyCnn(), PruneConfig.oneShot(new MagnitudeCriterion(), PruneScope.LAYER, 0.9, null)),
                sparse.resolve("tiny_cnn_90.safetensors"), provenance);
        ModelIO.save(pruned(tinyResnet(), PruneConfig.oneShot(new MagnitudeCriterion(), PruneScope.GLOBAL, 0.8, null)),
                sparse.resolve("tiny_resnet_80.safetensors"), provenance);
        ModelIO.save(pruned(Models.student(REF, 0), PruneConfig.oneShot(new MagnitudeCriterion(), PruneScope.LAYER, 0.95, null)),
                sparse.resolve("student_95.safetensors"), provenance);

        // pruned, then weights shared (2^bits values a layer), written entropy-coded (CodedStorage)
        Path coded = clean(seeds(root, CodedModelFuzzTest.class, "codedModel"));
        ModelIO.save(shared(pruned(tinyCnn(), PruneConfig.oneShot(new MagnitudeCriterion(), PruneScope.LAYER, 0.5, null)), 3, 4),
                coded.resolve("tiny_cnn_50_shared.safetensors"), provenance, ModelIO.Storage.CODED);
        ModelIO.save(shared(pruned(tinyResnet(), PruneConfig.oneShot(new MagnitudeCriterion(), PruneScope.GLOBAL, 0.8, null)), 2, 5),
                coded.resolve("tiny_resnet_80_shared.safetensors"), provenance, ModelIO.Storage.CODED);
        ModelIO.save(shared(pruned(Models.student(REF, 0), PruneConfig.oneShot(new MagnitudeCriterion(), PruneScope.LAYER, 0.95, null)), 5, 8),
                coded.resolve("student_95_shared.safetensors"), provenance, ModelIO.Storage.CODED);
        // the same as coded/1 (index and blobs in the plain file): coded/3's header is one checksummed deflate stream,
        // which mutations rarely get through, so this seed is what reaches the index checks and the Huffman decoder
        CodedFiles.writeCoded1(coded.resolve("tiny_cnn_50_shared_coded1.safetensors"), CodedFiles.read(coded.resolve("tiny_cnn_50_shared.safetensors")));
        CodedFiles.writeCoded1(coded.resolve("student_95_shared_coded1.safetensors"), CodedFiles.read(coded.resolve("student_95_shared.safetensors")));

        Path nm = clean(seeds(root, NmModelFuzzTest.class, "nmModel"));
        ModelIO.save(pruned(tinyCnn(), PruneConfig.nm(new MagnitudeCriterion(), new NmPattern(2, 4), null)),
                nm.resolve("tiny_cnn_2of4.safetensors"), provenance);
        ModelIO.save(pruned(tinyResnet(), PruneConfig.nm(new MagnitudeCriterion(), new NmPattern(1, 8), null)),
                nm.resolve("tiny_resnet_1of8.safetensors"), provenance);

        Path int8 = clean(seeds(root, Int8ModelFuzzTest.class, "int8Model"));
        Int8ModelIO.save(int8(tinyCnn()), int8.resolve("tiny_cnn_int8.safetensors"), provenance);
        Int8ModelIO.save(int8(tinyResnet()), int8.resolve("tiny_resnet_int8.safetensors"), provenance);
        Int8ModelIO.save(int8(tinyGap()), int8.resolve("tiny_gap_int8.safetensors"), provenance);
        Int8ModelIO.save(int8(Models.student(REF, 0)), int8.resolve("student_int8.safetensors"), provenance);

        // two exported fixtures (a real exporter's layout: TorchScript's view subgraph, batch norm, residual adds) and
        // hand-built models of a few KB that use every mapped form
        Path onnx = clean(seeds(root, OnnxModelFuzzTest.class, "onnxModel"));
        for (String f : new String[] {"lenet_op17.onnx", "resnet_op13.onnx"}) Files.copy(ONNX_FIXTURES.resolve(f), onnx.resolve(f));
        Files.write(onnx.resolve("dense_forms.onnx"), OnnxSeeds.denseForms());
        Files.write(onnx.resolve("residual_block.onnx"), OnnxSeeds.residualBlock());
        Files.write(onnx.resolve("view_subgraph.onnx"), OnnxSeeds.viewSubgraph());

        Path idx = clean(seeds(root, IdxFuzzTest.class, "idxPair"));
        for (var e : IdxPairInput.seeds().entrySet()) Files.write(idx.resolve(e.getKey()), e.getValue());

        write(clean(seeds(root, NpzFuzzTest.class, "npzFile")), DataSeeds.npz());
        write(clean(seeds(root, NpyPairFuzzTest.class, "npyPair")), DataSeeds.npyPairs());
        write(clean(seeds(root, ImageFolderFuzzTest.class, "imageFolder")), DataSeeds.images());
        write(clean(seeds(root, CifarFuzzTest.class, "cifarBinary")), DataSeeds.cifar());

        Path graph = clean(seeds(root, GraphJsonFuzzTest.class, "graphAttributes"));
        SplittableRandom r = new SplittableRandom(16);
        for (int i = 0; i < GRAPH_SEEDS; i++) {
            byte[] b = new byte[128];
            r.nextBytes(b);
            Files.write(graph.resolve("random-" + i), b);
        }
        // every target's seeds again for the all-in-one CI target, each with its target's selector byte appended;
        // not the exported ONNX fixtures: libFuzzer sizes its inputs to the largest seed, for every target
        Path all = clean(seeds(root, AllTargetsFuzzTest.class, "allTargets"));
        for (int t = 0; t < AllTargetsFuzzTest.TARGETS.size(); t++) {
            String name = AllTargetsFuzzTest.TARGETS.get(t);
            try (var files = Files.list(seeds(root, TARGET_CLASSES.get(name), name))) {
                for (Path f : (Iterable<Path>) files.sorted()::iterator) {
                    byte[] b = Files.readAllBytes(f);
                    if (b.length > MAX_ALL_TARGETS_SEED) continue;
                    byte[] withTarget = java.util.Arrays.copyOf(b, b.length + 1);
                    withTarget[b.length] = (byte) t;
                    Files.write(all.resolve(name + "-" + f.getFileName()), withTarget);
                }
            }
        }
        System.out.println("seed corpus written under " + root);
    }

    /** The test class of each target of {@link AllTargetsFuzzTest#TARGETS}, whose seeds the all-in-one target reuses. */
    static final Map<String, Class<?>> TARGET_CLASSES = Map.ofEntries(
            Map.entry("floatModel", FloatModelFuzzTest.class),
            Map.entry("sparseModel", SparseModelFuzzTest.class),
            Map.entry("nmModel", NmModelFuzzTest.class),
            Map.entry("int8Model", Int8ModelFuzzTest.class),
            Map.entry("idxPair", IdxFuzzTest.class),
            Map.entry("graphAttributes", GraphJsonFuzzTest.class),
            Map.entry("onnxModel", OnnxModelFuzzTest.class),
            Map.entry("npzFile", NpzFuzzTest.class),
            Map.entry("npyPair", NpyPairFuzzTest.class),
            Map.entry("imageFolder", ImageFolderFuzzTest.class),
            Map.entry("cifarBinary", CifarFuzzTest.class),
            Map.entry("codedModel", CodedModelFuzzTest.class));
    /** Largest seed the all-in-one target takes (its inputs grow to its largest seed). */
    static final int MAX_ALL_TARGETS_SEED = 16 * 1024;

    /** Random byte strings: the graph target reads its choices from them (the base models are the model seeds); their length is the longest input libFuzzer makes for it. */
    static final int GRAPH_SEEDS = 12;

    /** 1x8x8 -> conv 3x3 (8) -> relu -> max pool -> conv 3x3 stride 2 (8) -> relu -> flatten -> linear (10). */
    static Graph tinyCnn() {
        GraphBuilder b = new GraphBuilder("tiny_cnn", Shape.of(1, 8, 8), REF, 7);
        String x = b.maxPool("pool1", b.relu("relu1", b.conv("conv1", Graph.INPUT, 8, 3, 1, 1, true)), 2);
        x = b.relu("relu2", b.conv("conv2", x, 8, 3, 2, 1, true));
        return b.build(b.linear("fc", b.flatten("flatten", x), 10));
    }

    /** The ops the CNN lacks: batch norm, a residual add, average pools, dropout; 2x6x6 input, 3 classes. */
    static Graph tinyResnet() {
        GraphBuilder b = new GraphBuilder("tiny_resnet", Shape.of(2, 6, 6), REF, 8);
        String stem = b.relu("stem_relu", b.batchNorm("stem_bn", b.conv("stem_conv", Graph.INPUT, 8, 3, 1, 1, false)));
        String y = b.batchNorm("block_bn", b.conv("block_conv", stem, 8, 3, 1, 1, false));
        String x = b.relu("block_relu", b.addNodes("block_add", y, stem));
        x = b.avgPool("pool", x, 3, 2, 1);
        x = b.dropout("drop", x, 0.25);
        x = b.flatten("flatten", b.globalAvgPool("gap", x));
        return b.build(b.linear("fc", x, 3));
    }

    /**
     * Convs and a pool ending in a global average pool, so that no parameter's shape depends on the spatial
     * size: a changed kernel, stride or padding still makes a valid model as long as every output keeps a
     * pixel, and the graph target's attribute edits reach the kernels instead of a shape mismatch.
     */
    static Graph tinyGap() {
        GraphBuilder b = new GraphBuilder("tiny_gap", Shape.of(1, 8, 8), REF, 9);
        String x = b.maxPool("pool", b.relu("relu1", b.conv("conv1", Graph.INPUT, 8, 3, 1, 1, true)), 2);
        x = b.relu("relu2", b.conv("conv2", x, 8, 3, 1, 1, true));
        return b.build(b.linear("fc", b.flatten("flatten", b.globalAvgPool("gap", x)), 10));
    }

    /** Weight sharing without fine-tuning (as {@code share --finetune-epochs 0}): every conv/linear weight on 2^bits values. */
    private static Graph shared(Graph g, int linearBits, int convBits) {
        SharedWeights.cluster(g, PruneTargets.all(g), new ShareConfig(linearBits, convBits)).applyTo(g);
        return g;
    }

    private static Graph pruned(Graph g, PruneConfig config) {
        new UnstructuredPruner(REF, config).prune(g, PruneTargets.all(g), null, null, TrainListener.NONE);
        return g;
    }

    /** Min-max calibration on 8 noise images of the model's input shape, then conversion (as {@code quantize} does). */
    static Int8Model int8(Graph raw) {
        Graph g = GraphPreparation.forInference(raw).graph();
        Shape s = g.inputShape();
        int n = 8;
        SplittableRandom r = new SplittableRandom(3);
        float[] img = new float[n * s.numel()];
        for (int i = 0; i < img.length; i++) img[i] = (float) (r.nextDouble() * 4 - 2);
        int[] labels = new int[n];
        Dataset data = new Dataset(img, labels, s.dim(0), s.dim(1), s.dim(2), 10);
        var plan = new Calibrator("minmax", n, n, null).calibrate(QuantTargets.of(g), data, REF);
        return Int8Converter.convert(g, plan, new LinkedHashMap<>(Map.of("source", "fuzz seed")));
    }

    private static void write(Path dir, Map<String, byte[]> files) throws IOException {
        for (var e : files.entrySet()) Files.write(dir.resolve(e.getKey()), e.getValue());
    }

    private static Path clean(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            try (var files = Files.list(dir)) {
                for (Path f : (Iterable<Path>) files::iterator) Files.delete(f);
            }
        }
        return Files.createDirectories(dir);
    }
}
