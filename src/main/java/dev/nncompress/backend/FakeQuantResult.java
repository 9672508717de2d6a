package dev.nncompress.backend;

import dev.nncompress.tensor.Tensor;

/** What {@link Backend#fakeQuantize} returns: the fake-quantised values and the straight-through mask; the caller owns both. */
public record FakeQuantResult(Tensor output, FakeQuantMask inRange) implements AutoCloseable {
    @Override public void close() {
        output.close();
        inRange.close();
    }
}
