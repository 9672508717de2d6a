package dev.nncompress.compress.prune;

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
                float v = sc[i];
                if (!(v >= 0) || Float.isInfinite(v)) throw new IllegalArgumentException("importance of " + name + " is " + v + "; scores must be finite and >= 0");
                if (before != null && !before[i]) {
                    keys[pos] = Long.MIN_VALUE + pos; // below every score key
                    alreadyPruned++;
                } else {
                    int bits = Float.floatToIntBits(v + 0f); // +0f turns -0.0 into +0.0
                    keys[pos] = ((long) bits << 32) | pos;
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
