package dev.nncompress.util;

/**
 * The one default seed of the command line and of recipes. One value everywhere so that a built-in model
 * that {@code eval}, {@code info}, {@code export}, {@code quantize} or {@code bench} initialise is the very
 * model {@code train} starts from, and a recipe without {@code seed:} reproduces the commands run by hand.
 */
public final class Seeds {
    /** Initialisation, data order and dropout when no {@code --seed} / {@code seed:} is given. */
    public static final long DEFAULT = 42;

    private Seeds() {}
}
