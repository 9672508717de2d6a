package dev.nncompress.io;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Where a result came from: tool version and git commit (recorded at build time), Java version,
 * time, plus what the caller adds (command, config, seed, backend). Stored in every model file.
 */
public final class Provenance {
    private static final Properties BUILD = load();

    private Provenance() {}

    public static String version() { return BUILD.getProperty("version", "dev"); }

    public static String gitCommit() { return BUILD.getProperty("git.commit", "unknown"); }

    /** The standard fields followed by {@code extra} (which may override none of them). */
    public static Map<String, String> collect(Map<String, String> extra) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("tool", "nncompress " + version());
        p.put("git_commit", gitCommit());
        p.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        p.put("created_utc", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        extra.forEach(p::putIfAbsent);
        return p;
    }

    private static Properties load() {
        Properties props = new Properties();
        try (InputStream in = Provenance.class.getResourceAsStream("/nncompress-build.properties")) {
            if (in != null) props.load(in);
        } catch (IOException ignored) {
            // provenance is best effort: an unreadable build stamp must not stop a save
        }
        if (props.getProperty("git.commit", "").startsWith("${")) props.setProperty("git.commit", "unknown");
        return props;
    }
}
