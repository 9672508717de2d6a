package dev.nncompress.cli;

import java.util.ServiceLoader;

/**
 * A command that lives outside the core jar, found through {@link ServiceLoader} (listed in
 * {@code META-INF/services/dev.nncompress.cli.SubcommandProvider} of its jar): the Spark module's {@code sweep}
 * (spark/, docs/spark.md) is one, so that the core jar carries no Spark and {@code nncompress sweep} works as soon as
 * the module's jars are on the class path.
 */
public interface SubcommandProvider {
    /** The command's name on the command line, e.g. {@code sweep}. */
    String name();

    /** A new instance of the command: a picocli {@code @Command} object (a Callable returning the exit code). */
    Object command();
}
