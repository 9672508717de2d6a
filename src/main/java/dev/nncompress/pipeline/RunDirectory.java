package dev.nncompress.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.nncompress.io.AtomicFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A recipe's run directory: {@code recipe.yaml} (the recipe as run), per stage its artefact {@code stageN-NAME.*} and
 * record {@code stageN-NAME.json}, {@code input.json}, and the report. Every file is written atomically; a record is
 * written after its artefact, so that a killed run leaves either both or an artefact without a record (redone).
 */
final class RunDirectory {
    /** Records and report.json: snake_case keys, as the rest of our JSON. */
    static final ObjectMapper JSON = JsonMapper.builder().propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT).build();
    /** A record or report larger than this was not written by us. */
    static final long MAX_JSON_BYTES = 64L << 20;

    private final Path dir;

    RunDirectory(Path dir) {
        this.dir = dir;
    }

    Path dir() { return dir; }

    /** Creates the directory (and parents); refuses a file in its place. */
    void create() {
        if (Files.exists(dir) && !Files.isDirectory(dir)) throw new UncheckedIOException(new IOException(dir + ": exists and is not a directory"));
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot create the run directory: " + e.getMessage(), e);
        }
    }

    String baseName(int index, String stage) { return index < 0 ? "input" : "stage" + index + "-" + stage; }

    Path artefact(int index, String stage, String extension) { return dir.resolve(baseName(index, stage) + extension); }

    Path record(int index, String stage) { return dir.resolve(baseName(index, stage) + ".json"); }

    /** The record of a stage done under the recipe {@code sha256} whose artefact is still there, else null. */
    StageRecord finished(int index, String stage, String sha256) {
        Path f = record(index, stage);
        if (!Files.isRegularFile(f)) return null;
        StageRecord r;
        try {
            r = readJson(f, StageRecord.class);
        } catch (RuntimeException e) {
            return null; // unreadable or not ours: the stage is redone and the record rewritten
        }
        if (r.index() != index || !stage.equals(r.stage()) || !sha256.equals(r.recipeSha256())) return null;
        if (r.artefact() != null && !Files.isRegularFile(dir.resolve(r.artefact()))) return null;
        return r.asResumed();
    }

    void writeRecord(StageRecord r) { write(record(r.index(), r.stage()), withoutResumed(r)); }

    void writeText(String name, String text) {
        try {
            AtomicFiles.write(dir.resolve(name), text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(dir.resolve(name) + ": " + e.getMessage(), e);
        }
    }

    void write(Path file, Object value) {
        try {
            AtomicFiles.write(file, JSON.writeValueAsBytes(value));
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
    }

    private static JsonNode withoutResumed(StageRecord r) {
        var node = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.valueToTree(r);
        node.remove("resumed");
        return node;
    }

    /** {@code file} read as {@code type}: size-bounded, every field type-checked by the binding. */
    static <T> T readJson(Path file, Class<T> type) {
        try {
            if (Files.size(file) > MAX_JSON_BYTES) throw new IOException("larger than " + MAX_JSON_BYTES + " bytes");
            return JSON.readValue(file.toFile(), type);
        } catch (IOException e) {
            String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
            throw new UncheckedIOException(file + ": " + msg, e);
        }
    }
}
