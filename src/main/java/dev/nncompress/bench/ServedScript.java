package dev.nncompress.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.nncompress.backend.BackendUnavailableException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A Python benchmark script (packaged as a resource beside this class) run as a subprocess that answers one JSON line
 * per request line: a first line once ready, then one per request, until "quit". Its requests are sent one at a time
 * so that its rounds alternate with ours in one run ({@link Alternating}). The scripts named are copied into one
 * temporary folder under their own names, so that one may import another.
 */
final class ServedScript implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final BufferedReader replies;
    private final Writer requests;
    private final Path folder;
    private final JsonNode ready;

    private ServedScript(Process process, Path folder, String what) throws IOException {
        this.process = process;
        this.folder = folder;
        this.replies = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        this.requests = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        this.ready = reply(what);
    }

    /**
     * Runs {@code python scripts[0] args...} ({@code scripts} the resource names to copy) and waits for its first line,
     * awaited as {@code what}. No Python, or one that ends or prints no JSON (no torch), is a
     * {@link BackendUnavailableException}: {@code need}, then what Python said last.
     */
    static ServedScript start(String python, List<String> scripts, List<String> args, String what, String need) {
        Path folder = null;
        try {
            folder = Files.createTempDirectory("nncompress-bench");
            for (String s : scripts) {
                try (InputStream in = ServedScript.class.getResourceAsStream(s)) {
                    if (in == null) throw new IllegalStateException(s + " is missing from the build's resources");
                    Files.copy(in, folder.resolve(s));
                }
            }
            List<String> command = new ArrayList<>(List.of(python, folder.resolve(scripts.get(0)).toString()));
            command.addAll(args);
            // its stderr to a file, not a pipe: nobody reads a pipe while it serves, and a full one would stall it
            Path errors = folder.resolve("stderr");
            Process p = new ProcessBuilder(command).redirectError(errors.toFile()).start();
            try {
                return new ServedScript(p, folder, what);
            } catch (IOException | RuntimeException e) {
                String said = lastWords(p, errors);
                throw new BackendUnavailableException(need + "; " + python + (said.isEmpty() ? " gave no answer" : " said: " + said));
            }
        } catch (IOException e) {
            deleteQuietly(folder);
            throw new BackendUnavailableException(need + "; cannot run " + python + ": " + e.getMessage());
        } catch (RuntimeException e) {
            deleteQuietly(folder);
            throw e;
        }
    }

    /** The script's first line. */
    JsonNode ready() { return ready; }

    /** Sends one request line and returns its JSON answer; a process that ended is an UncheckedIOException. */
    JsonNode request(String line, String what) {
        try {
            requests.write(line + "\n");
            requests.flush();
            return reply(what);
        } catch (IOException e) {
            throw new UncheckedIOException("the Python benchmark process failed: " + e.getMessage(), e);
        }
    }

    /** The next stdout line as a JSON object; end of output is an IOException naming what was awaited. */
    private JsonNode reply(String what) throws IOException {
        String line = replies.readLine();
        if (line == null) throw new IOException("the Python benchmark process ended while " + what);
        JsonNode n = JSON.readTree(line);
        if (!n.isObject()) throw new IOException("the Python benchmark process printed " + line + " while " + what);
        return n;
    }

    /**
     * The last line a failed start wrote on stderr (Python's "No module named 'torch'"), once it has exited; a process
     * still running after a few seconds is killed and says nothing (destroying it first would close its stderr unread).
     */
    private static String lastWords(Process p, Path errors) {
        try {
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "";
            }
            String[] lines = Files.readString(errors, StandardCharsets.UTF_8).strip().split("\\R");
            return lines[lines.length - 1].strip();
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private static void deleteQuietly(Path folder) {
        if (folder == null) return;
        try (Stream<Path> all = Files.walk(folder)) {
            for (Path f : all.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
        } catch (IOException ignored) {
            // a temp file left behind is harmless
        }
    }

    @Override
    public void close() {
        try {
            requests.write("quit\n");
            requests.flush();
        } catch (IOException ignored) {
            // already gone
        }
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        deleteQuietly(folder);
    }
}
