package dev.nncompress.cli;

import dev.nncompress.graph.Graph;
import dev.nncompress.io.onnx.ExportRequest;
import dev.nncompress.io.onnx.ExportTarget;
import dev.nncompress.io.onnx.OnnxExportException;
import dev.nncompress.io.onnx.OnnxExporter;
import dev.nncompress.io.onnx.PlainSafeTensorsExport;
import dev.nncompress.io.onnx.QdqExporter;
import dev.nncompress.io.onnx.proto.OnnxProto.ModelProto;
import dev.nncompress.util.Seeds;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code nncompress export}: a model (built-in, model file, pruned model file, imported ONNX) out of nncompress,
 * as ONNX ({@code docs/onnx-export.md}). The file is written atomically: an export that fails leaves nothing.
 */
@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Export a model (built-in, model file, structurally or unstructured pruned, imported, or int8 as QDQ) as ONNX, or its weights as plain safetensors.",
                "Pruned models are written dense: the smaller graph of structured pruning, the zeros of unstructured/N:M pruning.",
                "Example: nncompress export runs/student-pruned.safetensors --format onnx --out student.onnx"})
final class ExportCommand implements Callable<Integer> {
    @ParentCommand Main main;
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "Model file, .onnx file or built-in name (teacher, student, lenet5, resnet8).")
    String model;

    /** What export writes. */
    enum Format {
        ONNX, SAFETENSORS_PLAIN;

        @Override
        public String toString() { return name().toLowerCase(Locale.ROOT).replace('_', '-'); }
    }

    @Option(names = "--format", defaultValue = "onnx", paramLabel = "onnx|safetensors-plain",
            description = "onnx (the model) or safetensors-plain (the weights only, dense, under the ONNX/PyTorch names; default: ${DEFAULT-VALUE}).")
    Format format;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE", description = "Where to write the export; written atomically.")
    Path out;

    @Option(names = "--opset", defaultValue = "" + OnnxExporter.DEFAULT_OPSET, paramLabel = "N",
            description = "ONNX opset, " + OnnxExporter.MIN_OPSET + " to " + OnnxExporter.MAX_OPSET + " (default: ${DEFAULT-VALUE}).")
    int opset;

    @Option(names = "--target", defaultValue = "default", paramLabel = "default|tensorrt",
            description = "For int8 models: default (ONNX Runtime, OpenVINO) or tensorrt (symmetric activations, weights in [-127, 127], FLOAT biases;"
                    + " a model quantized otherwise is refused: quantize it with --preset tensorrt). Float models are the same for both (default: ${DEFAULT-VALUE}).")
    ExportTarget target;

    @Option(names = "--external-data", paramLabel = "", description = "Write the tensors into FILE.data next to FILE (ONNX external data); "
            + "automatic when they would exceed protobuf's 2 GiB.")
    boolean externalData;

    @Option(names = "--seed", defaultValue = "" + Seeds.DEFAULT, paramLabel = "SEED", description = "Initialisation seed when MODEL is a built-in name (default: ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    JsonOption json;

    @Override
    public Integer call() {
        PrintWriter o = json.text();
        // the rules are ExportRequest's, as the recipe's export stage
        ExportRequest request = new ExportRequest(format.toString(), opset, target.cliName(), externalData);
        request.validate(new OptionSpelling<>(spec, ExportRequest.Field.class));
        ExportTarget runtime = request.runtime();
        CliSupport.checkWritable("--out", out);
        ModelSource.Read read = ModelSource.read(model, seed);
        if (read.isInt8() && format == Format.SAFETENSORS_PLAIN) {
            throw new IllegalArgumentException(model + " is an int8 model; safetensors-plain holds float weights: export the float model it was made from,"
                    + " or this one with --format onnx (QDQ)");
        }
        ModelSource src = read.inspect();
        Map<String, String> names = OnnxExporter.onnxNames(src.provenance());
        if (format == Format.SAFETENSORS_PLAIN) {
            Graph g = src.graph();
            PlainSafeTensorsExport.write(g, names, out);
            o.printf(Locale.ROOT, "exported  %s: %s parameters in %d tensors, dense F32 under their ONNX/PyTorch names%n", src.describe(seed),
                    CliSupport.grouped(g.parameterCount()), g.params().size());
            o.printf(Locale.ROOT, "wrote     %s (%s)%n", out, CliSupport.bytes(size(out)));
            json.print(results(src, g.parameterCount(), -1));
            return Main.EXIT_OK;
        }
        ModelProto m;
        try {
            m = src.isInt8() ? QdqExporter.export(src.int8(), names, opset, runtime) : OnnxExporter.export(src.graph(), names, opset);
        } catch (OnnxExportException e) {
            throw new OnnxExportException(model + ": " + e.getMessage());
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("nncompress.command", main.commandLine());
        meta.put("nncompress.source", src.describe(seed));
        long side = OnnxExporter.write(OnnxExporter.withMetadata(m, meta), out, externalData);
        long params = src.isInt8() ? src.int8().parameterCount() : src.graph().parameterCount();
        o.printf(Locale.ROOT, "exported  %s: %d nodes as %d ONNX nodes%s, %s parameters in %d initializers, opset %d%n", src.describe(seed),
                src.isInt8() ? src.int8().nodes().size() : src.graph().nodes().size(), m.getGraph().getNodeCount(), src.isInt8() ? " (QDQ" + (runtime == ExportTarget.DEFAULT ? "" : ", for " + target) + ")" : "",
                CliSupport.grouped(params), m.getGraph().getInitializerCount(), opset);
        o.printf(Locale.ROOT, "wrote     %s (%s)%s%n", out, CliSupport.bytes(size(out)),
                side < 0 ? "" : " and its external data " + out.getFileName() + ".data (" + CliSupport.bytes(side) + ")");
        Map<String, Object> results = results(src, params, side);
        results.put("onnx_nodes", m.getGraph().getNodeCount());
        results.put("opset", opset);
        if (src.isInt8()) results.put("target", target.toString());
        json.print(results);
        return Main.EXIT_OK;
    }

    /** --json: what was exported where; {@code externalBytes} -1 when there is no external data file. */
    private Map<String, Object> results(ModelSource src, long parameters, long externalBytes) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("model", src.describe(seed));
        r.put("format", format.toString());
        r.put("parameters", parameters);
        r.put("out", out.toString());
        r.put("bytes", size(out));
        if (externalBytes >= 0) r.put("external_data_bytes", externalBytes);
        return r;
    }

    private static long size(Path f) {
        try {
            return Files.size(f);
        } catch (java.io.IOException e) {
            return -1;
        }
    }
}
