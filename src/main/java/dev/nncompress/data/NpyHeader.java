package dev.nncompress.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The header of a NumPy {@code .npy} array (format versions 1.0, 2.0 and 3.0), parsed by our own strict reader:
 * magic {@code \x93NUMPY}, version, a little-endian header length (2 bytes in 1.0, 4 after), then a Python dict
 * literal with exactly the keys {@code descr}, {@code fortran_order} and {@code shape}, as numpy writes it. Every
 * number is validated here, once: the header at most {@link #MAX_HEADER_BYTES}, plain dtypes only (bool, signed and
 * unsigned integers of 1, 2, 4, 8 bytes, float32/64, either byte order), no Fortran order for arrays of more than
 * one dimension, rank 1 to {@link #MAX_RANK}, dims below 2^31 and a total size below 2^62 bytes. Whether the data
 * that follow are as long as the shape says is the caller's check ({@link NpyArray}).
 *
 * @param kind     'b' (bool), 'i' (signed), 'u' (unsigned) or 'f' (float)
 * @param itemSize bytes per element
 * @param shape    the dims, each in [0, 2^31)
 * @param bytes    bytes of the header from the magic to the data
 */
record NpyHeader(String descr, char kind, int itemSize, boolean bigEndian, long[] shape, int bytes) {
    /** numpy itself refuses headers over 10,000 bytes unless told otherwise; ours are under 128. */
    static final int MAX_HEADER_BYTES = 65_535;
    static final int MAX_RANK = 4;
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

    /** Elements of the array. */
    long count() {
        long n = 1;
        for (long d : shape) n *= d; // each < 2^31, rank <= 4, product checked below 2^62 in parse
        return n;
    }

    long dataBytes() { return count() * itemSize; }

    /** "float32 (N, 32, 32, 3)" */
    String describe() {
        StringBuilder sb = new StringBuilder(descr).append(" (");
        for (int i = 0; i < shape.length; i++) sb.append(i == 0 ? "" : ", ").append(shape[i]);
        return sb.append(shape.length == 1 ? ",)" : ")").toString();
    }

    static NpyHeader read(InputStream in, String where) throws IOException {
        byte[] pre = readN(in, 8, where, "the 8-byte magic and version");
        for (int i = 0; i < MAGIC.length; i++) {
            if (pre[i] != MAGIC[i]) throw new DatasetException(where + ": not a .npy array (bad magic; expected \\x93NUMPY)");
        }
        int major = pre[6] & 0xff;
        int minor = pre[7] & 0xff;
        if (major < 1 || major > 3 || minor != 0) throw new DatasetException(where + ": .npy format version " + major + "." + minor + "; 1.0, 2.0 and 3.0 are read");
        long len;
        int lenBytes = major == 1 ? 2 : 4;
        byte[] l = readN(in, lenBytes, where, "the header length");
        len = (l[0] & 0xff) | (l[1] & 0xff) << 8;
        if (lenBytes == 4) len |= (long) (l[2] & 0xff) << 16 | (long) (l[3] & 0xff) << 24;
        if (len > MAX_HEADER_BYTES) throw new DatasetException(where + ": .npy header of " + len + " bytes, more than " + MAX_HEADER_BYTES);
        String text = new String(readN(in, (int) len, where, "the " + len + "-byte header"), StandardCharsets.ISO_8859_1);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c > 126 || (c < 32 && c != '\n')) throw new DatasetException(where + ": .npy header has a non-ASCII or control character at " + i);
        }
        Map<String, Object> dict = new DictParser(text, where).parse();
        if (!dict.keySet().equals(java.util.Set.of("descr", "fortran_order", "shape"))) {
            throw new DatasetException(where + ": .npy header has keys " + dict.keySet() + "; expected exactly descr, fortran_order, shape");
        }
        if (!(dict.get("descr") instanceof String descr)) throw new DatasetException(where + ": .npy descr is not a string (structured dtypes are not read)");
        if (!(dict.get("fortran_order") instanceof Boolean fortran)) throw new DatasetException(where + ": .npy fortran_order is not True or False");
        if (!(dict.get("shape") instanceof long[] shape)) throw new DatasetException(where + ": .npy shape is not a tuple of integers");
        if (shape.length < 1 || shape.length > MAX_RANK) throw new DatasetException(where + ": .npy array of rank " + shape.length + "; 1 to " + MAX_RANK + " are read");
        double total = 1;
        for (long d : shape) {
            if (d > Integer.MAX_VALUE) throw new DatasetException(where + ": .npy dimension " + d + " is too large");
            total *= d;
        }
        if (fortran && shape.length > 1) {
            throw new DatasetException(where + ": .npy array is in Fortran order; save it with np.ascontiguousarray(...) first");
        }
        if (!descr.matches("[<>|][biuf][1248]")) {
            throw new DatasetException(where + ": .npy dtype '" + descr + "' is not read; arrays of bool, integers and float32/64 are");
        }
        char order = descr.charAt(0);
        char kind = descr.charAt(1);
        int size = descr.charAt(2) - '0';
        if (order == '|' && size != 1) throw new DatasetException(where + ": .npy dtype '" + descr + "' has no byte order");
        if ((kind == 'f' && size < 4) || (kind == 'b' && size != 1)) throw new DatasetException(where + ": .npy dtype '" + descr + "' is not read");
        NpyHeader h = new NpyHeader(descr, kind, size, order == '>', shape, 8 + lenBytes + (int) len);
        if (total * size >= 0x1p62) throw new DatasetException(where + ": .npy header declares " + h.describe() + ", more than 2^62 bytes");
        return h;
    }

    private static byte[] readN(InputStream in, int n, String where, String what) throws IOException {
        byte[] b = in.readNBytes(n);
        if (b.length < n) throw new DatasetException(where + ": truncated inside " + what + " of the .npy header");
        return b;
    }

    /** The dict literal numpy writes: {@code {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }} and spaces. */
    private static final class DictParser {
        private final String s;
        private final String where;
        private int i;

        DictParser(String s, String where) {
            this.s = s;
            this.where = where;
        }

        Map<String, Object> parse() {
            Map<String, Object> out = new LinkedHashMap<>();
            ws();
            expect('{');
            while (true) {
                ws();
                if (peek() == '}') break;
                String key = string();
                ws();
                expect(':');
                ws();
                if (out.put(key, value()) != null) fail("key '" + key + "' twice");
                ws();
                if (peek() != ',') break;
                i++;
            }
            ws();
            expect('}');
            ws();
            if (i != s.length()) fail("text after the dict");
            return out;
        }

        private Object value() {
            char c = peek();
            if (c == '\'' || c == '"') return string();
            if (s.startsWith("True", i)) { i += 4; return Boolean.TRUE; }
            if (s.startsWith("False", i)) { i += 5; return Boolean.FALSE; }
            if (c == '(') return tuple();
            fail("a value that is not a string, True, False or a tuple");
            return null;
        }

        private long[] tuple() {
            expect('(');
            List<Long> dims = new ArrayList<>();
            while (true) {
                ws();
                if (peek() == ')') break;
                if (dims.size() > MAX_RANK) fail("a shape of more than " + MAX_RANK + " dims");
                dims.add(integer());
                ws();
                if (peek() != ',') break;
                i++;
            }
            ws();
            expect(')');
            return dims.stream().mapToLong(Long::longValue).toArray();
        }

        private long integer() {
            int start = i;
            while (i < s.length() && Character.isDigit(s.charAt(i)) && i - start < 12) i++;
            if (i == start || (i < s.length() && Character.isDigit(s.charAt(i)))) fail("a shape entry that is not a non-negative integer below 10^12");
            long v = Long.parseLong(s.substring(start, i));
            if (peek() == 'L') i++; // Python 2's long suffix, as old numpy wrote it
            return v;
        }

        private String string() {
            char q = peek();
            if (q != '\'' && q != '"') fail("a key that is not a quoted string");
            int end = s.indexOf(q, i + 1);
            if (end < 0 || end - i > 64) fail("an unterminated or overlong string");
            String v = s.substring(i + 1, end);
            if (v.indexOf('\\') >= 0) fail("an escape in a string");
            i = end + 1;
            return v;
        }

        private void ws() {
            while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\n')) i++;
        }

        private char peek() { return i < s.length() ? s.charAt(i) : '\0'; }

        private void expect(char c) {
            if (peek() != c) fail("'" + c + "' expected at character " + i);
            i++;
        }

        private void fail(String what) {
            throw new DatasetException(where + ": .npy header is not the dict numpy writes: " + what);
        }
    }
}
