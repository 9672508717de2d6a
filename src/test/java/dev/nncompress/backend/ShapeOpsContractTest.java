package dev.nncompress.backend;

import dev.nncompress.backend.ref.ReferenceBackend;
import dev.nncompress.tensor.Shape;
import dev.nncompress.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static dev.nncompress.backend.BackendContractTest.exact;
import static dev.nncompress.backend.BackendContractTest.near;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every {@link Backend} owes the ReferenceBackend for the shapes family (issue 17): concat and its
 * split (copies: exact), the mean over consecutive dims and its backward (double sums in the reference's
 * order: exact), and the pools' window options (ceil mode, asymmetric padding, count_include_pad) with the
 * tolerances of the plain pools. Odd sizes, every axis, empty parts. Only the Backend interface and
 * backend.ref are reached (the CUDA subclass goes into the GPU bundle's test jar).
 */
public abstract class ShapeOpsContractTest {
    protected static final ReferenceBackend REF = new ReferenceBackend();

    protected abstract Backend backend();

    private record Pair(Tensor ref, Tensor own) {}

    private Pair random(Random rnd, Shape s, boolean ties) {
        float[] d = new float[s.numel()];
        for (int i = 0; i < d.length; i++) d[i] = ties ? rnd.nextInt(3) : (float) rnd.nextGaussian();
        return new Pair(REF.fromFloats(d, s), backend().fromFloats(d, s));
    }

    @Test void concatAndSplitOnEveryAxis() {
        Random rnd = new Random(11);
        int[][] dims = {{3, 5, 7, 9}, {3, 2, 7, 9}, {3, 1, 7, 9}};
        for (int axis = 0; axis < 4; axis++) {
            Pair[] parts = new Pair[dims.length];
            int[] sizes = new int[dims.length];
            for (int i = 0; i < dims.length; i++) {
                int[] d = {3, 5, 7, 9};
                d[axis] = dims[i][1]; // 5, 2, 1 along the axis
                parts[i] = random(rnd, Shape.of(d), false);
                sizes[i] = d[axis];
            }
            Tensor ref = REF.concat(List.of(parts[0].ref, parts[1].ref, parts[2].ref), axis);
            Tensor own = backend().concat(List.of(parts[0].own, parts[1].own, parts[2].own), axis);
            exact("concat axis " + axis, ref, own);
            List<Tensor> back = backend().split(own, axis, sizes);
            for (int i = 0; i < sizes.length; i++) exact("split axis " + axis + " part " + i, parts[i].ref, back.get(i));
        }
    }

    @Test void concatOfEmptyPartsAndALargeOne() {
        Random rnd = new Random(12);
        Pair a = random(rnd, Shape.of(2, 0, 3), false), b = random(rnd, Shape.of(2, 4, 3), false);
        exact("concat with an empty part", REF.concat(List.of(a.ref, b.ref), 1), backend().concat(List.of(a.own, b.own), 1));
        Pair big1 = random(rnd, Shape.of(64, 48, 13, 13), false), big2 = random(rnd, Shape.of(64, 64, 13, 13), false);
        exact("concat fire-module sized", REF.concat(List.of(big1.ref, big2.ref), 1), backend().concat(List.of(big1.own, big2.own), 1));
        List<Tensor> parts = backend().split(backend().concat(List.of(big1.own, big2.own), 1), 1, new int[] {48, 64});
        exact("split fire-module sized", big2.ref, parts.get(1));
    }

    @Test void concatAndSplitRefuseWhatDoesNotFit() {
        Tensor a = backend().zeros(Shape.of(2, 3, 4)), b = backend().zeros(Shape.of(2, 3, 5));
        String m = assertThrows(IllegalArgumentException.class, () -> backend().concat(List.of(a, b), 1)).getMessage();
        assertEquals("concat: part 1 [2, 3, 5] does not match part 0 [2, 3, 4] outside axis 1", m);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> backend().concat(List.of(a, b), 3)).getMessage().contains("axis 3 is outside"));
        m = assertThrows(IllegalArgumentException.class, () -> backend().split(a, 1, new int[] {1, 1})).getMessage();
        assertEquals("split: sizes [1, 1] add up to 2, not to dim 1 of [2, 3, 4]", m);
        assertThrows(IllegalArgumentException.class, () -> backend().concat(List.of(a, REF.zeros(Shape.of(2, 3, 4))), 1), "another backend's tensor");
    }

    @Test void meanOverConsecutiveDimsAndItsBackward() {
        Random rnd = new Random(13);
        Shape s = Shape.of(3, 5, 7, 6);
        Pair x = random(rnd, s, false);
        int[][] ranges = {{2, 2}, {1, 1}, {1, 3}, {3, 1}, {0, 4}, {1, 2}};
        for (int[] r : ranges) {
            String what = "reduceMean dims [" + r[0] + ", " + (r[0] + r[1]) + ")";
            Tensor ref = REF.reduceMean(x.ref, r[0], r[1]);
            exact(what, ref, backend().reduceMean(x.own, r[0], r[1]));
            Pair gy = random(rnd, ref.shape(), false);
            exact(what + " backward", REF.reduceMeanBackward(s, gy.ref, r[0], r[1]), backend().reduceMeanBackward(s, gy.own, r[0], r[1]));
        }
        Pair wide = random(rnd, Shape.of(2, 3, 5000), false); // inner runs longer than one 4096-float chunk
        exact("reduceMean over a middle dim, long rows", REF.reduceMean(wide.ref, 1, 1), backend().reduceMean(wide.own, 1, 1));
        Pair gap = random(rnd, Shape.of(64, 32, 13, 13), false);
        exact("reduceMean over H, W at a parallel size", REF.reduceMean(gap.ref, 2, 2), backend().reduceMean(gap.own, 2, 2));
        String m = assertThrows(IllegalArgumentException.class, () -> backend().reduceMean(x.own, 3, 2)).getMessage();
        assertEquals("reduceMean: dims [3, 5) are not inside the rank-4 input [3, 5, 7, 6]", m);
        m = assertThrows(IllegalArgumentException.class, () -> backend().reduceMeanBackward(s, x.own, 2, 2)).getMessage();
        assertTrue(m.startsWith("reduceMeanBackward: gradOut is [3, 5, 7, 6], expected [3, 5, 1, 1]"), m);
    }

    /** As BackendContractTest.checkPools: max forward picks one input exactly; the sums meet double ones within 1e-6. */
    private void checkPools(Pair x, Pool2dSpec spec, long seed) {
        Backend own = backend();
        String what = x.ref.shape() + " " + spec;
        Tensor rMax = REF.maxPool2d(x.ref, spec);
        exact(what + " max fwd", rMax, own.maxPool2d(x.own, spec));
        Pair gy = random(new Random(seed), rMax.shape(), false);
        near(what + " max bwd", REF.maxPool2dBackward(x.ref, gy.ref, spec), own.maxPool2dBackward(x.own, gy.own, spec), 1e-6);
        near(what + " avg fwd", REF.avgPool2d(x.ref, spec), own.avgPool2d(x.own, spec), 1e-6);
        near(what + " avg bwd", REF.avgPool2dBackward(x.ref.shape(), gy.ref, spec), own.avgPool2dBackward(x.own.shape(), gy.own, spec), 1e-6);
    }

    @Test void poolsWithCeilModeAsymmetricPaddingAndCountIncludePad() {
        Random rnd = new Random(14);
        Pool2dSpec[] specs = {
            new Pool2dSpec(3, 3, 2, 2, 0, 0, 0, 0, true, false),  // SqueezeNet's max-pool: the last window overhangs
            new Pool2dSpec(2, 3, 2, 2, 0, 1, 1, 1, false, false), // SAME_UPPER-style: one more row of padding at the bottom
            new Pool2dSpec(3, 3, 1, 1, 1, 1, 1, 1, false, true),  // padded average counting the padding
            new Pool2dSpec(3, 3, 2, 2, 1, 1, 1, 1, true, true),   // both: the overhang is not counted
            new Pool2dSpec(3, 2, 2, 2, 2, 0, 1, 1, true, true),
            new Pool2dSpec(2, 2, 2, 2, 0, 0, 1, 1, false, false)  // a 2x2 pool that is not the plain 2x2 path
        };
        for (Pool2dSpec s : specs) {
            checkPools(random(rnd, Shape.of(3, 5, 7, 7), false), s, 31);
            checkPools(random(rnd, Shape.of(3, 5, 8, 6), true), s, 32);
        }
        checkPools(random(rnd, Shape.of(8, 64, 27, 27), true), specs[0], 33); // a parallel split
    }

    @Test void ceilModeSizesFollowPyTorch() {
        // PyTorch: MaxPool2d(3, 2, ceil_mode=True) on 7 -> 3, 8 -> 4 (the last window starts inside), 55 -> 27
        Pool2dSpec ceil = new Pool2dSpec(3, 3, 2, 2, 0, 0, 0, 0, true, false);
        assertEquals(3, ceil.outH(7));
        assertEquals(4, ceil.outH(8));
        assertEquals(27, ceil.outH(55));
        // k 2, s 2, pad 1 each side on 4: ceil((4 + 2 - 2) / 2) + 1 = 3, and the 3rd window starts at 4 < 4 + 1: kept
        assertEquals(3, new Pool2dSpec(2, 2, 2, 2, 1, 1, 1, 1, true, false).outW(4));
        // k 1, s 2, no pad, on 4: ceil(3 / 2) + 1 = 3, but the 3rd window would start at 4, past the input: 2
        assertEquals(2, new Pool2dSpec(1, 1, 2, 2, 0, 0, 0, 0, true, false).outW(4));
        Shape y = backend().maxPool2d(backend().zeros(Shape.of(1, 2, 8, 7)), ceil).shape();
        assertEquals(Shape.of(1, 2, 4, 3), y);
    }
}
