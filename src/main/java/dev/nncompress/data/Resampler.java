package dev.nncompress.data;

/**
 * Resizes one 8-bit plane so that it covers {@code outH x outW} and crops the centre: torchvision's {@code
 * Resize(S)} + {@code CenterCrop(S)} on a PIL image for a square target. The image is scaled so that the side that
 * fits first reaches the target and the other keeps the aspect ratio (its length truncated, as torchvision
 * computes it), the crop offset is {@code round((resized - target) / 2)} with Python's half-to-even rounding, and
 * the filter is Pillow's antialiased bilinear ({@code Image.resize(..., BILINEAR)}: a triangle whose support widens
 * with the reduction, weights normalised per output pixel, separable, horizontal then vertical). Pillow rounds
 * between the passes in fixed point; this keeps the intermediate in float, so a value may differ from Pillow's by 1.
 *
 * <p>Only the cropped window is computed: an output pixel's weights depend on its position in the resized image
 * alone, so resizing all of it and cropping afterwards gives the same values.
 */
final class Resampler {
    private Resampler() {}

    /** {@code src} is {@code h x w} row-major; returns {@code outH x outW}. */
    static byte[] coverAndCrop(byte[] src, int h, int w, int outH, int outW) {
        int rh;
        int rw;
        if ((long) w * outH >= (long) h * outW) { // relatively wider than the target: the height fits
            rh = outH;
            rw = (int) Math.max(outW, (long) outH * w / h);
        } else {
            rw = outW;
            rh = (int) Math.max(outH, (long) outW * h / w);
        }
        int top = (int) Math.rint((rh - outH) / 2.0);
        int left = (int) Math.rint((rw - outW) / 2.0);
        Weights cx = Weights.of(w, rw, left, outW);
        Weights cy = Weights.of(h, rh, top, outH);
        // only the source rows the window's vertical weights read, resampled horizontally to its columns
        int first = cy.start[0];
        int last = first;
        for (int y = 0; y < outH; y++) last = Math.max(last, cy.start[y] + cy.k[y].length);
        float[] rows = new float[(last - first) * outW];
        for (int y = first; y < last; y++) {
            for (int x = 0; x < outW; x++) {
                double v = 0;
                int start = cx.start[x];
                double[] k = cx.k[x];
                for (int i = 0; i < k.length; i++) v += k[i] * (src[y * w + start + i] & 0xff);
                rows[(y - first) * outW + x] = (float) v;
            }
        }
        byte[] out = new byte[outH * outW];
        for (int y = 0; y < outH; y++) {
            int start = cy.start[y] - first;
            double[] k = cy.k[y];
            for (int x = 0; x < outW; x++) {
                double v = 0;
                for (int i = 0; i < k.length; i++) v += k[i] * rows[(start + i) * outW + x];
                out[y * outW + x] = (byte) Math.min(255, Math.max(0, (int) Math.floor(v + 0.5)));
            }
        }
        return out;
    }

    /** Pillow's {@code precompute_coeffs} for the bilinear filter, for outputs {@code offset .. offset + count - 1} of {@code outSize}. */
    private record Weights(int[] start, double[][] k) {
        static Weights of(int inSize, int outSize, int offset, int count) {
            double scale = (double) inSize / outSize;
            double filterScale = Math.max(scale, 1);
            double support = filterScale; // the triangle's support is 1 before widening
            int[] start = new int[count];
            double[][] k = new double[count][];
            for (int j = 0; j < count; j++) {
                double center = (offset + j + 0.5) * scale;
                int min = Math.max(0, (int) (center - support + 0.5));
                int max = Math.min(inSize, (int) (center + support + 0.5)) - min;
                double[] w = new double[Math.max(0, max)];
                double sum = 0;
                for (int i = 0; i < w.length; i++) {
                    double t = Math.abs((i + min - center + 0.5) / filterScale);
                    w[i] = t < 1 ? 1 - t : 0;
                    sum += w[i];
                }
                if (sum != 0) for (int i = 0; i < w.length; i++) w[i] /= sum;
                start[j] = min;
                k[j] = w;
            }
            return new Weights(start, k);
        }
    }
}
