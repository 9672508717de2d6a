package dev.nncompress.fuzz;

import dev.nncompress.data.DataRequest;
import dev.nncompress.data.DataSource;
import dev.nncompress.data.DataSplits;
import dev.nncompress.data.Dataset;
import dev.nncompress.data.FashionMnist;
import dev.nncompress.io.Int8ModelIO;
import dev.nncompress.io.ModelIO;
import dev.nncompress.io.SafeTensors;
import dev.nncompress.io.onnx.OnnxImporter;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The committed seeds are only worth fuzzing from while they are valid: in regression mode a fuzz target
 * accepts a rejection, so a seed that stopped loading after a format change would pass unnoticed. Every
 * model seed must load as its kind and run (an ONNX seed: import and run); every IDX and dataset seed must load. Regenerate with
 * {@code scripts/fuzz.sh --seeds}.
 */
class SeedCorpusTest {
    private static List<Path> seeds(Class<?> target, String method) throws IOException {
        try (Stream<Path> s = Files.list(SeedCorpus.seeds(ModelMutator.classPathRoot(), target, method))) {
            List<Path> out = s.sorted().toList();
            assertFalse(out.isEmpty(), target.getSimpleName() + " has no seeds");
            return out;
        }
    }

    private static void loadsAndRuns(Path f, boolean int8, String storage) throws IOException {
        if (storage != null) {
            String index = SafeTensors.read(f).metadata().getOrDefault("nncompress.sparse", "");
            assertTrue(index.contains("\"format\":\"" + storage + "\""), f + " stores no tensor as " + storage);
        }
        ModelIO.AnyModel m = ModelIO.loadAny(f, FuzzRun.cpu());
        assertEquals(int8, m instanceof ModelIO.Int8File, f + " loads as " + m.getClass().getSimpleName());
        FuzzRun.forward(m);
    }

    @Test
    void everyModelSeedLoadsAsItsKindAndRuns() throws IOException {
        for (Path f : seeds(FloatModelFuzzTest.class, "floatModel")) loadsAndRuns(f, false, null);
        for (Path f : seeds(SparseModelFuzzTest.class, "sparseModel")) loadsAndRuns(f, false, "bitmask");
        for (Path f : seeds(NmModelFuzzTest.class, "nmModel")) loadsAndRuns(f, false, "nm");
        for (Path f : seeds(CodedModelFuzzTest.class, "codedModel")) {
            String format = SafeTensors.read(f).metadata().get(Int8ModelIO.FORMAT_KEY);
            assertEquals(f.getFileName().toString().endsWith("_coded1.safetensors") ? "coded/1" : dev.nncompress.io.CodedFiles.format(), format, f + " is coded");
            loadsAndRuns(f, false, null);
        }
        for (Path f : seeds(Int8ModelFuzzTest.class, "int8Model")) {
            assertTrue(Int8ModelIO.isInt8(SafeTensors.read(f)), f.toString());
            loadsAndRuns(f, true, null);
        }
    }

    @Test
    void everyOnnxSeedImportsAndRuns() throws IOException {
        List<Path> files = seeds(OnnxModelFuzzTest.class, "onnxModel");
        assertTrue(files.size() >= 5, files.toString());
        for (Path f : files) {
            OnnxImporter.Imported imp = OnnxImporter.importFile(f, FuzzRun.cpu());
            assertTrue(FuzzRun.runnable(imp.graph()), f + " is small enough to run");
            FuzzRun.forward(new ModelIO.FloatModel(new ModelIO.LoadedModel(imp.graph(), imp.provenance())));
        }
    }

    /** The all-in-one target's seeds are the targets' own with the target's index appended (AllTargetsFuzzTest checks the decoding). */
    @Test
    void allTargetsSeedsAreTheTargetsSeedsWithTheirIndex() throws IOException {
        List<Path> all = seeds(AllTargetsFuzzTest.class, "allTargets");
        int expected = 0;
        for (int t = 0; t < AllTargetsFuzzTest.TARGETS.size(); t++) {
            String name = AllTargetsFuzzTest.TARGETS.get(t);
            for (Path f : seeds(SeedCorpus.TARGET_CLASSES.get(name), name)) {
                if (Files.size(f) > SeedCorpus.MAX_ALL_TARGETS_SEED) continue;
                expected++;
                byte[] b = Files.readAllBytes(f);
                byte[] withTarget = Files.readAllBytes(all.get(0).resolveSibling(name + "-" + f.getFileName()));
                assertArrayEquals(b, java.util.Arrays.copyOf(withTarget, withTarget.length - 1), f.toString());
                assertEquals(t, withTarget[withTarget.length - 1], f.toString());
            }
        }
        assertEquals(expected, all.size(), "one all-targets seed per small seed of every target");
    }

    @Test
    void everyIdxSeedLoads() throws IOException {
        for (Path f : seeds(IdxFuzzTest.class, "idxPair")) {
            IdxPairInput in = IdxPairInput.decode(Files.readAllBytes(f));
            Path labels = FuzzRun.write("seedTest", "labels" + (in.gzipLabels() ? ".gz" : ""), in.labelFile());
            Path images = FuzzRun.write("seedTest", "images" + (in.gzipImages() ? ".gz" : ""), in.imageFile());
            Dataset d = FashionMnist.load(images, labels, in.limit());
            assertTrue(d.count() > 0, f.toString());
        }
    }

    /** Every dataset seed loads through {@code --data}'s one path (no rejection), with both splits and the format its target is for. */
    @Test
    void everyDataSeedLoadsAsItsFormat() throws IOException {
        record Target(Class<?> cls, String method, Function<byte[], DataRequest> write, Set<String> formats) {}
        for (Target t : List.of(new Target(NpzFuzzTest.class, "npzFile", NpzFuzzTest::write, Set.of("npz")),
                new Target(NpyPairFuzzTest.class, "npyPair", NpyPairFuzzTest::write, Set.of("npy")),
                new Target(ImageFolderFuzzTest.class, "imageFolder", ImageFolderFuzzTest::write, Set.of("image-folder")),
                new Target(CifarFuzzTest.class, "cifarBinary", CifarFuzzTest::write, Set.of("cifar-10", "cifar-100")))) {
            for (Path f : seeds(t.cls(), t.method())) {
                DataSplits s = DataSource.load(t.write().apply(Files.readAllBytes(f)));
                assertTrue(t.formats().contains(s.format()), f + " loads as " + s.format());
                assertTrue(s.train() != null && s.train().count() > 0, f + ": no training images");
            }
        }
    }

    @Test
    void idxInputRoundTripsAndClampsTheLabelLength() {
        IdxPairInput in = new IdxPairInput(5, new byte[] {1, 2, 3}, new byte[] {4, 5});
        IdxPairInput back = IdxPairInput.decode(in.encode());
        assertEquals(5, back.flags());
        assertEquals(List.of((byte) 1, (byte) 2, (byte) 3), boxed(back.labels()));
        assertEquals(List.of((byte) 4, (byte) 5), boxed(back.images()));
        byte[] e = in.encode();
        e[1] = (byte) 0xff; // a label length past the end takes what is there
        assertEquals(5, IdxPairInput.decode(e).labels().length);
        assertEquals(0, IdxPairInput.decode(e).images().length);
    }

    @Test
    void reframingFollowsTheHeaderOnlyWhenItIsABalancedObject() {
        byte[] f = frame(99, "{\"a\":\"}{\\\"\"}  ", "DATA");
        byte[] r = SafetensorsFraming.reframe(f);
        assertEquals("{\"a\":\"}{\\\"\"}  ".length(), java.nio.ByteBuffer.wrap(r).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(0));
        byte[] open = frame(99, "{\"a\":[1,2", "");
        assertEquals(open, SafetensorsFraming.reframe(open)); // no balanced object: the input's own length stays
    }

    private static byte[] frame(long length, String header, String data) {
        byte[] h = (header + data).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return java.nio.ByteBuffer.allocate(8 + h.length).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(length).put(h).array();
    }

    private static List<Byte> boxed(byte[] b) {
        Byte[] o = new Byte[b.length];
        for (int i = 0; i < b.length; i++) o[i] = b[i];
        return List.of(o);
    }
}
