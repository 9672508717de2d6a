package dev.nncompress.compress.quant.calib;

import dev.nncompress.backend.FakeQuantSpec;
import dev.nncompress.compress.quant.QParams;
import dev.nncompress.compress.quant.QScheme;

/** {@link QParams} as the backend's fake-quantisation op takes them ({@link FakeQuantSpec}): same scales, zero points, axis and code range. */
public final class FakeQuantSpecs {
    private FakeQuantSpecs() {}

    public static FakeQuantSpec of(QParams p) {
        QScheme s = p.scheme();
        return new FakeQuantSpec(p.scales(), p.zeroPoints(), s.perChannel() ? s.axis() : -1, s.dtype().qmin(), s.dtype().qmax());
    }
}
