package dev.nncompress.spark;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The run directory as tasks name it (local path or Hadoop URI) and the jars a cluster's executors are sent. No Spark. */
class SweepDirAndJarsTest {
    @TempDir Path tmp;

    @Test
    void aRelativeRunDirectoryIsMadeAbsoluteAndAUriIsKept() {
        assertEquals(Path.of("runs/sweep").toAbsolutePath().normalize().toString(), SweepDir.of("runs/sweep"));
        assertEquals(Path.of("runs/sweep").toAbsolutePath().normalize().toString(), SweepDir.of("./runs/../runs/sweep"));
        assertFalse(SweepDir.isUri(SweepDir.of("runs/sweep")));
        assertEquals("hdfs://nn:8020/sweeps/a", SweepDir.of("hdfs://nn:8020/sweeps/a/"));
        assertEquals("file:///tmp/s", SweepDir.of("file:///tmp/s"));
        assertTrue(SweepDir.isUri("s3a://bucket/x"));
        assertEquals("s3a://bucket/x/points/p1", SweepDir.child("s3a://bucket/x", PointRun.POINTS, "p1"));
        assertEquals("--out hdfs://nn:8020/: give a directory below the file system's root",
                assertThrows(IllegalArgumentException.class, () -> SweepDir.of("hdfs://nn:8020/")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> SweepDir.of(" "));
    }

    @Test
    void aPointDirectoryIsCopiedUpThroughHadoopReplacingAnEarlierAttempt() throws Exception {
        Path local = Files.createDirectories(tmp.resolve("scratch/p3/sub"));
        Files.writeString(local.resolve("a.txt"), "new");
        Path remote = Files.createDirectories(tmp.resolve("remote/points/p3"));
        Files.writeString(remote.resolve("stale.txt"), "from a failed attempt");
        SweepDir.upload(tmp.resolve("scratch/p3"), tmp.resolve("remote").toUri().toString(), "p3");
        assertEquals("new", Files.readString(tmp.resolve("remote/points/p3/sub/a.txt")));
        assertFalse(Files.exists(remote.resolve("stale.txt")), "the earlier attempt's files are gone");
        assertFalse(Files.exists(tmp.resolve("scratch/p3")), "the scratch copy is removed");
    }

    @Test
    void theJarsShippedAreOursAndTheirManifestsNotSparks() throws Exception {
        Path sparkLib = Files.createDirectories(tmp.resolve("spark/target/lib"));
        Path spark = Files.createFile(sparkLib.resolve("spark-core_2.13-4.2.0.jar"));
        Path coreLib = Files.createDirectories(tmp.resolve("target/lib"));
        Path nd4j = jar(coreLib.resolve("nd4j-api.jar"), null);
        Path ort = jar(coreLib.resolve("onnxruntime.jar"), null);
        Path core = jar(tmp.resolve("target/nncompress-0.1.0-SNAPSHOT.jar"), "lib/nd4j-api.jar lib/onnxruntime.jar lib/missing.jar");
        Path module = jar(tmp.resolve("spark/target/nncompress-spark-0.1.0-SNAPSHOT.jar"), null);
        Path classes = Files.createDirectories(tmp.resolve("spark/target/classes"));
        // scripts/nncompress's class path: the module's jar, Spark's folder, the core jar (its lib/ by manifest)
        String cp = String.join(File.pathSeparator, module.toString(), sparkLib + File.separator + "*", core.toString(), classes.toString());
        List<Path> entries = SparkJars.expand(cp);
        assertTrue(entries.containsAll(List.of(module, spark, core, nd4j, ort)), entries.toString());
        assertEquals(List.of(module, core, nd4j, ort), SparkJars.select(entries, Set.of(sparkLib)), "no Spark jar, no folder, no missing file");
    }

    private static Path jar(Path p, String classPath) throws Exception {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (classPath != null) m.getMainAttributes().put(Attributes.Name.CLASS_PATH, classPath);
        Files.createDirectories(p.getParent());
        try (OutputStream o = Files.newOutputStream(p); JarOutputStream j = new JarOutputStream(o, m)) {
            // a manifest only
        }
        return p;
    }
}
