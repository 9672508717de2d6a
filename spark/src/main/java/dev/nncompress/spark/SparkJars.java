package dev.nncompress.spark;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * The jars a cluster's executors need and do not have: this module's, the core's and the core's dependencies, which
 * the driver ships with {@code spark.jars} (the executors fetch them from the driver). Spark's own jars (the cluster
 * has its own, of its version) are not shipped: those in the folders that hold Spark's, Scala's and Hadoop's jars
 * ({@code spark/target/lib} with {@code scripts/nncompress}).
 *
 * <p>The class path is read as the JVM has it, each jar's manifest {@code Class-Path} followed (the core jar names its
 * {@code lib/} that way, Surefire's booter jar the test class path). Folders of classes cannot be shipped and are left
 * out: a cluster run needs the packaged jars.
 */
final class SparkJars {
    private SparkJars() {}

    /** The jars to ship from this JVM's class path. */
    static List<Path> toShip() {
        List<Path> entries = expand(System.getProperty("java.class.path", ""));
        Set<Path> sparkDirs = new LinkedHashSet<>();
        for (Class<?> c : new Class<?>[] {org.apache.spark.SparkContext.class, scala.Predef.class, org.apache.hadoop.fs.FileSystem.class}) {
            Path jar = codeSource(c);
            if (jar != null && jar.getParent() != null) sparkDirs.add(jar.getParent());
        }
        return select(entries, sparkDirs);
    }

    /** The jars of {@code entries} outside {@code sparkDirs}, in class path order, each once. */
    static List<Path> select(List<Path> entries, Set<Path> sparkDirs) {
        List<Path> ship = new ArrayList<>();
        for (Path p : entries) {
            if (!Files.isRegularFile(p) || !p.getFileName().toString().endsWith(".jar")) continue;
            if (p.getParent() != null && sparkDirs.contains(p.getParent())) continue;
            if (!ship.contains(p)) ship.add(p);
        }
        return ship;
    }

    /** The entries of a class path string, each jar followed by the entries of its manifest's Class-Path (depth first). */
    static List<Path> expand(String classPath) {
        Set<Path> out = new LinkedHashSet<>();
        for (String e : classPath.split(File.pathSeparator)) {
            if (e.isBlank()) continue;
            if (e.endsWith("*")) { // a folder's jars, as java -cp 'lib/*' has them
                Path dir = Path.of(e.substring(0, e.length() - 1)).toAbsolutePath().normalize();
                try (var jars = Files.list(dir)) {
                    for (Path j : jars.filter(j -> j.getFileName().toString().endsWith(".jar")).sorted().toList()) add(j, out);
                } catch (IOException ex) {
                    // a missing folder on the class path contributes nothing, as for the JVM
                }
            } else {
                add(Path.of(e).toAbsolutePath().normalize(), out);
            }
        }
        return new ArrayList<>(out);
    }

    private static void add(Path p, Set<Path> out) {
        if (!out.add(p) || !Files.isRegularFile(p) || !p.getFileName().toString().endsWith(".jar")) return;
        try (JarFile jar = new JarFile(p.toFile())) {
            Manifest m = jar.getManifest();
            String cp = m == null ? null : m.getMainAttributes().getValue("Class-Path");
            if (cp == null) return;
            for (String item : cp.trim().split("\\s+")) {
                if (item.isEmpty()) continue;
                try { // relative URLs against the jar's folder; Surefire's booter writes absolute file: URLs
                    URI u = p.getParent().toUri().resolve(item);
                    if ("file".equals(u.getScheme())) add(Path.of(u).normalize(), out);
                } catch (IllegalArgumentException ex) {
                    // an entry that is not a URL the JVM would use either
                }
            }
        } catch (IOException e) {
            // not a readable jar: the JVM skips it too
        }
    }

    /** The jar (or folder) a class was loaded from, null when unknown. */
    static Path codeSource(Class<?> c) {
        try {
            var src = c.getProtectionDomain().getCodeSource();
            return src == null ? null : Path.of(src.getLocation().toURI()).toAbsolutePath().normalize();
        } catch (URISyntaxException | RuntimeException e) {
            return null;
        }
    }
}
