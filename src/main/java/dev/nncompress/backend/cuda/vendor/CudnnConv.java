package dev.nncompress.backend.cuda.vendor;

import dev.nncompress.backend.ConvGeometry;
import dev.nncompress.backend.cuda.driver.DeviceBuffer;
import dev.nncompress.backend.cuda.driver.DeviceMemoryPool;
import dev.nncompress.backend.cuda.kernels.Dnn;
import org.bytedeco.cuda.cudnn.cudnnConvolutionBwdDataAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionBwdFilterAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionFwdAlgoPerf_t;
import org.bytedeco.cuda.cudnn.cudnnConvolutionStruct;
import org.bytedeco.cuda.cudnn.cudnnFilterStruct;
import org.bytedeco.cuda.cudnn.cudnnTensorStruct;
import org.bytedeco.javacpp.Pointer;

import java.util.LinkedHashMap;
import java.util.Map;

import static dev.nncompress.backend.cuda.vendor.BytedecoCuda.floats;
import static dev.nncompress.backend.cuda.vendor.CudnnHandle.check;
import static org.bytedeco.cuda.global.cudnn.*;

/**
 * {@link Dnn.Conv} on cuDNN 9's convolution API (forward, backward data, backward filter), one plan per
 * geometry: descriptors plus an algorithm per direction, chosen on first use by the v7 "get"
 * heuristics (no trial runs, so the first step costs no benchmark and the choice is reproducible).
 * An algorithm qualifies when cuDNN supports it here, it is deterministic (so the same seed gives
 * the same weights, as on our own route) and its workspace fits {@code -Dnncompress.cuda.workspaceBytes}
 * (default 256 MiB, taken from the backend's {@link DeviceMemoryPool} for the call).
 * Math: CUDNN_FMA_MATH on every convolution descriptor, i.e. FP32 FMAs and no TF32 tensor cores, whose
 * 10-bit mantissa would break the 1e-5 agreement with the CPU. Groups (depthwise included) and
 * dilation are set on the descriptor (cudnnSetConvolutionGroupCount, the 2-D descriptor's dilation);
 * cuDNN's padding is symmetric, so asymmetric padding runs on {@code fallback}, our route, as does a
 * geometry with no qualifying algorithm or one too large for cuDNN's int sizes.
 */
public final class CudnnConv implements Dnn.Conv {
    public static final long WORKSPACE_BYTES = Long.getLong("nncompress.cuda.workspaceBytes", 256L << 20);
    private static final int MAX_PLANS = 64;
    /** Plan.algo values: not chosen yet, and none qualifies (use the fallback). */
    private static final int UNCHOSEN = -1, NONE = -2;

    private final CudnnHandle cudnn;
    private final DeviceMemoryPool memory;
    private final Dnn.Conv fallback;
    // least recently used geometry first: an evaluation's odd last batch must not pin descriptors forever
    private final Map<ConvGeometry, Plan> plans = new LinkedHashMap<>(16, 0.75f, true) {
        @Override protected boolean removeEldestEntry(Map.Entry<ConvGeometry, Plan> eldest) {
            if (size() <= MAX_PLANS) return false;
            eldest.getValue().close();
            return true;
        }
    };

    public CudnnConv(CudnnHandle cudnn, DeviceMemoryPool memory, Dnn.Conv fallback) {
        this.cudnn = cudnn;
        this.memory = memory;
        this.fallback = fallback;
    }

    @Override public void convForward(ConvGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer y) {
        Plan p = plan(g);
        if (p == null || p.forward() == NONE) {
            fallback.convForward(g, x, w, y);
            return;
        }
        cudnn.driver.makeCurrent();
        try (Workspace ws = new Workspace(p.forwardBytes)) {
            check("cudnnConvolutionForward", cudnnConvolutionForward(cudnn.handle, cudnn.one, p.x, floats(x), p.w, floats(w), p.conv,
                    p.forwardAlgo, ws.pointer, ws.bytes, cudnn.zero, p.y, floats(y)));
        }
    }

    @Override public void convBackward(ConvGeometry g, DeviceBuffer x, DeviceBuffer w, DeviceBuffer gy, DeviceBuffer dx, DeviceBuffer dw) {
        Plan p = plan(g);
        if (p == null || p.backwardFilter() == NONE || (dx != null && p.backwardData() == NONE)) {
            fallback.convBackward(g, x, w, gy, dx, dw);
            return;
        }
        cudnn.driver.makeCurrent();
        try (Workspace ws = new Workspace(Math.max(p.filterBytes, dx == null ? 0 : p.dataBytes))) {
            check("cudnnConvolutionBackwardFilter", cudnnConvolutionBackwardFilter(cudnn.handle, cudnn.one, p.x, floats(x), p.y, floats(gy),
                    p.conv, p.filterAlgo, ws.pointer, ws.bytes, cudnn.zero, p.w, floats(dw)));
            if (dx != null) {
                check("cudnnConvolutionBackwardData", cudnnConvolutionBackwardData(cudnn.handle, cudnn.one, p.w, floats(w), p.y, floats(gy),
                        p.conv, p.dataAlgo, ws.pointer, ws.bytes, cudnn.zero, p.x, floats(dx)));
            }
        }
    }

    /** The plan for {@code g}; null when cuDNN cannot describe it (an int overflow, asymmetric padding), so the fallback runs. */
    private Plan plan(ConvGeometry g) {
        if (fallbackReason(g) != null) return null;
        return plans.computeIfAbsent(g, Plan::new);
    }

    /**
     * Which route {@code g} takes, choosing its algorithms now if needed: "cuDNN fwd algo 1 (0 B),
     * bwd data algo 1 (...), bwd filter algo 1 (...)", with "fallback" for a direction that runs on our
     * route (for tests and gpu-check).
     */
    public String route(ConvGeometry g) {
        Plan p = plan(g);
        if (p == null) return "fallback (" + fallbackReason(g) + ")";
        return "cuDNN fwd " + algo(p.forward(), p.forwardBytes) + ", bwd data " + algo(p.backwardData(), p.dataBytes)
                + ", bwd filter " + algo(p.backwardFilter(), p.filterBytes);
    }

    /** Why cuDNN cannot describe {@code g} with our semantics, or null when it can (a pure rule, tested without a GPU). */
    public static String fallbackReason(ConvGeometry g) {
        if ((long) g.n() * g.c() * g.h() * g.w() > Integer.MAX_VALUE || (long) g.n() * g.o() * g.p() > Integer.MAX_VALUE) {
            return "sizes beyond cuDNN's int range";
        }
        if (!g.spec().symmetricPads()) return "asymmetric padding, which cuDNN's descriptor cannot hold";
        return null;
    }

    private static String algo(int algo, long bytes) { return algo == NONE ? "fallback" : "algo " + algo + " (" + bytes + " B)"; }

    /** Which algorithms qualify, as a pure rule (tested without a GPU). */
    public static boolean qualifies(int status, int determinism, int mathType, long workspace, long limit) {
        return status == CUDNN_STATUS_SUCCESS && determinism == CUDNN_DETERMINISTIC && workspace <= limit
                && mathType != CUDNN_TENSOR_OP_MATH && mathType != CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION;
    }

    @Override public void close() {
        plans.values().forEach(Plan::close);
        plans.clear();
    }

    /** Scratch memory for one call, from the pool (none for algorithms that need none). */
    private final class Workspace implements AutoCloseable {
        final DeviceBuffer buffer;
        final Pointer pointer;
        final long bytes;

        Workspace(long bytes) {
            this.bytes = bytes;
            this.buffer = bytes > 0 ? memory.take(bytes) : null;
            this.pointer = buffer == null ? null : BytedecoCuda.at(buffer.address());
        }

        @Override public void close() {
            if (buffer != null) buffer.close(); // back to the pool; reuse is ordered by the one stream
        }
    }

    /** Descriptors of one geometry and the algorithm chosen per direction (lazily: inference never needs backward). */
    private final class Plan implements AutoCloseable {
        final cudnnTensorStruct x = new cudnnTensorStruct(), y = new cudnnTensorStruct();
        final cudnnFilterStruct w = new cudnnFilterStruct();
        final cudnnConvolutionStruct conv = new cudnnConvolutionStruct();
        int forwardAlgo = UNCHOSEN, dataAlgo = UNCHOSEN, filterAlgo = UNCHOSEN;
        long forwardBytes, dataBytes, filterBytes;

        Plan(ConvGeometry g) {
            cudnn.driver.makeCurrent();
            check("cudnnCreateTensorDescriptor", cudnnCreateTensorDescriptor(x));
            check("cudnnCreateTensorDescriptor", cudnnCreateTensorDescriptor(y));
            check("cudnnCreateFilterDescriptor", cudnnCreateFilterDescriptor(w));
            check("cudnnCreateConvolutionDescriptor", cudnnCreateConvolutionDescriptor(conv));
            check("cudnnSetTensor4dDescriptor", cudnnSetTensor4dDescriptor(x, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, g.n(), g.c(), g.h(), g.w()));
            check("cudnnSetTensor4dDescriptor", cudnnSetTensor4dDescriptor(y, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, g.n(), g.o(), g.oh(), g.ow()));
            check("cudnnSetFilter4dDescriptor", cudnnSetFilter4dDescriptor(w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, g.o(), g.cPerGroup(), g.kh(),
                    g.kw()));
            check("cudnnSetConvolution2dDescriptor", cudnnSetConvolution2dDescriptor(conv, g.spec().padH(), g.spec().padW(),
                    g.spec().strideH(), g.spec().strideW(), g.spec().dilationH(), g.spec().dilationW(), CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
            check("cudnnSetConvolutionGroupCount", cudnnSetConvolutionGroupCount(conv, g.groups()));
            check("cudnnSetConvolutionMathType", cudnnSetConvolutionMathType(conv, CUDNN_FMA_MATH));
            int[] n = new int[1], c = new int[1], h = new int[1], wd = new int[1];
            check("cudnnGetConvolution2dForwardOutputDim", cudnnGetConvolution2dForwardOutputDim(conv, x, w, n, c, h, wd));
            if (n[0] != g.n() || c[0] != g.o() || h[0] != g.oh() || wd[0] != g.ow()) {
                // never expected: the same floor formula; if it ever differs, our route stays correct
                forwardAlgo = dataAlgo = filterAlgo = NONE;
            }
        }

        int forward() {
            if (forwardAlgo != UNCHOSEN) return forwardAlgo;
            int[] count = new int[1];
            try (cudnnConvolutionFwdAlgoPerf_t perf = new cudnnConvolutionFwdAlgoPerf_t(CUDNN_CONVOLUTION_FWD_ALGO_COUNT)) {
                check("cudnnGetConvolutionForwardAlgorithm_v7", cudnnGetConvolutionForwardAlgorithm_v7(cudnn.handle, x, w, conv, y,
                        CUDNN_CONVOLUTION_FWD_ALGO_COUNT, count, perf));
                forwardAlgo = NONE;
                for (int i = 0; i < count[0]; i++) {
                    perf.position(i);
                    if (qualifies(perf.status(), perf.determinism(), perf.mathType(), perf.memory(), WORKSPACE_BYTES)) {
                        forwardAlgo = perf.algo();
                        forwardBytes = perf.memory();
                        break;
                    }
                }
                perf.position(0); // close() frees from the start of the allocation
            }
            return forwardAlgo;
        }

        int backwardData() {
            if (dataAlgo != UNCHOSEN) return dataAlgo;
            int[] count = new int[1];
            try (cudnnConvolutionBwdDataAlgoPerf_t perf = new cudnnConvolutionBwdDataAlgoPerf_t(CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT)) {
                check("cudnnGetConvolutionBackwardDataAlgorithm_v7", cudnnGetConvolutionBackwardDataAlgorithm_v7(cudnn.handle, w, y, conv, x,
                        CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, count, perf));
                dataAlgo = NONE;
                for (int i = 0; i < count[0]; i++) {
                    perf.position(i);
                    if (qualifies(perf.status(), perf.determinism(), perf.mathType(), perf.memory(), WORKSPACE_BYTES)) {
                        dataAlgo = perf.algo();
                        dataBytes = perf.memory();
                        break;
                    }
                }
                perf.position(0);
            }
            return dataAlgo;
        }

        int backwardFilter() {
            if (filterAlgo != UNCHOSEN) return filterAlgo;
            int[] count = new int[1];
            try (cudnnConvolutionBwdFilterAlgoPerf_t perf = new cudnnConvolutionBwdFilterAlgoPerf_t(CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT)) {
                check("cudnnGetConvolutionBackwardFilterAlgorithm_v7", cudnnGetConvolutionBackwardFilterAlgorithm_v7(cudnn.handle, x, y, conv, w,
                        CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, count, perf));
                filterAlgo = NONE;
                for (int i = 0; i < count[0]; i++) {
                    perf.position(i);
                    if (qualifies(perf.status(), perf.determinism(), perf.mathType(), perf.memory(), WORKSPACE_BYTES)) {
                        filterAlgo = perf.algo();
                        filterBytes = perf.memory();
                        break;
                    }
                }
                perf.position(0);
            }
            return filterAlgo;
        }

        @Override public void close() {
            cudnn.driver.makeCurrent();
            cudnnDestroyTensorDescriptor(x);
            cudnnDestroyTensorDescriptor(y);
            cudnnDestroyFilterDescriptor(w);
            cudnnDestroyConvolutionDescriptor(conv);
        }
    }
}
