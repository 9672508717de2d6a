package dev.nncompress.backend.cuda.vendor;

import dev.nncompress.backend.ConvGeometry;
import dev.nncompress.backend.cuda.driver.DeviceBuffer;
import dev.nncompress.backend.cuda.driver.DeviceMemoryPool;
import dev.nncompress.backend.cuda.kernels.Dnn;
import jcuda.Pointer;
import jcuda.jcudnn.cudnnConvolutionBwdDataAlgoPerf;
import jcuda.jcudnn.cudnnConvolutionBwdFilterAlgoPerf;
import jcuda.jcudnn.cudnnConvolutionDescriptor;
import jcuda.jcudnn.cudnnConvolutionFwdAlgoPerf;
import jcuda.jcudnn.cudnnFilterDescriptor;
import jcuda.jcudnn.cudnnTensorDescriptor;

import java.util.LinkedHashMap;
import java.util.Map;

import static dev.nncompress.backend.cuda.vendor.JcudnnHandle.check;
import static jcuda.jcudnn.JCudnn.*;
import static jcuda.jcudnn.cudnnConvolutionBwdDataAlgo.CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT;
import static jcuda.jcudnn.cudnnConvolutionBwdFilterAlgo.CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT;
import static jcuda.jcudnn.cudnnConvolutionFwdAlgo.CUDNN_CONVOLUTION_FWD_ALGO_COUNT;
import static jcuda.jcudnn.cudnnConvolutionMode.CUDNN_CROSS_CORRELATION;
import static jcuda.jcudnn.cudnnDataType.CUDNN_DATA_FLOAT;
import static jcuda.jcudnn.cudnnMathType.CUDNN_FMA_MATH;
import static jcuda.jcudnn.cudnnTensorFormat.CUDNN_TENSOR_NCHW;

/**
 * {@link Dnn.Conv} on cuDNN 8 through JCudnn 11.7.0 ({@code -Pjcuda11} builds only): {@link CudnnConv}'s
 * design on JCuda's types. One plan per geometry (descriptors, LRU of 64), an algorithm per direction
 * from the v7 "get" heuristics, qualifying by {@link CudnnConv#qualifies} (supported, deterministic, no
 * tensor-op math, workspace within {@code -Dnncompress.cuda.workspaceBytes}); CUDNN_FMA_MATH on every
 * descriptor (FP32, no TF32); a geometry with no qualifying algorithm runs on {@code fallback}.
 * cuDNN 8 and 9 number these enums alike, which is why the one rule serves both.
 */
public final class JcudnnConv implements Dnn.Conv {
    private static final int MAX_PLANS = 64;
    private static final int UNCHOSEN = -1, NONE = -2;

    private final JcudnnHandle cudnn;
    private final DeviceMemoryPool memory;
    private final Dnn.Conv fallback;
    private final Pointer one = Pointer.to(new float[] {1f});
    private final Pointer zero = Pointer.to(new float[] {0f});
    private final Map<ConvGeometry, Plan> plans = new LinkedHashMap<>(16, 0.75f, true) {
        @Override protected boolean removeEldestEntry(Map.Entry<ConvGeometry, Plan> eldest) {
            if (size() <= MAX_PLANS) return false;
            eldest.getValue().close();
            return true;
        }
    };

    JcudnnConv(JcudnnHandle cudnn, DeviceMemoryPool memory, Dnn.Conv fallback) {
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
            check("cudnnConvolutionForward", cudnnConvolutionForward(cudnn.handle, one, p.x, x.pointer(), p.w, w.pointer(), p.conv,
                    p.forwardAlgo, ws.pointer, ws.bytes, zero, p.y, y.pointer()));
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
            check("cudnnConvolutionBackwardFilter", cudnnConvolutionBackwardFilter(cudnn.handle, one, p.x, x.pointer(), p.y, gy.pointer(),
                    p.conv, p.filterAlgo, ws.pointer, ws.bytes, zero, p.w, dw.pointer()));
            if (dx != null) {
                check("cudnnConvolutionBackwardData", cudnnConvolutionBackwardData(cudnn.handle, one, p.w, w.pointer(), p.y, gy.pointer(),
                        p.conv, p.dataAlgo, ws.pointer, ws.bytes, zero, p.x, dx.pointer()));
            }
        }
    }

    private Plan plan(ConvGeometry g) {
        if (CudnnConv.fallbackReason(g) != null) return null; // the same rule as cuDNN 9's (int sizes, asymmetric padding)
        return plans.computeIfAbsent(g, Plan::new);
    }

    /** As {@link CudnnConv#route}: which algorithm each direction takes, or "fallback" (for tests). */
    public String route(ConvGeometry g) {
        Plan p = plan(g);
        if (p == null) return "fallback (" + CudnnConv.fallbackReason(g) + ")";
        return "cuDNN fwd " + algo(p.forward(), p.forwardBytes) + ", bwd data " + algo(p.backwardData(), p.dataBytes)
                + ", bwd filter " + algo(p.backwardFilter(), p.filterBytes);
    }

    private static String algo(int algo, long bytes) { return algo == NONE ? "fallback" : "algo " + algo + " (" + bytes + " B)"; }

    private static boolean qualifies(int status, int determinism, int mathType, long workspace) {
        return CudnnConv.qualifies(status, determinism, mathType, workspace, CudnnConv.WORKSPACE_BYTES);
    }

    @Override public void close() {
        plans.values().forEach(Plan::close);
        plans.clear();
    }

    private final class Workspace implements AutoCloseable {
        final DeviceBuffer buffer;
        final Pointer pointer;
        final long bytes;

        Workspace(long bytes) {
            this.bytes = bytes;
            this.buffer = bytes > 0 ? memory.take(bytes) : null;
            this.pointer = buffer == null ? new Pointer() : buffer.pointer(); // new Pointer(): NULL
        }

        @Override public void close() {
            if (buffer != null) buffer.close();
        }
    }

    private final class Plan implements AutoCloseable {
        final cudnnTensorDescriptor x = new cudnnTensorDescriptor(), y = new cudnnTensorDescriptor();
        final cudnnFilterDescriptor w = new cudnnFilterDescriptor();
        final cudnnConvolutionDescriptor conv = new cudnnConvolutionDescriptor();
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
            if (n[0] != g.n() || c[0] != g.o() || h[0] != g.oh() || wd[0] != g.ow()) forwardAlgo = dataAlgo = filterAlgo = NONE;
        }

        int forward() {
            if (forwardAlgo != UNCHOSEN) return forwardAlgo;
            cudnnConvolutionFwdAlgoPerf[] perf = new cudnnConvolutionFwdAlgoPerf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
            for (int i = 0; i < perf.length; i++) perf[i] = new cudnnConvolutionFwdAlgoPerf();
            int[] count = new int[1];
            check("cudnnGetConvolutionForwardAlgorithm_v7", cudnnGetConvolutionForwardAlgorithm_v7(cudnn.handle, x, w, conv, y,
                    perf.length, count, perf));
            forwardAlgo = NONE;
            for (int i = 0; i < count[0]; i++) {
                if (qualifies(perf[i].status, perf[i].determinism, perf[i].mathType, perf[i].memory)) {
                    forwardAlgo = perf[i].algo;
                    forwardBytes = perf[i].memory;
                    break;
                }
            }
            return forwardAlgo;
        }

        int backwardData() {
            if (dataAlgo != UNCHOSEN) return dataAlgo;
            cudnnConvolutionBwdDataAlgoPerf[] perf = new cudnnConvolutionBwdDataAlgoPerf[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
            for (int i = 0; i < perf.length; i++) perf[i] = new cudnnConvolutionBwdDataAlgoPerf();
            int[] count = new int[1];
            check("cudnnGetConvolutionBackwardDataAlgorithm_v7", cudnnGetConvolutionBackwardDataAlgorithm_v7(cudnn.handle, w, y, conv, x,
                    perf.length, count, perf));
            dataAlgo = NONE;
            for (int i = 0; i < count[0]; i++) {
                if (qualifies(perf[i].status, perf[i].determinism, perf[i].mathType, perf[i].memory)) {
                    dataAlgo = perf[i].algo;
                    dataBytes = perf[i].memory;
                    break;
                }
            }
            return dataAlgo;
        }

        int backwardFilter() {
            if (filterAlgo != UNCHOSEN) return filterAlgo;
            cudnnConvolutionBwdFilterAlgoPerf[] perf = new cudnnConvolutionBwdFilterAlgoPerf[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
            for (int i = 0; i < perf.length; i++) perf[i] = new cudnnConvolutionBwdFilterAlgoPerf();
            int[] count = new int[1];
            check("cudnnGetConvolutionBackwardFilterAlgorithm_v7", cudnnGetConvolutionBackwardFilterAlgorithm_v7(cudnn.handle, x, y, conv, w,
                    perf.length, count, perf));
            filterAlgo = NONE;
            for (int i = 0; i < count[0]; i++) {
                if (qualifies(perf[i].status, perf[i].determinism, perf[i].mathType, perf[i].memory)) {
                    filterAlgo = perf[i].algo;
                    filterBytes = perf[i].memory;
                    break;
                }
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
