package dev.nncompress.cli;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nncompress.backend.Backend;
import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.cli.HostileCases.Case;
import dev.nncompress.compress.prune.PruneTargets;
import dev.nncompress.compress.share.ShareConfig;
import dev.nncompress.compress.share.SharedWeights;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Parameter;
import dev.nncompress.io.CodedFiles;
import dev.nncompress.io.CodedStorage;
import dev.nncompress.io.ModelIO;
import dev.nncompress.io.TensorRecord;
import dev.nncompress.models.Models;
import dev.nncompress.tensor.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * {@link CraftedFilesTest}'s entropy-coded files ({@code share --out}): the student pruned (fc1 90%) and shared (weights
 * and biases), written {@code coded/3}, then damaged in its body, its Huffman tables, its streams and its index, and
 * written as {@code coded/3} (this build's format) or {@code coded/2} (tensors in the file, metadata packed): the
 * index checks and the decoder are the same for both, the layers around them are not.
 */
final class HostileCodedCases {
    private static final JsonMapper JSON = new JsonMapper();
    private final Path tmp;
    private final Function<Path, List<String>> info;
    private final Function<Path, List<String>> eval;
    private final Path valid;

    /** {@code info} and {@code eval}: the command lines the cases give their files to. */
    HostileCodedCases(Path tmp, Function<Path, List<String>> info, Function<Path, List<String>> eval) {
        this.tmp = tmp;
        this.info = info;
        this.eval = eval;
        this.valid = tmp.resolve("valid-student-coded.safetensors");
        try (Backend ref = new ReferenceBackend()) {
            Graph g = Models.student(ref, 7);
            Parameter fc1 = g.param("fc1.weight");
            float[] v = fc1.value().toFloatArray();
            for (int i = 0; i < v.length; i++) if (i % 10 != 0) v[i] = 0;
            try (Tensor t = ref.fromFloats(v, fc1.value().shape())) {
                ref.copyInto(t, fc1.value());
            }
            SharedWeights.cluster(g, PruneTargets.all(g), new ShareConfig(3, 4, Map.of(), 3)).applyTo(g);
            ModelIO.save(g, valid, Map.of(), ModelIO.Storage.CODED);
        }
    }

    /** The valid coded file: the harness must let it through. */
    Case control() {
        return new Case("control-coded", "none (valid pruned, shared, entropy-coded model, " + CodedFiles.format() + ")", valid, eval.apply(valid), "", 0);
    }

    List<Case> hostile() {
        List<Case> c = new ArrayList<>();
        byte[] file = read(valid);
        Path cut = write("coded3-truncated.safetensors", Arrays.copyOf(file, file.length - 100));
        c.add(new Case("coded3-truncated", "a " + CodedFiles.format() + " file cut 100 bytes short", cut, eval.apply(cut), "out of bounds of the", 1));
        Path header = write("coded3-header-cut.safetensors", Arrays.copyOf(file, file.length / 40));
        c.add(new Case("coded3-header-cut", "a coded/3 file cut inside its safetensors header", header, info.apply(header), "header length", 1));

        byte[] corrupt = file.clone();
        int bodyStart = 8 + (int) java.nio.ByteBuffer.wrap(file, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        corrupt[bodyStart + 40] ^= 0x55;
        Path body = write("coded3-body-deflate-corrupt.safetensors", corrupt);
        c.add(new Case("coded3-body-deflate-corrupt", "one byte of the body's deflated header changed", body, info.apply(body), "nncompress.body's header", 1));
        // the Huffman tables of fc1.weight's blob: codebook (4 K bytes), then K index code lengths
        c.add(blobCase("coded3-table-oversubscribed", "fc1.weight's index code lengths all 1 (not a prefix code)", 3, (b, k, s) -> Arrays.fill(b, 4 * k, 5 * k, (byte) 1),
                "'fc1.weight' index table: the code lengths are over-subscribed", "info"));
        c.add(blobCase("coded2-length-over-limit", "fc1.weight's first index code length 16, over the 15-bit limit (coded/2)", 2, (b, k, s) -> b[4 * k] = 16,
                "code length 16 of symbol 0 is outside [0, 15]", "eval"));
        c.add(blobCase("coded3-codebook-NaN", "fc1.weight's first codebook entry NaN", 3, (b, k, s) -> { b[0] = b[1] = (byte) 0xff; b[2] = (byte) 0xc0; b[3] = 0x7f; },
                "codebook entry 0 is NaN", "eval"));
        c.add(blobCase("coded2-stream-garbage", "fc1.weight's index and position streams all ones (coded/2)", 2, (b, k, s) -> Arrays.fill(b, s, b.length, (byte) 0xff),
                "'fc1.weight'", "info"));
        // the index: counts that lie, overflow or exceed what a stream can hold
        c.add(indexCase("coded3-stream-truncated", "fc1.weight's index stream claims 4096 bits more than its blob holds", 3,
                e -> e.put("index_bits", e.get("index_bits").asLong() + 4096), "bytes but its index entry needs", "info"));
        c.add(indexCase("coded2-nnz-overflow", "fc1.weight's nnz 2^63-1 (coded/2)", 2, e -> e.put("nnz", Long.MAX_VALUE), "\"nnz\" must be an integer in [1, 50176]", "eval"));
        c.add(indexCase("coded3-shape-overflow", "fc1.weight's shape [2^40, 2^40]: the element count overflows a long", 3,
                e -> e.set("shape", JSON.createArrayNode().add(1L << 40).add(1L << 40)), "too large", "info"));
        c.add(indexCase("coded3-bits-over-limit", "fc1.weight's index_bits 2^62 (more than 15 bits per kept weight)", 3,
                e -> e.put("index_bits", 1L << 62), "\"index_bits\" must be an integer in", "info"));
        c.add(indexCase("coded2-decode-bomb", "fc1.weight's shape [2^28]: 1 GiB decoded from a 5 KB file (coded/2)", 2,
                e -> e.set("shape", JSON.createArrayNode().add(1L << 28)), "would decode to", "eval"));
        return c;
    }

    /** An edit of a blob whose codebook has {@code k} entries and whose streams begin at {@code streams}. */
    private interface BlobEdit { void edit(byte[] blob, int k, int streams); }

    /** The valid file with fc1.weight's coded blob edited, written as coded/{@code version}. */
    private Case blobCase(String id, String hostile, int version, BlobEdit edit, String phrase, String command) {
        CodedFiles.View v = CodedFiles.read(valid);
        byte[] blob = v.tensors().get("fc1.weight.coded").toBytes();
        ObjectNode e = entry(v);
        int k = e.get("codebook").asInt();
        edit.edit(blob, k, 5 * k + (e.has("gap_bits") ? 1 << e.get("gap_bits").asInt() : 0));
        v.tensors().put("fc1.weight.coded", TensorRecord.ofUnsignedBytes(blob, blob.length));
        return write(id, hostile, version, v, phrase, command);
    }

    /** The valid file with fc1.weight's index entry edited. */
    private Case indexCase(String id, String hostile, int version, Consumer<ObjectNode> edit, String phrase, String command) {
        CodedFiles.View v = CodedFiles.read(valid);
        ObjectNode index = index(v);
        edit.accept((ObjectNode) index.get("fc1.weight"));
        v.metadata().put(CodedStorage.METADATA_KEY, index.toString());
        return write(id, hostile, version, v, phrase, command);
    }

    private Case write(String id, String hostile, int version, CodedFiles.View v, String phrase, String command) {
        Path f = tmp.resolve(id + ".safetensors");
        try {
            if (version == 2) CodedFiles.writeCoded2(f, v);
            else CodedFiles.writeCoded3(f, v);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Case(id, hostile, f, command.equals("info") ? info.apply(f) : eval.apply(f), phrase, 1);
    }

    private static ObjectNode index(CodedFiles.View v) {
        try {
            return (ObjectNode) JSON.readTree(v.metadata().get(CodedStorage.METADATA_KEY));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ObjectNode entry(CodedFiles.View v) { return (ObjectNode) index(v).get("fc1.weight"); }

    private Path write(String name, byte[] b) {
        try {
            return Files.write(tmp.resolve(name), b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] read(Path f) {
        try {
            return Files.readAllBytes(f);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
