package dev.nncompress.backend;

import dev.nncompress.quant.QParams;
import dev.nncompress.sparse.CsrWeights;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import dev.nncompress.tensor.TensorOwner;

/**
 * The fixed, small op set every compute backend implements. Layouts: activations NCHW, conv weights
 * OIHW, linear weights [out, in] (all PyTorch's). Every method returns new tensors unless its name
 * says "InPlace" or "Update"; inputs are never modified otherwise. All tensors passed in must belong
 * to this backend.
 */
public interface Backend extends TensorOwner, AutoCloseable {
    /** The backend that owns {@code t}: every tensor is made by a backend, so its owner is one. */
    static Backend of(Tensor t) {
        if (t.owner() instanceof Backend b) return b;
        throw new IllegalArgumentException("tensor " + t.shape() + " is owned by " + t.owner() + ", which is not a backend");
    }

    /** Short name shown to users: "cpu", "reference", "cuda". */
    @Override String name();

    /** One line describing what runs underneath (library versions, threads, CPU features). */
    String describe();

    /**
     * The int8 kernels that run on this backend's own device (the CUDA GEMM), or null where int8 models
     * run on the CPU's kernels: how callers pick int8 kernels without asking for a backend by name.
     */
    default Int8Kernels deviceInt8Kernels() { return null; }

    // ---- creation and data movement ----
    Tensor zeros(Shape shape);

    Tensor fromFloats(float[] data, Shape shape);

    /** Same data viewed under a new shape with the same element count (may share storage). */
    Tensor reshape(Tensor x, Shape shape);

    /** Copy of {@code src}'s values into {@code dst} (same shape). */
    void copyInto(Tensor src, Tensor dst);

    // ---- dense linear algebra ----
    /** op(a) x op(b) for 2-D tensors, op = transpose when the flag is set. */
    Tensor matmul(Tensor a, boolean transA, Tensor b, boolean transB);

    /** x[n, f] + bias[f] for every row n. */
    Tensor addRowVector(Tensor x, Tensor bias);

    /** Sum over dimension 0 of a 2-D tensor: [n, f] to [f] (bias gradients). */
    Tensor sumRows(Tensor x);

    // ---- convolution and pooling (NCHW) ----
    /** x[N,C,H,W] conv w[O,C,kH,kW] (+ bias[O] when not null). */
    Tensor conv2d(Tensor x, Tensor w, Tensor bias, Conv2dSpec spec);

    /** Gradients of conv2d: dx (null unless needInputGrad), dw, db (null unless withBias). */
    Conv2dGrads conv2dBackward(Tensor x, Tensor w, Tensor gradOut, Conv2dSpec spec, boolean withBias, boolean needInputGrad);

    /**
     * {@link #conv2dBackward} with the input gradient, where x is a ReLU's output that only this conv reads: the input
     * gradient comes back with that ReLU's backward applied, bit for bit {@code reluBackward(x, dx)} (dx where x > 0,
     * else +0), so the ReLU's own backward pass is skipped (issue 23: the ReLU mask inside the conv backward; planned by
     * graph.TrainingFusion). The default runs the two ops.
     */
    default Conv2dGrads conv2dBackwardReluInput(Tensor x, Tensor w, Tensor gradOut, Conv2dSpec spec, boolean withBias) {
        Conv2dGrads gr = conv2dBackward(x, w, gradOut, spec, withBias, true);
        Tensor dx = reluBackward(x, gr.input());
        gr.input().close();
        return new Conv2dGrads(dx, gr.weight(), gr.bias());
    }

    Tensor maxPool2d(Tensor x, Pool2dSpec spec);

    /** Gradient of maxPool2d; ties send the gradient to the first maximum in window order. */
    Tensor maxPool2dBackward(Tensor x, Tensor gradOut, Pool2dSpec spec);

    /**
     * maxPool2d(relu(x)) in one call: a training pass runs a ReLU whose only reader is a max pool this way (issue 23,
     * {@code graph.TrainingFusion}), without the full-size ReLU output, its allocation and two of its passes. The default
     * is the two ops (the reference every override is checked against); an override gives the same values bit for bit.
     */
    default Tensor reluMaxPool2d(Tensor x, Pool2dSpec spec) {
        try (Tensor y = relu(x)) {
            return maxPool2d(y, spec);
        }
    }

    /** The gradient w.r.t. x of {@link #reluMaxPool2d}: maxPool2dBackward on relu(x), then reluBackward; the default runs those. */
    default Tensor reluMaxPool2dBackward(Tensor x, Tensor gradOut, Pool2dSpec spec) {
        try (Tensor y = relu(x); Tensor dy = maxPool2dBackward(y, gradOut, spec)) {
            return reluBackward(y, dy);
        }
    }

    /**
     * {@link #reluMaxPool2d} that also records each window's argmax ({@link PoolArgmax}) for
     * {@link #reluMaxPool2dArgmaxBackward}, so a training pass's backward need not scan the windows again (issue 23).
     * Null where the backend has no such kernel for {@code spec} (the default): the caller then uses the pair above.
     */
    default PoolArgmax reluMaxPool2dArgmax(Tensor x, Pool2dSpec spec) { return null; }

    /**
     * Training forward (issue 23): {@link #reluMaxPool2dArgmax} of {@link #conv2d}{@code (x, w, bias, spec)} in one pass that
     * never writes the conv's output (its backward needs only x), so {@link PoolArgmax#inputShape} is the conv output's
     * shape and {@link #reluMaxPool2dArgmaxBackward} gives the gradient w.r.t. it. Equal to the two ops up to float
     * rounding (the conv may sum in another order). Null where the backend has no such kernel (the default).
     */
    default PoolArgmax conv2dReluMaxPool2dArgmax(Tensor x, Tensor w, Tensor bias, Conv2dSpec spec, Pool2dSpec pool) { return null; }

    /** The gradient w.r.t. x of {@link #reluMaxPool2dArgmax}: bit for bit {@link #reluMaxPool2dBackward} on the same x. */
    default Tensor reluMaxPool2dArgmaxBackward(PoolArgmax pooled, Tensor gradOut) {
        throw new UnsupportedOperationException(describe() + ": reluMaxPool2dArgmaxBackward without reluMaxPool2dArgmax");
    }

    /** Average over the window's positions that lie inside the input (padding excluded). */
    Tensor avgPool2d(Tensor x, Pool2dSpec spec);

    Tensor avgPool2dBackward(Shape inputShape, Tensor gradOut, Pool2dSpec spec);

    // ---- batch normalisation over (N, H, W) per channel ----
    /** Training mode: normalise with batch statistics; returns them for backward and running updates. */
    BatchNormResult batchNormTrain(Tensor x, Tensor gamma, Tensor beta, float eps);

    /**
     * {@link #batchNormTrain(Tensor, Tensor, Tensor, float)} plus PyTorch's running-statistics update in
     * place ({@link BatchNormResult.RunningBlend}: momentum towards the batch mean and the unbiased batch
     * variance). This default runs the update as scale, scale, addInPlace, copyInto; a backend may fuse it
     * (the CUDA backend lets cuDNN do it where cuDNN is used) with the same result to float rounding.
     */
    default BatchNormResult batchNormTrain(Tensor x, Tensor gamma, Tensor beta, float eps, float momentum, Tensor runningMean,
                                           Tensor runningVar) {
        BatchNormResult.RunningBlend f = runningBlend("batchNormTrain", x, momentum, runningMean, runningVar);
        BatchNormResult r = batchNormTrain(x, gamma, beta, eps);
        blendInto(runningMean, r.mean(), f.keep(), f.meanFactor());
        blendInto(runningVar, r.variance(), f.keep(), f.varFactor());
        return r;
    }

    /** The running statistics' checks (vectors of x's channels, momentum in [0, 1]) and their blend factors. */
    static BatchNormResult.RunningBlend runningBlend(String op, Tensor x, float momentum, Tensor runningMean, Tensor runningVar) {
        int[] l = ArgChecks.normLayout(op, x);
        if (runningMean == null || runningVar == null) throw new IllegalArgumentException(op + ": runningMean and runningVar must not be null");
        ArgChecks.channelVector(op, "runningMean", runningMean, x);
        ArgChecks.channelVector(op, "runningVar", runningVar, x);
        return BatchNormResult.RunningBlend.of(momentum, (long) l[0] * l[2]);
    }

    /** target = target * a + value * c, each step rounded to float. */
    private void blendInto(Tensor target, Tensor value, float a, float c) {
        try (Tensor scaledOld = scale(target, a); Tensor scaledNew = scale(value, c)) {
            addInPlace(scaledOld, scaledNew);
            copyInto(scaledOld, target);
        }
    }

    /** Inference mode: normalise with the given running mean and variance. */
    Tensor batchNormInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, float eps);

    /**
     * Inference epilogue of a conv -> batch norm -> ReLU/Clip chain, in place on the conv's output {@code x}:
     * {@code x = min(max(batchNormInference(x, ...), lo), hi)} with exactly the arithmetic of batchNormInference
     * followed by a CLIP unary (ReLU is lo = 0, hi = +inf; no activation is -inf, +inf), so that a fused pass
     * gives the separate ops' values bit for bit, without their two allocations and memory passes. Returns false,
     * leaving {@code x} untouched, when the backend has no such kernel: the caller then runs the separate ops.
     */
    default boolean batchNormClampInPlace(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, float eps,
                                          float lo, float hi) {
        return false;
    }

    /**
     * Inference, and a training pass's conv + bias + ReLU (graph.TrainingFusion): the {@code stages} (conv + bias [+ ReLU] [+ max-pool] each, the next reading the last one's output) over
     * NCHW {@code x} as one fused pass, where the backend has a kernel for all of them; returns the last stage's NCHW
     * output (the caller owns it), equal to the separate ops up to float rounding, or null, having done nothing, where it
     * has none (the caller then runs the separate ops). Planned by {@code graph.ConvStacks}.
     */
    default Tensor convStack(Tensor x, java.util.List<ConvStage> stages) { return null; }

    /**
     * A training pass's linear layer: relu(x W^T + bias) (bias null: none; relu false: none), bit for bit matmul,
     * addRowVector and relu, in one call (issue 23: the CPU adds the bias and applies the ReLU in one in-place pass
     * over the product, no second and third tensor). The default runs the three ops.
     */
    default Tensor linearForward(Tensor x, Tensor weight, Tensor bias, boolean relu) {
        Tensor y = matmul(x, false, weight, true);
        if (bias != null) {
            Tensor b = addRowVector(y, bias);
            y.close();
            y = b;
        }
        if (relu) {
            Tensor r = relu(y);
            y.close();
            y = r;
        }
        return y;
    }

    /**
     * The backward of {@link #linearForward} with a ReLU and a bias up to the weight: {dz, db} with dz =
     * reluBackward(y, gradOut) (y the layer's output) and db = sumRows(dz), bit for bit those two ops, in one call
     * (the CPU masks and sums in one pass). The default runs the two ops.
     */
    default Tensor[] reluBackwardSumRows(Tensor y, Tensor gradOut) {
        Tensor dz = reluBackward(y, gradOut);
        return new Tensor[] {dz, sumRows(dz)};
    }

    /**
     * Inference: x [N, F] times weight [O, F]^T, plus bias [O] (null: none), then ReLU if {@code relu}: what a linear
     * layer computes, equal to matmul, addRowVector and relu up to float rounding (a backend may split the rows
     * differently). The default runs those three.
     */
    default Tensor linearInference(Tensor x, Tensor weight, Tensor bias, boolean relu) {
        return linearForward(x, weight, bias, relu);
    }

    /** Gradients of training-mode batch norm given the saved batch mean and 1/sqrt(var + eps). */
    BatchNormGrads batchNormBackward(Tensor x, Tensor gamma, Tensor mean, Tensor invStd, Tensor gradOut);

    // ---- elementwise ----
    Tensor relu(Tensor x);

    /** gradOut where the relu output y is positive, else 0. */
    Tensor reluBackward(Tensor y, Tensor gradOut);

    Tensor add(Tensor a, Tensor b);

    /** a += b, elementwise. */
    void addInPlace(Tensor a, Tensor b);

    Tensor mul(Tensor a, Tensor b);

    Tensor scale(Tensor x, float factor);

    // ---- pointwise family (issue 17): activations, broadcasting arithmetic, softmax; checks in PointwiseChecks ----
    // Defaults refuse, so that a backend without them still compiles and says what it lacks.

    /** {@code kind}(x) elementwise with its parameters a, b (see {@link Unary}: what each kind reads, gradients at kinks). */
    default Tensor unary(Unary kind, Tensor x, float a, float b) { throw new UnsupportedOperationException("backend " + name() + " has no unary op"); }

    /** dL/dx of {@link #unary} from its input x, its output y and dL/dy (sigmoid and tanh read y, the others x). */
    default Tensor unaryBackward(Unary kind, Tensor x, Tensor y, Tensor gradOut, float a, float b) {
        throw new UnsupportedOperationException("backend " + name() + " has no unary op");
    }

    /** a {@code kind} b elementwise with numpy broadcasting over the whole tensors ({@link BroadcastGeometry}). */
    default Tensor binary(Binary kind, Tensor a, Tensor b) { throw new UnsupportedOperationException("backend " + name() + " has no binary op"); }

    /**
     * dL/d(operand 0 = a, 1 = b) of {@link #binary} given dL/dout: the terms of {@link Binary}, summed over the dims
     * along which that operand was stretched, so the result has the operand's shape.
     */
    default Tensor binaryBackward(Binary kind, int operand, Tensor a, Tensor b, Tensor gradOut) {
        throw new UnsupportedOperationException("backend " + name() + " has no binary op");
    }

    /** Softmax over dim {@code axis} of x (exp(x - max) / sum in double, rounded once). */
    default Tensor softmax(Tensor x, int axis) { throw new UnsupportedOperationException("backend " + name() + " has no softmax op"); }

    /** dL/dx of {@link #softmax} from its output y: y (g - sum(g y)) along the axis, in double. */
    default Tensor softmaxBackward(Tensor y, Tensor gradOut, int axis) {
        throw new UnsupportedOperationException("backend " + name() + " has no softmax op");
    }

    // ---- loss ----
    /** Mean softmax cross-entropy over the batch and its gradient w.r.t. the logits [N, K]. */
    LossResult softmaxCrossEntropy(Tensor logits, int[] labels);

    // ---- optimiser updates (in place on param and state) ----
    /**
     * SGD as PyTorch's: g = grad + wd*p; v = momentum*v + g; p -= lr * (nesterov ? g + momentum*v : v).
     * {@code velocity} is null when momentum is 0.
     */
    void sgdUpdate(Tensor param, Tensor grad, Tensor velocity, float lr, float momentum, float weightDecay, boolean nesterov);

    /**
     * Adam/AdamW as PyTorch's, step counted from 1. decoupled=true is AdamW (p -= lr*wd*p before the
     * Adam step); false adds wd*p to the gradient (L2, Adam).
     */
    void adamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, int step, float lr, float beta1, float beta2,
                    float eps, float weightDecay, boolean decoupled);

    /**
     * {@link #sgdUpdate} of every parameter i ({@code velocities} null, or null entries, when momentum is 0) in one
     * call: a backend may run it as one pass split over its threads by total size (the CPU's), where a call per
     * parameter forks once per parameter. The result is that of one {@code sgdUpdate} per parameter, bit for bit.
     */
    default void sgdUpdateAll(java.util.List<Tensor> params, java.util.List<Tensor> grads, java.util.List<Tensor> velocities, float lr,
                              float momentum, float weightDecay, boolean nesterov) {
        if (velocities == null) ArgChecks.sameCount("sgdUpdateAll", params, grads);
        else ArgChecks.sameCount("sgdUpdateAll", params, grads, velocities);
        for (int i = 0; i < params.size(); i++) {
            sgdUpdate(params.get(i), grads.get(i), velocities == null ? null : velocities.get(i), lr, momentum, weightDecay, nesterov);
        }
    }

    /** {@link #adamUpdate} of every parameter i in one call, as {@link #sgdUpdateAll}; bit for bit one call per parameter. */
    default void adamUpdateAll(java.util.List<Tensor> params, java.util.List<Tensor> grads, java.util.List<Tensor> ms, java.util.List<Tensor> vs,
                               int step, float lr, float beta1, float beta2, float eps, float weightDecay, boolean decoupled) {
        ArgChecks.sameCount("adamUpdateAll", params, grads, ms, vs);
        for (int i = 0; i < params.size(); i++) {
            adamUpdate(params.get(i), grads.get(i), ms.get(i), vs.get(i), step, lr, beta1, beta2, eps, weightDecay, decoupled);
        }
    }

    // ---- shapes family (issue 17): concatenation and its split, mean over dims (ConcatGeometry, ReduceGeometry) ----
    /** The tensors joined along dimension {@code axis}; every other dimension must agree (ONNX Concat). */
    Tensor concat(java.util.List<Tensor> parts, int axis);

    /** {@code x} cut along dimension {@code axis} into consecutive pieces of {@code sizes} (concat's backward). */
    java.util.List<Tensor> split(Tensor x, int axis, int[] sizes);

    /** Mean over dimensions [first, first + count), each kept with size 1 (ONNX ReduceMean with keepdims). */
    Tensor reduceMean(Tensor x, int first, int count);

    /** Gradient of {@link #reduceMean}: each input position gets its output's gradient divided by the values averaged. */
    Tensor reduceMeanBackward(Shape inputShape, Tensor gradOut, int first, int count);

    // ---- sparse weights (pruned models in inference; graph.SparseInference decides when) ----
    /** The sparse kernels this backend runs (e.g. "native-avx512"), or null when it has none. */
    default String sparseKernels() { return null; }

    /**
     * Fraction of zeros in a weight from which this backend's sparse op of {@code kind} is faster than
     * its dense one (measured per backend, see docs/pruning.md); above 1 when sparse never pays off.
     */
    default double sparseBreakEven(SparseWeight.Kind kind) { return Double.POSITIVE_INFINITY; }

    /** {@code w} (entries of a dense weight of {@code shape}, [O, C, kH, kW] or [O, F]) prepared for the sparse ops. */
    default SparseWeight prepareSparse(CsrWeights w, Shape shape) {
        throw new UnsupportedOperationException("backend " + name() + " has no sparse kernels");
    }

    /**
     * conv2d with a prepared sparse weight; same result as the dense op up to summation order (bias added first).
     * Only {@link Conv2dSpec#plain()} specs (one group, no dilation, symmetric padding).
     */
    default Tensor conv2dSparse(Tensor x, SparseWeight w, Tensor bias, Conv2dSpec spec) {
        throw new UnsupportedOperationException("backend " + name() + " has no sparse kernels");
    }

    /** x[N, F] W^T (+ bias) with a prepared sparse weight [O, F]: Linear's forward, bias added first. */
    default Tensor linearSparse(Tensor x, SparseWeight w, Tensor bias) {
        throw new UnsupportedOperationException("backend " + name() + " has no sparse kernels");
    }

    // ---- int8 (issue 21): quantized tensors (QTensor: I8 codes + QParams, rank 4 channels-last) and the ops the
    // int8 graph runs. Bit for bit the int8 engine's arithmetic (GemmS8Epilogue; dequantise, one float op, requantise
    // with QuantArithmetic.quantizeS8's rounding). Defaults refuse, naming the backend; the host backends run them in
    // backend.ref.HostInt8Ops / HostCodeOps over their Int8Kernels. Ops on codes take per-tensor activations.

    /** The int8 kernels this backend's int8 ops run on ("native-avx512vnni", "java"), or null when it has no int8 ops. */
    default String int8Kernels() { return null; }

    /** This backend with its int8 ops on {@code kernels} (what --int8-kernels picks); float ops unchanged. */
    default Backend withInt8Kernels(Int8Kernels kernels) { throw noInt8("withInt8Kernels"); }

    /** How many int8 calls may run at once (as {@link #parallelCalls()}, for calls that use only the int8 ops). */
    default int int8ParallelCalls() { return parallelCalls(); }

    /** Bytes of int8 activations one pass of an int8 model should hold at most ({@link Int8Kernels#passBytes}; 0: the whole batch). */
    default long int8PassBytes() { return 0; }

    /** Images [0, n) through {@code pass} in passes of at most {@code maxImages}, side by side where the int8 kernels have threads ({@link Int8Kernels#forPasses}); default: in turn. */
    default void int8ForPasses(int n, int maxImages, Int8Kernels.Pass pass) { Int8Kernels.passesInTurn(n, maxImages, pass); }

    /** Float x to int8 codes: {@code clamp(rint(x / scale) + zp, -128, 127)} (float division, half to even), per tensor or per channel. */
    default QTensor quantize(Tensor x, QParams q) { throw noInt8("quantize"); }

    /** {@link #quantize(Tensor, QParams)} of host values (a batch's input: one copy to the backend, no float tensor kept). */
    default QTensor quantize(float[] values, Shape shape, QParams q) {
        try (Tensor t = fromFloats(values, shape)) {
            return quantize(t, q);
        }
    }

    /** The codes' values {@code (q - zp) * scale} as a float tensor (NCHW). */
    default Tensor dequantize(QTensor x) { throw noInt8("dequantize"); }

    /** The codes requantised to per-tensor {@code q} (a copy when the parameters agree). */
    default QTensor requantize(QTensor x, QParams q) { throw noInt8("requantize"); }

    /**
     * Symmetric int8 weight codes (OIHW conv or [out, in] Linear) with one scale per output channel, prepared for
     * {@link #qconv2d}/{@link #qlinear} (packed for the kernels); {@code groups} 1, or the input channels (depthwise).
     */
    default QWeight prepareQWeight(byte[] codes, Shape shape, float[] scales, int groups) { throw noInt8("prepareQWeight"); }

    /**
     * int8 conv (one group, undilated, symmetric padding; or depthwise, any stride/dilation/padding): int32 sums of
     * {@code (x - zpX) * w}, then the GEMM epilogue {@code (float) acc * scaleX * scaleW[o] + bias[o]} (bias may be
     * null), ReLU if {@code relu}, requantised to {@code out}. Output [N, O, oh, ow] codes.
     */
    default QTensor qconv2d(QTensor x, QWeight w, float[] bias, Conv2dSpec spec, boolean relu, QParams out) { throw noInt8("qconv2d"); }

    /** {@link #qconv2d} with float output (NCHW), for a last layer (plain convs). */
    default Tensor qconv2dFloat(QTensor x, QWeight w, float[] bias, Conv2dSpec spec, boolean relu) { throw noInt8("qconv2dFloat"); }

    /** int8 Linear x [N, F] times W^T [F, O], epilogue as {@link #qconv2d}. */
    default QTensor qlinear(QTensor x, QWeight w, float[] bias, boolean relu, QParams out) { throw noInt8("qlinear"); }

    /** {@link #qlinear} with float output [N, O] (the logits). */
    default Tensor qlinearFloat(QTensor x, QWeight w, float[] bias, boolean relu) { throw noInt8("qlinearFloat"); }

    /** Max-pool on codes, any {@link Pool2dSpec} form; the output keeps x's parameters (quantisation is monotone). */
    default QTensor qmaxPool2d(QTensor x, Pool2dSpec spec) { throw noInt8("qmaxPool2d"); }

    /**
     * {@link #qconv2d} then {@link #qmaxPool2d} of its codes (a conv, ReLU, max-pool chain), bit-identical to the two;
     * backends may fuse them (the host backends pool in the conv's epilogue where the pool's windows tile the output).
     */
    default QTensor qconv2dMaxPool(QTensor x, QWeight w, float[] bias, Conv2dSpec spec, boolean relu, QParams out, Pool2dSpec pool) {
        try (QTensor y = qconv2d(x, w, bias, spec, relu, out)) {
            return qmaxPool2d(y, pool);
        }
    }

    /** Global average pool [N, C, H, W] to [N, C, 1, 1]: int32 sums of {@code q - zp}, mean in double rounded once, requantised. */
    default QTensor qglobalAvgPool(QTensor x, QParams out) { throw noInt8("qglobalAvgPool"); }

    /** {@code kind}(x) with parameters a, b as {@link #unary} (ReLU: CLIP(0, +inf); ReLU6: CLIP(0, 6)), requantised to {@code out}. */
    default QTensor qunary(Unary kind, QTensor x, float a, float b, QParams out) { throw noInt8("qunary"); }

    /** {@code a kind b} (residual add, gate multiply) with numpy broadcasting, per element in float, requantised to {@code out}. */
    default QTensor qbinary(Binary kind, QTensor a, QTensor b, QParams out) { throw noInt8("qbinary"); }

    /** {@code x kind c} (or {@code c kind x}) with a float constant aligned from the right, requantised to {@code out}. */
    default QTensor qbinaryConstant(Binary kind, QTensor x, float[] constant, Shape constShape, boolean constantFirst, QParams out) {
        throw noInt8("qbinaryConstant");
    }

    /** The tensors joined along dimension {@code axis} (a per-sample one), each requantised to {@code out}. */
    default QTensor qconcat(java.util.List<QTensor> parts, int axis, QParams out) { throw noInt8("qconcat"); }

    /** The codes under a new shape in NCHW order (flatten, reshape), requantised to {@code out} (null: x's parameters). */
    default QTensor qreshape(QTensor x, Shape shape, QParams out) { throw noInt8("qreshape"); }

    private UnsupportedOperationException noInt8(String op) {
        return new UnsupportedOperationException("backend " + name() + " has no int8 op " + op);
    }

    // ---- fake quantisation (issue 21): QAT's and calibration's int8 rounding in float; checks in FakeQuantChecks ----
    /**
     * PyTorch's {@code fake_quantize_per_tensor_affine} / {@code _per_channel_affine}: q = clamp(rint(x / scale) + zp,
     * qmin, qmax) (float division, round half to even; NaN clamps to qmin, as fminf/fmaxf do) and out = (q - zp) * scale,
     * with the mask of where rint(x / scale) + zp lay inside [qmin, qmax] for {@link #fakeQuantizeBackward}. Bit for bit
     * the reference's ({@code QuantArithmetic.fakeQuantizeS8}) on every backend.
     */
    default FakeQuantResult fakeQuantize(Tensor x, QParams spec) {
        throw new UnsupportedOperationException("backend " + name() + " has no fake-quantisation op");
    }

    /** The straight-through estimator: gradOut where the forward's mask is 1, +0 where it clamped (a select: NaN stays inside). */
    default Tensor fakeQuantizeBackward(Tensor gradOut, FakeQuantMask inRange) {
        throw new UnsupportedOperationException("backend " + name() + " has no fake-quantisation op");
    }

    /**
     * {min, max} of x's values as a scan in index order finds them (a zero at an extreme keeps the sign of the first such
     * zero), in one pass where the backend has one, for QAT's per-tensor observers (issue 23); null when x holds a NaN or
     * an infinity, or the backend has no such pass: the caller then reads the values itself.
     */
    default float[] finiteMinMax(Tensor x) { return null; }

    /**
     * How many predictor calls on this backend may run at once from different threads (each on its own
     * tensors; weights are only read). 1, the safe default, makes calls take turns (a backend whose ops
     * must not overlap); a CPU backend says its core count, as more CPU-bound calls than cores only add
     * memory and contention.
     */
    default int parallelCalls() { return 1; }

    /**
     * Bounded work on the calling thread (one inference call) whose tensors are all closed before the scope is
     * (house rule 2): a backend may then skip its per-tensor leak backstop and free whatever is still open when
     * the scope closes; a tensor that escapes it must not be used afterwards. Close on the same thread, innermost
     * first. The default does nothing (the backend's ordinary ownership applies).
     */
    interface Scope extends AutoCloseable {
        @Override void close();
    }

    default Scope scope() { return () -> {}; }

    /** Releases anything the backend holds (pools, contexts). */
    @Override default void close() {}
}
