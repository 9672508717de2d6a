package dev.nncompress.cli;

import dev.nncompress.graph.Graph;
import dev.nncompress.io.CodedStorage;
import dev.nncompress.io.ModelIO;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code info} and {@code share} show of an entropy-coded model file ({@link CodedStorage}): per coded weight its
 * bytes by component (cluster indices with their code table, positions with theirs, codebook) and the ratio to the
 * same weight in dense float, then the whole file against the same model written dense float.
 */
final class CodedInfo {
    private CodedInfo() {}

    /** The coded weights of {@code src}'s file; empty for built-ins and every other kind of file. */
    static List<CodedStorage.Sizes> of(ModelSource src) {
        if (src.builtIn() || src.isInt8() || src.isOnnx() || !Files.isRegularFile(Path.of(src.spec()))) return List.of();
        return CodedStorage.sizes(Path.of(src.spec()));
    }

    static void print(PrintWriter out, List<CodedStorage.Sizes> sizes, long denseFileBytes, long fileBytes) {
        if (sizes.isEmpty()) return;
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"coded weight", "kept", "codebook", "positions", "index bytes", "position bytes", "codebook bytes", "total", "vs float"});
        for (CodedStorage.Sizes s : sizes) {
            rows.add(new String[] {dev.nncompress.util.Quoted.safeLine(s.tensor()), CliSupport.grouped(s.nonzeros()) + "/" + CliSupport.grouped(s.elements()),
                    Integer.toString(s.codebook()), s.positions(), CliSupport.grouped(s.indexBytes()), CliSupport.grouped(s.positionBytes()),
                    CliSupport.grouped(s.codebookBytes()), CliSupport.grouped(s.total()), String.format(Locale.ROOT, "%.1fx", 4.0 * s.elements() / s.total())});
        }
        int[] width = new int[rows.get(0).length];
        for (String[] r : rows) for (int i = 0; i < r.length; i++) width[i] = Math.max(width[i], r[i].length());
        out.println();
        for (String[] r : rows) {
            StringBuilder sb = new StringBuilder(" ");
            for (int i = 0; i < r.length; i++) sb.append(' ').append(i == 0 || i == 3 ? pad(r[i], width[i], false) : pad(r[i], width[i], true)).append(' ');
            out.println(sb.toString().stripTrailing());
        }
        out.printf(Locale.ROOT, "coded       format %s: %s bytes, %.1fx smaller than the dense float file (%s bytes)%n", CodedStorage.FORMAT,
                CliSupport.grouped(fileBytes), (double) denseFileBytes / fileBytes, CliSupport.grouped(denseFileBytes));
    }

    static Map<String, Object> json(List<CodedStorage.Sizes> sizes, long denseFileBytes, long fileBytes) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", CodedStorage.FORMAT);
        m.put("file_bytes", fileBytes);
        m.put("dense_float_file_bytes", denseFileBytes);
        m.put("ratio", (double) denseFileBytes / fileBytes);
        List<Map<String, Object>> ws = new ArrayList<>();
        for (CodedStorage.Sizes s : sizes) {
            Map<String, Object> w = new LinkedHashMap<>();
            w.put("tensor", s.tensor());
            w.put("elements", s.elements());
            w.put("nonzeros", s.nonzeros());
            w.put("codebook", s.codebook());
            w.put("positions", s.positions());
            w.put("index_bytes", s.indexBytes());
            w.put("position_bytes", s.positionBytes());
            w.put("codebook_bytes", s.codebookBytes());
            w.put("ratio_vs_float", 4.0 * s.elements() / s.total());
            ws.add(w);
        }
        m.put("weights", ws);
        return m;
    }

    /** Size of {@code g} written dense float with {@code provenance}: the baseline of every ratio. */
    static long denseFileBytes(Graph g, Map<String, String> provenance) { return ModelIO.fileSize(g, provenance, ModelIO.Storage.DENSE); }

    private static String pad(String s, int w, boolean right) {
        return right ? " ".repeat(w - s.length()) + s : s + " ".repeat(w - s.length());
    }
}
