package dev.nncompress.quant;

/**
 * The integer type a tensor is quantised to. Signed int8 is what our kernels compute with; uint8 is
 * offered for activations (PyTorch's default {@code quint8}) and is carried by the int8 arithmetic with
 * the zero point shifted by {@link #s8Offset()}: clamp(rint(x/s) + zp, 0, 255) - 128 equals
 * clamp(rint(x/s) + (zp - 128), -128, 127) for every x, NaN included, so both types share one arithmetic.
 */
public enum QDType {
    INT8(-128, 127, 0),
    UINT8(0, 255, 128);

    private final int qmin;
    private final int qmax;
    private final int symmetricZeroPoint;

    QDType(int qmin, int qmax, int symmetricZeroPoint) {
        this.qmin = qmin;
        this.qmax = qmax;
        this.symmetricZeroPoint = symmetricZeroPoint;
    }

    public int qmin() { return qmin; }

    public int qmax() { return qmax; }

    /** Number of representable levels minus one (255 for both): the divisor of an affine range. */
    public int steps() { return qmax - qmin; }

    /** Zero point of a symmetric scheme: 0 for int8, 128 for uint8, as torch.ao.quantization sets them. */
    public int symmetricZeroPoint() { return symmetricZeroPoint; }

    /** What to subtract from a code (and a zero point) of this type to get the int8 one: 0 or 128. */
    public int s8Offset() { return qmin - QuantArithmetic.QMIN; }
}
