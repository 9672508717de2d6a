package dev.nncompress.backend.ref;

import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.quant.QuantArithmetic;
import dev.nncompress.tensor.Shape;

/**
 * The int8 depthwise convolution (issue 17): groups = input channels C, weight [C * m, 1, kH, kW] (channel
 * multiplier m, output channel o reads input channel o / m), int8 codes per output channel (symmetric),
 * NHWC int8 input with a per-tensor zero point, int32 accumulation of {@code (x - zpX) * w} over the window
 * (taps in the padding add nothing: their real value is 0), then the int8 GEMM's epilogue step by step
 * ({@code GemmS8Epilogue}: {@code (float) acc * (scaleX * scaleW[o])}, {@code + bias[o]} (the caller's bias, which the int8 engine puts on the int32 grid), ReLU, requantised
 * as {@code QuantArithmetic.quantizeS8}), writing NHWC codes. Any stride, dilation and padding (asymmetric
 * included). In Java for now: a depthwise layer is under a tenth of MobileNetV2's multiply-adds, yet this
 * loop (0.3-1 GMAC/s here; JDK 17 does not vectorise the byte-reading multiply-add well) takes about half
 * of its int8 time, so a native kernel (checked like the other JNI kernels) is the next step.
 *
 * <p>General grouped convolutions (1 < groups < C) are not depthwise and stay float.
 */
public final class Int8Depthwise {
    private final int c, m, kh, kw;
    /** Weight codes [kH, kW, C * m]: each tap's output channels contiguous, as the NHWC loop reads them. */
    private final int[] taps;

    /** Whether a weight of {@code shape} with {@code groups} groups is depthwise: more than one group, one input channel each. */
    public static boolean accepts(Shape shape, int groups) { return groups > 1 && shape.rank() == 4 && shape.dim(1) == 1; }

    /** The int8 weight [C * m, 1, kH, kW] (OIHW codes) of a depthwise conv with {@code groups} = C. */
    Int8Depthwise(byte[] codes, Shape shape, int groups) {
        int o = shape.dim(0);
        this.c = groups;
        if (o % c != 0 || shape.dim(1) != 1) throw new IllegalArgumentException("int8 depthwise: weight " + shape + " for " + c + " groups");
        this.m = o / c;
        this.kh = shape.dim(2);
        this.kw = shape.dim(3);
        this.taps = new int[kh * kw * o];
        for (int oc = 0; oc < o; oc++) for (int t = 0; t < kh * kw; t++) taps[t * o + oc] = codes[oc * kh * kw + t];
    }

    /** Input channels (the groups) this weight was prepared for. */
    int channels() { return c; }

    /**
     * x: NHWC codes [n, h, w, C] with zero point {@code zpX}; y: NHWC codes [n, oh, ow, C * m] requantised
     * to {@code outScale}, {@code outZp}. {@code scales[o]}: scaleX * scaleW[o] ({@code GemmS8Epilogue.combinedScales});
     * {@code bias}: per output channel, or null.
     */
    void run(byte[] x, int n, int h, int w, int zpX, Conv2dSpec spec, int oh, int ow, float[] scales, float[] bias, boolean relu,
             float outScale, int outZp, byte[] y) {
        int o = c * m;
        // one unit of work per output row of one image: enough units to use the pool at batch 1
        Par.forImages(n * oh, row -> {
            int b = row / oh, oy = row % oh;
            int[] acc = new int[o];
            float[] v = new float[o];
            byte[] q = new byte[o];
            for (int ox = 0; ox < ow; ox++) {
                java.util.Arrays.fill(acc, 0);
                for (int ky = 0; ky < kh; ky++) {
                    int iy = oy * spec.strideH() - spec.padH() + ky * spec.dilationH();
                    if (iy < 0 || iy >= h) continue;
                    for (int kx = 0; kx < kw; kx++) {
                        int ix = ox * spec.strideW() - spec.padW() + kx * spec.dilationW();
                        if (ix < 0 || ix >= w) continue;
                        int base = ((b * h + iy) * w + ix) * c, t = (ky * kw + kx) * o;
                        if (m == 1) {
                            for (int ch = 0; ch < o; ch++) acc[ch] += (x[base + ch] - zpX) * taps[t + ch];
                        } else {
                            for (int oc = 0; oc < o; oc++) acc[oc] += (x[base + oc / m] - zpX) * taps[t + oc];
                        }
                    }
                }
                for (int oc = 0; oc < o; oc++) {
                    float f = (float) acc[oc] * scales[oc];
                    if (bias != null) f = f + bias[oc];
                    if (relu) f = f < 0f ? 0f : f;
                    v[oc] = f;
                }
                QuantArithmetic.quantizeS8Range(v, 0, o, outScale, outZp, q);
                System.arraycopy(q, 0, y, ((b * oh + oy) * ow + ox) * o, o);
            }
        });
    }
}
