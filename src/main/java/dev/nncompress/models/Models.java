package dev.nncompress.models;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Backends;
import dev.nncompress.graph.Graph;
import dev.nncompress.tensor.Shape;

import java.util.List;

/** The built-in Fashion-MNIST models (input [1, 28, 28], 10 classes). */
public final class Models {
    public static final List<String> NAMES = List.of("teacher", "student", "lenet5", "resnet8");
    private static final Shape MNIST = Shape.of(1, 28, 28);

    private Models() {}

    public static Graph teacher() { return teacher(Backends.defaultBackend(), 0); }

    public static Graph student() { return student(Backends.defaultBackend(), 0); }

    public static Graph lenet5() { return lenet5(Backends.defaultBackend(), 0); }

    public static Graph resnet8() { return resnet8(Backends.defaultBackend(), 0); }

    /** A built-in model by name; the message lists the names when it is unknown. */
    public static Graph byName(String name, Backend backend, long seed) {
        return switch (name) {
            case "teacher" -> teacher(backend, seed);
            case "student" -> student(backend, seed);
            case "lenet5" -> lenet5(backend, seed);
            case "resnet8" -> resnet8(backend, seed);
            default -> throw new IllegalArgumentException("unknown model '" + name + "'; built-in models are " + NAMES);
        };
    }

    /** 1,701,130 parameters. */
    public static Graph teacher(Backend backend, long seed) {
        GraphBuilder b = new GraphBuilder("teacher", MNIST, backend, seed);
        String x = b.relu("relu1", b.conv("conv1", Graph.INPUT, 32, 3, 1, 1, true));
        x = b.relu("relu2", b.conv("conv2", x, 64, 3, 1, 1, true));
        x = b.maxPool("pool1", x, 2);
        x = b.relu("relu3", b.conv("conv3", x, 128, 3, 1, 1, true));
        x = b.maxPool("pool2", x, 2);
        x = b.relu("relu4", b.linear("fc1", b.flatten("flatten", x), 256));
        return b.build(b.linear("fc2", x, 10));
    }

    /** 52,138 parameters. */
    public static Graph student(Backend backend, long seed) {
        GraphBuilder b = new GraphBuilder("student", MNIST, backend, seed);
        String x = b.maxPool("pool1", b.relu("relu1", b.conv("conv1", Graph.INPUT, 8, 3, 1, 1, true)), 2);
        x = b.maxPool("pool2", b.relu("relu2", b.conv("conv2", x, 16, 3, 1, 1, true)), 2);
        x = b.relu("relu3", b.linear("fc1", b.flatten("flatten", x), 64));
        return b.build(b.linear("fc2", x, 10));
    }

    /** 61,706 parameters. */
    public static Graph lenet5(Backend backend, long seed) {
        GraphBuilder b = new GraphBuilder("lenet5", MNIST, backend, seed);
        String x = b.maxPool("pool1", b.relu("relu1", b.conv("conv1", Graph.INPUT, 6, 5, 1, 2, true)), 2);
        x = b.maxPool("pool2", b.relu("relu2", b.conv("conv2", x, 16, 5, 1, 0, true)), 2);
        x = b.relu("relu3", b.linear("fc1", b.flatten("flatten", x), 120));
        x = b.relu("relu4", b.linear("fc2", x, 84));
        return b.build(b.linear("fc3", x, 10));
    }

    /**
     * ResNet-8 for 28x28: a 16-channel stem, then three stages of one basic block each (16, 32, 64
     * channels; the last two halve the resolution and use a 1x1 conv + BN shortcut), global average
     * pool and a linear classifier. Convs feeding batch norm have no bias, as in torchvision.
     */
    public static Graph resnet8(Backend backend, long seed) {
        GraphBuilder b = new GraphBuilder("resnet8", MNIST, backend, seed);
        String x = b.relu("stem_relu", b.batchNorm("stem_bn", b.conv("stem_conv", Graph.INPUT, 16, 3, 1, 1, false)));
        x = basicBlock(b, "layer1", x, 16, 1);
        x = basicBlock(b, "layer2", x, 32, 2);
        x = basicBlock(b, "layer3", x, 64, 2);
        x = b.flatten("flatten", b.globalAvgPool("avgpool", x));
        return b.build(b.linear("fc", x, 10));
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
