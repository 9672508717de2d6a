package dev.nncompress.pipeline;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * report.html as a browser draws it (issue 19): a report of fixed numbers, opened in headless Chromium (Debian's
 * {@code chromium}, installed by scripts/setup.sh), once for its DOM and once for a screenshot. The DOM must hold the
 * two scatter plots with one point per stage and the Pareto front's line, the confusion matrix with one cell per
 * class pair, and the stage table; in the screenshot, each plotted point and each matrix cell must show its own
 * colour where the layout put it, and the front's line must be drawn. Skipped, with the reason, without chromium.
 */
class ReportChromiumTest {
    private static final int WIDTH = 1280, HEIGHT = 2400;
    private static final long TIMEOUT_S = 120; // two launches in parallel; about a second each on an idle machine

    /** Added to a copy of the page (the report has no script of its own): where the layout put each drawing. */
    private static final String PROBE = "<script>for (const s of document.querySelectorAll('svg')) { const r = s.getBoundingClientRect();"
            + " s.setAttribute('data-rect', [r.x, r.y, r.width, r.height].map(Math.round).join(',')); }"
            + " for (const p of document.querySelectorAll('polyline.pareto')) p.setAttribute('data-length', Math.round(p.getTotalLength()));</script>";

    @TempDir Path tmp;

    @Test
    void theReportRendersInHeadlessChromium() throws Exception {
        String chromium = chromium();
        assumeTrue(chromium != null, "chromium is not installed (scripts/setup.sh installs Debian's chromium package)");
        Report report = fixedReport();
        String html = ReportHtml.render(report);
        Path page = tmp.resolve("report.html"), probe = tmp.resolve("probe.html"), png = tmp.resolve("shot.png"), dom = tmp.resolve("dom.html");
        Files.writeString(page, html);
        Files.writeString(probe, html.replace("</body>", PROBE + "</body>"));

        // both launches at once: each is mostly start-up
        Process dump = launch(chromium, "dump", List.of("--dump-dom", probe.toUri().toString()), dom);
        Process shot = launch(chromium, "shot", List.of("--screenshot=" + png, page.toUri().toString()), null);
        finish(dump, "--dump-dom");
        finish(shot, "--screenshot");
        String d = Files.readString(dom);

        // the DOM: the plots, one point per stage, the front's line with length, the matrix cells, the table rows
        Map<String, int[]> rects = new LinkedHashMap<>();
        for (String id : List.of("plot-size", "plot-latency", "confusion")) rects.put(id, rect(d, id));
        assertEquals(520 + 2, rects.get("plot-size")[2], "plot width as laid out, with its 1 px border");
        assertEquals(340 + 2, rects.get("plot-size")[3]);
        int stages = report.stages().size();
        for (String id : List.of("plot-size", "plot-latency")) {
            String svg = svg(d, id);
            assertEquals(stages, count(svg, "<circle "), id + " points");
            Matcher front = Pattern.compile("<polyline class=\"pareto\"[^>]*data-length=\"(\\d+)\"").matcher(svg);
            assertTrue(front.find(), id + ": Pareto front line");
            assertTrue(Integer.parseInt(front.group(1)) > 20, id + ": the front's line has length " + front.group(1));
        }
        int classes = report.classNames().size();
        assertEquals(classes * classes, count(svg(d, "confusion"), "<rect "), "confusion matrix cells");
        assertEquals(stages + 1, count(d.substring(d.indexOf("<table id=\"stages\""), d.indexOf("</table>", d.indexOf("<table id=\"stages\""))), "<tr>"));

        // the screenshot: every point and every cell in its own colour at its place, the front's line drawn
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(WIDTH, img.getWidth());
        for (int[] r : rects.values()) assertTrue(r[1] + r[3] <= img.getHeight(), "drawing below the screenshot: " + java.util.Arrays.toString(r));
        for (String id : List.of("plot-size", "plot-latency")) {
            int[] r = rects.get(id);
            Matcher m = Pattern.compile("<circle class=\"point[^\"]*\" cx=\"([0-9.]+)\" cy=\"([0-9.]+)\" r=\"5\" fill=\"#([0-9a-f]{6})\"").matcher(svg(d, id));
            int points = 0;
            while (m.find()) {
                points++;
                assertColour(img, r, Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2)), Integer.parseInt(m.group(3), 16), id + " point " + points);
            }
            assertEquals(stages, points);
            Matcher line = Pattern.compile("<polyline class=\"pareto\"[^>]* points=\"([0-9.]+),([0-9.]+) ([0-9.]+),([0-9.]+)").matcher(svg(d, id));
            assertTrue(line.find(), id + ": front of at least two points");
            double mx = (Double.parseDouble(line.group(1)) + Double.parseDouble(line.group(3))) / 2;
            double my = (Double.parseDouble(line.group(2)) + Double.parseDouble(line.group(4))) / 2;
            assertTrue(near(img, r, mx, my, 0xd62728, 2, 60), id + ": the front's line at its first segment's middle");
        }
        Matcher cell = Pattern.compile("<rect x=\"(\\d+)\" y=\"(\\d+)\" width=\"(\\d+)\" height=\"\\d+\" fill=\"rgb\\((\\d+),(\\d+),255\\)\"").matcher(svg(d, "confusion"));
        int cells = 0, coloured = 0;
        while (cell.find()) {
            cells++;
            double half = Integer.parseInt(cell.group(3)) / 2.0;
            int rgb = Integer.parseInt(cell.group(4)) << 16 | Integer.parseInt(cell.group(5)) << 8 | 255;
            assertColour(img, rects.get("confusion"), Integer.parseInt(cell.group(1)) + half, Integer.parseInt(cell.group(2)) + half, rgb, "cell " + cells);
            if (rgb != 0xffffff) coloured++;
        }
        assertEquals(classes * classes, cells);
        assertTrue(coloured >= classes, "the diagonal at least is coloured: " + coloured);
    }

    /** A report of fixed numbers: four stages, a trade-off front of three, a 10-class matrix with a strong diagonal. */
    static Report fixedReport() {
        List<String> names = List.of("T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Boot");
        List<StageRecord> s = new ArrayList<>();
        double[][] rows = { // accuracy, file bytes, params, latency ms
                {0.90, 6_800_000, 1_701_130, 2.5}, {0.89, 900_000, 220_000, 0.9}, {0.885, 240_000, 220_000, 0.3}, {0.80, 250_000, 220_000, 0.35}};
        String[] stage = {"input", "prune", "quantize", "export"};
        for (int i = 0; i < rows.length; i++) {
            int[][] c = new int[10][10];
            for (int a = 0; a < 10; a++) for (int b = 0; b < 10; b++) c[a][b] = a == b ? 180 + 3 * a : (a * 7 + b * 3) % 5;
            StageRecord.Metrics m = new StageRecord.Metrics(rows[i][0], 2000, (long) rows[i][1], (long) rows[i][2], rows[i][3], 1000 / rows[i][3], 256,
                    i >= 2 ? "int8" : "float", Map.of("conv1.weight", 0.5), i == 2 ? Map.of("conv1", 31.5) : Map.of(), c);
            s.add(new StageRecord(i - 1, stage[i], i == 0 ? null : "stage" + (i - 1) + "-" + stage[i] + ".safetensors", "ab".repeat(32),
                    Map.of("k", i), m, 1.5 * i, List.of(), false));
        }
        return new Report("fixed.yaml", "ab".repeat(32), "model: teacher\nstages: []\n", "teacher", "nncompress test", names, s, null);
    }

    private static String chromium() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
            for (String name : List.of("chromium", "chromium-browser")) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) return p.toString();
            }
        }
        return null;
    }

    private Process launch(String chromium, String profile, List<String> what, Path stdout) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(chromium, "--headless", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--no-default-browser-check", "--disable-extensions", "--disable-background-networking", "--disable-component-update",
                "--user-data-dir=" + tmp.resolve("profile-" + profile), "--hide-scrollbars", "--force-device-scale-factor=1",
                "--window-size=" + WIDTH + "," + HEIGHT));
        // Chromium refuses to run as root with its sandbox; only then is it turned off
        if ("root".equals(System.getProperty("user.name"))) cmd.add("--no-sandbox");
        cmd.addAll(what);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(tmp.resolve(profile + ".err").toFile());
        pb.redirectOutput(stdout != null ? stdout.toFile() : tmp.resolve(profile + ".out").toFile());
        return pb.start();
    }

    private void finish(Process p, String what) throws Exception {
        if (!p.waitFor(TIMEOUT_S, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("chromium " + what + " did not finish in " + TIMEOUT_S + " s");
        }
        if (p.exitValue() != 0) fail("chromium " + what + " exited " + p.exitValue());
    }

    /** The element's laid-out box {x, y, width, height} recorded by the probe. */
    private static int[] rect(String dom, String id) {
        Matcher m = Pattern.compile("<svg id=\"" + id + "\"[^>]*data-rect=\"(-?\\d+),(-?\\d+),(\\d+),(\\d+)\"").matcher(dom);
        assertTrue(m.find(), "no laid-out svg#" + id);
        return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)), Integer.parseInt(m.group(4))};
    }

    private static String svg(String dom, String id) {
        int a = dom.indexOf("<svg id=\"" + id + "\"");
        assertTrue(a >= 0, "no svg#" + id);
        return dom.substring(a, dom.indexOf("</svg>", a));
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) n++;
        return n;
    }

    /** The pixel at user coordinates (x, y) of an svg laid out at {@code r} (1 px border) is {@code rgb}, within a rounding step. */
    private static void assertColour(BufferedImage img, int[] r, double x, double y, int rgb, String what) {
        assertTrue(near(img, r, x, y, rgb, 0, 12), what + ": expected #" + Integer.toHexString(rgb) + " at (" + x + ", " + y + "), got #"
                + Integer.toHexString(img.getRGB(px(r, x, 0), px(r, y, 1)) & 0xffffff));
    }

    /** Whether a pixel within {@code radius} of (x, y) is {@code rgb} within {@code tolerance} per channel. */
    private static boolean near(BufferedImage img, int[] r, double x, double y, int rgb, int radius, int tolerance) {
        int cx = px(r, x, 0), cy = px(r, y, 1);
        for (int dy = -radius; dy <= radius; dy++) {
            for (int dx = -radius; dx <= radius; dx++) {
                int p = img.getRGB(cx + dx, cy + dy);
                boolean ok = true;
                for (int sh = 0; sh <= 16; sh += 8) ok &= Math.abs((p >> sh & 255) - (rgb >> sh & 255)) <= tolerance;
                if (ok) return true;
            }
        }
        return false;
    }

    private static int px(int[] r, double v, int axis) { return (int) Math.floor(r[axis] + 1 + v); }
}
