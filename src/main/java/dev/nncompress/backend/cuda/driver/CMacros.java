package dev.nncompress.backend.cuda.driver;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Just enough of the C preprocessor to read our kernels' parameter lists: comments removed, line
 * continuations joined, and the file's own {@code #define}s expanded, object-like and function-like
 * with {@code ##} pasting (kernel families stamp out tile variants and share parameter lists with
 * macros). No conditionals, no stringising, no includes: the kernels' {@code extern "C"} lines do not
 * depend on those, and an unexpandable form shows up as a parse error in the tests, not silently.
 */
public final class CMacros {
    private static final Pattern BLOCK_COMMENT = Pattern.compile("/\\*.*?\\*/", Pattern.DOTALL);
    private static final Pattern LINE_COMMENT = Pattern.compile("//[^\\n]*");
    private static final Pattern DEFINE = Pattern.compile("^[ \\t]*#[ \\t]*define[ \\t]+(\\w+)(\\([^)]*\\))?([^\\n]*)$", Pattern.MULTILINE);
    private static final Pattern DIRECTIVE = Pattern.compile("^[ \\t]*#[^\\n]*$", Pattern.MULTILINE);
    private static final int MAX_PASSES = 16;

    private record Macro(List<String> params, String body) {
        boolean functionLike() { return params != null; }
    }

    private CMacros() {}

    /** {@code source} with comments and directives removed and its own macros expanded. */
    public static String expand(String source) {
        String code = LINE_COMMENT.matcher(BLOCK_COMMENT.matcher(source).replaceAll(" ")).replaceAll(" ")
                .replace("\\\r\n", " ").replace("\\\n", " ");
        Map<String, Macro> macros = new LinkedHashMap<>();
        Matcher d = DEFINE.matcher(code);
        while (d.find()) {
            List<String> params = null;
            if (d.group(2) != null) {
                params = new ArrayList<>();
                String inside = d.group(2).substring(1, d.group(2).length() - 1).trim();
                if (!inside.isEmpty()) for (String p : inside.split(",")) params.add(p.trim());
            }
            macros.put(d.group(1), new Macro(params, d.group(3).trim()));
        }
        code = DIRECTIVE.matcher(code).replaceAll(" ");
        for (int pass = 0; pass < MAX_PASSES; pass++) {
            String next = expandOnce(code, macros);
            if (next.equals(code)) return code;
            code = next;
        }
        throw new IllegalArgumentException("macro expansion did not settle after " + MAX_PASSES + " passes (recursive macro?)");
    }

    private static String expandOnce(String code, Map<String, Macro> macros) {
        StringBuilder out = new StringBuilder(code.length());
        Matcher word = Pattern.compile("\\b[A-Za-z_]\\w*\\b").matcher(code);
        int at = 0;
        while (word.find(at)) {
            Macro m = macros.get(word.group());
            out.append(code, at, word.start());
            at = word.end();
            if (m == null) {
                out.append(word.group());
            } else if (!m.functionLike()) {
                out.append(' ').append(m.body()).append(' ');
            } else {
                int open = skipSpaces(code, at);
                if (open >= code.length() || code.charAt(open) != '(') { // a function-like name without a call
                    out.append(word.group());
                    continue;
                }
                int close = matchingParen(code, open);
                out.append(' ').append(substitute(m, splitTopLevel(code.substring(open + 1, close)))).append(' ');
                at = close + 1;
            }
        }
        return out.append(code, at, code.length()).toString();
    }

    private static String substitute(Macro m, List<String> args) {
        if (args.size() != m.params().size() && !(m.params().isEmpty() && args.size() == 1 && args.get(0).isBlank())) {
            throw new IllegalArgumentException("macro call with " + args.size() + " arguments, its #define has " + m.params().size());
        }
        String body = m.body();
        for (int i = 0; i < m.params().size(); i++) {
            body = body.replaceAll("\\b" + Pattern.quote(m.params().get(i)) + "\\b", Matcher.quoteReplacement(args.get(i).trim()));
        }
        return body.replaceAll("\\s*##\\s*", "");
    }

    private static int skipSpaces(String s, int i) {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        return i;
    }

    private static int matchingParen(String s, int open) {
        int depth = 0;
        for (int i = open; i < s.length(); i++) {
            if (s.charAt(i) == '(') depth++;
            else if (s.charAt(i) == ')' && --depth == 0) return i;
        }
        throw new IllegalArgumentException("unbalanced parentheses in a macro call");
    }

    private static List<String> splitTopLevel(String args) {
        List<String> out = new ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < args.length(); i++) {
            char c = args.charAt(i);
            if (c == '(' || c == '<' || c == '{' || c == '[') depth++;
            else if (c == ')' || c == '>' || c == '}' || c == ']') depth--;
            else if (c == ',' && depth == 0) {
                out.add(args.substring(start, i));
                start = i + 1;
            }
        }
        out.add(args.substring(start));
        return out;
    }
}
