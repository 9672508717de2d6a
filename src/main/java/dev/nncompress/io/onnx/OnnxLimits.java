package dev.nncompress.io.onnx;

/**
 * Bounds on what an ONNX file may ask of the importer, each checked before the memory or work it
 * guards is spent. An ONNX file is untrusted input: these are the first line of defence, and the
 * {@link dev.nncompress.graph.Graph} the importer builds (attribute schemas, shape inference,
 * {@code Graph.MAX_SAMPLE_VALUES}) is the second.
 */
final class OnnxLimits {
    /**
     * Largest file read: 1 GiB. ResNet-50 is 98 MB and VGG-16 528 MB as ONNX; protobuf-java cannot
     * parse a message of 2 GiB or more at all, and the parse holds the file and its message (about
     * twice its size) on the heap, which 1 GiB keeps within the CLI's default heap.
     */
    static final long MAX_FILE_BYTES = 1L << 30;
    /** Nesting of protobuf messages: our schema nests 5 deep (model, graph, node, attribute, tensor). */
    static final int MAX_PROTO_DEPTH = 32;
    /** Nodes of the ONNX graph, before folding: ResNet-152 has ~500, a PyTorch export of a ViT-B ~2,000. */
    static final int MAX_NODES = 16_384;
    /** Initializers: the safetensors writer takes 16,384 tensors, a ResNet-152 has ~930. */
    static final int MAX_INITIALIZERS = 16_384;
    /** Graph inputs, outputs and value_info entries together (value_info annotates each intermediate value at most once). */
    static final int MAX_VALUE_INFOS = 4 * MAX_NODES;
    /** Inputs, outputs and attributes of one node (a shape Concat may have a dozen inputs). */
    static final int MAX_NODE_INPUTS = 64;
    static final int MAX_NODE_OUTPUTS = 16;
    static final int MAX_ATTRIBUTES = 64;
    /** Values of one list attribute (pads of a 2-D conv: 4). */
    static final int MAX_ATTRIBUTE_VALUES = 64;
    /** Rank of any tensor or shape: ONNX's own ops stay at or below 8 here, ours at 4. */
    static final int MAX_RANK = 8;
    /**
     * Values of one tensor: 2^28 floats (1 GiB), more than any single layer of VGG-16 (103M). The data
     * must also be present in the file, which the file-size cap bounds independently.
     */
    static final long MAX_TENSOR_VALUES = 1L << 28;
    /** Values of a constant the importer computes (shape arithmetic: a handful of int64). */
    static final int MAX_FOLDED_VALUES = 1 << 16;
    /** Characters of a name (value, node, initializer): PyTorch's are under 200. */
    static final int MAX_NAME_CHARS = 4096;
    /** Opsets of the default domain this importer reads (opset 11: PyTorch's long-time default; 21: ONNX 1.16). */
    static final int MIN_OPSET = 11;
    static final int MAX_OPSET = 21;
    /** IR versions: 3 introduced opset_import; ONNX 1.23 writes 14 at most. */
    static final long MIN_IR_VERSION = 3;
    static final long MAX_IR_VERSION = 14;

    private OnnxLimits() {}
}
