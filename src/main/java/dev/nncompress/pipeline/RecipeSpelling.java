package dev.nncompress.pipeline;

import dev.nncompress.util.RequestSpelling;

/**
 * A request's fields as the keys of one recipe mapping: field {@code LINEAR_SPARSITY} is the key
 * {@code linear_sparsity}; errors name the file and the key path ({@code recipe.yaml: stages[1].ramp: ...}).
 */
final class RecipeSpelling<F extends Enum<F>> implements RequestSpelling<F> {
    private final RecipeObject at; // null while the stage runs: the pipeline prefixes the stage's place

    RecipeSpelling(RecipeObject at) { this.at = at; }

    /** The spelling of a running stage (what only the model can tell, e.g. an unknown layer): "layers: ...". */
    static <F extends Enum<F>> RecipeSpelling<F> running() { return new RecipeSpelling<>(null); }

    @Override public String name(F field) { return RequestSpelling.key(field); }

    @Override public String set(F field, String value) { return name(field) + ": " + value; }

    @Override
    public RuntimeException error(F field, String rest) {
        return at == null ? new IllegalArgumentException(name(field) + ": " + rest) : at.errorAt(name(field), rest);
    }

    @Override public RuntimeException invalid(F field, String detail) { return error(field, detail); }
}
