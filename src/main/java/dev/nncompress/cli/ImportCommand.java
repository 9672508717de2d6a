package dev.nncompress.cli;

import dev.nncompress.backend.Backend;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Node;
import dev.nncompress.graph.Parameter;
import dev.nncompress.io.ModelIO;
import dev.nncompress.io.ModelFormatException;
import dev.nncompress.io.Provenance;
import dev.nncompress.io.onnx.OnnxImporter;
import dev.nncompress.util.Quoted;
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
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * {@code nncompress import}: an ONNX file into a model file (safetensors with our graph), with a summary
 * of what became of it. Every command that takes a MODEL also takes the .onnx file itself, imported the
 * same way on the fly; this command keeps the result, its provenance and the ONNX names.
 */
@Command(name = "import", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Import an ONNX model (opsets 11 to 21) into an nncompress model file, folding constant and shape subgraphs.",
                "Without --out, only checks the file and prints the summary.",
                "The model carries no input normalisation: eval uses the dataset's default (Fashion-MNIST: (x/255 - 0.2860)/0.3530).",
                "Example: nncompress import model.onnx --out model.safetensors"})
final class ImportCommand implements Callable<Integer> {
    @ParentCommand Main main;
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL.onnx", description = "The ONNX file.")
    Path onnx;

    @Option(names = {"-o", "--out"}, paramLabel = "FILE", description = "Where to write the model (.safetensors); written atomically.")
    Path out;

    @Mixin
    JsonOption json;

    @Override
    public Integer call() {
        PrintWriter o = json.text();
        if (out != null) CliSupport.checkWritable("--out", out);
        if (Files.isDirectory(onnx)) throw new ModelFormatException(onnx + ": is a directory, not an ONNX file");
        Backend backend = CliSupport.inspectionBackend();
        long t0 = System.nanoTime();
        OnnxImporter.Imported imp = OnnxImporter.importFile(onnx, backend);
        double ms = (System.nanoTime() - t0) / 1e6;
        Graph g = imp.graph();
        Map<String, String> p = imp.provenance();
        o.printf(Locale.ROOT, "imported  %s: %s, IR version %s, opset %s, %d ONNX nodes, in %.0f ms%n", onnx, Quoted.safeLine(p.get("onnx_producer")),
                p.get("onnx_ir_version"), p.get("onnx_opset"), imp.onnxNodes(), ms);
        Map<String, Integer> ops = new TreeMap<>();
        for (Node n : g.nodes()) ops.merge(n.op().name().toLowerCase(Locale.ROOT), 1, Integer::sum);
        StringBuilder opList = new StringBuilder();
        ops.forEach((k, v) -> opList.append(opList.length() == 0 ? "" : ", ").append(k).append(v > 1 ? " x" + v : ""));
        o.printf(Locale.ROOT, "graph     %s: %d nodes (%s), input %s, output %s%n", g.name(), g.nodes().size(), opList, g.inputShape(), g.output());
        long buffers = 0;
        for (Parameter q : g.params().values()) if (!q.trainable()) buffers += q.value().numel();
        o.printf(Locale.ROOT, "params    %s trainable in %d tensors%s%n", CliSupport.grouped(g.parameterCount()), g.params().size(),
                buffers == 0 ? "" : " + " + CliSupport.grouped(buffers) + " buffer values (batch-norm statistics)");
        o.printf(Locale.ROOT, "folded    %s%n", p.get("onnx_folded").isEmpty() ? "nothing" : p.get("onnx_folded"));
        if (imp.dropped() > 0) o.printf(Locale.ROOT, "unused    %d node(s) the output does not read, left out%n", imp.dropped());
        o.println("input     no normalisation in the file: eval uses the dataset's default (Fashion-MNIST: (x/255 - 0.2860)/0.3530)");
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("onnx", onnx.toString());
        results.put("producer", Quoted.safeLine(p.get("onnx_producer")));
        results.put("ir_version", p.get("onnx_ir_version"));
        results.put("opset", p.get("onnx_opset"));
        results.put("onnx_nodes", imp.onnxNodes());
        results.put("model", g.name());
        results.put("nodes", g.nodes().size());
        results.put("ops", ops);
        results.put("parameters", g.parameterCount());
        results.put("folded", p.get("onnx_folded"));
        results.put("unused_nodes", imp.dropped());
        if (out == null) {
            o.println("checked   (no --out FILE: nothing written)");
            results.put("out", null);
            json.print(results);
            return Main.EXIT_OK;
        }
        Map<String, String> prov = new LinkedHashMap<>();
        prov.put("command", main.commandLine());
        prov.put("model", g.name());
        prov.putAll(p);
        ModelIO.save(g, out, Provenance.collect(prov));
        o.printf(Locale.ROOT, "wrote     %s (%s)%n", out, CliSupport.bytes(fileSize(out)));
        results.put("out", out.toString());
        results.put("bytes", fileSize(out));
        json.print(results);
        return Main.EXIT_OK;
    }

    private static long fileSize(Path f) {
        try {
            return Files.size(f);
        } catch (java.io.IOException e) {
            return -1;
        }
    }
}
