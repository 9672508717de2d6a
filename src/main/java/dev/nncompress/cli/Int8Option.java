package dev.nncompress.cli;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.cpu.Int8KernelChoice;
import dev.nncompress.int8.Int8Model;
import dev.nncompress.int8.Int8Runner;
import picocli.CommandLine.Option;

import java.io.PrintWriter;

/** The {@code --int8-kernels} option of the commands that run int8 models (a picocli mixin). */
public final class Int8Option {
    @Option(names = "--int8-kernels", defaultValue = "auto", paramLabel = "auto|native|java",
            description = "int8 kernels for int8 models (default: ${DEFAULT-VALUE}: our native kernels when they load, else the Java twin; says which).")
    String kernels;

    /** Usage error for an unknown name, before anything is loaded. */
    void check() {
        if (!kernels.equals("auto") && !kernels.equals("native") && !kernels.equals("java")) {
            throw new IllegalArgumentException("--int8-kernels must be auto, native or java, got '" + kernels + "'");
        }
    }

    /** The chosen kernels, announced once on {@code err}. */
    Int8KernelChoice.Choice choose(PrintWriter err) {
        Int8KernelChoice.Choice c = Int8KernelChoice.choose(kernels, Int8KernelChoice.defaultThreads());
        err.println(c.line());
        err.flush();
        return c;
    }

    /** A runner for {@code m} on the chosen kernels; nodes kept in float run on {@code backend}. */
    Int8Runner runner(Int8Model m, Backend backend, PrintWriter err) { return new Int8Runner(m, choose(err).kernels(), backend); }
}
