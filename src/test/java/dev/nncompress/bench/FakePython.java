package dev.nncompress.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** A stand-in "python" for the bench scripts' protocol tests: a shell script, so that no torch is needed. */
final class FakePython {
    private FakePython() {}

    /** {@code dir/python}, an executable /bin/sh script running {@code body}; the test is skipped where there is no /bin/sh. */
    static Path write(Path dir, String body) throws IOException {
        assumeTrue(Files.isExecutable(Path.of("/bin/sh")), "no /bin/sh here");
        Path p = dir.resolve("python");
        Files.writeString(p, "#!/bin/sh\n" + body);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
        return p;
    }
}
