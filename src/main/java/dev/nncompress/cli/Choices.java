package dev.nncompress.cli;

import dev.nncompress.compress.PruneRequest;

import dev.nncompress.backend.Backends;
import dev.nncompress.compress.quant.Observers;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The values of the options whose names come from a registry rather than a Java enum (backends are providers found at
 * run time, observers and channel scores are named where they are made): picocli's completion candidates, so that the
 * completion script and {@code ${COMPLETION-CANDIDATES}} in {@code --help} list them from the one place that knows.
 */
final class Choices {
    private Choices() {}

    /** --backend: auto and every backend provider of this build. */
    static final class BackendNames implements Iterable<String> {
        @Override
        public Iterator<String> iterator() { return Backends.knownNames().iterator(); }
    }

    /** bench --baseline: a backend, or none. */
    static final class BaselineNames implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            List<String> names = new ArrayList<>(Backends.knownNames());
            names.add("none");
            return names.iterator();
        }
    }

    /** quantize --observer. */
    static final class ObserverNames implements Iterable<String> {
        @Override
        public Iterator<String> iterator() { return Observers.NAMES.iterator(); }
    }

    /** prune --channel-score. */
    static final class ChannelScores implements Iterable<String> {
        @Override
        public Iterator<String> iterator() { return PruneRequest.CHANNEL_SCORES.iterator(); }
    }
}
