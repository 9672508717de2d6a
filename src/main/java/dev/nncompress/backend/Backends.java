package dev.nncompress.backend;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Chooses the backend: "auto" takes the highest-ranked provider that is available and says in one
 * line which one runs and why the better ones do not. The chosen backend is kept for the process
 * (native libraries and thread pools are process-wide anyway).
 */
public final class Backends {
    private static Backend current;

    private Backends() {}

    /** All providers on the class path, best first. */
    public static List<BackendProvider> providers() {
        List<BackendProvider> list = new ArrayList<>();
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) list.add(p);
        list.sort(Comparator.comparingInt(BackendProvider::rank).reversed());
        return list;
    }

    /** The process backend, chosen with "auto" (or -Dnncompress.backend) on first use. */
    public static synchronized Backend defaultBackend() {
        if (current == null) current = select(System.getProperty("nncompress.backend", "auto"));
        return current;
    }

    /**
     * Selects (and makes the process default) the backend named by the user: auto, cpu, cuda,
     * reference. Asking for one that is unavailable is an error naming the reason.
     */
    public static synchronized Backend select(String name) {
        if (current != null && (name.equals("auto") || current.name().equals(name))) return current;
        List<BackendProvider> providers = providers();
        List<String> skipped = new ArrayList<>();
        for (BackendProvider p : providers) {
            if (!name.equals("auto") && !p.name().equals(name)) continue;
            String why = safeReason(p);
            if (why != null) {
                if (!name.equals("auto")) throw new BackendUnavailableException("backend " + name + " is unavailable: " + why);
                skipped.add(p.name() + ": " + why);
                continue;
            }
            Backend b = p.create();
            StringBuilder line = new StringBuilder("nncompress: backend ").append(b.name()).append(" (").append(b.describe()).append(')');
            if (!skipped.isEmpty()) line.append("; not used: ").append(String.join("; ", skipped));
            System.err.println(line);
            if (current != null) current.close();
            current = b;
            return b;
        }
        if (name.equals("auto")) throw new BackendUnavailableException("no backend is available: " + String.join("; ", skipped));
        throw new BackendUnavailableException("unknown backend '" + name + "'; known: auto, "
                + String.join(", ", providers.stream().map(BackendProvider::name).toList()));
    }

    private static String safeReason(BackendProvider p) {
        try {
            return p.unavailableReason();
        } catch (Throwable t) { // a provider must not take the selection down with it (UnsatisfiedLinkError etc.)
            return t.getClass().getSimpleName() + ": " + t.getMessage();
        }
    }
}
