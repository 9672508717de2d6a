package dev.nncompress.backend;

/**
 * The elementwise activations of {@link Backend#unary}, each with up to two parameters a and b, and
 * the gradient each takes at its kinks. The kink convention is PyTorch's (its autograd formulas for
 * hardtanh, leaky_relu, hardsigmoid and hardswish), so that a model fine-tuned here and in PyTorch
 * takes the same steps. The definitions, step by step in float or double as written, are
 * {@code backend.ref.RefActivations}; every backend computes the same values.
 *
 * <p>{@link #code()} is the number the CUDA kernels switch on ({@code NNC_ACT_*} in
 * cuda-kernels/activation.cu; a test compares the two).
 */
public enum Unary {
    /**
     * min(max(x, a), b) with a = min, b = max (-inf / +inf for a missing bound; a > b gives b everywhere,
     * as ONNX's Clip); ReLU6 is (0, 6). Gradient g strictly inside (a, b), 0 at the bounds and beyond:
     * PyTorch's hardtanh (which nn.ReLU6 is), as ReLU's gradient is 0 at 0. (torch.clamp would pass g at
     * the bounds too; the two differ only on a set of measure zero.)
     */
    CLIP(0),
    /** x > 0 ? x : a x (a = alpha). Gradient x > 0 ? g : a g, so the slope at 0 is a (PyTorch). */
    LEAKY_RELU(1),
    /** 1 / (1 + exp(-x)) in double, rounded once. Gradient from the output: g y (1 - y), in double. */
    SIGMOID(2),
    /** clip(a x + b, 0, 1) (ONNX alpha, beta; a x + b in float). Gradient a g strictly inside 0 < a x + b < 1, else 0 (PyTorch). */
    HARD_SIGMOID(3),
    /**
     * x clip(a x + b, 0, 1); ONNX's HardSwish (opset 14) and PyTorch's have a = 1/6, b = 1/2. Gradient 0 where
     * a x + b < 0, g where it is > 1, g (2 a x + b) between, bounds included (PyTorch: x < -3, x <= 3, else).
     */
    HARD_SWISH(4),
    /** tanh(x) in double, rounded once. Gradient from the output: g (1 - y^2), in double. */
    TANH(5);

    private final int code;

    Unary(int code) { this.code = code; }

    /** The kind number of the CUDA kernels (cuda-kernels/activation.cu). */
    public int code() { return code; }

    /** Whether backward reads the output y rather than the input x (sigmoid and tanh: cheaper than recomputing). */
    public boolean gradientFromOutput() { return this == SIGMOID || this == TANH; }
}
