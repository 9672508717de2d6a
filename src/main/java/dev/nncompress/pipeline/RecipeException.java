package dev.nncompress.pipeline;

/**
 * A recipe that cannot run: one line naming the recipe file and the key path ({@code recipe.yaml: stages[2].sparsity:
 * must be in [0, 1), got 1.5}), or a stage that failed on its input ({@code recipe.yaml: stages[1] (prune): ...}).
 * The CLI reports it as a user error, exit 1.
 */
public final class RecipeException extends RuntimeException {
    public RecipeException(String message) {
        super(message);
    }

    public RecipeException(String message, Throwable cause) {
        super(message, cause);
    }
}
