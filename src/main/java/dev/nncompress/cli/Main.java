package dev.nncompress.cli;

import dev.nncompress.backend.BackendUnavailableException;
import dev.nncompress.data.DatasetException;
import dev.nncompress.io.ModelFormatException;
import dev.nncompress.io.Provenance;
import dev.nncompress.pipeline.RecipeException;
import dev.nncompress.train.TrainingDivergedException;
import dev.nncompress.util.Quoted;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * The {@code nncompress} command line: {@code train}, {@code eval} and {@code info}.
 *
 * <p>Every error is reported as one line {@code nncompress: error: <message>} on stderr (plus the
 * stack trace with {@code --debug}); the exit code is {@value #EXIT_USAGE} for usage errors (bad
 * options, unknown model names) and {@value #EXIT_FAILURE} for everything else (missing dataset,
 * corrupt model file, unavailable backend, diverged training, I/O).
 */
@Command(name = "nncompress", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Neural-network compression toolkit: train, evaluate, inspect, import (ONNX), benchmark, quantize, prune and distill Fashion-MNIST CNNs.",
        subcommands = {TrainCommand.class, EvalCommand.class, InfoCommand.class, ImportCommand.class, ExportCommand.class, BenchCommand.class, BenchGemmCommand.class, QuantizeCommand.class,
                PruneCommand.class, ShareCommand.class, DistillCommand.class, CompressCommand.class, ReportCommand.class, CompletionCommand.class, CommandLine.HelpCommand.class},
        usageHelpAutoWidth = true)
public final class Main implements Callable<Integer> {
    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILURE = 1;
    public static final int EXIT_USAGE = 2;
    static final String PREFIX = "nncompress: error: ";

    @Option(names = "--debug", scope = ScopeType.INHERIT, description = "Print stack traces of errors.")
    boolean debugOption;

    @Option(names = {"-q", "--quiet"}, scope = ScopeType.INHERIT, description = "No progress bar or progress lines.")
    boolean quietOption;

    @Spec CommandSpec spec;

    /** Set from the parse result before any subcommand runs (inherited options may be given at any level). */
    boolean debug;
    boolean quiet;
    private List<String> args = List.of();

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
        int code = run(args, out, err);
        out.flush();
        err.flush();
        System.exit(code);
    }

    /** Runs one command line in this process, writing to {@code out} and {@code err}; returns the exit code. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        Main main = new Main();
        main.args = List.of(args);
        CommandLine cl = new CommandLine(main);
        OptionalCommands.addTo(cl); // sweep (spark/) when its jars are on the class path, else a stand-in saying how to get it
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true); // tensorrt or TENSORRT: enums list their lower-case toString() in --help
        cl.setParameterExceptionHandler(Main::handleParameterException);
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> reportError(ex, commandLine.getErr(), hasOption(parseResult, "--debug")));
        cl.setExecutionStrategy(parseResult -> {
            main.debug = hasOption(parseResult, "--debug");
            main.quiet = hasOption(parseResult, "--quiet");
            return new CommandLine.RunLast().execute(parseResult);
        });
        try {
            return cl.execute(DeprecatedSpellings.rewrite(args, err));
        } catch (Throwable t) { // Errors (OutOfMemoryError...) are not routed through the handler
            return reportError(t, err, List.of(args).contains("--debug"));
        } finally {
            out.flush();
            err.flush();
        }
    }

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        // listed from the registered subcommands, so that a new command cannot be missing here
        String commands = String.join(", ", spec.commandLine().getSubcommands().keySet().stream().filter(c -> !c.equals("help")).toList());
        err.println(PREFIX + "missing command; use one of: " + commands + " (see 'nncompress --help')");
        return EXIT_USAGE;
    }

    /** The command line as typed, for provenance. */
    String commandLine() {
        StringBuilder sb = new StringBuilder("nncompress");
        for (String a : args) sb.append(' ').append(shellQuote(a));
        return sb.toString();
    }

    static String shellQuote(String s) {
        if (!s.isEmpty() && s.matches("[A-Za-z0-9_@%+=:,./-]+")) return s;
        return "'" + s.replace("'", "'\\''") + "'";
    }

    private static boolean hasOption(ParseResult pr, String name) {
        for (ParseResult r = pr; r != null; r = r.subcommand()) {
            if (r.hasMatchedOption(name)) return true;
        }
        return false;
    }

    private static int handleParameterException(ParameterException ex, String[] args) {
        CommandLine cl = ex.getCommandLine();
        PrintWriter err = cl.getErr();
        if (List.of(args).contains("--debug")) ex.printStackTrace(err);
        // picocli starts its argument-group messages with "Error: ", which our prefix already says
        StringBuilder msg = new StringBuilder(oneLine(ex.getMessage()).replaceFirst("^Error: ", ""));
        if (ex.getArgSpec() instanceof OptionSpec o && o.type().isEnum() && ex.getValue() != null && o.completionCandidates() != null
                && msg.indexOf("expected one of") >= 0) {
            // picocli lists an enum's constant names beside their toString(); the user types the latter, so name only those
            msg = new StringBuilder(o.longestName() + " " + ex.getValue() + " is not one of: " + String.join(", ", o.completionCandidates()));
        }
        if (ex instanceof UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
            msg.append("; did you mean ").append(String.join(" or ", u.getSuggestions())).append('?');
        }
        msg.append(" (see '").append(cl.getCommandSpec().qualifiedName()).append(" --help')");
        err.println(PREFIX + msg);
        return EXIT_USAGE;
    }

    /** Prints the one-line error (and the stack trace when asked) and returns the exit code; public for optional modules' commands. */
    public static int reportError(Throwable t, PrintWriter err, boolean debug) {
        if (debug) t.printStackTrace(err);
        int code = exitCode(t);
        String msg = oneLine(t.getMessage());
        if (t instanceof OutOfMemoryError) {
            msg = "out of memory (" + msg + "); give the JVM more heap, e.g. NNCOMPRESS_JAVA_OPTS=-Xmx8g";
        } else if (code == EXIT_FAILURE && !isUserError(t)) {
            msg = "internal error: " + t.getClass().getName() + (msg.isEmpty() ? "" : ": " + msg)
                    + (debug ? "" : " (rerun with --debug for the stack trace)");
        } else if (msg.isEmpty()) {
            msg = t.getClass().getSimpleName();
        }
        err.println(PREFIX + msg);
        err.flush();
        return code;
    }

    static int exitCode(Throwable t) {
        if (t instanceof ParameterException) return EXIT_USAGE;
        if (isUserError(t)) return t instanceof IllegalArgumentException ? EXIT_USAGE : EXIT_FAILURE;
        return EXIT_FAILURE;
    }

    private static boolean isUserError(Throwable t) {
        return t instanceof IllegalArgumentException || t instanceof DatasetException || t instanceof ModelFormatException
                || t instanceof BackendUnavailableException || t instanceof TrainingDivergedException
                || t instanceof UncheckedIOException || t instanceof ParameterException || t instanceof RecipeException;
    }

    /** One line, and no control or bidi character from a crafted file reaches the terminal (readers quote too: {@link Quoted}). */
    private static String oneLine(String s) {
        if (s == null) return "";
        return Quoted.safeLine(s.strip().replaceAll("\\s*\\R\\s*", "; "));
    }

    /** {@code --version}: tool version, git commit and Java. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"nncompress " + Provenance.version() + " (git " + Provenance.gitCommit() + ")",
                    "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")"};
        }
    }
}
