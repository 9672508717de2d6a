package dev.nncompress.util;

/**
 * Text taken from a file (a tensor name, a metadata value, a JSON snippet, an op name) made safe to put
 * into an error message or onto a terminal: at most {@link #MAX_CHARS} characters of it, and every
 * character that could break the one-line message or steer a terminal written as an escape. So a
 * crafted file can neither flood the error with megabytes of name, nor split it over lines, nor send a
 * terminal control sequence (ESC [ ...), nor reorder what the user sees with a bidi override (U+202E).
 *
 * <p>Escapes: {@code \n \r \t}, a backslash as {@code \\} (so that an escape in the output always means
 * an escaped character, never a literal one), and any other control, format (Cf), line or paragraph
 * separator, private-use, unassigned or lone surrogate character as {@code \}{@code uXXXX}. Printable
 * text, non-ASCII letters and supplementary characters (emoji) stay as they are.
 */
public final class Quoted {
    /** Characters of the original kept; enough to recognise any name this project writes. */
    public static final int MAX_CHARS = 80;

    private Quoted() {}

    /** {@code 'text'} escaped, truncated to {@link #MAX_CHARS} characters with {@code ...} and the full length. */
    public static String of(String text) { return of(text, MAX_CHARS); }

    /** As {@link #of(String)} with another limit (e.g. a longer one for a parser's message). */
    public static String of(String text, int maxChars) {
        if (text == null) return "null";
        String head = escape(text, maxChars);
        return text.length() <= maxChars ? "'" + head + "'" : "'" + head + "'... (" + text.length() + " chars)";
    }

    /** Anything's {@code toString()} (a JSON node, a list of names), quoted as {@link #of(String)}. */
    public static String of(Object value) { return of(value == null ? null : value.toString()); }

    /**
     * The first {@code maxChars} characters of {@code text} (fewer if the cut would split a surrogate pair),
     * escaped, without quotes or marker: for whole messages that must stay one safe line.
     */
    public static String escape(String text, int maxChars) {
        int end = Math.min(text.length(), Math.max(0, maxChars));
        if (end < text.length() && end > 0 && Character.isHighSurrogate(text.charAt(end - 1))
                && Character.isLowSurrogate(text.charAt(end))) {
            end--;
        }
        StringBuilder sb = new StringBuilder(end + 16);
        for (int i = 0; i < end; i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < end && Character.isLowSurrogate(text.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, text.charAt(i + 1));
                if (safe(cp)) {
                    sb.append(c).append(text.charAt(i + 1));
                } else {
                    sb.append(unicodeEscape(c)).append(unicodeEscape(text.charAt(i + 1)));
                }
                i++;
                continue;
            }
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (safe(c)) sb.append(c);
                    else sb.append(unicodeEscape(c));
                }
            }
        }
        return sb.toString();
    }

    /**
     * {@code text} with only the characters escaped that could break a line or steer a terminal; backslashes are
     * left alone, so a message whose file text was already quoted by {@link #of} passes through unchanged. The last
     * line of defence for a whole message (CLI errors) or a value printed as is.
     */
    public static String safeLine(String text) {
        StringBuilder sb = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean pair = Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1));
            int cp = pair ? Character.toCodePoint(c, text.charAt(i + 1)) : c;
            if (safe(cp) || c == '\\') {
                if (sb != null) sb.append(pair ? text.substring(i, i + 2) : String.valueOf(c));
            } else {
                if (sb == null) sb = new StringBuilder(text.length() + 16).append(text, 0, i);
                sb.append(escape(pair ? text.substring(i, i + 2) : String.valueOf(c), 2));
            }
            if (pair) i++;
        }
        return sb == null ? text : sb.toString();
    }

    private static boolean safe(int cp) {
        switch (Character.getType(cp)) {
            case Character.CONTROL, Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
                    Character.PRIVATE_USE, Character.UNASSIGNED, Character.SURROGATE -> {
                return false;
            }
            default -> {
                return true;
            }
        }
    }

    private static String unicodeEscape(char c) { return String.format("\\u%04x", (int) c); }
}
