package dev.nncompress.quant;

/**
 * How a tensor is quantised: integer type, symmetric (zero point fixed at {@link QDType#symmetricZeroPoint()})
 * or affine (zero point chosen so that the observed minimum maps to qmin), and per tensor
 * ({@code axis == PER_TENSOR}) or per channel along {@code axis} (e.g. axis 0 of an OIHW or [out, in]
 * weight). The four combinations are torch's per_tensor/per_channel x symmetric/affine qschemes.
 */
public record QScheme(QDType dtype, boolean symmetric, int axis) {
    public static final int PER_TENSOR = -1;

    public QScheme {
        if (dtype == null) throw new IllegalArgumentException("QScheme: dtype must not be null");
        if (axis < PER_TENSOR) throw new IllegalArgumentException("QScheme: axis must be >= 0 or PER_TENSOR (-1), got " + axis);
    }

    public static QScheme perTensorSymmetric(QDType dtype) { return new QScheme(dtype, true, PER_TENSOR); }

    public static QScheme perTensorAffine(QDType dtype) { return new QScheme(dtype, false, PER_TENSOR); }

    public static QScheme perChannelSymmetric(QDType dtype, int axis) { return checkedAxis(new QScheme(dtype, true, axis)); }

    public static QScheme perChannelAffine(QDType dtype, int axis) { return checkedAxis(new QScheme(dtype, false, axis)); }

    public boolean perChannel() { return axis != PER_TENSOR; }

    private static QScheme checkedAxis(QScheme s) {
        if (!s.perChannel()) throw new IllegalArgumentException("QScheme: a per-channel scheme needs an axis >= 0, got " + s.axis);
        return s;
    }

    @Override public String toString() {
        return (perChannel() ? "per_channel(axis=" + axis + ")" : "per_tensor") + "_" + (symmetric ? "symmetric" : "affine")
                + "_" + dtype.name().toLowerCase();
    }
}
