package dev.nncompress.pipeline;

import dev.nncompress.io.Int8ModelIO;
import dev.nncompress.io.ModelIO;
import dev.nncompress.io.onnx.OnnxExporter;
import dev.nncompress.io.onnx.OnnxImporter;
import dev.nncompress.io.onnx.QdqExporter;
import dev.nncompress.io.onnx.proto.OnnxProto.ModelProto;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code stage: export}: the current model written as {@code nncompress export} writes it: {@code onnx} (a float
 * model; an int8 one as QDQ), {@code onnx-qdq} (int8 only, explicit) or {@code safetensors} (our model file, float or
 * int8). The model goes on unchanged. What is evaluated is the file as read back where we can read it (ONNX
 * imported, safetensors loaded), so that the report's numbers are the exported file's; a QDQ file, which our importer
 * does not read, is evaluated as the int8 model it was written from (the report says so).
 */
record ExportStage(String format, int opset) implements Stage {
    static ExportStage parse(RecipeObject s) {
        String format = s.choice("format", "onnx", List.of("onnx", "onnx-qdq", "safetensors"));
        int opset = s.integer("opset", OnnxExporter.DEFAULT_OPSET, OnnxExporter.MIN_OPSET, OnnxExporter.MAX_OPSET);
        return new ExportStage(format, opset);
    }

    @Override public String name() { return "export"; }

    @Override public boolean needsFloat() { return false; }

    @Override
    public void checkInput(RecipeObject at, boolean int8) {
        if (format.equals("onnx-qdq") && !int8) throw at.errorAt("format", "onnx-qdq writes an int8 model; add a quantize stage before this one, or use onnx");
    }

    @Override public String extension(ModelState in) { return format.equals("safetensors") ? ".safetensors" : ".onnx"; }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", format);
        if (!format.equals("safetensors")) m.put("opset", opset);
        return m;
    }

    @Override
    public Outcome run(StageContext ctx, ModelState in, Path artefact) {
        Map<String, String> prov = ctx.provenance();
        if (format.equals("safetensors")) {
            if (in.isInt8()) {
                Int8ModelIO.save(in.int8(), artefact, prov);
                return new Outcome(in, ModelState.of(Int8ModelIO.load(artefact).model()), Map.of(), List.of());
            }
            ModelIO.save(in.graph(), artefact, prov);
            return new Outcome(in, ModelState.of(ModelIO.load(artefact, ctx.backend()).graph()), Map.of(), List.of());
        }
        Map<String, String> names = OnnxExporter.onnxNames(ctx.input().provenance()); // an imported model keeps its ONNX names
        ModelProto m = in.isInt8() ? QdqExporter.export(in.int8(), names, opset) : OnnxExporter.export(in.graph(), names, opset);
        Map<String, String> meta = new LinkedHashMap<>();
        for (var e : prov.entrySet()) meta.put("nncompress." + e.getKey(), e.getValue());
        OnnxExporter.write(OnnxExporter.withMetadata(m, meta), artefact);
        if (in.isInt8()) return new Outcome(in, in, Map.of(), List.of("QDQ file evaluated as the int8 model it was written from"));
        return new Outcome(in, ModelState.of(OnnxImporter.importFile(artefact, ctx.backend()).graph()), Map.of(), List.of());
    }
}
