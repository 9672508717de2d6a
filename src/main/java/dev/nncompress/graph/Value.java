package dev.nncompress.graph;

import dev.nncompress.backend.QTensor;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;

/**
 * What a node of a pass produces: a float {@link Tensor} (every node of a float graph, and an int8 plan's
 * float fallbacks and logits) or int8 codes, a {@link QTensor} (an int8 plan's int8 steps). {@link GraphRunner}
 * keeps one per node, hands them to the next steps, passes them through the hooks and frees them at its close;
 * the wrapper itself holds nothing, closing it closes what it wraps.
 */
public sealed interface Value extends AutoCloseable permits Value.Floats, Value.Codes {
    /** A float tensor. */
    record Floats(Tensor tensor) implements Value {
        public Floats {
            if (tensor == null) throw new IllegalArgumentException("Value.Floats: tensor must not be null");
        }

        @Override public Shape shape() { return tensor.shape(); }

        @Override public Object resource() { return tensor; }

        @Override public void close() { tensor.close(); }
    }

    /** Int8 codes with their quantisation parameters. */
    record Codes(QTensor codes) implements Value {
        public Codes {
            if (codes == null) throw new IllegalArgumentException("Value.Codes: codes must not be null");
        }

        @Override public Shape shape() { return codes.shape(); }

        @Override public Object resource() { return codes; }

        @Override public void close() { codes.close(); }
    }

    static Value of(Tensor t) { return new Floats(t); }

    static Value of(QTensor q) { return new Codes(q); }

    /** The logical shape, batch first ([N, C, H, W] for images, codes included). */
    Shape shape();

    /** What closing frees: the wrapped tensor (the runner owns values by it, so one tensor wrapped twice is freed once). */
    Object resource();

    /** The float tensor; IllegalStateException when this is int8 codes (a float op cannot read them). */
    default Tensor floats() {
        if (this instanceof Floats f) return f.tensor();
        throw new IllegalStateException("int8 codes " + shape() + " where a float tensor is needed");
    }

    /** The int8 codes; IllegalStateException when this is a float tensor. */
    default QTensor codes() {
        if (this instanceof Codes c) return c.codes();
        throw new IllegalStateException("a float tensor " + shape() + " where int8 codes are needed");
    }

    @Override void close();
}
