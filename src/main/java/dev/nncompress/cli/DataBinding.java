package dev.nncompress.cli;

import dev.nncompress.backend.Backend;
import dev.nncompress.data.DataRequest;
import dev.nncompress.data.DataSource;
import dev.nncompress.data.DataSplits;
import dev.nncompress.data.Dataset;
import dev.nncompress.data.FashionMnist;
import dev.nncompress.data.Normalization;
import dev.nncompress.data.RawImages;
import dev.nncompress.tensor.Shape;

import java.io.PrintWriter;
import java.util.List;
import java.util.function.Consumer;

/**
 * A command's model and data, loaded so that each fits the other: the one place that decides what the data are
 * read as and how they are normalised (docs/data.md, "Normalisation").
 *
 * <p>A model file goes first: its input shape sets the image size and channels the data are read at (unless
 * {@code --image-size}/{@code --channels} say otherwise), its stored class names pick an image folder's classes, and
 * its stored normalisation is used. A built-in model goes after the data and is built for their shape and classes.
 * Normalisation: {@code --mean/--std}, else the model file's, else the dataset's own (Fashion-MNIST's for IDX, the
 * training split's per-channel mean and std for every other format, read for the purpose when the command itself
 * reads no training images).
 */
final class DataBinding {
    /** A command's model, its normalised splits (null when not asked for) and what they are, for the output and the model file. */
    record Bound(ModelSource model, Dataset train, Dataset test, DataContract contract) {
        /** Prints the data and input lines, unless the data are Fashion-MNIST's IDX files read as they always were. */
        void describe(PrintWriter out) {
            boolean usual = usual();
            if (!usual) out.println(contract.dataLine(train == null ? 0 : train.count(), test == null ? 0 : test.count()));
            if (!usual || model.isOnnx() || "onnx".equals(model.provenance().get("source_format"))) out.println(contract.inputLine());
            out.flush();
        }

        List<String> classNames() { return contract.classNames(); }

        /** Fashion-MNIST's IDX files with their usual normalisation: what every command read before other formats came. */
        boolean usual() { return contract.usual(); }
    }

    private DataBinding() {}

    /**
     * Loads the data for {@code model} (read and checked before any backend exists) and checks that they fit.
     *
     * @param trainLimit training images to read ({@link DataRequest#ALL}, or 0 for none)
     * @param testLimit  test images to read ({@link DataRequest#ALL}, or 0 for none)
     * @param early      checks of the model that do not depend on its input shape (node names), run before any image
     *                   is read: on the model file, or for a built-in on the Fashion-MNIST-shaped model of that name (its
     *                   nodes are the same at every shape), which is then dropped
     * @param teacher    distillation's teacher, or null: its stored normalisation and class names are used where the
     *                   model has none, and a stored normalisation must agree with the one chosen (both see the same inputs)
     */
    static Prepared prepare(DataOptions opts, ModelSource.Read model, int trainLimit, int testLimit, Consumer<ModelSource> early,
                            ModelSource teacher) {
        Normalization explicit = opts.explicitNormalization();
        DataRequest request = opts.request(trainLimit, testLimit);
        ModelSource src = null;
        if (!model.builtIn()) {
            src = model.inspect();
            early.accept(src);
            request = fitTo(request, src, opts);
        } else {
            early.accept(model.inspect());
        }
        DataSplits splits = DataSource.load(request);
        Shape shape = Shape.of(splits.channels(), splits.height(), splits.width());
        if (src == null) {
            src = model.on(CliSupport.inspectionBackend(), shape, Math.max(2, splits.numClasses()));
        }
        if (!src.inputShape().equals(shape)) {
            throw new IllegalArgumentException("model " + src.spec() + " takes " + dims(src.inputShape()) + " images but --data " + opts.data + " gives "
                    + dims(shape) + (splits.format().equals(DataSource.Format.IMAGE_FOLDER.id()) ? "" : " (" + splits.format() + " has a fixed size)"));
        }
        int outputs = src.outputs();
        if (outputs < splits.numClasses()) {
            throw new IllegalArgumentException("model " + src.spec() + " has " + outputs + " outputs but --data " + opts.data + " has " + splits.numClasses()
                    + " classes");
        }
        Normalization norm;
        String source;
        Normalization stored = DataContract.storedNormalization(src);
        Normalization teacherStored = teacher == null ? null : DataContract.storedNormalization(teacher);
        String carriesNone = src.builtIn() ? "" : ": the model file carries none";
        if (explicit != null) {
            norm = explicit;
            source = "from --mean/--std";
        } else if (stored != null) {
            norm = stored;
            source = "as stored in the model file";
        } else if (teacherStored != null) {
            norm = teacherStored;
            source = "as stored in the teacher's file";
        } else if (splits.normalization() != null) {
            norm = splits.normalization();
            source = (norm.equals(Normalization.FASHION_MNIST) ? "Fashion-MNIST's default" : splits.format() + "'s default") + carriesNone;
        } else {
            RawImages t = splits.train() != null ? splits.train() : DataSource.load(request.withLimits(DataRequest.ALL, 0)).train();
            norm = t.statistics();
            source = "computed from the " + CliSupport.grouped(t.count()) + " training images" + carriesNone;
        }
        try {
            norm = norm.forChannels(shape.dim(0));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("normalisation " + source + ": " + e.getMessage(), e);
        }
        if (teacherStored != null && !teacherStored.sameFor(norm, shape.dim(0))) {
            throw new IllegalArgumentException("teacher " + teacher.spec() + " was trained on inputs normalised with " + teacherStored
                    + " (stored in its file) but the data are normalised with " + norm + " (" + source + "); teacher and student must see the same inputs");
        }
        List<String> names = splits.classNames();
        if (names.isEmpty()) names = DataContract.storedClassNames(src);
        if (names.isEmpty() && teacher != null) names = DataContract.storedClassNames(teacher);
        if (names.isEmpty() && splits.format().equals(DataSource.Format.IDX.id()) && outputs == FashionMnist.NUM_CLASSES) names = FashionMnist.CLASS_NAMES;
        if (names.size() > outputs) names = List.of(); // more names than outputs: another label set's
        boolean floats = (splits.train() != null ? splits.train() : splits.test()).isFloat();
        DataContract contract = new DataContract(splits.format(), splits.path(), splits.shape(), norm, source, floats, names, splits.split());
        return new Prepared(model, shape, Math.max(2, splits.numClasses()), splits.train() == null ? null : splits.train().normalise(norm, outputs),
                splits.test() == null ? null : splits.test().normalise(norm, outputs), contract);
    }

    /**
     * Model and data read and checked on the heap, before the command creates (and announces) its backend, so that
     * a bad model or data file costs one error line; {@link #on} puts the model on the backend.
     */
    record Prepared(ModelSource.Read model, Shape input, int classes, Dataset train, Dataset test, DataContract contract) {
        /** The model on {@code backend} (a built-in built for the data's shape and classes, with the same seed). */
        Bound on(Backend backend) {
            ModelSource src = model.builtIn() ? model.on(backend, input, classes) : model.on(backend);
            return new Bound(src, train, test, contract);
        }
    }

    /** The model file's input size, channels and class names where the options leave them open. */
    private static DataRequest fitTo(DataRequest r, ModelSource src, DataOptions opts) {
        Shape in = src.inputShape();
        if (in.rank() == 3) {
            if (opts.imageSize == null) r = r.withImageSize(in.dim(1), in.dim(2));
            if (opts.channels == null && (in.dim(0) == 1 || in.dim(0) == 3)) r = r.withChannels(in.dim(0));
        }
        if (opts.classes == null) {
            List<String> stored = DataContract.storedClassNames(src);
            if (!stored.isEmpty() && DataSource.detect(opts.data) == DataSource.Format.IMAGE_FOLDER) r = r.withClasses(stored);
        }
        return r;
    }

    private static String dims(Shape s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.rank(); i++) sb.append(i == 0 ? "" : "x").append(s.dim(i));
        return sb.toString();
    }
}
