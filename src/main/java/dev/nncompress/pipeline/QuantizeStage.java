package dev.nncompress.pipeline;

import dev.nncompress.compress.prepare.GraphPreparation;
import dev.nncompress.compress.prepare.PreparedGraph;
import dev.nncompress.util.RequestSpelling;
import dev.nncompress.compress.QuantizeRequest;
import dev.nncompress.compress.quant.calib.QuantPreset;
import dev.nncompress.compress.quant.calib.LayerSensitivity;
import dev.nncompress.compress.quant.calib.QuantPlan;
import dev.nncompress.compress.quant.calib.QuantTargets;
import dev.nncompress.compress.quant.calib.SensitivityReport;
import dev.nncompress.compress.quant.calib.SimulatedAccuracy;
import dev.nncompress.compress.quant.convert.Int8Converter;
import dev.nncompress.compress.quant.qat.QatResult;
import dev.nncompress.compress.quant.qat.QuantizationAwareTraining;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.Parameter;
import dev.nncompress.int8.Int8Model;
import dev.nncompress.io.Int8ModelIO;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code stage: quantize}: {@code nncompress quantize --out} through the same library calls: prepare (fold BN, fuse
 * ReLU), calibrate with an observer (preset default or tensorrt), optionally quantization-aware training from that
 * plan ({@code method: qat}), the per-layer sensitivity (each layer's SQNR alone in int8), and conversion to the int8
 * model file. The keys are {@link QuantizeRequest}'s fields (plus {@code method}, the recipe's name for
 * qat_epochs > 0) and its rules are the command's.
 */
record QuantizeStage(String method, QuantizeRequest request) implements Stage {

    static QuantizeStage parse(RecipeObject s) {
        String method = s.choice("method", "ptq", List.of("ptq", "qat"));
        boolean qat = method.equals("qat");
        if (!qat) for (String k : List.of("qat_epochs", "qat_lr", "qat_images")) if (s.has(k)) throw s.errorAt(k, "applies to method: qat only");
        // minmax by default, as the command (kl clipped a trained student's inputs: docs/quantization.md)
        QuantizeRequest r = new QuantizeRequest(
                s.string("observer", "minmax"),
                s.string("preset", "default"),
                s.anyInt("calib", 1000),
                s.strings("exclude"),
                s.has("sample_seed") ? s.longValue("sample_seed", 0) : null,
                qat ? s.anyInt("qat_epochs", 1) : 0,
                s.anyNumber("qat_lr", 0.01),
                s.anyInt("qat_images", null),
                s.anyInt("sensitivity", 500),
                s.anyInt("batch_size", 256));
        RecipeSpelling<QuantizeRequest.Field> sp = new RecipeSpelling<>(s);
        r.validate(sp);
        if (qat && r.qatEpochs() == 0) throw sp.error(QuantizeRequest.Field.QAT_EPOCHS, "must be >= 1 with method: qat (0 is method: ptq)");
        return new QuantizeStage(method, r);
    }

    @Override public String name() { return "quantize"; }

    @Override public boolean makesInt8() { return true; }

    @Override public boolean hasBudget() { return true; }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("method", method);
        m.putAll(RequestSpelling.settings(request, QuantizeRequest.Field.class));
        if (request.qatEpochs() == 0) for (String k : List.of("qat_epochs", "qat_lr")) m.remove(k);
        return m;
    }

    @Override
    public Outcome run(StageContext ctx, ModelState in, Path artefact) {
        PreparedGraph prepared = GraphPreparation.forInference(in.graph());
        try {
            return quantize(ctx, prepared, artefact);
        } finally {
            for (Parameter p : prepared.graph().params().values()) p.value().close();
        }
    }

    private Outcome quantize(StageContext ctx, PreparedGraph prepared, Path artefact) {
        Graph g = prepared.graph();
        QuantTargets targets = request.targets(g, RecipeSpelling.running()); // an unknown node: reported at this stage
        Dataset all = ctx.train();
        Dataset calibration = request.calibrationImages(all);
        QuantPlan plan = request.calibrator().calibrate(targets, calibration, ctx.backend(), ctx.progress());
        int batchSize = request.batchSize();
        SimulatedAccuracy.Result ptq = SimulatedAccuracy.measure(g, plan, ctx.test(), ctx.backend(), batchSize, ctx.progress());
        ctx.note(String.format(Locale.ROOT, "%s calibration%s: float %.2f%%, simulated int8 %.2f%% (%+.2f points)", request.observer(),
                request.quantPreset() == QuantPreset.DEFAULT ? "" : " (preset " + request.preset() + ")",
                100 * ptq.floatAccuracy(), 100 * ptq.int8Accuracy(), ptq.deltaPoints()));
        int qatEpochs = request.qatEpochs();
        if (qatEpochs > 0) {
            Dataset train = request.qatTrainingSet(all);
            QatResult qat = new QuantizationAwareTraining(ctx.backend(), QuantizationAwareTraining.fineTuning(qatEpochs, (float) request.qatLr(), ctx.recipe().seed()))
                    .train(targets, plan, train, ctx.epochs(qatEpochs));
            plan = qat.plan();
            g = qat.graph();
        }
        Map<String, Double> sqnr = new LinkedHashMap<>();
        int n = Math.min(request.sensitivity(), ctx.test().count());
        List<LayerSensitivity> layers = n == 0 ? List.of() : SensitivityReport.measure(g, plan, ctx.test().slice(0, n), ctx.backend(), batchSize, ctx.progress()).layers();
        for (LayerSensitivity l : layers) sqnr.put(l.node(), l.sqnrDb());
        Int8Model m = convert(ctx, g, plan);
        List<String> notes = new ArrayList<>();
        Double min = ctx.minAccuracy();
        if (min != null) m = withinBudget(ctx, g, calibration, m, layers, min, notes);
        Int8ModelIO.save(m, artefact, ctx.provenance());
        // the model as written, read back: what later stages and the evaluation see (as quantize --out evaluates its file)
        ModelState out = ModelState.of(Int8ModelIO.load(artefact).model());
        return new Outcome(out, out, sqnr, notes);
    }

    private Int8Model convert(StageContext ctx, Graph g, QuantPlan plan) {
        Map<String, String> info = new LinkedHashMap<>();
        info.put("source", ctx.recipe().model());
        info.put("preset", request.preset()); // as quantize --out: what export target: tensorrt checks the model against
        return Int8Converter.convert(g, plan, info);
    }

    /**
     * The accuracy budget: when the int8 model is below {@code min}, the layers whose int8 error moves the logits
     * most (the sensitivity report's logits MSE, measured here when the recipe skipped it) go back to float one at a
     * time, recalibrated each time, until the model is within budget (PTQ; after QAT the report only says so).
     */
    private Int8Model withinBudget(StageContext ctx, Graph g, Dataset calibration, Int8Model m, List<LayerSensitivity> layers, double min,
                                   List<String> notes) {
        double reference = ctx.reference();
        double acc = ctx.accuracy(ModelState.of(m));
        List<String> exclude = request.exclude();
        BudgetSearch.Try first = new BudgetSearch.Try("all layers int8" + (exclude.isEmpty() ? "" : " but " + exclude), acc, acc >= min);
        notes.add(first.line(reference));
        if (first.within()) return m;
        if (request.qatEpochs() > 0) {
            notes.add("budget: not met; returning layers to float is done for method: ptq only");
            return m;
        }
        if (layers.isEmpty()) layers = SensitivityReport.measure(g, convertPlan(ctx, g, calibration, List.of()), ctx.test().slice(0, Math.min(500, ctx.test().count())),
                ctx.backend(), request.batchSize(), ctx.progress()).layers();
        List<String> order = layers.stream().sorted(Comparator.comparingDouble(LayerSensitivity::logitsMse).reversed())
                .map(LayerSensitivity::node).filter(x -> !exclude.contains(x)).toList();
        Int8Model[] last = {m};
        BudgetSearch.Result<List<String>> r = BudgetSearch.floatFallback(order, inFloat -> {
            last[0] = convert(ctx, g, convertPlan(ctx, g, calibration, inFloat));
            return ctx.accuracy(ModelState.of(last[0]));
        }, min);
        for (BudgetSearch.Try t : r.tries()) notes.add(t.line(reference));
        notes.add(r.met() ? "budget: kept layers in float " + r.kept() : "budget: not met with every layer in float; kept " + r.kept());
        return last[0];
    }

    /** The PTQ plan with the recipe's exclusions and {@code inFloat} kept in float. */
    private QuantPlan convertPlan(StageContext ctx, Graph g, Dataset calibration, List<String> inFloat) {
        List<String> ex = new ArrayList<>(request.exclude());
        ex.addAll(inFloat);
        return request.calibrator().calibrate(request.targets(g, ex, RecipeSpelling.running()), calibration, ctx.backend(), ctx.progress());
    }
}
