package dev.nncompress.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * The option spellings renamed when the commands got one vocabulary (docs/cli.md), kept working for one release:
 * the command line is rewritten to the new spellings before picocli parses it, with one warning line per use on
 * stderr. Rewriting in one place keeps the old names out of {@code --help}, the completion script and the
 * commands' code; deleting a row here is all it takes to drop one.
 */
final class DeprecatedSpellings {
    static final String WARNING = "nncompress: warning: ";

    /** {@code old} of {@code command} becomes {@code replacement}; a null replacement makes the value the positional MODEL. */
    record Rename(String command, String old, String replacement) {}

    static final List<Rename> RENAMES = List.of(
            new Rename("train", "--limit", "--train-limit"),
            new Rename("distill", "--limit", "--train-limit"),
            new Rename("prune", "--limit", "--train-limit"),
            new Rename("eval", "--limit", "--test-limit"),
            new Rename("quantize", "--eval", "--test-limit"),
            new Rename("quantize", "--sensitivity", "--sensitivity-images"),
            new Rename("train", "--schedule", "--lr-schedule"),
            new Rename("distill", "--schedule", "--lr-schedule"),
            new Rename("prune", "--schedule", "--prune-schedule"),
            new Rename("prune", "--rounds", "--prune-rounds"),
            new Rename("distill", "--student", null),
            new Rename("bench", "--models", null));

    private DeprecatedSpellings() {}

    /**
     * The arguments with every old spelling of their command replaced, warning once per replaced argument. The command
     * is the first argument not starting with '-' (the top-level options take no values); nothing after "--" is touched.
     */
    static String[] rewrite(String[] args, PrintWriter err) {
        String command = null;
        List<String> result = new ArrayList<>(args.length);
        boolean literal = false;
        for (String arg : args) {
            if (literal || command == null) {
                if (command == null && !arg.startsWith("-")) command = arg;
                result.add(arg);
                continue;
            }
            if (arg.equals("--")) {
                literal = true;
                result.add(arg);
                continue;
            }
            Rename r = find(command, arg);
            if (r == null) {
                result.add(arg);
                continue;
            }
            String value = arg.length() > r.old().length() ? arg.substring(r.old().length() + 1) : null; // --old=value
            if (r.replacement() == null) {
                err.println(WARNING + r.old() + " is deprecated, give the model" + (command.equals("bench") ? "s" : "")
                        + " as the positional argument: nncompress " + command + " MODEL" + (command.equals("bench") ? "..." : "") + " [options]");
                if (value != null) result.add(value);
            } else {
                err.println(WARNING + r.old() + " is deprecated, use " + r.replacement());
                result.add(value == null ? r.replacement() : r.replacement() + "=" + value);
            }
        }
        err.flush();
        return result.toArray(String[]::new);
    }

    private static Rename find(String command, String arg) {
        for (Rename r : RENAMES) {
            if (r.command().equals(command) && (arg.equals(r.old()) || arg.startsWith(r.old() + "="))) return r;
        }
        return null;
    }
}
