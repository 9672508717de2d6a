package dev.nncompress.backend.cuda.driver;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The C parameter lists of our {@code extern "C"} kernels, parsed from their sources (scripts/
 * build-cuda.sh packs them next to the fatbin), so that {@link Kernel#launch} can refuse a Java
 * argument list that does not match before the driver reads garbage. A mismatch would otherwise show
 * up on a GPU as wrong numbers or an illegal address that poisons the context; here it is a message
 * naming the kernel, the position and both types, on the first launch of a GPU session.
 */
public final class KernelSignatures {
    /** Where scripts/build-cuda.sh puts the concatenated kernel sources. */
    public static final String SOURCES_RESOURCE = "/dev/nncompress/cuda/nncompress-kernels.cu";

    /** A parameter as the launch ABI sees it. */
    public enum ParamType { POINTER, INT, LONG, FLOAT, DOUBLE }

    private static final Pattern KERNEL = Pattern.compile(
            "extern\\s+\"C\"\\s+__global__\\s+void\\s+(?:__launch_bounds__\\s*\\([^)]*\\)\\s*)?(?!__launch_bounds__)(\\w+)\\s*\\(([^)]*)\\)");

    private KernelSignatures() {}

    /** Kernel name -> parameter types, in source order; empty when the sources are not on the class path. */
    public static Map<String, List<ParamType>> load() {
        try (InputStream in = KernelSignatures.class.getResourceAsStream(SOURCES_RESOURCE)) {
            return in == null ? Map.of() : parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + SOURCES_RESOURCE + ": " + e.getMessage(), e);
        }
    }

    /** Every {@code extern "C" __global__} function in {@code source}; an unknown parameter type is an error. */
    public static Map<String, List<ParamType>> parse(String source) {
        String code = CMacros.expand(source);
        Map<String, List<ParamType>> out = new LinkedHashMap<>();
        Matcher m = KERNEL.matcher(code);
        while (m.find()) {
            List<ParamType> params = new ArrayList<>();
            String list = m.group(2).trim();
            if (!list.isEmpty() && !list.equals("void")) {
                for (String p : list.split(",")) params.add(typeOf(m.group(1), p));
            }
            if (out.put(m.group(1), List.copyOf(params)) != null) {
                throw new IllegalArgumentException("kernel " + m.group(1) + " is defined twice");
            }
        }
        return out;
    }

    private static ParamType typeOf(String kernel, String param) {
        if (param.contains("*")) return ParamType.POINTER;
        // drop the parameter name, then qualifiers; what remains is the value type
        String type = param.trim().replaceAll("\\s+\\w+$", "").replaceAll("\\b(const|volatile|__restrict__)\\b", "")
                .replaceAll("\\s+", " ").trim();
        return switch (type) {
            case "int", "int32_t", "unsigned", "unsigned int", "uint32_t" -> ParamType.INT;
            case "long long", "int64_t", "unsigned long long", "uint64_t", "size_t", "long long int" -> ParamType.LONG;
            case "float" -> ParamType.FLOAT;
            case "double" -> ParamType.DOUBLE;
            default -> throw new IllegalArgumentException("kernel " + kernel + ": parameter '" + param.trim()
                    + "' has a type the launcher cannot pass (" + type + "); use int, long long, float, double or a pointer");
        };
    }

    /** The launch type of a Java argument, or null when Kernel cannot pass it. */
    public static ParamType typeOf(Object arg) {
        if (arg instanceof DeviceBuffer || arg instanceof jcuda.driver.CUdeviceptr) return ParamType.POINTER;
        if (arg instanceof Integer) return ParamType.INT;
        if (arg instanceof Long) return ParamType.LONG;
        if (arg instanceof Float) return ParamType.FLOAT;
        if (arg instanceof Double) return ParamType.DOUBLE;
        return null;
    }

    /** Null when {@code args} fit {@code params}, else a message naming the first mismatch. */
    public static String mismatch(String kernel, List<ParamType> params, Object[] args) {
        if (params.size() != args.length) {
            return kernel + " takes " + params.size() + " arguments, the launch passes " + args.length;
        }
        for (int i = 0; i < args.length; i++) {
            ParamType got = typeOf(args[i]);
            if (got != params.get(i)) {
                return kernel + ": argument " + i + " must be " + params.get(i) + ", the launch passes "
                        + (args[i] == null ? "null" : args[i].getClass().getSimpleName());
            }
        }
        return null;
    }
}
