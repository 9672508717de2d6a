package dev.nncompress.cli;

import dev.nncompress.util.RequestSpelling;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.util.EnumMap;
import java.util.Map;

/**
 * A request's fields as a command's options: field {@code LINEAR_SPARSITY} is the option bound to the command's
 * Java field {@code linearSparsity}, named by its longest name as declared (so a renamed option is named as renamed).
 * Errors are usage errors (IllegalArgumentException) that start with the option's name.
 */
final class OptionSpelling<F extends Enum<F>> implements RequestSpelling<F> {
    private final CommandSpec spec;
    private final Map<F, OptionSpec> options;

    OptionSpelling(CommandSpec spec, Class<F> fields) {
        this.spec = spec;
        this.options = new EnumMap<>(fields);
        for (F f : fields.getEnumConstants()) {
            OptionSpec o = option(spec, RequestSpelling.camel(f));
            if (o == null) throw new IllegalStateException(spec.name() + " has no option bound to field " + RequestSpelling.camel(f) + " for " + f);
            options.put(f, o);
        }
    }

    /** The option of {@code spec} bound to the Java field named {@code javaField}, or null. */
    static OptionSpec option(CommandSpec spec, String javaField) {
        for (OptionSpec o : spec.options()) {
            if (o.userObject() instanceof java.lang.reflect.Field jf && jf.getName().equals(javaField)) return o;
        }
        return null;
    }

    /** Whether the user gave the option of {@code field} on this command line (not its default). */
    boolean given(F field) { return spec.commandLine().getParseResult().hasMatchedOption(options.get(field)); }

    @Override public String name(F field) { return options.get(field).longestName(); }

    @Override
    public String set(F field, String value) {
        OptionSpec o = options.get(field);
        return o.arity().max() == 0 ? o.longestName() : o.longestName() + " " + value;
    }

    @Override public RuntimeException error(F field, String rest) { return new IllegalArgumentException(name(field) + " " + rest); }

    @Override public RuntimeException invalid(F field, String detail) { return new IllegalArgumentException(name(field) + ": " + detail); }
}
