package dev.nncompress.pipeline;

import dev.nncompress.cli.ModelData;
import dev.nncompress.compress.distill.CachedTeacherLogits;
import dev.nncompress.compress.distill.DistillationLoss;
import dev.nncompress.compress.distill.ResponseDistillation;
import dev.nncompress.graph.Graph;
import dev.nncompress.graph.GraphPredictor;
import dev.nncompress.graph.Logits;
import dev.nncompress.graph.Predictor;
import dev.nncompress.io.ModelIO;
import dev.nncompress.models.Models;
import dev.nncompress.train.StepHook;
import dev.nncompress.train.TrainConfig;
import dev.nncompress.train.Trainer;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code stage: distill}: response distillation (Hinton et al.) as {@code nncompress distill --cache-teacher} runs it:
 * the frozen teacher's logits over the training images once, then the student trained on {@code alpha} soft +
 * {@code 1 - alpha} hard targets. The teacher is {@code input} (the recipe's input model, re-read from its file as it
 * was before any stage), {@code current} (the model as the previous stage left it, e.g. a teacher trained by a
 * {@code train} stage) or a model file; the student is the current model, or {@code student:} (a built-in name,
 * built for the data, or a float model file), which then replaces it.
 */
record DistillStage(String teacher, String student, double temperature, double alpha, TrainingSpec training) implements Stage {
    static final String INPUT = "input";
    static final String CURRENT = "current";

    static DistillStage parse(RecipeObject s) {
        String teacher = s.string("teacher", INPUT);
        String student = s.string("student", null);
        // the command's defaults: T 4, alpha 0.5 (docs/distillation.md)
        double t = s.positive("temperature", 4.0);
        double a = s.number("alpha", 0.5, 0, 1, true);
        return new DistillStage(teacher, student, t, a, TrainingSpec.parse(s));
    }

    @Override public String name() { return "distill"; }

    @Override
    public Map<String, Object> settings() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("teacher", teacher);
        m.put("student", student == null ? "current model" : student);
        m.put("temperature", temperature);
        m.put("alpha", alpha);
        m.putAll(training.settings());
        return m;
    }

    @Override
    public Outcome run(StageContext ctx, ModelState in, Path artefact) {
        long seed = ctx.recipe().seed();
        Graph studentGraph = studentGraph(ctx, in);
        TrainConfig config = training.config(seed);
        ModelData.Loaded t = teacher.equals(CURRENT) ? null : teacherModel(ctx);
        Graph teacherGraph = t == null ? in.graph() : t.graph();
        try (Predictor p = t != null && t.int8() != null ? ModelData.int8Runner(t.int8(), ctx.backend(), ctx.err())
                : new GraphPredictor(Logits.of(teacherGraph), ctx.backend())) {
            DistillationLoss.checkCompatible(p, studentGraph);
            CachedTeacherLogits cache = CachedTeacherLogits.compute(p, ctx.train(), config.batchSize(), ctx.progress());
            ctx.note("teacher " + (t == null ? "the current model" : t.description()) + ": logits of " + cache.count() + " training images cached");
            try (DistillationLoss loss = DistillationLoss.response(new ResponseDistillation(temperature, alpha), cache)) {
                new Trainer(ctx.backend(), config, StepHook.NONE, loss).fit(studentGraph, ctx.train(), ctx.test(), ctx.epochs(training.epochs()));
            }
        }
        ModelIO.save(studentGraph, artefact, ctx.provenance());
        return Outcome.of(ModelState.of(studentGraph));
    }

    private Graph studentGraph(StageContext ctx, ModelState in) {
        if (student == null) return in.graph();
        if (Models.NAMES.contains(student)) {
            int classes = in.graph().inferShapes().get(in.graph().output()).numel();
            return Models.byName(student, ctx.backend(), ctx.recipe().seed(), in.graph().inputShape(), classes);
        }
        ModelData.Loaded s = ModelData.loadModel(student, ctx.recipe().seed(), ctx.backend());
        if (s.graph() == null) throw new IllegalArgumentException("student " + student + " is an int8 model; distillation trains a float one");
        return s.graph();
    }

    /** The teacher: the input model as read from its file (stages before may have changed the graph in memory), or a file. */
    private ModelData.Loaded teacherModel(StageContext ctx) {
        String spec = teacher.equals(INPUT) ? ctx.recipe().model() : teacher;
        if (Models.NAMES.contains(spec)) {
            throw new IllegalArgumentException("teacher " + spec + " is a built-in, untrained model; give a trained model file"
                    + (teacher.equals(INPUT) ? " as the recipe's model, or teacher: current (the model a train stage trained), or teacher: FILE" : ""));
        }
        return ModelData.loadModel(spec, ctx.recipe().seed(), ctx.backend());
    }
}
