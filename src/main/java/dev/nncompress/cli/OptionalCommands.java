package dev.nncompress.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;

/**
 * The commands of optional modules ({@link SubcommandProvider}): each found on the class path is added to the command
 * line; each known one that is absent is added as a stand-in that says in one line how to get it (exit 2), so that
 * {@code nncompress sweep} without the Spark module is a usage error with the way out, not "unknown command".
 */
final class OptionalCommands {
    /** Known optional commands and how to get each. */
    static final Map<String, String> KNOWN = Map.of("sweep",
            "'sweep' needs the Spark module (spark/, not in the core jar): build it with 'mvn -q -DskipTests install' at the root, "
                    + "then 'mvn -q -DskipTests package' in spark/; scripts/nncompress then finds it (docs/spark.md)");

    private OptionalCommands() {}

    static void addTo(CommandLine cl) {
        for (SubcommandProvider p : ServiceLoader.load(SubcommandProvider.class)) {
            if (!cl.getSubcommands().containsKey(p.name())) cl.addSubcommand(p.name(), p.command());
        }
        KNOWN.forEach((name, how) -> {
            if (!cl.getSubcommands().containsKey(name)) cl.addSubcommand(name, new Missing(how));
        });
    }

    @Command(description = "Not in this build: an optional module's command (run it to see how to get it).")
    static final class Missing implements Callable<Integer> {
        private final String how;
        @Unmatched List<String> args; // whatever was given: the answer is the same
        @Spec CommandSpec spec;

        Missing(String how) {
            this.how = how;
        }

        @Override
        public Integer call() {
            return Main.reportError(new IllegalArgumentException(how), spec.commandLine().getErr(), false); // a usage error: exit 2
        }
    }
}
