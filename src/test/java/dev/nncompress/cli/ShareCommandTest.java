package dev.nncompress.cli;

import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.data.FashionMnist;
import dev.nncompress.graph.Graph;
import dev.nncompress.io.CodedStorage;
import dev.nncompress.io.ModelIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import static dev.nncompress.cli.MainTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code nncompress share}, in-process on small slices with the reference backend. */
class ShareCommandTest {
    @TempDir Path tmp;

    private static void assumeData() {
        assumeTrue(Files.exists(FashionMnist.resolve(FashionMnist.DEFAULT_DIR, FashionMnist.TRAIN_IMAGES)), "Fashion-MNIST not installed");
    }

    /** prune -> share of the student: the coded file keeps the zeros, holds <= 2^b values a layer, and info, eval and quantize read it. */
    @Test
    void sharesAPrunedFileKeepingItsZerosAndWritesACodedFileOthersRead() throws Exception {
        assumeData();
        Path pruned = tmp.resolve("p.safetensors");
        MainTest.Run p = run("prune", "student", "--sparsity", "0.9", "--finetune-epochs", "0", "--test-limit", "64",
                "--backend", "reference", "--quiet", "--out", pruned.toString());
        assertEquals(0, p.code(), p.err());
        Path out = tmp.resolve("s.safetensors");
        MainTest.Run r = run("share", pruned.toString(), "--bits", "3", "--conv-bits", "4", "--layer-bits", "fc2=2", "--bias-bits", "3", "--finetune-epochs", "1", "--train-limit", "128",
                "--test-limit", "64", "--backend", "reference", "--quiet", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("share     conv1, conv2, fc1, fc2: linear 3 bits (8 values), conv 4 bits (16 values), fc2=2, biases 3 bits; fine-tune 1 epoch on 128 images"), r.out());
        assertTrue(r.out().contains("accuracy  shared, before fine-tuning ") && r.out().contains("accuracy  after fine-tuning "), r.out());
        assertTrue(r.out().contains("coded       format coded/3: "), r.out());

        Graph before = ModelIO.load(pruned, new ReferenceBackend()).graph();
        Graph after = ModelIO.load(out, new ReferenceBackend()).graph();
        for (String w : new String[] {"conv1.weight", "conv2.weight", "fc1.weight", "fc2.weight"}) {
            float[] a = before.param(w).value().toFloatArray(), b = after.param(w).value().toFloatArray();
            Set<Float> values = new HashSet<>();
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i] == 0f, b[i] == 0f, w + "[" + i + "]: zeros stay, kept weights stay nonzero");
                if (b[i] != 0f) values.add(b[i]);
            }
            assertTrue(values.size() <= (w.startsWith("conv") ? 16 : w.equals("fc2.weight") ? 4 : 8), w + ": " + values.size() + " values");
        }
        for (String bias : new String[] {"conv1.bias", "conv2.bias", "fc1.bias", "fc2.bias"}) {
            Set<Float> values = new HashSet<>();
            for (float v : after.param(bias).value().toFloatArray()) values.add(v);
            assertTrue(values.size() <= 8, bias + " is shared too: " + values.size() + " values");
        }
        assertTrue(Files.size(out) * 2 < Files.size(pruned), Files.size(out) + " coded vs " + Files.size(pruned) + " pruned");

        MainTest.Run info = run("info", out.toString());
        assertEquals(0, info.code(), info.err());
        assertTrue(info.out().contains("fc1.weight") && info.out().contains("index bytes") && info.out().contains("smaller than the dense float file"), info.out());
        MainTest.Run eval = run("eval", out.toString(), "--test-limit", "64", "--backend", "reference");
        assertEquals(0, eval.code(), eval.err());
        MainTest.Run q = run("quantize", out.toString(), "--calib", "32", "--eval", "64", "--sensitivity", "0", "--backend", "reference", "--quiet", "--out", tmp.resolve("q.safetensors").toString());
        assertEquals(0, q.code(), q.err());
    }

    @Test
    void badOptionsAndFilesAreOneLineErrors() throws Exception {
        MainTest.Run bits = run("share", "student", "--bits", "9");
        assertEquals(Main.EXIT_USAGE, bits.code());
        assertTrue(bits.err().startsWith("nncompress: error: --bits must be in [2, 8], got 9"), bits.err());
        MainTest.Run conv = run("share", "student", "--conv-bits", "1");
        assertTrue(conv.err().startsWith("nncompress: error: --conv-bits must be in [2, 8], got 1"), conv.err());
        MainTest.Run layerRange = run("share", "student", "--layer-bits", "conv1=4,fc1=9");
        assertEquals(Main.EXIT_USAGE, layerRange.code());
        assertTrue(layerRange.err().startsWith("nncompress: error: --layer-bits of fc1 must be in [2, 8], got 9"), layerRange.err());
        MainTest.Run biasBits = run("share", "student", "--bias-bits", "0");
        assertEquals(Main.EXIT_USAGE, biasBits.code());
        assertTrue(biasBits.err().startsWith("nncompress: error: --bias-bits must be in [2, 8], got 0"), biasBits.err());
        MainTest.Run layerName = run("share", "student", "--layer-bits", "fc9=4");
        assertEquals(Main.EXIT_USAGE, layerName.code());
        assertTrue(layerName.err().startsWith("nncompress: error: --layer-bits: fc9 is no conv/linear layer of the model (its layers: conv1, "), layerName.err());
        assertEquals(1, layerName.err().strip().lines().count(), layerName.err());
        // a coded file cut short: one line naming the file, exit 1
        Path good = tmp.resolve("g.safetensors");
        assumeData();
        assertEquals(0, run("share", "student", "--bits", "2", "--conv-bits", "2", "--finetune-epochs", "0", "--test-limit", "16",
                "--backend", "reference", "--quiet", "--out", good.toString()).code());
        byte[] all = Files.readAllBytes(good);
        Path cut = tmp.resolve("cut.safetensors");
        Files.write(cut, java.util.Arrays.copyOf(all, all.length - 100));
        MainTest.Run e = run("eval", cut.toString(), "--test-limit", "16", "--backend", "reference");
        assertEquals(Main.EXIT_FAILURE, e.code());
        assertTrue(e.err().startsWith("nncompress: error: " + cut) && e.err().strip().lines().count() == 1, e.err());
        // a lying index: the stream's bit count changed
        // (written as coded/1, where the index is a plain metadata entry; the same checks read every layout)
        var view = dev.nncompress.io.CodedFiles.read(good);
        view.metadata().put(CodedStorage.METADATA_KEY, view.metadata().get(CodedStorage.METADATA_KEY).replaceFirst("\"index_bits\":(\\d+)", "\"index_bits\":1$1"));
        Path lying = tmp.resolve("lying.safetensors");
        dev.nncompress.io.CodedFiles.writeCoded1(lying, view);
        MainTest.Run l = run("info", lying.toString());
        assertEquals(Main.EXIT_FAILURE, l.code());
        assertTrue(l.err().startsWith("nncompress: error: " + lying + ": coded tensor ") && !l.err().contains("Exception"), l.err());
        assertFalse(Files.exists(tmp.resolve("x.safetensors")));
    }
}
