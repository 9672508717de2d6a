package dev.nncompress.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.nncompress.util.Quoted;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Deep Compression's storage (Han et al., ICLR 2016): an F32 tensor holding at most {@value #MAX_CODEBOOK}
 * distinct nonzero values (a weight after trained sharing, pruned or not) is stored as its codebook and two
 * Huffman-coded streams, the cluster index of each kept element and the kept elements' positions
 * ({@link PositionCoding}: gaps or bitmask runs, whichever is smaller; none when nothing is zero). A tensor
 * {@code T} is one U8 entry {@code T.coded}: codebook (F32, ascending), index code lengths (U8, one per codebook
 * entry), position code lengths (U8, 2^g, none when dense), index stream, position stream (each whole bytes, most
 * significant bit first, padding 0). Its sizes are in the {@value #METADATA_KEY} metadata (JSON
 * {@code {"T": {"shape": [..], "nnz": N, "codebook": K, "index_bits": B, "positions": "gaps", "gap_bits": g,
 * "position_bits": P}}}), and the file's {@code nncompress.format} is {@value #FORMAT}: every tensor, that index,
 * the graph and the provenance in one body tensor whose header is deflated with a preset dictionary
 * ({@link CodedContainer}). {@value #FORMAT_V2} files (the tensors in the file, the metadata packed in one value:
 * {@link PackedMetadata}) and {@value #FORMAT_V1} files (plain metadata) are read too. Every other tensor is
 * stored dense. Decoding is exact: the loaded tensor is bit for bit the one saved.
 *
 * <p>Every number is checked before use: sizes against the entry's exact byte count, code tables as prefix codes,
 * each decoded symbol against what is left of the tensor, every stream read to its last bit.
 */
public final class CodedStorage {
    /** The format this build writes: {@code coded/1}'s tensors and metadata in one body with a deflated header ({@link CodedContainer}). */
    public static final String FORMAT = "coded/3";
    /** The second coded format (tensors in the file, metadata packed in one value: {@link PackedMetadata}), still read. */
    static final String FORMAT_V2 = "coded/2";
    /** The first coded format (metadata as plain entries), still read. */
    static final String FORMAT_V1 = "coded/1";
    public static final String METADATA_KEY = "nncompress.coded";
    static final String SUFFIX = ".coded";
    static final int MAX_CODEBOOK = Huffman.MAX_SYMBOLS;
    /**
     * A coded file may decode to at most this many times its size: one 1-bit code stands for up to 255 zeros
     * (GAPS/RUNS escape at g = 8), 4 bytes each, so 32 x 256 is the format's own ceiling; more means a lying shape.
     */
    static final long MAX_EXPANSION = 32L * 256;
    /**
     * What a coded tensor's index line and header entry cost over a dense one's, roughly, once deflated with the rest
     * of the header ({@link CodedContainer}); below this saving a tensor stays dense.
     */
    static final int HEADER_ALLOWANCE = 48;
    private static final JsonMapper JSON = new JsonMapper();

    private CodedStorage() {}

    /** One coded tensor's index entry: what the blob holds. */
    record Entry(long[] shape, int nnz, int codebook, long indexBits, PositionCoding.Mode positions, int gapBits, long positionBits) {
        int positionSymbols() { return positions == PositionCoding.Mode.DENSE ? 0 : 1 << gapBits; }

        long codebookBytes() { return 4L * codebook; }

        /** Index code table + index stream. */
        long indexBytes() { return codebook + (indexBits + 7) / 8; }

        /** Position code table + position stream. */
        long positionBytes() { return positionSymbols() + (positionBits + 7) / 8; }

        long blobBytes() { return codebookBytes() + indexBytes() + positionBytes(); }
    }

    /** Bytes of one coded tensor by component, for {@code info}. */
    public record Sizes(String tensor, long elements, long nonzeros, int codebook, String positions, long codebookBytes,
                        long indexBytes, long positionBytes) {
        public long total() { return codebookBytes + indexBytes + positionBytes; }
    }

    /**
     * Codes every F32 tensor of {@code dense} with 1 to {@value #MAX_CODEBOOK} distinct nonzero values where that
     * is smaller than dense; returns the one body tensor that holds them all (a coded tensor's entry in its place) with
     * {@code meta} and the index, and replaces {@code meta} by the format ({@link CodedContainer}).
     */
    static Map<String, TensorRecord> encodeAll(Map<String, TensorRecord> dense, Map<String, String> meta) {
        Map<String, TensorRecord> out = new LinkedHashMap<>();
        ObjectNode index = JSON.createObjectNode();
        for (var e : dense.entrySet()) {
            TensorRecord t = e.getValue();
            Coded c = "F32".equals(t.dtype()) ? encode(t.toFloats()) : null;
            if (c == null || c.blob.length + HEADER_ALLOWANCE >= t.byteSize()) {
                out.put(e.getKey(), t);
                continue;
            }
            out.put(e.getKey() + SUFFIX, TensorRecord.ofUnsignedBytes(c.blob, c.blob.length));
            ObjectNode j = index.putObject(e.getKey());
            var shape = j.putArray("shape");
            for (long d : t.shape()) shape.add(d);
            j.put("nnz", c.entry.nnz());
            j.put("codebook", c.entry.codebook());
            j.put("index_bits", c.entry.indexBits());
            j.put("positions", c.entry.positions().name().toLowerCase(java.util.Locale.ROOT));
            if (c.entry.positions() != PositionCoding.Mode.DENSE) {
                j.put("gap_bits", c.entry.gapBits());
                j.put("position_bits", c.entry.positionBits());
            }
        }
        meta.put(METADATA_KEY, index.toString());
        return CodedContainer.pack(out, meta, FORMAT);
    }

    private record Coded(Entry entry, byte[] blob) {}

    /** The coded form of {@code v}, or null when it has no nonzero value or more than {@value #MAX_CODEBOOK} distinct ones. */
    private static Coded encode(float[] v) {
        TreeMap<Float, Integer> distinct = new TreeMap<>(Float::compare);
        boolean[] kept = new boolean[v.length];
        int nnz = 0;
        for (int i = 0; i < v.length; i++) {
            if (Float.floatToRawIntBits(v[i]) == 0) continue; // +0.0 is pruned; -0.0 is a value, as in SparseStorage
            kept[i] = true;
            nnz++;
            distinct.putIfAbsent(v[i], 0);
            if (distinct.size() > MAX_CODEBOOK) return null;
        }
        if (nnz == 0) return null;
        float[] codebook = new float[distinct.size()];
        int k = 0;
        for (var d : distinct.entrySet()) {
            codebook[k] = d.getKey();
            d.setValue(k++);
        }
        int[] idx = new int[nnz];
        long[] idxCounts = new long[codebook.length];
        for (int i = 0, j = 0; i < v.length; i++) if (kept[i]) idxCounts[idx[j++] = distinct.get(v[i])]++;
        int[] idxLengths = Huffman.codeLengths(idxCounts);
        BitStream.Writer idxBits = new BitStream.Writer();
        int[] idxCodes = Huffman.codes(idxLengths);
        for (int s : idx) idxBits.write(idxCodes[s], idxLengths[s]);

        PositionCoding.Mode bestMode = PositionCoding.Mode.DENSE;
        int bestG = 0;
        int[] bestSymbols = new int[0];
        int[] bestLengths = new int[0];
        long bestBytes = nnz == v.length ? 0 : Long.MAX_VALUE;
        for (PositionCoding.Mode mode : List.of(PositionCoding.Mode.GAPS, PositionCoding.Mode.RUNS)) {
            if (nnz == v.length) break;
            for (int g = PositionCoding.MIN_GAP_BITS; g <= PositionCoding.MAX_GAP_BITS; g++) {
                int[] symbols = PositionCoding.symbols(kept, mode, g);
                long[] counts = new long[1 << g];
                for (int s : symbols) counts[s]++;
                int[] lengths = Huffman.codeLengths(counts);
                long bytes = (1 << g) + (Huffman.bits(counts, lengths) + 7) / 8;
                if (bytes < bestBytes) {
                    bestBytes = bytes;
                    bestMode = mode;
                    bestG = g;
                    bestSymbols = symbols;
                    bestLengths = lengths;
                }
            }
        }
        BitStream.Writer posBits = new BitStream.Writer();
        int[] posCodes = Huffman.codes(bestLengths);
        for (int s : bestSymbols) posBits.write(posCodes[s], bestLengths[s]);

        Entry entry = new Entry(null, nnz, codebook.length, idxBits.bitLength(), bestMode, bestG, posBits.bitLength());
        ByteBuffer blob = ByteBuffer.allocate(Math.toIntExact(entry.blobBytes())).order(ByteOrder.LITTLE_ENDIAN);
        for (float c : codebook) blob.putFloat(c);
        for (int l : idxLengths) blob.put((byte) l);
        for (int l : bestLengths) blob.put((byte) l);
        blob.put(idxBits.toBytes()).put(posBits.toBytes());
        return new Coded(entry, blob.array());
    }

    /** Whether {@code st} is a coded model file (either format). */
    static boolean isCoded(SafeTensorsFile st) {
        String f = st.metadata().get(Int8ModelIO.FORMAT_KEY);
        return FORMAT.equals(f) || FORMAT_V2.equals(f) || FORMAT_V1.equals(f);
    }

    /**
     * {@code st} as a {@value #FORMAT_V1} file would hold it (tensors and plain metadata) when it is a {@value #FORMAT}
     * file (body unpacked) or a {@value #FORMAT_V2} one (metadata unpacked), else {@code st} itself;
     * IllegalArgumentException or ModelFormatException when the body or the packed value is not what this build writes.
     */
    static SafeTensorsFile unpacked(SafeTensorsFile st) {
        String format = st.metadata().get(Int8ModelIO.FORMAT_KEY);
        if (FORMAT.equals(format)) return CodedContainer.unpack(st);
        if (!FORMAT_V2.equals(format)) return st;
        return new SafeTensorsFile(st.path(), st.fileBytes(), st.tensors(), PackedMetadata.unpack(st.metadata()));
    }

    /**
     * The tensors of a coded file, every coded tensor decoded to its dense F32 form, in file order. The index is
     * checked in full, and the decoded size against {@link DecodeLimits}, before anything is decoded.
     */
    static Map<String, TensorRecord> decodeAll(SafeTensorsFile st) { return decodeAll(st, Huffman.Decoder.TABLE_BITS); }

    /** The same with Huffman tables of {@code tableBits} bits (0: bit by bit; for the load benchmark's comparison). */
    static Map<String, TensorRecord> decodeAll(SafeTensorsFile st, int tableBits) {
        Map<String, Entry> entries = index(st);
        long decoded = 0;
        for (var e : st.tensors().entrySet()) {
            String key = e.getKey();
            String name = key.endsWith(SUFFIX) ? key.substring(0, key.length() - SUFFIX.length()) : null;
            decoded += name != null && entries.containsKey(name) ? 4 * SparseStorage.denseElements("", entries.get(name).shape()) : e.getValue().byteSize();
        }
        DecodeLimits.check(st.path(), st.fileBytes(), decoded, MAX_EXPANSION);
        Map<String, TensorRecord> out = new LinkedHashMap<>();
        for (var e : st.tensors().entrySet()) {
            String key = e.getKey();
            String name = key.endsWith(SUFFIX) ? key.substring(0, key.length() - SUFFIX.length()) : null;
            if (name != null && entries.containsKey(name)) out.put(name, decode(name, entries.get(name), e.getValue(), tableBits));
            else out.put(key, e.getValue());
        }
        return out;
    }

    /**
     * Component sizes of every coded tensor of the model file {@code file} (empty for any other model file), its index
     * checked as for loading; ModelFormatException naming the file when it is not readable.
     */
    public static List<Sizes> sizes(java.nio.file.Path file) {
        SafeTensorsFile st = ModelIO.readFile(file);
        if (!isCoded(st)) return List.of();
        try {
            return sizes(st);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file + ": " + e.getMessage(), e);
        }
    }

    /** Component sizes of every coded tensor of {@code st} (its index checked as for loading), in index order. */
    static List<Sizes> sizes(SafeTensorsFile st) {
        return index(st).entrySet().stream().map(e -> {
            Entry en = e.getValue();
            return new Sizes(e.getKey(), TensorRecord.numElements(en.shape()), en.nnz(), en.codebook(), en.positions().name().toLowerCase(java.util.Locale.ROOT),
                    en.codebookBytes(), en.indexBytes(), en.positionBytes());
        }).toList();
    }

    /** The checked index: every entry's numbers in range, its blob present, U8, 1-D and exactly as long as they say. */
    private static Map<String, Entry> index(SafeTensorsFile st) {
        if (st.metadata().containsKey(SparseStorage.METADATA_KEY)) {
            throw new IllegalArgumentException("a " + FORMAT + " file stores no " + SparseStorage.METADATA_KEY + " tensors");
        }
        String json = st.metadata().get(METADATA_KEY);
        if (json == null) throw new IllegalArgumentException("format " + FORMAT + " without its " + METADATA_KEY + " metadata");
        JsonNode root = StringMapJson.object(METADATA_KEY, json, "a JSON object");
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (var f : root.properties()) {
            String name = f.getKey();
            String what = "coded tensor " + Quoted.of(name) + ": ";
            Entry en = CodedIndex.entry(f.getValue(), what);
            if (st.tensors().containsKey(name)) throw new IllegalArgumentException("tensor " + Quoted.of(name) + " is stored both dense and coded");
            TensorRecord blob = st.tensors().get(name + SUFFIX);
            if (blob == null) throw new IllegalArgumentException(what + Quoted.of(name + SUFFIX) + " is missing");
            if (!"U8".equals(blob.dtype()) || blob.shape().length != 1) {
                throw new IllegalArgumentException(what + Quoted.of(name + SUFFIX) + " must be a 1-D U8 tensor, got " + blob.dtype() + " " + Arrays.toString(blob.shape()));
            }
            if (blob.byteSize() != en.blobBytes()) {
                throw new IllegalArgumentException(what + "has " + blob.byteSize() + " bytes but its index entry needs " + en.blobBytes() + " (truncated or corrupt)");
            }
            entries.put(name, en);
        }
        return entries;
    }

    /** The dense F32 tensor of one checked entry. */
    private static TensorRecord decode(String name, Entry en, TensorRecord blobRecord, int tableBits) {
        String what = "coded tensor " + Quoted.of(name);
        int n = (int) SparseStorage.denseElements(what + ": ", en.shape());
        ByteBuffer blob = blobRecord.data();
        float[] codebook = new float[en.codebook()];
        for (int k = 0; k < codebook.length; k++) {
            codebook[k] = blob.getFloat();
            if (!Float.isFinite(codebook[k]) || Float.floatToRawIntBits(codebook[k]) == 0 || k > 0 && Float.compare(codebook[k - 1], codebook[k]) >= 0) {
                throw new IllegalArgumentException(what + ": codebook entry " + k + " is " + codebook[k] + "; entries must be finite, not +0.0 and ascending");
            }
        }
        Huffman.Decoder idxTable = new Huffman.Decoder(lengths(blob, en.codebook()), what + " index table", tableBits);
        int[] posLengths = lengths(blob, en.positionSymbols());
        byte[] idxBytes = new byte[(int) ((en.indexBits() + 7) / 8)];
        blob.get(idxBytes);
        byte[] posBytes = new byte[(int) ((en.positionBits() + 7) / 8)];
        blob.get(posBytes);
        BitStream.checkPadding(idxBytes, en.indexBits(), what + " index stream");
        BitStream.checkPadding(posBytes, en.positionBits(), what + " position stream");

        int[] positions = null; // null: every element is kept
        if (en.positions() != PositionCoding.Mode.DENSE) {
            BitStream.Reader posIn = new BitStream.Reader(posBytes, en.positionBits(), what + " position stream");
            positions = PositionCoding.decode(new Huffman.Decoder(posLengths, what + " position table", tableBits), posIn, en.positions(), en.gapBits(), n,
                    en.nnz(), what + " position stream");
            if (posIn.remaining() != 0) throw new IllegalArgumentException(what + " position stream has " + posIn.remaining() + " bits after its last code");
        }
        BitStream.Reader idxIn = new BitStream.Reader(idxBytes, en.indexBits(), what + " index stream");
        ByteBuffer dense = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN); // zero-filled: +0.0
        String idxWhat = what + " index stream";
        for (int k = 0; k < en.nnz(); k++) {
            dense.putFloat(4 * (positions == null ? k : positions[k]), codebook[idxTable.decode(idxIn, idxWhat)]);
        }
        if (idxIn.remaining() != 0) throw new IllegalArgumentException(what + " index stream has " + idxIn.remaining() + " bits after its last code");
        return new TensorRecord("F32", en.shape(), dense);
    }

    private static int[] lengths(ByteBuffer blob, int count) {
        int[] l = new int[count];
        for (int i = 0; i < count; i++) l[i] = blob.get() & 0xff;
        return l;
    }
}
