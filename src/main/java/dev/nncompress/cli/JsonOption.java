package dev.nncompress.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;

/**
 * {@code --json} of every command that prints results (a picocli mixin): the results as one JSON object on stdout,
 * and the text lines that would have gone there on stderr instead, so that {@code nncompress eval m --json | jq}
 * reads exactly one object while a person still sees the run.
 */
public final class JsonOption {
    // keys sorted: the same run prints the same text, whatever map a command built its results in
    private static final JsonMapper MAPPER = JsonMapper.builder().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS).build();

    @Option(names = "--json", description = "Print the results as one JSON object on stdout (the text lines go to stderr).")
    boolean enabled;

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    /** Where the command's text lines go: stdout, or stderr with --json (stdout then holds only the object). */
    PrintWriter text() {
        return enabled ? command.commandLine().getErr() : command.commandLine().getOut();
    }

    /** With --json: {@code results} (maps, lists, records, numbers, strings) as one line of JSON on stdout; else nothing. */
    void print(Object results) {
        if (!enabled) return;
        PrintWriter out = command.commandLine().getOut();
        try {
            out.println(MAPPER.writeValueAsString(results));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("--json: the results could not be written as JSON: " + e.getMessage(), e);
        }
        out.flush();
    }
}
