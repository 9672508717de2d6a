package dev.nncompress.cli;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Int8Kernels;
import dev.nncompress.backend.cpu.Int8KernelChoice;
import dev.nncompress.int8.Int8Model;
import dev.nncompress.int8.Int8Runner;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/** The {@code --int8-kernels} option of the commands that run int8 models (a picocli mixin). */
public final class Int8Option {
    /** Which int8 kernels: {@code native} is a Java keyword, hence the upper-case constants with lower-case names. */
    enum Kernels {
        AUTO, CUDA, NATIVE, JAVA;

        @Override
        public String toString() { return name().toLowerCase(Locale.ROOT); }
    }

    @Option(names = "--int8-kernels", defaultValue = "auto", paramLabel = "auto|cuda|native|java",
            description = "int8 kernels for int8 models (default: ${DEFAULT-VALUE}: our CUDA GEMM on the cuda backend, else our native CPU "
                    + "kernels when they load, else the Java twin; says which).")
    Kernels kernels;

    private boolean announced;

    /** The chosen kernels, announced once on {@code err}; {@code auto} on the cuda backend takes our CUDA GEMM. */
    Int8KernelChoice.Choice choose(Backend backend, PrintWriter err) {
        Int8Kernels device = kernels == Kernels.CUDA || kernels == Kernels.AUTO ? backend.deviceInt8Kernels() : null;
        if (kernels == Kernels.CUDA && device == null) {
            throw new IllegalArgumentException("--int8-kernels cuda needs --backend cuda (the backend here is " + backend.name() + ")");
        }
        Int8KernelChoice.Choice c = device != null ? new Int8KernelChoice.Choice(device, "the cuda backend is in use")
                : Int8KernelChoice.choose(kernels.toString(), Int8KernelChoice.defaultThreads());
        if (!announced) { // a teacher's runner and the written file's share one announcement
            err.println(c.line());
            err.flush();
            announced = true;
        }
        return c;
    }

    /** A runner for {@code m} on the chosen kernels; nodes kept in float run on {@code backend}. */
    Int8Runner runner(Int8Model m, Backend backend, PrintWriter err) {
        Int8Runner r = new Int8Runner(m, choose(backend, err).kernels(), backend);
        List<String> fallbacks = r.floatFallbacks(); // exactly the nodes with no int8 step here (grouped convs, softmax, ...): say which
        if (!fallbacks.isEmpty()) {
            err.println("nncompress: note: the int8 engine runs " + fallbacks.size() + " node(s) in float: " + String.join(", ", fallbacks));
            err.flush();
        }
        return r;
    }
}
