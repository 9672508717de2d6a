package dev.nncompress.backend;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Finds and creates backends. "auto" takes the highest-ranked provider that is available here and
 * prints one line (stderr) naming the backend that runs and why the better ones do not, e.g. "no
 * GPU: libcuda.so.1 not found". Library code that just wants "the" backend uses
 * {@link #defaultBackend()}, created once per process.
 */
public final class Backends {
    private static Backend processDefault;

    private Backends() {}

    /** All providers on the class path, best first. */
    public static List<BackendProvider> providers() {
        List<BackendProvider> list = new ArrayList<>();
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) list.add(p);
        list.sort(Comparator.comparingInt(BackendProvider::rank).reversed());
        return list;
    }

    /** "auto" followed by the providers' names: what --backend accepts. */
    public static List<String> knownNames() {
        List<String> names = new ArrayList<>();
        names.add("auto");
        for (BackendProvider p : providers()) names.add(p.name());
        return names;
    }

    /** The process-wide backend, created with "auto" (or -Dnncompress.backend=NAME) on first use. */
    public static synchronized Backend defaultBackend() {
        if (processDefault == null) processDefault = create(System.getProperty("nncompress.backend", "auto"));
        return processDefault;
    }

    /**
     * A new backend that the caller owns. Unknown names are an IllegalArgumentException listing the
     * known ones; a known but unavailable backend a {@link BackendUnavailableException} saying why.
     */
    public static Backend create(String name) { return create(name, System.err::println); }

    /** As {@link #create(String)}, sending the one-line choice to {@code log}. */
    public static Backend create(String name, java.util.function.Consumer<String> log) {
        List<BackendProvider> providers = providers();
        if (!knownNames().contains(name)) {
            throw new IllegalArgumentException("unknown backend '" + name + "'; known here: " + String.join(", ", knownNames()));
        }
        List<String> skipped = new ArrayList<>();
        for (BackendProvider p : providers) {
            if (!name.equals("auto") && !p.name().equals(name)) continue;
            String why = unavailableReason(p);
            if (why != null) {
                if (!name.equals("auto")) throw new BackendUnavailableException("backend " + name + " is unavailable: " + why);
                skipped.add(p.name() + ": " + why);
                continue;
            }
            Backend b = p.create();
            StringBuilder line = new StringBuilder("nncompress: backend ").append(b.name()).append(" (").append(b.describe()).append(')');
            if (!skipped.isEmpty()) line.append("; not used: ").append(String.join("; ", skipped));
            log.accept(line.toString());
            return b;
        }
        throw new BackendUnavailableException("no backend is available: " + String.join("; ", skipped));
    }

    /**
     * A backend for reading parameters without touching native libraries: an available
     * {@link BackendProvider#heapOnly() heap-only} provider created directly, so that nothing is printed
     * and the process default stays unchosen; the {@link #defaultBackend()} when there is none.
     */
    public static Backend heapBackend() {
        for (BackendProvider p : providers()) {
            if (p.heapOnly() && unavailableReason(p) == null) return p.create();
        }
        return defaultBackend();
    }

    /** The provider's reason, with any native-library failure turned into text instead of escaping. */
    public static String unavailableReason(BackendProvider p) {
        try {
            return p.unavailableReason();
        } catch (Throwable t) { // UnsatisfiedLinkError, NoClassDefFoundError...: never take the caller down
            return t.getClass().getSimpleName() + ": " + t.getMessage();
        }
    }
}
