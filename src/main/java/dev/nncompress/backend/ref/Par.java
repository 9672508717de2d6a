package dev.nncompress.backend.ref;

import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/** The int8 engine's data-movement loops (quantise, transpose, pool) split per image over the common pool. */
final class Par {
    private Par() {}

    static void forImages(int n, IntConsumer body) {
        IntStream r = IntStream.range(0, n);
        (n > 1 ? r.parallel() : r).forEach(body);
    }
}
