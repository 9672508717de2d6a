package dev.nncompress.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.Map;

/**
 * {@code --list-sensitivity-layers} of prune and quantize: the layers a sensitivity scan measures, so that
 * {@code nncompress sweep --sensitivity} (spark/) can run the same scan one layer per task.
 */
final class SensitivityLayers {
    static final String KEY = "sensitivity_layers";

    private SensitivityLayers() {}

    /** Prints {@code layers}, one {@code layer NAME} line each, and with --json the object {@code {"sensitivity_layers": [...]}}. */
    static int list(List<String> layers, PrintWriter o, JsonOption json) {
        for (String l : layers) o.println("layer     " + l);
        o.flush();
        json.print(Map.of(KEY, layers));
        return Main.EXIT_OK;
    }
}
