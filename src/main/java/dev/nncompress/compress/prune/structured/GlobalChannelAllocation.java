package dev.nncompress.compress.prune.structured;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Global channel allocation for gradual structured pruning ({@link GradualStructuredPruner.Allocation#GLOBAL}): at a mask
 * update, instead of every group losing the same fraction, the channels removed are the lowest-scoring live channels of
 * the whole network, each score divided by the mean score of its group's live channels (Molchanov et al. 2017 normalise
 * per layer too: raw scores of different groups are not on one scale, e.g. a residual stream's channels collect gradients
 * from several blocks). So a group whose importance is concentrated in a few channels gives up more of the rest, and a
 * group whose channels all matter about equally gives up fewer.
 *
 * <p>The total kept is the caller's (the per-group counts summed: the same channel count as uniform allocation), and every
 * group keeps at least its {@code floor} channels, so no layer collapses and the cut stays a network, and at most its
 * {@code ceiling} (its lowest-scoring live channels go first to get there), which bounds how far the structure, and so the
 * multiply-adds, drift from uniform allocation's. Channels masked earlier stay masked (masks only grow).
 */
final class GlobalChannelAllocation {
    private GlobalChannelAllocation() {}

    /** One live channel and its score normalised by its group's mean. */
    private record Candidate(int group, int channel, double normalised) {}

    /**
     * The kept channels after removing live ones, lowest normalised score first, until {@code targetKept} channels remain
     * over all groups of {@code keep} or every group is at its floor; first every group above its ceiling comes down to it.
     *
     * @param keep       per group its kept channels now (ascending); not modified
     * @param scores     per group id one score per channel (higher = keep), as a {@link FilterCriterion} gives them
     * @param targetKept channels to keep over all groups of {@code keep}
     * @param floor      per group the fewest channels it may keep (at least 1)
     * @param ceiling    per group the most channels it may keep (a group not named: no bound; never below its floor)
     * @return per group its kept channels (ascending), for every group of {@code keep}
     */
    static Map<Integer, int[]> select(Map<Integer, int[]> keep, double[][] scores, long targetKept, Map<Integer, Integer> floor,
                                      Map<Integer, Integer> ceiling) {
        long kept = 0;
        List<Candidate> live = new ArrayList<>();
        for (var e : keep.entrySet()) {
            int id = e.getKey();
            double[] s = id < scores.length ? scores[id] : null;
            int[] k = e.getValue();
            if (s == null) throw new IllegalStateException("no channel scores for group " + id);
            kept += k.length;
            double mean = 0;
            for (int c : k) {
                if (Double.isNaN(s[c])) throw new IllegalArgumentException("a channel score of group " + id + " is NaN");
                mean += s[c];
            }
            mean /= k.length;
            // a group whose live channels all score 0 gives no information: treat every channel as average (1)
            for (int c : k) live.add(new Candidate(id, c, mean > 0 ? s[c] / mean : 1.0));
        }
        live.sort(Comparator.comparingDouble(Candidate::normalised).thenComparingInt(Candidate::group).thenComparingInt(Candidate::channel));
        Map<Integer, Integer> remaining = new LinkedHashMap<>();
        keep.forEach((id, k) -> remaining.put(id, k.length));
        Map<Integer, boolean[]> removed = new LinkedHashMap<>();
        for (Candidate c : live) { // the ceilings first: each group's lowest channels (in score order within a group)
            int left = remaining.get(c.group());
            Integer most = ceiling.get(c.group());
            if (most == null || left <= Math.max(most, Math.max(1, floor.getOrDefault(c.group(), 1)))) continue;
            remove(c, remaining, removed, scores);
            kept--;
        }
        for (Candidate c : live) {
            if (removed.containsKey(c.group()) && removed.get(c.group())[c.channel()]) continue;
            if (kept <= targetKept) break;
            int left = remaining.get(c.group());
            if (left <= Math.max(1, floor.getOrDefault(c.group(), 1))) continue;
            remove(c, remaining, removed, scores);
            kept--;
        }
        Map<Integer, int[]> out = new LinkedHashMap<>();
        keep.forEach((id, k) -> {
            boolean[] r = removed.get(id);
            out.put(id, r == null ? k.clone() : Arrays.stream(k).filter(c -> !r[c]).toArray());
        });
        return out;
    }

    private static void remove(Candidate c, Map<Integer, Integer> remaining, Map<Integer, boolean[]> removed, double[][] scores) {
        remaining.merge(c.group(), -1, Integer::sum);
        removed.computeIfAbsent(c.group(), id -> new boolean[scores[id].length])[c.channel()] = true;
    }
}
