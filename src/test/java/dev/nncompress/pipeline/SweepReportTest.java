package dev.nncompress.pipeline;

import dev.nncompress.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sweep view: sweep.json written and read back, the page's front and best point, escaping, and re-rendering by {@code nncompress report}. */
class SweepReportTest {
    @TempDir Path tmp;

    static SweepReport sample(Double budget) {
        SweepFrontTest t = new SweepFrontTest();
        List<SweepPoint> points = new ArrayList<>(t.all);
        points.add(new SweepPoint("h<i>", "quantize.observer=<script>alert(1)</script>", 43, SweepPoint.FAILED, "x.yaml: \"bad\" & <worse>", null, null,
                null, null, null, 0.1));
        return new SweepReport("r&d.yaml", "abc", "prune.sparsity=0.5,0.7", "local[2]", "nncompress test", budget, points);
    }

    /** The point ids of the rows of table {@code id}. */
    static List<String> rows(String html, String id) {
        int start = html.indexOf("<table id=\"" + id + "\">");
        String table = html.substring(start, html.indexOf("</table>", start));
        List<String> ids = new ArrayList<>();
        Matcher m = Pattern.compile("<tr class=\"[a-z]+\"><td class=\"l\">([^<]*)</td>").matcher(table);
        while (m.find()) ids.add(m.group(1));
        return ids;
    }

    @Test
    void thePageShowsTheFrontTheBestPointAndEveryPointEscaped() {
        SweepReport r = sample(2.0);
        r.write(tmp);
        assertEquals(r, SweepReport.read(tmp), "sweep.json holds the whole view's data");
        String html = read(tmp.resolve(Report.HTML));
        assertEquals(List.of("b", "a", "d", "f"), rows(html, "front"), "the front, smallest first");
        assertEquals(List.of("a", "b", "c", "d", "e", "f", "g", "h&lt;i&gt;"), rows(html, "points"));
        assertTrue(html.contains("<tr class=\"best\"><td class=\"l\">a</td>"), "a is marked best");
        String best = html.substring(html.indexOf("<p id=\"best\">"), html.indexOf("</p>", html.indexOf("<p id=\"best\">")));
        assertTrue(best.contains("<b>a</b>") && best.contains("accuracy 90.00%, -2.00 points against its baseline's 92.00%, 100 bytes"), best);
        assertTrue(html.contains("8 point(s): 6 ok, 2 failed."), html);
        assertTrue(html.contains("e: no such file"), "a failed point's error is in the table");
        // the plots: a dot per ok point (none for the failed ones), the size plot's two-axis front red (b then a; d ties a)
        String size = html.substring(html.indexOf("<svg id=\"plot-size\""), html.indexOf("</svg>", html.indexOf("<svg id=\"plot-size\"")));
        assertEquals(6, size.split("<circle ", -1).length - 1, "a, b, c, d, f, g");
        assertTrue(size.contains("<title>b</title>") && !size.contains("<title>e</title>"));
        assertEquals(3, size.split("<circle class=\"point front\"", -1).length - 1, "b, a and f: no point both smaller and more accurate");
        // escaping: nothing from sweep.json reaches the page as markup
        assertFalse(html.contains("<script"), "no script, from the data or otherwise");
        assertTrue(html.contains("quantize.observer=&lt;script&gt;alert(1)&lt;/script&gt;"));
        assertTrue(html.contains("x.yaml: &quot;bad&quot; &amp; &lt;worse&gt;"));
        assertTrue(html.contains("<title>nncompress sweep: r&amp;d.yaml</title>"));
        assertFalse(html.contains(" src=") || html.contains("href=") || html.contains("<link") || html.contains("url("), "nothing fetched: no resource link");
    }

    @Test
    void withoutABudgetOrWithNoPointInItThePageSaysSo() {
        String none = SweepReportHtml.render(sample(null));
        assertTrue(none.contains("No accuracy budget"), none);
        assertFalse(none.contains("class=\"best\""));
        assertEquals(List.of("b", "a", "d", "f"), rows(none, "front"), "the front does not depend on a budget");
        String empty = SweepReportHtml.render(sample(1.0));
        assertTrue(empty.contains("No ok point is within the budget of 1.00 accuracy points."), empty);
        String even = SweepReportHtml.render(new SweepReport("r.yaml", "abc", "seed=1", "local[1]", "t", 0.0, List.of(SweepFrontTest.ok("i", 0.92, 0.92, 300, 3.0))));
        assertTrue(even.contains("+0.00 points against its baseline's 92.00%") && !even.contains("-0.00"), "as accurate as its baseline: +0.00, not -0.00");
    }

    @Test
    void anEditedSweepJsonIsRefusedWithOneLineNamingTheField() throws Exception {
        sample(2.0).write(tmp);
        Path f = tmp.resolve(SweepReport.JSON);
        String json = Files.readString(f);
        Files.writeString(f, json.replaceFirst("\"accuracy\" : 0\\.9", "\"accuracy\" : 1.9"));
        RecipeException e = assertThrows(RecipeException.class, () -> SweepReport.read(tmp));
        assertEquals(f + ": points[0].accuracy: must be in [0, 1], got 1.9", e.getMessage());
        Files.writeString(f, json.replaceFirst("\"status\" : \"ok\"", "\"status\" : \"maybe\""));
        e = assertThrows(RecipeException.class, () -> SweepReport.read(tmp));
        assertTrue(e.getMessage().endsWith("points[0]: status must be ok or failed (with its error), got maybe"), e.getMessage());
        Files.writeString(f, json.replaceFirst("\"size_bytes\" : 100,", ""));
        e = assertThrows(RecipeException.class, () -> SweepReport.read(tmp));
        assertTrue(e.getMessage().contains("points[0]: an ok point needs"), e.getMessage());
    }

    @Test
    void nncompressReportDrawsTheSweepViewAgainFromSweepJson() throws Exception {
        sample(2.0).write(tmp);
        String before = read(tmp.resolve(Report.HTML));
        Files.delete(tmp.resolve(Report.HTML));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertEquals(Main.EXIT_OK, Main.run(new String[] {"report", tmp.toString()}, new PrintWriter(out, true), new PrintWriter(err, true)), err.toString());
        assertEquals(before, read(tmp.resolve(Report.HTML)));
        assertTrue(out.toString().contains("(sweep view, 8 points)"), out.toString());
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
