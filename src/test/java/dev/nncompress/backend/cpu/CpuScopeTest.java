package dev.nncompress.backend.cpu;

import dev.nncompress.backend.Backend;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Tensors made inside a {@link CpuScope} skip the Cleaner and are released, once, when it closes. */
class CpuScopeTest {
    private static final CpuBackend B = new CpuBackend();

    @Test
    void aTensorThatEscapesTheScopeFailsItsNextUse() {
        Tensor escaped;
        try (Backend.Scope s = B.scope()) {
            escaped = B.fromFloats(new float[] {1, 2, 3}, Shape.of(3));
            Tensor view = B.reshape(escaped, Shape.of(1, 3));
            assertArrayEquals(new float[] {1, 2, 3}, view.toFloatArray());
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, escaped::toFloatArray);
        assertTrue(e.getMessage().contains("was closed"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> B.add(escaped, escaped), "ops refuse it too");
        escaped.close(); // closing it again is harmless
    }

    @Test
    void aBlockClosedInsideIsReleasedOnce() {
        Shape odd = Shape.of(7, 11, 13); // a size class no other test uses, so the pool holds it only once
        try (Backend.Scope s = B.scope()) {
            B.zeros(odd).close();
        }
        try (CpuTensor a = (CpuTensor) B.zeros(odd); CpuTensor b = (CpuTensor) B.zeros(odd)) {
            assertNotEquals(a.address(), b.address(), "the block went back to the pool twice");
        }
    }

    @Test
    void scopesNestAndCloseInOrder() {
        try (Backend.Scope outer = B.scope()) {
            Tensor kept = B.zeros(Shape.of(4));
            Backend.Scope inner = B.scope();
            Tensor gone = B.zeros(Shape.of(4));
            assertThrows(IllegalStateException.class, outer::close, "outer closed before inner");
            inner.close();
            assertThrows(IllegalStateException.class, gone::toFloatArray);
            assertArrayEquals(new float[4], kept.toFloatArray(), "the outer scope's tensor is still open");
        }
    }

    @Test
    void aScopeClosesOnlyOnItsThread() throws Exception {
        Backend.Scope s = B.scope();
        Throwable[] seen = new Throwable[1];
        Thread t = new Thread(() -> {
            try {
                s.close();
            } catch (Throwable e) {
                seen[0] = e;
            }
        });
        t.start();
        t.join();
        assertTrue(seen[0] instanceof IllegalStateException, String.valueOf(seen[0]));
        s.close();
    }
}
