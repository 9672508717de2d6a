package dev.nncompress.cli;

import dev.nncompress.train.LrSchedule;

/**
 * Parses --schedule: {@code constant}, {@code step:EVERY:GAMMA} (GAMMA defaults to 0.1, EVERY to 1)
 * or {@code cosine[:MINLR]}. Mirrors the package-private {@code LrSchedule.parse} with messages that
 * name the option.
 */
final class ScheduleSpec {
    private ScheduleSpec() {}

    static LrSchedule parse(String spec) {
        String s = spec.trim();
        String[] p = s.split(":", -1);
        try {
            return switch (p[0]) {
                case "constant" -> {
                    expectParts(spec, p, 1);
                    yield new LrSchedule.Constant();
                }
                case "step" -> {
                    expectParts(spec, p, 3);
                    yield new LrSchedule.Step(p.length > 1 ? Integer.parseInt(p[1]) : 1, p.length > 2 ? Float.parseFloat(p[2]) : 0.1f);
                }
                case "cosine" -> {
                    expectParts(spec, p, 2);
                    yield new LrSchedule.Cosine(p.length > 1 ? Float.parseFloat(p[1]) : 0f);
                }
                default -> throw new IllegalArgumentException("unknown schedule '" + spec + "'");
            };
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--schedule: bad number in '" + spec + "' (" + e.getMessage()
                    + "); use constant, step:EVERY:GAMMA or cosine[:MINLR]");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--schedule: " + e.getMessage() + "; use constant, step:EVERY:GAMMA or cosine[:MINLR]");
        }
    }

    private static void expectParts(String spec, String[] parts, int max) {
        if (parts.length > max) throw new IllegalArgumentException("too many ':' fields in '" + spec + "'");
    }
}
