package dev.nncompress.util;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QuotedTest {
    @Test
    void plainNamesAreQuotedUnchanged() {
        assertEquals("'conv1.weight'", Quoted.of("conv1.weight"));
        assertEquals("'größe ☃ 😀'", Quoted.of("größe ☃ 😀"), "printable non-ASCII and emoji stay");
        assertEquals("null", Quoted.of((String) null));
        assertEquals("'[a, b]'", Quoted.of(List.of("a", "b")));
    }

    @Test
    void controlAndBidiCharactersAreEscapedSoOneLineStaysOneLine() {
        String crafted = "w\n\r\t\u001b[2J\u0007\u202eevil\u2028\u0000\\";
        String q = Quoted.of(crafted);
        assertEquals("'w\\n\\r\\t\\u001b[2J\\u0007\\u202eevil\\u2028\\u0000\\\\'", q);
        for (char c : q.toCharArray()) assertTrue(c >= 0x20 && c < 0x7f, "only printable ASCII left: " + (int) c);
        assertEquals("\\ud800x", Quoted.escape("\ud800x", 80), "a lone surrogate is escaped");
    }

    @Test
    void longTextIsTruncatedWithItsLength() {
        String q = Quoted.of("x".repeat(1_000_000));
        assertEquals("'" + "x".repeat(Quoted.MAX_CHARS) + "'... (1000000 chars)", q);
        assertEquals("'" + "x".repeat(80) + "'", Quoted.of("x".repeat(80)), "exactly the limit: no marker");
    }

    @Test
    void truncationNeverSplitsASurrogatePair() {
        String s = "a".repeat(79) + "😀" + "b";
        String q = Quoted.of(s);
        assertFalse(q.contains("\\ud83d"), q);
        assertEquals("'" + "a".repeat(79) + "'... (82 chars)", q);
    }

    @Test
    void safeLineEscapesOnlyWhatIsUnsafeAndLeavesQuotedTextAlone() {
        String quoted = "tensor " + Quoted.of("a\u001bb") + ": bad";
        assertEquals(quoted, Quoted.safeLine(quoted), "already quoted: unchanged, no double escaping");
        assertEquals("C:\\dir x\\u001b[2J y\\u202e 😀", Quoted.safeLine("C:\\dir x\u001b[2J y\u202e 😀"));
    }
}
