package dev.nncompress.backend.cuda;

import java.util.List;

/**
 * Which libraries do the CUDA backend's float GEMM and convolution, decided once per process and said
 * once on stderr, e.g. {@code cuda: BLAS cuBLAS 13.1.0, DNN cuDNN 9.19.0}, or with the reason each
 * library before the chosen one was refused: {@code cuda: BLAS own gemm_f32 (cuBLAS 13 unavailable:
 * libcublas.so.13 not found; JCublas 12.6.0 unavailable: libcublas.so.12 not found), ...}.
 * Order: BLAS cuBLAS 13 (bytedeco) -> JCublas (cuBLAS 12) -> our gemm_f32; DNN cuDNN 9 (bytedeco) ->
 * JCudnn (cuDNN 8, {@code -Pjcuda11} builds only) -> our im2col route, which uses whichever
 * {@link Blas} was chosen. {@code -Dnncompress.cuda.blas=auto|cublas|jcublas|own} and
 * {@code -Dnncompress.cuda.dnn=auto|cudnn|jcudnn|own} override (see {@link LibraryChoice}). The
 * vendor handles are process-wide (one context, one stream); each {@link CudaBackend} gets its own
 * {@link Dnn} because workspaces come from its pool.
 */
public final class VendorStack {
    static final String BLAS_PROPERTY = "nncompress.cuda.blas";
    static final String DNN_PROPERTY = "nncompress.cuda.dnn";

    private static VendorStack instance;
    private static boolean logged;

    private final Blas vendorBlas;       // null: our gemm_f32
    private final DnnLibrary vendorDnn;  // null: our im2col route
    private final String blasSummary;
    private final String dnnSummary;

    private VendorStack(LibraryChoice.Choice<Blas> blas, LibraryChoice.Choice<DnnLibrary> dnn) {
        this.vendorBlas = blas.vendor();
        this.vendorDnn = dnn.vendor();
        this.blasSummary = blas.summary();
        this.dnnSummary = dnn.summary();
    }

    /** The BLAS candidates, preferred first. */
    static List<LibraryChoice.Candidate<Blas>> blasCandidates(CudaDriver driver) {
        return List.of(
                new LibraryChoice.Candidate<>("cublas", "cuBLAS 13", () -> BytedecoCuda.load(CublasBlas.PRESET),
                        () -> new CublasBlas(driver), Blas::name),
                new LibraryChoice.Candidate<>("jcublas", JcublasBlas.label(), JcublasBlas::loadFailure,
                        () -> new JcublasBlas(driver), Blas::name));
    }

    /** The DNN candidates, preferred first. */
    static List<LibraryChoice.Candidate<DnnLibrary>> dnnCandidates(CudaDriver driver) {
        return List.of(
                new LibraryChoice.Candidate<>("cudnn", "cuDNN 9", () -> BytedecoCuda.load(CudnnHandle.PRESET),
                        () -> new CudnnHandle(driver), DnnLibrary::name),
                new LibraryChoice.Candidate<>("jcudnn", "JCudnn", JcudnnRoute::loadFailure,
                        () -> JcudnnRoute.open(driver), DnnLibrary::name));
    }

    static String mode(String property, List<? extends LibraryChoice.Candidate<?>> candidates) {
        return LibraryChoice.parse(property, System.getProperty(property), candidates.stream().map(LibraryChoice.Candidate::word).toList());
    }

    /** The process's choice, made on the first call and logged on the first call that says {@code log}. */
    public static synchronized VendorStack get(CudaDriver driver, boolean log) {
        if (instance == null) {
            var blasCandidates = blasCandidates(driver);
            var dnnCandidates = dnnCandidates(driver);
            var blas = LibraryChoice.pick(BLAS_PROPERTY, mode(BLAS_PROPERTY, blasCandidates), "own gemm_f32", blasCandidates);
            String ownConv = "own im2col + " + (blas.vendor() != null ? blas.vendor().name() : "own gemm_f32");
            var dnn = LibraryChoice.pick(DNN_PROPERTY, mode(DNN_PROPERTY, dnnCandidates), ownConv, dnnCandidates);
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

    /** The chosen vendor BLAS; null: our gemm_f32. */
    public Blas vendorBlas() { return vendorBlas; }

    /** The chosen vendor DNN library (which opens a {@link Dnn} per backend around our parts); null: ours. */
    DnnLibrary vendorDnn() { return vendorDnn; }
}
