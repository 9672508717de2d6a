package dev.nncompress.cli;

import dev.nncompress.backend.Backend;
import dev.nncompress.data.Dataset;
import dev.nncompress.graph.Graph;
import dev.nncompress.io.ModelIO;
import dev.nncompress.io.Provenance;
import dev.nncompress.train.EpochStats;
import dev.nncompress.train.Checkpointing;
import dev.nncompress.train.TrainConfig;
import dev.nncompress.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code nncompress train}: trains a built-in or saved model on a dataset (Fashion-MNIST by default) and saves it with provenance. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = {"Train a model on a dataset (--data; Fashion-MNIST by default), evaluating on the test set after each epoch.",
                "Example: nncompress train student --epochs 3 --out student.safetensors"})
final class TrainCommand implements Callable<Integer> {
    @ParentCommand Main main;
    @Spec CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL",
            description = "Built-in model (teacher, student, lenet5, resnet8) or a model file to continue training.")
    String model;

    @Option(names = "--model", paramLabel = "MODEL", description = "The same as MODEL (the spelling before MODEL was positional).")
    String modelOption;

    @Mixin
    TrainingOptions training;

    @Option(names = {"-o", "--out"}, paramLabel = "FILE", description = "Where to save the trained model (.safetensors); written atomically.")
    Path out;

    @Mixin
    BackendOption backendOption;

    @Mixin
    CheckpointOptions checkpointOptions;

    @Mixin
    JsonOption json;

    @Override
    public Integer call() {
        PrintWriter stdout = json.text();
        PrintWriter err = spec.commandLine().getErr();

        // everything the user typed is checked before any data is read or any time is spent
        if (model != null && modelOption != null) throw new ParameterException(spec.commandLine(), "give the model once: MODEL or --model MODEL, not both");
        if (model == null) model = modelOption;
        if (model == null) throw new ParameterException(spec.commandLine(), "Missing required parameter: 'MODEL'");
        modelOption = null; // one spelling in the checkpoint's configuration (CheckpointOptions.configOf)
        TrainConfig config = training.config();
        if (out != null) CliSupport.checkWritable("--out", out);
        backendOption.check();
        checkpointOptions.check(spec, true, "");
        ModelSource.Read read = ModelSource.read(model, training.seed).requireFloat(); // before the backend: a bad file is one error line
        Checkpointing checkpoints = checkpointOptions.open(spec, stdout, err);
        DataBinding.Prepared prepared = training.bind(read, null); // data too: a bad data file is one error line

        try (Backend backend = backendOption.create(err)) {
            return train(backend, config, checkpoints, prepared.on(backend), stdout, err);
        }
    }

    private int train(Backend backend, TrainConfig config, Checkpointing checkpoints, DataBinding.Bound bound, PrintWriter stdout, PrintWriter err) {
        ModelSource src = bound.model();
        Graph graph = src.graph();
        Dataset train = bound.train();
        Dataset test = bound.test();

        stdout.printf(Locale.ROOT, "training %s, %s parameters, on %s train / %s test images (%s); %s%n",
                src.describe(training.seed), CliSupport.grouped(graph.parameterCount()), CliSupport.grouped(train.count()),
                CliSupport.grouped(test.count()), training.data.data, training.describe(config));
        bound.describe(stdout);

        List<EpochStats> history = training.fit(new Trainer(backend, config).withCheckpoints(checkpoints), graph, train, test, main.quiet, stdout, err);
        CheckpointOptions.summary(checkpoints, err);
        EpochStats last = history.get(history.size() - 1);
        json.print(TrainingOptions.results(src.describe(training.seed), graph.parameterCount(), train, test, history, out));
        if (out == null) {
            err.println("nncompress: note: the model was not saved (no --out FILE)");
            return Main.EXIT_OK;
        }
        Map<String, String> prov = provenance(src, backend, config, train, test, last);
        bound.contract().putInto(prov);
        CheckpointOptions.putProvenance(checkpoints, prov);
        ModelIO.save(graph, out, Provenance.collect(prov));
        stdout.printf(Locale.ROOT, "saved %s (%s, test accuracy %s)%n", out, graph.name(),
                last.eval() == null ? "n/a" : CliSupport.percent(last.eval().accuracy()));
        return Main.EXIT_OK;
    }

    private Map<String, String> provenance(ModelSource src, Backend backend, TrainConfig c, Dataset train, Dataset test, EpochStats last) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("command", main.commandLine());
        p.put("task", "train");
        p.put("model", src.graph().name());
        p.put("init", src.builtIn() ? "built-in " + src.spec() + ", seed " + training.seed : "file " + src.spec());
        if (!src.builtIn() && src.provenance().containsKey("command")) p.put("init_command", src.provenance().get("command"));
        p.put("seed", Long.toString(c.seed()));
        p.put("config", training.configJson(c, Map.of()));
        p.put("backend", backend.name());
        p.put("backend_detail", backend.describe());
        p.put("train_images", Integer.toString(train.count()));
        p.put("test_images", Integer.toString(test.count()));
        p.put("train_loss", String.format(Locale.ROOT, "%.6f", last.trainLoss()));
        if (last.eval() != null) {
            p.put("test_accuracy", String.format(Locale.ROOT, "%.6f", last.eval().accuracy()));
            p.put("test_loss", String.format(Locale.ROOT, "%.6f", last.eval().loss()));
        }
        return p;
    }
}
