package dev.nncompress.backend.ref;

import dev.nncompress.quant.QParams;
import dev.nncompress.backend.Backend;
import dev.nncompress.backend.Binary;
import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.Pool2dSpec;
import dev.nncompress.backend.QTensor;
import dev.nncompress.backend.QWeight;
import dev.nncompress.backend.Unary;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

import java.util.List;

/**
 * A backend whose int8 ops run on host arrays through one {@link HostInt8Ops} (the reference backend on the Java
 * twin of the int8 kernels, the CPU backend on our JNI kernels): the int8 op block of {@link Backend} delegated
 * here once, so that adding an int8 op touches this file, not each backend. A backend supplies its
 * {@link #hostInt8()} (and {@code withInt8Kernels}, which makes another backend of its kind).
 */
public interface HostInt8Backend extends Backend {
    /** The int8 ops this backend delegates to, on the int8 kernels it chose. */
    HostInt8Ops hostInt8();

    @Override default String int8Kernels() { return hostInt8().kernels().name(); }

    @Override default int int8ParallelCalls() { return hostInt8().kernels().parallelCalls(); }

    @Override default long int8PassBytes() { return hostInt8().kernels().passBytes(); }

    @Override default QTensor quantize(Tensor x, QParams q) { return hostInt8().quantize(x.toFloatArray(), x.shape(), q); }

    @Override default QTensor quantize(float[] values, Shape shape, QParams q) { return hostInt8().quantize(values, shape, q); }

    @Override default Tensor dequantize(QTensor x) { return hostInt8().dequantize(x); }

    @Override default QTensor requantize(QTensor x, QParams q) { return hostInt8().requantize(x, q); }

    @Override default QWeight prepareQWeight(byte[] codes, Shape shape, float[] scales, int groups) {
        return hostInt8().prepareQWeight(codes, shape, scales, groups);
    }

    @Override default QTensor qconv2d(QTensor x, QWeight w, float[] bias, Conv2dSpec spec, boolean relu, QParams out) {
        return hostInt8().conv2d(x, w, bias, spec, relu, out);
    }

    @Override default Tensor qconv2dFloat(QTensor x, QWeight w, float[] bias, Conv2dSpec spec, boolean relu) {
        return hostInt8().conv2dFloat(x, w, bias, spec, relu);
    }

    @Override default QTensor qlinear(QTensor x, QWeight w, float[] bias, boolean relu, QParams out) {
        return hostInt8().linear(x, w, bias, relu, out);
    }

    @Override default Tensor qlinearFloat(QTensor x, QWeight w, float[] bias, boolean relu) { return hostInt8().linearFloat(x, w, bias, relu); }

    @Override default QTensor qmaxPool2d(QTensor x, Pool2dSpec spec) { return hostInt8().maxPool2d(x, spec); }
    @Override default QTensor qconv2dMaxPool(QTensor x, QWeight w, float[] bias, Conv2dSpec spec, boolean relu, QParams out, Pool2dSpec pool) {
        return hostInt8().conv2dMaxPool(x, w, bias, spec, relu, out, pool);
    }

    @Override default QTensor qglobalAvgPool(QTensor x, QParams out) { return hostInt8().globalAvgPool(x, out); }

    @Override default QTensor qunary(Unary kind, QTensor x, float a, float b, QParams out) { return hostInt8().codes().unary(kind, x, a, b, out); }

    @Override default QTensor qbinary(Binary kind, QTensor a, QTensor b, QParams out) { return hostInt8().codes().binary(kind, a, b, out); }

    @Override default QTensor qbinaryConstant(Binary kind, QTensor x, float[] c, Shape cs, boolean constantFirst, QParams out) {
        return hostInt8().codes().binaryConstant(kind, x, c, cs, constantFirst, out);
    }

    @Override default QTensor qconcat(List<QTensor> parts, int axis, QParams out) { return hostInt8().codes().concat(parts, axis, out); }

    @Override default QTensor qreshape(QTensor x, Shape shape, QParams out) { return hostInt8().codes().reshape(x, shape, out); }
}
