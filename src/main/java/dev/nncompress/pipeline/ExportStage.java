package dev.nncompress.pipeline;

import dev.nncompress.util.RequestSpelling;
import dev.nncompress.io.Int8ModelIO;
import dev.nncompress.io.ModelIO;
import dev.nncompress.io.onnx.ExportRequest;
import dev.nncompress.io.onnx.ExportTarget;
import dev.nncompress.io.onnx.OnnxExporter;
import dev.nncompress.io.onnx.OnnxImporter;
import dev.nncompress.io.onnx.PlainSafeTensorsExport;
import dev.nncompress.io.onnx.QdqExporter;
import dev.nncompress.io.onnx.proto.OnnxProto.ModelProto;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code stage: export}: the current model written as {@code nncompress export} writes it: {@code onnx} (a float
 * model; an int8 one as QDQ, for {@code target} default or tensorrt), {@code onnx-qdq} (int8 only, explicit),
 * {@code safetensors-plain} (float weights under their ONNX names), or {@code safetensors} (our model file, float or
 * int8). The keys of the ONNX and plain formats are {@link ExportRequest}'s fields and its rules are the command's.
 * The model goes on unchanged. What is evaluated is the file as read back where we can read it (ONNX imported,
 * safetensors loaded), so that the report's numbers are the exported file's; a QDQ file, which our importer does not
 * read, and plain weights are evaluated as the model they were written from (the report says so).
 *
 * @param request null for {@code safetensors}, our own model file (no export options)
 */
record ExportStage(String format, ExportRequest request) implements Stage {
    static ExportStage parse(RecipeObject s) {
        String format = s.choice("format", "onnx", List.of("onnx", "onnx-qdq", "safetensors-plain", "safetensors"));
        if (format.equals("safetensors")) {
            for (ExportRequest.Field f : ExportRequest.Field.values()) {
                String k = RequestSpelling.key(f);
                if (f != ExportRequest.Field.FORMAT && s.has(k)) throw s.errorAt(k, "applies to the export formats (onnx, onnx-qdq, safetensors-plain), not to safetensors");
            }
            return new ExportStage(format, null);
        }
        ExportRequest r = new ExportRequest(format.equals("onnx-qdq") ? "onnx" : format, s.anyInt("opset", OnnxExporter.DEFAULT_OPSET),
                s.string("target", "default"), s.bool("external_data", false));
        r.validate(new RecipeSpelling<>(s));
        return new ExportStage(format, r);
    }

    @Override public String name() { return "export"; }

    @Override public boolean needsFloat() { return false; }

    @Override
    public void checkInput(RecipeObject at, boolean int8, List<Stage> earlier) {
        if (format.equals("onnx-qdq") && !int8) throw at.errorAt("format", "onnx-qdq writes an int8 model; add a quantize stage before this one, or use onnx");
        if (format.equals("safetensors-plain") && int8) {
            throw at.errorAt("format", "safetensors-plain holds float weights, but an earlier quantize stage made the model int8; export before it, or use onnx (QDQ)");
        }
        if (int8 && request != null && request.runtime() == ExportTarget.TENSORRT) {
            for (int i = earlier.size() - 1; i >= 0; i--) {
                if (earlier.get(i) instanceof QuantizeStage q) {
                    if (!q.request().preset().equals("tensorrt")) {
                        throw at.errorAt("target", "tensorrt takes symmetric activations and weights in [-127, 127]; add preset: tensorrt to stages[" + i + "] (quantize)");
                    }
                    break;
                }
            }
        }
    }

    @Override public String extension(ModelState in) { return format.startsWith("safetensors") ? ".safetensors" : ".onnx"; }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", format);
        if (request != null && !format.equals("safetensors-plain")) {
            m.put("opset", request.opset());
            m.put("target", request.target());
            if (request.externalData()) m.put("external_data", true);
        }
        return m;
    }

    @Override
    public Outcome run(StageContext ctx, ModelState in, Path artefact) {
        Map<String, String> prov = ctx.provenance();
        Map<String, String> names = OnnxExporter.onnxNames(ctx.input().provenance()); // an imported model keeps its ONNX names
        if (format.equals("safetensors")) {
            if (in.isInt8()) {
                Int8ModelIO.save(in.int8(), artefact, prov);
                return new Outcome(in, ModelState.of(Int8ModelIO.load(artefact).model()), Map.of(), List.of());
            }
            ModelIO.save(in.graph(), artefact, prov);
            return new Outcome(in, ModelState.of(ModelIO.load(artefact, ctx.backend()).graph()), Map.of(), List.of());
        }
        if (format.equals("safetensors-plain")) { // float only: refused after a quantize stage when the recipe is read
            PlainSafeTensorsExport.write(in.graph(), names, artefact);
            return new Outcome(in, in, Map.of(), List.of("plain weights (no graph) evaluated as the model they were written from"));
        }
        ModelProto m = in.isInt8() ? QdqExporter.export(in.int8(), names, request.opset(), request.runtime()) : OnnxExporter.export(in.graph(), names, request.opset());
        Map<String, String> meta = new LinkedHashMap<>();
        for (var e : prov.entrySet()) meta.put("nncompress." + e.getKey(), e.getValue());
        OnnxExporter.write(OnnxExporter.withMetadata(m, meta), artefact, request.externalData());
        if (in.isInt8()) return new Outcome(in, in, Map.of(), List.of("QDQ file evaluated as the int8 model it was written from"));
        return new Outcome(in, ModelState.of(OnnxImporter.importFile(artefact, ctx.backend()).graph()), Map.of(), List.of());
    }
}
