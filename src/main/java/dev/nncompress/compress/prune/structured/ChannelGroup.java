package dev.nncompress.compress.prune.structured;

import java.util.List;

/**
 * Channels that must be removed together: the output channels of one or more convs ({@code producers};
 * several when a residual ADD ties them), or the hidden neurons of one Linear ({@code neurons}: a neuron
 * is a Linear's output channel, one weight row), and every place that reads them channel by channel.
 * Removing channel {@code c} of the group removes filter (or weight row) {@code c} and bias entry
 * {@code c} of each producer, entry {@code c} of each batch norm's parameters, input channel {@code c}
 * of each conv reader, and the {@code featuresPerChannel} consecutive input columns
 * {@code c*f .. c*f+f-1} of each linear reader (f = H*W for a Linear after Flatten, 1 after a Linear).
 *
 * @param neurons     true when the producer is a Linear (its channels are hidden neurons), false for convs
 * @param values      every node output (and possibly the graph input) carrying these channels, in graph order
 * @param fixedReason why these channels must stay, or null when the group is prunable
 */
public record ChannelGroup(int id, int channels, boolean neurons, List<String> producers, List<String> batchNorms,
                           List<String> convReaders, List<LinearReader> linearReaders, List<String> values,
                           String fixedReason) {

    /** A LINEAR reading the group's channels flattened: each channel is {@code featuresPerChannel} consecutive inputs. */
    public record LinearReader(String node, int featuresPerChannel) {}

    public ChannelGroup {
        producers = List.copyOf(producers);
        batchNorms = List.copyOf(batchNorms);
        convReaders = List.copyOf(convReaders);
        linearReaders = List.copyOf(linearReaders);
        values = List.copyOf(values);
    }

    public boolean prunable() { return fixedReason == null; }

    /** What one channel of the group is, for reports: "channels" or "neurons". */
    public String unit() { return neurons ? "neurons" : "channels"; }

    /**
     * One line, e.g. {@code group 1: 16 ch, conv conv2 -> relu2, pool2, flatten; read by linear fc1 (49 features/ch)}
     * or {@code group 2: 64 neurons, linear fc1 -> relu3; read by linear fc2}.
     */
    public String describe() {
        StringBuilder sb = new StringBuilder("group ").append(id).append(": ").append(channels)
                .append(neurons ? " neurons, linear" : " ch, conv").append(producers.size() > 1 ? "s " : " ")
                .append(String.join(" + ", producers));
        List<String> passing = values.stream().filter(v -> !producers.contains(v)).toList();
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
