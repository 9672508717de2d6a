package dev.nncompress.backend;

/**
 * The elementwise arithmetic of {@link Backend#binary}, with numpy/ONNX broadcasting
 * ({@link BroadcastGeometry}). Forward is one float operation per element (bit-identical on every
 * backend). The gradient of an operand is the per-element term below, computed in double, summed in
 * double over the dimensions along which the operand was broadcast, and rounded once:
 * ADD g, g; SUB g, -g; MUL g b, g a; DIV g / b, -g a / (b b) (PyTorch's formulas).
 *
 * <p>{@link #code()} is the number the CUDA kernels switch on ({@code NNC_BC_*} in cuda-kernels/broadcast.cu).
 */
public enum Binary {
    ADD(0), SUB(1), MUL(2), DIV(3);

    private final int code;

    Binary(int code) { this.code = code; }

    /** The kind number of the CUDA kernels (cuda-kernels/broadcast.cu). */
    public int code() { return code; }
}
