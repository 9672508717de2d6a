package dev.nncompress.compress.prune.structured;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Channels that must be removed together: the output channels of one or more convs ({@code producers};
 * several when a residual ADD or a squeeze-excitation gate ties them, a depthwise conv with the conv whose
 * channels it reads), or the hidden neurons of one Linear ({@code neurons}: a neuron is a Linear's output
 * channel, one weight row), and every place that reads them channel by channel. Removing channel {@code c}
 * of the group removes, for every value of the group, the channels {@code slices} names for {@code c}: the
 * producers' filters (or weight rows) and bias entries, the batch norms' entries, the conv readers' input
 * channels and the {@code featuresPerChannel} consecutive input columns of each linear reader per channel
 * (f = H*W for a Linear after Flatten, 1 after a Linear).
 *
 * <p>Channel {@code c} of the group is not always channel {@code c} of every value in it: {@code slices} says which
 * channels of each value it is. A concat's output holds each input's group at that input's offset; a depthwise conv
 * with channel multiplier m has m output channels per channel of the group; a conv added to a concat has its
 * channels split between the concat inputs' groups.
 *
 * @param neurons     true when the producer is a Linear (its channels are hidden neurons), false for convs
 * @param values      every node output (and possibly the graph input) carrying these channels, in graph order
 * @param fixedReason why these channels must stay, or null when the group is prunable
 * @param slices      per value of {@code values}, which of its channels each channel of the group is
 * @param linearProducers the producers that are Linear layers (the rest are convs), for reports
 */
public record ChannelGroup(int id, int channels, boolean neurons, List<String> producers, List<String> batchNorms,
                           List<String> convReaders, List<LinearReader> linearReaders, List<String> values,
                           String fixedReason, Map<String, Slice> slices, List<String> linearProducers) {

    /** A LINEAR reading the group's channels flattened: each channel is {@code featuresPerChannel} consecutive inputs. */
    public record LinearReader(String node, int featuresPerChannel) {}

    /**
     * Which channels of one value the group holds: {@code perChannel[c]} the value's channels (ascending) that are the
     * group's channel {@code c} (one, m for a depthwise conv's output, one per group where a general grouped conv
     * ties in-group index i of its g groups), out of the value's {@code valueChannels}.
     */
    public record Slice(int valueChannels, int[][] perChannel) {
        /** True when the group holds all of the value's channels, one per group channel, in order. */
        boolean identity() {
            if (perChannel.length != valueChannels) return false;
            for (int c = 0; c < perChannel.length; c++) if (perChannel[c].length != 1 || perChannel[c][0] != c) return false;
            return true;
        }

        /**
         * How the value appears in a report: "" when whole, else e.g. "[0..2 of 8]", "[3 of 8]", " (2 per ch)" (a depthwise
         * conv's multiplier: consecutive channels) or " (1 per ch in each of 4 groups)" (a grouped conv's in-group tie:
         * channels one group width apart).
         */
        String label() {
            if (identity()) return "";
            int per = perChannel[0].length;
            if (per > 1 && perChannel[0][1] - perChannel[0][0] > 1) {
                return " (1 per ch in each of " + per + " groups" + (perChannel.length * per == valueChannels ? "" : ", " + perChannel.length * per + " of " + valueChannels) + ")";
            }
            if (per > 1) return perChannel.length * per == valueChannels ? " (" + per + " per ch)" : "[" + perChannel.length * per + " of " + valueChannels + "]";
            boolean contiguous = true;
            for (int c = 1; c < perChannel.length; c++) contiguous &= perChannel[c][0] == perChannel[c - 1][0] + 1;
            return contiguous ? "[" + perChannel[0][0] + ".." + perChannel[perChannel.length - 1][0] + " of " + valueChannels + "]"
                    : "[" + perChannel.length + " of " + valueChannels + "]";
        }
    }

    public ChannelGroup {
        producers = List.copyOf(producers);
        batchNorms = List.copyOf(batchNorms);
        convReaders = List.copyOf(convReaders);
        linearReaders = List.copyOf(linearReaders);
        values = List.copyOf(values);
        slices = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(slices));
        linearProducers = List.copyOf(linearProducers);
    }

    /** The channels of {@code value} (ascending) that are the group's channel {@code c}. */
    public int[] channelsOf(String value, int c) { return slices.get(value).perChannel()[c].clone(); }

    public boolean prunable() { return fixedReason == null; }

    /** What one channel of the group is, for reports: "channels" or "neurons". */
    public String unit() { return neurons ? "neurons" : "channels"; }

    /**
     * One line, e.g. {@code group 1: 16 ch, conv conv2 -> relu2, pool2, flatten; read by linear fc1 (49 features/ch)}
     * or {@code group 2: 64 neurons, linear fc1 -> relu3; read by linear fc2}.
     */
    public String describe() {
        // one kind of producer: "conv a" / "convs a + b" / "linear fc1"; mixed (a gate made of linears joining a conv trunk): each named
        boolean mixed = !linearProducers.isEmpty() && linearProducers.size() < producers.size();
        String kind = linearProducers.isEmpty() ? "conv" : "linear";
        StringBuilder sb = new StringBuilder("group ").append(id).append(": ").append(channels).append(neurons ? " neurons, " : " ch, ")
                .append(mixed ? "" : kind + (producers.size() > 1 ? "s " : " "))
                .append(String.join(" + ", producers.stream()
                        .map(p -> (mixed ? (linearProducers.contains(p) ? "linear " : "conv ") : "") + p + slices.get(p).label()).toList()));
        List<String> passing = values.stream().filter(v -> !producers.contains(v)).map(v -> v + slices.get(v).label()).toList();
        if (!passing.isEmpty()) sb.append(" -> ").append(String.join(", ", passing));
        if (!convReaders.isEmpty() || !linearReaders.isEmpty()) {
            sb.append("; read by");
            for (String c : convReaders) sb.append(" conv ").append(c).append(',');
            for (LinearReader l : linearReaders) {
                sb.append(" linear ").append(l.node());
                if (!neurons) sb.append(" (").append(l.featuresPerChannel()).append(" features/ch)");
                sb.append(',');
            }
            sb.setLength(sb.length() - 1);
        }
        sb.append(prunable() ? "" : "; fixed: " + fixedReason);
        return sb.toString();
    }
}
