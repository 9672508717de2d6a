package dev.nncompress.backend.cuda;

import jcuda.Pointer;
import java.util.List;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;

import static jcuda.driver.JCudaDriver.cuFuncSetAttribute;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;

/**
 * One {@code extern "C"} kernel of our fatbin, launched on the driver's stream. Arguments are passed
 * in the kernel's parameter order as Java values whose types must match the C signature exactly:
 * {@link DeviceBuffer} or {@link CUdeviceptr} for a pointer, Integer for int, Long for long long,
 * Float for float, Double for double. Each launch is checked against the kernel's C parameter list
 * ({@link KernelSignatures}, parsed from the sources packed beside the fatbin): a wrong count or type
 * is an IllegalArgumentException naming the kernel and position, never a launch that reads garbage.
 * (Two parameters of the same type swapped are not caught: each kernel family has one Java class
 * that owns its launches and a GPU test against its CPU twin.)
 */
public final class Kernel {
    private final String name;
    private final CUfunction function;
    private final CudaDriver driver;
    private final List<KernelSignatures.ParamType> signature; // null when the sources were not packed
    private int dynamicSharedLimit = 48 * 1024;
    /** Launches so far, for tests that check which kernels an op or a training step ran. */
    private final java.util.concurrent.atomic.LongAdder launches = new java.util.concurrent.atomic.LongAdder();

    Kernel(String name, CUfunction function, CudaDriver driver, List<KernelSignatures.ParamType> signature) {
        this.name = name;
        this.function = function;
        this.driver = driver;
        this.signature = signature;
    }

    public String name() { return name; }

    /** How many times this kernel was launched in this process (instrumentation for tests). */
    public long launches() { return launches.sum(); }

    /** Launches asynchronously on the driver's stream; {@code grid}/{@code block} are x, y, z sizes. */
    public void launch(Dim3 grid, Dim3 block, int sharedBytes, Object... args) {
        if (signature != null) {
            String wrong = KernelSignatures.mismatch(name, signature, args);
            if (wrong != null) throw new IllegalArgumentException(wrong);
        }
        if (sharedBytes > dynamicSharedLimit) {
            // opting in above 48 KiB of dynamic shared memory is per kernel, once
            cuFuncSetAttribute(function, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, sharedBytes);
            dynamicSharedLimit = sharedBytes;
        }
        Pointer[] params = new Pointer[args.length];
        for (int i = 0; i < args.length; i++) params[i] = parameter(args[i], i);
        driver.makeCurrent();
        cuLaunchKernel(function, grid.x(), grid.y(), grid.z(), block.x(), block.y(), block.z(), sharedBytes,
                driver.stream(), Pointer.to(params), null);
        launches.increment();
    }

    /** A 1-D launch covering {@code n} elements with {@code block} threads each (grid-stride kernels cap the grid). */
    public void launch1d(long n, int block, Object... args) {
        long blocks = Math.max(1, Math.min((n + block - 1) / block, 65_535L * 8));
        launch(new Dim3((int) blocks, 1, 1), new Dim3(block, 1, 1), 0, args);
    }

    private Pointer parameter(Object arg, int index) {
        if (arg instanceof DeviceBuffer b) return Pointer.to(b.pointer());
        if (arg instanceof CUdeviceptr p) return Pointer.to(p);
        if (arg instanceof Integer v) return Pointer.to(new int[] {v});
        if (arg instanceof Long v) return Pointer.to(new long[] {v});
        if (arg instanceof Float v) return Pointer.to(new float[] {v});
        if (arg instanceof Double v) return Pointer.to(new double[] {v});
        throw new IllegalArgumentException(name + ": argument " + index + " has unsupported type "
                + (arg == null ? "null" : arg.getClass().getSimpleName()));
    }

    /** Grid or block extent. */
    public record Dim3(int x, int y, int z) {
        public Dim3 {
            if (x < 1 || y < 1 || z < 1) throw new IllegalArgumentException("launch extents must be >= 1, got " + x + "x" + y + "x" + z);
        }

        public static Dim3 of(int x) { return new Dim3(x, 1, 1); }

        public static Dim3 of(int x, int y) { return new Dim3(x, y, 1); }
    }
}
