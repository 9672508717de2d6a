package dev.nncompress.models;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Backends;
import dev.nncompress.graph.Graph;
import dev.nncompress.tensor.Shape;

import java.util.List;

/**
 * The built-in models, for Fashion-MNIST (input [1, 28, 28], 10 classes) unless built for another input shape and
 * class count: the first conv takes the data's channels, the classifier gives one logit per class, and the layers
 * between follow the spatial size (the flatten before the first linear layer grows with it; resnet8 pools globally).
 * The parameter counts in the comments are Fashion-MNIST's.
 */
public final class Models {
    public static final List<String> NAMES = List.of("teacher", "student", "lenet5", "resnet8");

    /** Fashion-MNIST's sample shape, [1, 28, 28]. */
    public static final Shape FASHION_MNIST_INPUT = Shape.of(1, 28, 28);

    public static final int FASHION_MNIST_CLASSES = 10;
    private static final Shape MNIST = FASHION_MNIST_INPUT;

    private Models() {}

    public static Graph teacher() { return teacher(Backends.defaultBackend(), 0); }

    public static Graph student() { return student(Backends.defaultBackend(), 0); }

    public static Graph lenet5() { return lenet5(Backends.defaultBackend(), 0); }

    public static Graph resnet8() { return resnet8(Backends.defaultBackend(), 0); }

    /** A built-in model by name; the message lists the names when it is unknown. */
    public static Graph byName(String name, Backend backend, long seed) {
        return byName(name, backend, seed, MNIST, FASHION_MNIST_CLASSES);
    }

    /**
     * A built-in model by name for samples of {@code input} ([C, H, W]) and {@code classes} classes. Too small an image
     * for the model's pooling is an IllegalArgumentException naming the model, the size and the node that does not fit.
     */
    public static Graph byName(String name, Backend backend, long seed, Shape input, int classes) {
        if (input.rank() != 3) throw new IllegalArgumentException("built-in models take [C, H, W] images, not " + input);
        if (classes < 2) throw new IllegalArgumentException("built-in models need at least 2 classes, got " + classes);
        try {
            return switch (name) {
                case "teacher" -> teacher(backend, seed, input, classes);
                case "student" -> student(backend, seed, input, classes);
                case "lenet5" -> lenet5(backend, seed, input, classes);
                case "resnet8" -> resnet8(backend, seed, input, classes);
                default -> throw new IllegalArgumentException("unknown model '" + name + "'; built-in models are " + NAMES);
            };
        } catch (IllegalArgumentException e) {
            if (!NAMES.contains(name)) throw e;
            throw new IllegalArgumentException("built-in model " + name + " cannot take " + input.dim(0) + "x" + input.dim(1) + "x" + input.dim(2)
                    + " images: " + e.getMessage() + " (use larger images, e.g. --image-size 32)", e);
        }
    }

    /** 1,701,130 parameters. */
    public static Graph teacher(Backend backend, long seed) { return teacher(backend, seed, MNIST, FASHION_MNIST_CLASSES); }

    public static Graph teacher(Backend backend, long seed, Shape input, int classes) {
        GraphBuilder b = new GraphBuilder("teacher", input, backend, seed);
        String x = b.relu("relu1", b.conv("conv1", Graph.INPUT, 32, 3, 1, 1, true));
        x = b.relu("relu2", b.conv("conv2", x, 64, 3, 1, 1, true));
        x = b.maxPool("pool1", x, 2);
        x = b.relu("relu3", b.conv("conv3", x, 128, 3, 1, 1, true));
        x = b.maxPool("pool2", x, 2);
        x = b.relu("relu4", b.linear("fc1", b.flatten("flatten", x), 256));
        return b.build(b.linear("fc2", x, classes));
    }

    /** 52,138 parameters. */
    public static Graph student(Backend backend, long seed) { return student(backend, seed, MNIST, FASHION_MNIST_CLASSES); }

    public static Graph student(Backend backend, long seed, Shape input, int classes) {
        GraphBuilder b = new GraphBuilder("student", input, backend, seed);
        String x = b.maxPool("pool1", b.relu("relu1", b.conv("conv1", Graph.INPUT, 8, 3, 1, 1, true)), 2);
        x = b.maxPool("pool2", b.relu("relu2", b.conv("conv2", x, 16, 3, 1, 1, true)), 2);
        x = b.relu("relu3", b.linear("fc1", b.flatten("flatten", x), 64));
        return b.build(b.linear("fc2", x, classes));
    }

    /** 61,706 parameters. */
    public static Graph lenet5(Backend backend, long seed) { return lenet5(backend, seed, MNIST, FASHION_MNIST_CLASSES); }

    public static Graph lenet5(Backend backend, long seed, Shape input, int classes) {
        GraphBuilder b = new GraphBuilder("lenet5", input, backend, seed);
        String x = b.maxPool("pool1", b.relu("relu1", b.conv("conv1", Graph.INPUT, 6, 5, 1, 2, true)), 2);
        x = b.maxPool("pool2", b.relu("relu2", b.conv("conv2", x, 16, 5, 1, 0, true)), 2);
        x = b.relu("relu3", b.linear("fc1", b.flatten("flatten", x), 120));
        x = b.relu("relu4", b.linear("fc2", x, 84));
        return b.build(b.linear("fc3", x, classes));
    }

    /**
     * ResNet-8 for 28x28: a 16-channel stem, then three stages of one basic block each (16, 32, 64
     * channels; the last two halve the resolution and use a 1x1 conv + BN shortcut), global average
     * pool and a linear classifier. Convs feeding batch norm have no bias, as in torchvision. 77,754 parameters.
     */
    public static Graph resnet8(Backend backend, long seed) { return resnet8(backend, seed, MNIST, FASHION_MNIST_CLASSES); }

    public static Graph resnet8(Backend backend, long seed, Shape input, int classes) {
        GraphBuilder b = new GraphBuilder("resnet8", input, backend, seed);
        String x = b.relu("stem_relu", b.batchNorm("stem_bn", b.conv("stem_conv", Graph.INPUT, 16, 3, 1, 1, false)));
        x = basicBlock(b, "layer1", x, 16, 1);
        x = basicBlock(b, "layer2", x, 32, 2);
        x = basicBlock(b, "layer3", x, 64, 2);
        x = b.flatten("flatten", b.globalAvgPool("avgpool", x));
        return b.build(b.linear("fc", x, classes));
    }

    private static String basicBlock(GraphBuilder b, String p, String in, int channels, int stride) {
        String y = b.relu(p + "_relu1", b.batchNorm(p + "_bn1", b.conv(p + "_conv1", in, channels, 3, stride, 1, false)));
        y = b.batchNorm(p + "_bn2", b.conv(p + "_conv2", y, channels, 3, 1, 1, false));
        String shortcut = in;
        if (stride != 1 || b.shapeOf(in).dim(0) != channels) {
            shortcut = b.batchNorm(p + "_down_bn", b.conv(p + "_down_conv", in, channels, 1, stride, 0, false));
        }
        return b.relu(p + "_relu2", b.addNodes(p + "_add", y, shortcut));
    }
}
