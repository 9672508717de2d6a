package dev.nncompress.compress.prune.structured;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The bookkeeping of {@link ChannelDependencies}: one union-find element per (value, channel) of every value that
 * carries channels, plus why values must stay whole. Working per channel rather than per value is what lets a
 * concatenation place its inputs at offsets, a depthwise conv tie m output channels to one input channel and a
 * residual sum of a concat and a conv split that conv's channels between two groups.
 */
final class ChannelElements {
    private final Map<String, Integer> base = new LinkedHashMap<>();     // first element of each value, in entry order
    private final Map<String, Integer> channels = new HashMap<>();
    /** Consecutive features per channel: 1 for [C, H, W], H*W once flattened. */
    private final Map<String, Integer> features = new HashMap<>();
    private final Map<String, Set<String>> reasons = new HashMap<>();  // why a value's channels must all stay
    private int[] parent = new int[256];
    private int size;

    boolean has(String value) { return value != null && base.containsKey(value); }

    /** Starts {@code value} with {@code c} channels of {@code f} features each, every channel its own element. */
    void add(String value, int c, int f) {
        if (has(value)) throw new IllegalStateException("value " + value + " entered twice");
        base.put(value, size);
        channels.put(value, c);
        features.put(value, f);
        if (size + c > parent.length) parent = Arrays.copyOf(parent, Math.max(parent.length * 2, size + c));
        for (int i = 0; i < c; i++) parent[size + i] = size + i;
        size += c;
    }

    int channels(String value) { return channels.get(value); }

    int features(String value) { return features.get(value); }

    int element(String value, int channel) {
        if (channel < 0 || channel >= channels(value)) {
            throw new IllegalStateException("channel " + channel + " of " + value + " (" + channels(value) + " channels)");
        }
        return base.get(value) + channel;
    }

    /** Ties channel {@code ca} of {@code a} to channel {@code cb} of {@code b}: they are removed together or not at all. */
    void tie(String a, int ca, String b, int cb) {
        int ra = find(element(a, ca)), rb = find(element(b, cb));
        if (ra != rb) parent[ra] = rb;
    }

    /** Ties channel c of {@code a} to channel c of {@code b} for every c (both have the same count). */
    void tieAll(String a, String b) {
        for (int c = 0; c < channels(a); c++) tie(a, c, b, c);
    }

    int find(int e) {
        int r = e;
        while (parent[r] != r) r = parent[r];
        while (parent[e] != r) { // path compression
            int next = parent[e];
            parent[e] = r;
            e = next;
        }
        return r;
    }

    void fix(String value, String reason) { reasons.computeIfAbsent(value, k -> new LinkedHashSet<>()).add(reason); }

    Set<String> reasons(String value) { return reasons.getOrDefault(value, Set.of()); }

    /** The channel count of every value that carries channels, in the order they were entered. */
    Map<String, Integer> channelCounts() {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (String v : base.keySet()) out.put(v, channels(v));
        return out;
    }

    /** One unit: elements tied together, listed per value (graph order) with ascending channels. */
    static final class Unit {
        final Map<String, List<Integer>> channelsByValue = new LinkedHashMap<>();

        /** Which values, how many channels each, and why any must stay: units that agree form one group. */
        String signature(ChannelElements e) {
            StringBuilder sb = new StringBuilder();
            for (var m : channelsByValue.entrySet()) sb.append(m.getKey()).append('*').append(m.getValue().size()).append(';');
            return sb.append('|').append(String.join("; ", reasons(e))).toString();
        }

        List<String> reasons(ChannelElements e) {
            Set<String> out = new LinkedHashSet<>();
            for (String v : channelsByValue.keySet()) out.addAll(e.reasons(v));
            return new ArrayList<>(out);
        }
    }

    /** Every connected component, first seen scanning {@code order} (values not entered are skipped) channel by channel. */
    List<Unit> units(List<String> order) {
        Map<Integer, Unit> byRoot = new LinkedHashMap<>();
        for (String v : order) {
            if (!has(v)) continue;
            for (int c = 0; c < channels(v); c++) {
                Unit u = byRoot.computeIfAbsent(find(element(v, c)), k -> new Unit());
                u.channelsByValue.computeIfAbsent(v, k -> new ArrayList<>()).add(c);
            }
        }
        return new ArrayList<>(byRoot.values());
    }
}
