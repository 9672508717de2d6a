package dev.nncompress.compress.distill;

import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Conv2dGrads;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.graph.Parameter;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import dev.nncompress.train.Check;

import java.util.List;
import java.util.SplittableRandom;

/**
 * FitNets hint (Romero et al. 2015): {@code weight * mean((adapter(s) - t)^2)} where the adapter is a learned 1x1
 * convolution (with bias) from the student's channel count to the teacher's, so layers of different widths can be
 * paired; the spatial sizes must agree. Everything runs on the training backend's ops (conv, add, mul, and a
 * column sum for the reduction), so on the GPU the feature maps never visit the host; only the scalar loss does.
 * The adapter is initialised as PyTorch's Conv2d (U(-1/sqrt(fan_in), 1/sqrt(fan_in))) and discarded after training.
 */
public final class HintLoss implements FeatureLoss {
    private static final Conv2dSpec ONE_BY_ONE = Conv2dSpec.of(1, 0);

    private final String studentNode;
    private final String teacherNode;
    private final double weight;
    private final Parameter adapterWeight;
    private final Parameter adapterBias;

    public HintLoss(String studentNode, String teacherNode, int studentChannels, int teacherChannels, double weight,
                    Backend backend, long seed) {
        Check.positive("hint weight", weight);
        Check.positive("student channels", studentChannels);
        Check.positive("teacher channels", teacherChannels);
        this.studentNode = studentNode;
        this.teacherNode = teacherNode;
        this.weight = weight;
        SplittableRandom rng = new SplittableRandom(seed);
        double bound = 1 / Math.sqrt(studentChannels);
        this.adapterWeight = new Parameter("hint." + studentNode + ".weight",
                backend.fromFloats(uniform(rng, teacherChannels * studentChannels, bound), Shape.of(teacherChannels, studentChannels, 1, 1)), true);
        this.adapterBias = new Parameter("hint." + studentNode + ".bias",
                backend.fromFloats(uniform(rng, teacherChannels, bound), Shape.of(teacherChannels)), true);
    }

    @Override public String studentNode() { return studentNode; }

    @Override public String teacherNode() { return teacherNode; }

    @Override
    public void checkShapes(Shape student, Shape teacher) {
        Shape w = adapterWeight.value().shape();
        if (student.rank() != 3 || teacher.rank() != 3) {
            throw new IllegalArgumentException("hint " + studentNode + " -> " + teacherNode + ": both outputs must be feature maps [C, H, W], got student "
                    + student + " and teacher " + teacher);
        }
        if (student.dim(1) != teacher.dim(1) || student.dim(2) != teacher.dim(2)) {
            throw new IllegalArgumentException("hint " + studentNode + " -> " + teacherNode + ": spatial sizes differ (student " + student
                    + ", teacher " + teacher + "); pick layers with the same H x W");
        }
        if (student.dim(0) != w.dim(1) || teacher.dim(0) != w.dim(0)) {
            throw new IllegalArgumentException("hint " + studentNode + " -> " + teacherNode + ": adapter is " + w.dim(1) + " -> " + w.dim(0)
                    + " channels, the features have " + student.dim(0) + " and " + teacher.dim(0));
        }
    }

    @Override
    public Result compute(Backend backend, Tensor student, Tensor teacher) {
        long m = teacher.shape().numel();
        try (Tensor adapted = backend.conv2d(student, adapterWeight.value(), adapterBias.value(), ONE_BY_ONE);
             Tensor negTeacher = backend.scale(teacher, -1f);
             Tensor diff = backend.add(adapted, negTeacher);
             Tensor squared = backend.mul(diff, diff);
             Tensor column = backend.reshape(squared, Shape.of((int) m, 1));
             Tensor sum = backend.sumRows(column);
             Tensor gradAdapted = backend.scale(diff, (float) (2 * weight / m))) {
            float loss = (float) (weight * sum.toFloatArray()[0] / m);
            Conv2dGrads g = backend.conv2dBackward(student, adapterWeight.value(), gradAdapted, ONE_BY_ONE, true, true);
            adapterWeight.accumulateGrad(g.weight());
            adapterBias.accumulateGrad(g.bias());
            return new Result(loss, g.input());
        }
    }

    @Override public List<Parameter> parameters() { return List.of(adapterWeight, adapterBias); }

    @Override
    public void close() {
        adapterWeight.clearGrad();
        adapterBias.clearGrad();
        adapterWeight.value().close();
        adapterBias.value().close();
    }

    private static float[] uniform(SplittableRandom rng, int n, double bound) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
        return v;
    }
}
