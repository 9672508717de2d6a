package dev.nncompress.io.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;

import java.io.IOException;
import java.util.Map;

/**
 * A pass over an ONNX file's protobuf wire format, before protobuf-java builds any object from it, that
 * bounds what the parse will allocate. protobuf-java checks nesting but not counts: an empty message costs
 * two bytes of file and some 50 bytes of heap, a packed int64 of one byte eight, so a crafted 100 MB file
 * could ask for gigabytes. This pass walks the messages of our schema ({@code onnx_subset.proto}),
 * adds up a conservative estimate of the heap the parsed model needs (objects, list elements; bytes fields
 * alias the file's array) and refuses a file whose estimate passes twice its size plus 64 MiB (a real model
 * is close to its file size: its bulk is raw_data), or whose graph has more nodes or initializers than
 * {@link OnnxLimits} allows.
 */
final class ProtoScan {
    /** Heap per parsed message, per list element or scalar, per bytes/string field (a ByteString aliasing the input). */
    private static final long MESSAGE = 64, ELEMENT = 8, BYTES = 48;
    static final long SLACK = 64L << 20;

    private enum Kind { MODEL, GRAPH, NODE, ATTRIBUTE, TENSOR, VALUE_INFO, TYPE, TYPE_TENSOR, SHAPE, DIMENSION, OPSET, ENTRY }

    /** Sub-messages of each message, by field number (every other length-delimited field is bytes, a string or a packed list). */
    private static final Map<Kind, Map<Integer, Kind>> CHILDREN = Map.ofEntries(
            Map.entry(Kind.MODEL, Map.of(7, Kind.GRAPH, 8, Kind.OPSET, 14, Kind.ENTRY)),
            Map.entry(Kind.GRAPH, Map.of(1, Kind.NODE, 5, Kind.TENSOR, 11, Kind.VALUE_INFO, 12, Kind.VALUE_INFO, 13, Kind.VALUE_INFO)),
            Map.entry(Kind.NODE, Map.of(5, Kind.ATTRIBUTE)),
            Map.entry(Kind.ATTRIBUTE, Map.of(5, Kind.TENSOR, 10, Kind.TENSOR)),
            Map.entry(Kind.TENSOR, Map.of(13, Kind.ENTRY)),
            Map.entry(Kind.VALUE_INFO, Map.of(2, Kind.TYPE)),
            Map.entry(Kind.TYPE, Map.of(1, Kind.TYPE_TENSOR)),
            Map.entry(Kind.TYPE_TENSOR, Map.of(2, Kind.SHAPE)),
            Map.entry(Kind.SHAPE, Map.of(1, Kind.DIMENSION)),
            Map.entry(Kind.DIMENSION, Map.of()),
            Map.entry(Kind.OPSET, Map.of()),
            Map.entry(Kind.ENTRY, Map.of()));

    /** Packed lists of our schema: field -> bytes per element on the wire (0 for varints, counted one by one). */
    private static final Map<Kind, Map<Integer, Integer>> PACKED = Map.of(
            Kind.ATTRIBUTE, Map.of(7, 4, 8, 0),
            Kind.TENSOR, Map.of(1, 0, 4, 4, 5, 0, 7, 0, 10, 8, 11, 0));

    private final byte[] bytes;
    private long estimate;
    private int nodes;
    private int initializers;
    private int valueInfos;

    private ProtoScan(byte[] bytes) { this.bytes = bytes; }

    /** Throws IllegalArgumentException when {@code bytes} would parse into too much; protobuf errors pass through. */
    static void check(byte[] bytes) throws IOException {
        ProtoScan s = new ProtoScan(bytes);
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        s.walk(in, Kind.MODEL, 0);
        long budget = 2L * bytes.length + SLACK;
        if (s.estimate > budget) {
            throw new IllegalArgumentException("its messages would take about " + s.estimate + " bytes of memory to read, more than "
                    + budget + " (twice the file plus 64 MiB); not a plausible ONNX model");
        }
    }

    private void walk(CodedInputStream in, Kind kind, int depth) throws IOException {
        if (depth > OnnxLimits.MAX_PROTO_DEPTH) throw new InvalidProtocolBufferException("messages nested deeper than " + OnnxLimits.MAX_PROTO_DEPTH);
        estimate += MESSAGE;
        while (true) {
            int tag = in.readTag();
            if (tag == 0) return;
            int field = WireFormat.getTagFieldNumber(tag);
            if (WireFormat.getTagWireType(tag) != WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                estimate += ELEMENT;
                if (!in.skipField(tag)) return; // an end-group tag: protobuf's parse will say what is wrong
                continue;
            }
            int length = in.readRawVarint32();
            int at = in.getTotalBytesRead(); // the stream reads the whole array from 0: this is the field's offset
            if (length < 0 || length > bytes.length - at || (in.getBytesUntilLimit() >= 0 && length > in.getBytesUntilLimit())) {
                throw new InvalidProtocolBufferException("a field's length runs past the end of its message");
            }
            Kind child = CHILDREN.get(kind).get(field);
            if (child != null) {
                count(kind, field);
                int old = in.pushLimit(length);
                walk(in, child, depth + 1);
                in.popLimit(old);
                continue;
            }
            Integer packedWidth = PACKED.getOrDefault(kind, Map.of()).get(field);
            if (packedWidth == null) {
                estimate += BYTES;
                in.skipRawBytes(length);
            } else if (packedWidth > 0) {
                estimate += (long) length / packedWidth * ELEMENT;
                in.skipRawBytes(length);
            } else {
                for (int i = at; i < at + length; i++) if (bytes[i] >= 0) estimate += ELEMENT; // a varint ends at each byte whose top bit is clear
                in.skipRawBytes(length);
            }
        }
    }

    private void count(Kind parent, int field) {
        if (parent != Kind.GRAPH) return;
        if (field == 1 && ++nodes > OnnxLimits.MAX_NODES) throw new IllegalArgumentException("more than " + OnnxLimits.MAX_NODES + " nodes");
        if (field == 5 && ++initializers > OnnxLimits.MAX_INITIALIZERS) {
            throw new IllegalArgumentException("more than " + OnnxLimits.MAX_INITIALIZERS + " initializers");
        }
        if (field >= 11 && ++valueInfos > OnnxLimits.MAX_VALUE_INFOS) {
            throw new IllegalArgumentException("more than " + OnnxLimits.MAX_VALUE_INFOS + " inputs, outputs and value_info entries");
        }
    }
}
