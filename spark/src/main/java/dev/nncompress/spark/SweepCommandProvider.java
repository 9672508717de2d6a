package dev.nncompress.spark;

import dev.nncompress.cli.SubcommandProvider;

/** Adds {@code sweep} to the core's command line when this module's jar is on the class path (ServiceLoader). */
public final class SweepCommandProvider implements SubcommandProvider {
    @Override public String name() { return "sweep"; }

    @Override public Object command() { return new SweepCommand(); }
}
