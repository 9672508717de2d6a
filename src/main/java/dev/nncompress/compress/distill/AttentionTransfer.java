package dev.nncompress.compress.distill;

import dev.nncompress.backend.Backend;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import dev.nncompress.train.Check;

/**
 * Attention transfer (Zagoruyko and Komodakis 2017), their reference code's form: the attention map of a feature
 * F [N, C, H, W] is {@code a = normalize(mean_c F^2)} per sample (L2 over the H*W positions); the loss is
 * {@code weight * mean((a_s - a_t)^2)} over N*H*W. Channel counts may differ (no adapter); spatial sizes must agree.
 * The maps are computed on the host in double: the Backend op set has no per-sample norm, and this second option
 * is for comparison rather than speed (the hint loss stays on the backend). The teacher's side is a map of H*W
 * floats per sample (stored as float), so it can be cached for a whole dataset ({@link CachedTeacherFeatures}).
 */
public final class AttentionTransfer implements FeatureLoss {
    private final String studentNode;
    private final String teacherNode;
    private final double weight;

    public AttentionTransfer(String studentNode, String teacherNode, double weight) {
        Check.positive("attention weight", weight);
        this.studentNode = studentNode;
        this.teacherNode = teacherNode;
        this.weight = weight;
    }

    @Override public String studentNode() { return studentNode; }

    @Override public String teacherNode() { return teacherNode; }

    @Override
    public void checkShapes(Shape student, Shape teacher) {
        if (student.rank() != 3 || teacher.rank() != 3 || student.dim(1) != teacher.dim(1) || student.dim(2) != teacher.dim(2)) {
            throw new IllegalArgumentException("attention " + studentNode + " -> " + teacherNode + ": needs feature maps [C, H, W] of the same H x W, got student "
                    + student + " and teacher " + teacher);
        }
    }

    @Override public boolean cacheable() { return true; }

    @Override public int teacherTargetWidth(Shape teacherFeature) { return teacherFeature.dim(1) * teacherFeature.dim(2); }

    /** The teacher's normalised attention maps, H*W floats per sample. */
    @Override
    public float[] teacherTargets(Tensor teacher) {
        Shape st = teacher.shape();
        int n = st.dim(0);
        int hw = st.dim(2) * st.dim(3);
        double[] q = new double[n * hw];
        attention(teacher.toFloatArray(), n, st.dim(1), hw, q);
        float[] out = new float[q.length];
        for (int i = 0; i < q.length; i++) out[i] = (float) q[i];
        return out;
    }

    @Override
    public Result compute(Backend backend, Tensor student, Tensor teacher) {
        return computeFromTargets(backend, student, teacherTargets(teacher));
    }

    @Override
    public Result computeFromTargets(Backend backend, Tensor student, float[] qt) {
        Shape ss = student.shape();
        int n = ss.dim(0);
        int cs = ss.dim(1);
        int hw = ss.dim(2) * ss.dim(3);
        if (qt.length != n * hw) {
            throw new IllegalArgumentException("attention " + studentNode + " -> " + teacherNode + ": " + qt.length + " teacher map values for "
                    + n + " samples of " + hw + " positions");
        }
        float[] fs = student.toFloatArray();
        double[] qs = new double[n * hw];
        double[] normS = attention(fs, n, cs, hw, qs);
        double loss = 0;
        double scale = weight / ((double) n * hw);
        float[] grad = new float[fs.length];
        double[] dq = new double[hw];
        for (int i = 0; i < n; i++) {
            double dot = 0; // q_s . dL/dq_s, for the gradient through the normalisation
            for (int p = 0; p < hw; p++) {
                double d = qs[i * hw + p] - qt[i * hw + p];
                loss += d * d;
                dq[p] = 2 * scale * d;
                dot += qs[i * hw + p] * dq[p];
            }
            for (int p = 0; p < hw; p++) {
                // dL/dQ = (dq - q (q . dq)) / |Q|, Q = mean_c F^2, dQ/dF = 2F/C
                double dQ = normS[i] == 0 ? 0 : (dq[p] - qs[i * hw + p] * dot) / normS[i];
                for (int c = 0; c < cs; c++) {
                    int at = (i * cs + c) * hw + p;
                    grad[at] = (float) (dQ * 2 * fs[at] / cs);
                }
            }
        }
        return new Result((float) (scale * loss), backend.fromFloats(grad, ss));
    }

    /** Writes normalize(mean_c f^2) per sample into {@code q}; returns each sample's norm before normalising. */
    private static double[] attention(float[] f, int n, int c, int hw, double[] q) {
        double[] norms = new double[n];
        for (int i = 0; i < n; i++) {
            double sq = 0;
            for (int p = 0; p < hw; p++) {
                double s = 0;
                for (int ch = 0; ch < c; ch++) {
                    double v = f[(i * c + ch) * hw + p];
                    s += v * v;
                }
                q[i * hw + p] = s / c;
                sq += (s / c) * (s / c);
            }
            double norm = Math.sqrt(sq);
            norms[i] = norm;
            // F.normalize's eps: an all-zero map stays zero instead of dividing by 0
            for (int p = 0; p < hw; p++) q[i * hw + p] /= Math.max(norm, 1e-12);
        }
        return norms;
    }
}
