package dev.nncompress.backend.cuda;

/**
 * Which libraries do the CUDA backend's float GEMM and convolution, decided once per process and said
 * once on stderr, e.g. {@code cuda: BLAS cuBLAS 13.1.0, DNN cuDNN 9.19.0}, or with the reason our
 * kernels run: {@code cuda: BLAS own gemm_f32 (cuBLAS unavailable: libcublas.so.13 not found), ...}.
 * {@code -Dnncompress.cuda.blas=auto|cublas|own} and {@code -Dnncompress.cuda.dnn=auto|cudnn|own}
 * override (see {@link LibraryChoice}). The vendor handles are process-wide (one context, one
 * stream); each {@link CudaBackend} gets its own {@link Dnn} because workspaces come from its pool.
 * cuDNN's convolution falls back to our im2col route, which uses whichever {@link Blas} was chosen.
 */
final class VendorStack {
    static final String BLAS_PROPERTY = "nncompress.cuda.blas";
    static final String DNN_PROPERTY = "nncompress.cuda.dnn";

    private static VendorStack instance;
    private static boolean logged;

    private final CublasBlas cublas;       // null: our gemm_f32
    private final CudnnHandle cudnn;       // null: our im2col route
    private final String blasSummary;
    private final String dnnSummary;

    private VendorStack(LibraryChoice.Choice<CublasBlas> blas, LibraryChoice.Choice<CudnnHandle> dnn) {
        this.cublas = blas.vendor();
        this.cudnn = dnn.vendor();
        this.blasSummary = blas.summary();
        this.dnnSummary = dnn.summary();
    }

    /** The process's choice, made on the first call and logged on the first call that says {@code log}. */
    static synchronized VendorStack get(CudaDriver driver, boolean log) {
        if (instance == null) {
            LibraryChoice.Mode blasMode = LibraryChoice.parse(BLAS_PROPERTY, System.getProperty(BLAS_PROPERTY), "cublas");
            LibraryChoice.Mode dnnMode = LibraryChoice.parse(DNN_PROPERTY, System.getProperty(DNN_PROPERTY), "cudnn");
            var blas = LibraryChoice.pick(BLAS_PROPERTY, blasMode, "cuBLAS", "own gemm_f32",
                    () -> BytedecoCuda.load(CublasBlas.PRESET), () -> new CublasBlas(driver), CublasBlas::name);
            String ownConv = "own im2col + " + (blas.vendor() != null ? blas.vendor().name() : "own gemm_f32");
            var dnn = LibraryChoice.pick(DNN_PROPERTY, dnnMode, "cuDNN", ownConv, () -> BytedecoCuda.load(CudnnHandle.PRESET),
                    () -> new CudnnHandle(driver), h -> h.name);
            instance = new VendorStack(blas, dnn);
        }
        if (log && !logged) {
            logged = true;
            System.err.println(instance.summary());
        }
        return instance;
    }

    /** "cuda: BLAS ..., DNN ..." as logged. */
    String summary() { return "cuda: " + libraries(); }

    /** "BLAS ..., DNN ...". */
    String libraries() { return "BLAS " + blasSummary + ", DNN " + dnnSummary; }

    /** cuBLAS when chosen, else our kernel through {@code ops}. */
    Blas blas(CudaOps ops) { return cublas != null ? cublas : new OwnBlas(ops); }

    /** cuDNN (falling back to {@code own} per geometry) when chosen, else {@code own}. */
    Dnn dnn(CudaConv own, DeviceMemoryPool memory) { return cudnn != null ? new CudnnConv(cudnn, memory, own) : own; }
}
