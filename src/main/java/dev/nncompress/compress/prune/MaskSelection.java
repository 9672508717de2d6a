package dev.nncompress.compress.prune;

import dev.nncompress.tensor.NmPattern;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Scores to masks at a target sparsity s: of n candidate elements (all target weights for
 * {@link PruneScope#GLOBAL}, each weight alone for {@link PruneScope#LAYER}) exactly round(s * n) are
 * pruned (round half up), those with the lowest scores.
 *
 * <p>Ties: elements are ranked by (score, position), position = the weight's place in the target order,
 * then the row-major element index. So among equal scores the earlier element is pruned first; the threshold
 * never takes "everything equal to it", the achieved sparsity is the asked one whatever the ties (many exact
 * zeros, quantised weights), and the result is deterministic. Implementation: each element is one long,
 * the score's float bits (order-preserving for non-negative floats) above a 32-bit position, sorted once.
 */
public final class MaskSelection {
    private MaskSelection() {}

    public static PruneMasks select(Map<String, float[]> scores, double sparsity, PruneScope scope) {
        return select(scores, sparsity, scope, null);
    }

    /**
     * As above, except that elements {@code previous} already prunes rank before all others, so that they stay
     * pruned as a schedule raises the sparsity (scores alone cannot promise it: a live weight may score 0 too).
     * Null = no previous masks. Asking for fewer pruned elements than {@code previous} holds is an error.
     */
    public static PruneMasks select(Map<String, float[]> scores, double sparsity, PruneScope scope, PruneMasks previous) {
        checkSparsity(sparsity);
        if (scores.isEmpty()) throw new IllegalArgumentException("nothing to prune: no target weights");
        Map<String, boolean[]> keep = new LinkedHashMap<>();
        if (scope == PruneScope.LAYER) {
            for (var e : scores.entrySet()) keep.putAll(selectTogether(Map.of(e.getKey(), e.getValue()), sparsity, previous));
            return new PruneMasks(keep);
        }
        return new PruneMasks(selectTogether(scores, sparsity, previous));
    }

    /**
     * N:M masks ({@link NmPattern}): in every group of M consecutive elements of a row ({@code rowLengths}: elements
     * per row of each weight, {@link NmPattern#rowLength}) the lowest-scoring are pruned until
     * {@link NmPattern#keptIn} are left. Ranking and ties as for the sparsity masks: by (score, index within the
     * group), so among equal scores the earlier element is pruned and the later kept.
     */
    public static PruneMasks selectNm(Map<String, float[]> scores, Map<String, Integer> rowLengths, NmPattern pattern) {
        if (scores.isEmpty()) throw new IllegalArgumentException("nothing to prune: no target weights");
        Map<String, boolean[]> keep = new LinkedHashMap<>();
        int m = pattern.m();
        long[] keys = new long[m];
        for (var e : scores.entrySet()) {
            String name = e.getKey();
            float[] sc = e.getValue();
            Integer row = rowLengths.get(name);
            if (row == null || row < 1 || sc.length % row != 0) {
                throw new IllegalArgumentException("row length of " + name + " is " + row + ", which does not divide its " + sc.length + " scores");
            }
            boolean[] k = new boolean[sc.length];
            Arrays.fill(k, true);
            for (int start = 0; start < sc.length; start += row) {
                for (int g = 0, gs = pattern.groups(row); g < gs; g++) {
                    int len = pattern.groupLength(row, g), base = start + g * m;
                    for (int i = 0; i < len; i++) keys[i] = key(name, sc[base + i], i);
                    Arrays.sort(keys, 0, len);
                    for (int i = 0, prune = len - pattern.keptIn(len); i < prune; i++) k[base + (int) (keys[i] & 0x7fffffffL)] = false;
                }
            }
            keep.put(name, k);
        }
        return new PruneMasks(keep);
    }

    /** Sort key of one element: the score's float bits (order-preserving for non-negative floats) above its position. */
    private static long key(String name, float v, int pos) {
        if (!(v >= 0) || Float.isInfinite(v)) throw new IllegalArgumentException("importance of " + name + " is " + v + "; scores must be finite and >= 0");
        return ((long) Float.floatToIntBits(v + 0f) << 32) | pos; // +0f turns -0.0 into +0.0
    }

    /** [0, 1): 1 would remove every weight; the message names the option value. */
    public static void checkSparsity(double sparsity) {
        if (!(sparsity >= 0 && sparsity < 1)) throw new IllegalArgumentException("sparsity must be in [0, 1), got " + sparsity);
    }

    /** Number of elements pruned out of {@code n} at {@code sparsity}. */
    public static long prunedCount(long n, double sparsity) { return (long) Math.floor(sparsity * n + 0.5); }

    private static Map<String, boolean[]> selectTogether(Map<String, float[]> scores, double sparsity, PruneMasks previous) {
        List<String> names = List.copyOf(scores.keySet());
        long total = 0;
        for (float[] s : scores.values()) total += s.length;
        if (total > Integer.MAX_VALUE) throw new IllegalArgumentException("too many weights to rank together: " + total);
        long[] keys = new long[(int) total];
        int pos = 0;
        long alreadyPruned = 0;
        for (String name : names) {
            float[] sc = scores.get(name);
            boolean[] before = previous == null ? null : previous.keep().get(name);
            if (before != null && before.length != sc.length) {
                throw new IllegalArgumentException("previous mask of " + name + " has " + before.length + " elements, the scores " + sc.length);
            }
            for (int i = 0; i < sc.length; i++, pos++) {
                long k = key(name, sc[i], pos);
                if (before != null && !before[i]) {
                    keys[pos] = Long.MIN_VALUE + pos; // below every score key
                    alreadyPruned++;
                } else {
                    keys[pos] = k;
                }
            }
        }
        Arrays.sort(keys);
        long prune = prunedCount(total, sparsity);
        if (prune < alreadyPruned) {
            throw new IllegalArgumentException("sparsity " + sparsity + " prunes " + prune + " of " + total + " weights, fewer than the "
                    + alreadyPruned + " already pruned; masks only grow");
        }
        boolean[] keepAll = new boolean[(int) total];
        Arrays.fill(keepAll, true);
        for (int i = 0; i < prune; i++) keepAll[(int) (keys[i] & 0x7fffffffL)] = false;
        Map<String, boolean[]> out = new LinkedHashMap<>();
        int off = 0;
        for (String name : names) {
            int n = scores.get(name).length;
            out.put(name, Arrays.copyOfRange(keepAll, off, off + n));
            off += n;
        }
        return out;
    }
}
