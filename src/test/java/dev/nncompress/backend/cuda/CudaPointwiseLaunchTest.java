package dev.nncompress.backend.cuda;

import dev.nncompress.backend.Binary;
import dev.nncompress.backend.BroadcastGeometry;
import dev.nncompress.backend.Unary;
import dev.nncompress.backend.cuda.driver.KernelSignatures.ParamType;
import dev.nncompress.backend.cuda.driver.KernelSignatures;
import dev.nncompress.tensor.Shape;
import jcuda.driver.CUdeviceptr;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pointwise launcher checked without a GPU: every argument list it builds matches its kernel's C
 * parameter list in cuda-kernels/, the kind numbers of {@link Unary} and {@link Binary} are the kernels'
 * {@code NNC_ACT_*} / {@code NNC_BC_*}, and the broadcast geometry reaches the kernels right-aligned
 * with the stretch masks on the right dims.
 */
class CudaPointwiseLaunchTest {
    private static Map<String, List<ParamType>> signatures() throws Exception {
        Map<String, List<ParamType>> all = new HashMap<>();
        for (String source : KernelSourceTree.families().values()) all.putAll(KernelSignatures.parse(source));
        return all;
    }

    @Test
    void everyArgumentListMatchesItsKernel() throws Exception {
        Map<String, List<ParamType>> sig = signatures();
        Object p = new CUdeviceptr();
        int[] geo = {1, 1, 1, 1, 4, 9, 0, 16};
        Map<String, Object[]> launches = Map.of(
                CudaPointwise.ACT_FORWARD, CudaPointwise.actForwardArgs(Unary.TANH, p, p, 5L, 0f, 0f),
                CudaPointwise.ACT_BACKWARD, CudaPointwise.actBackwardArgs(Unary.CLIP, p, p, p, p, 5L, 0f, 6f),
                CudaPointwise.BC_FORWARD, CudaPointwise.bcForwardArgs(Binary.MUL, p, p, p, 36L, geo),
                CudaPointwise.BC_BACKWARD_THREAD, CudaPointwise.bcBackwardArgs(Binary.DIV, 1, p, p, p, p, 4, 9, geo),
                CudaPointwise.BC_BACKWARD_BLOCK, CudaPointwise.bcBackwardArgs(Binary.DIV, 1, p, p, p, p, 4, 9, geo),
                CudaPointwise.SOFTMAX_FORWARD, CudaPointwise.softmaxArgs(p, null, p, new int[] {2, 3, 4}),
                CudaPointwise.SOFTMAX_BACKWARD, CudaPointwise.softmaxArgs(p, p, p, new int[] {2, 3, 4}));
        for (var e : launches.entrySet()) {
            assertTrue(sig.containsKey(e.getKey()), "no kernel " + e.getKey() + " in cuda-kernels/");
            assertNull(KernelSignatures.mismatch(e.getKey(), sig.get(e.getKey()), e.getValue()), e.getKey());
        }
    }

    @Test
    void kindNumbersAreTheKernelsDefines() throws Exception {
        Map<String, Integer> defines = new HashMap<>();
        Matcher m = Pattern.compile("#define (NNC_(?:ACT|BC)_[A-Z_]+) (\\d+)").matcher(
                Files.readString(Path.of("cuda-kernels/activation.cu")) + Files.readString(Path.of("cuda-kernels/broadcast.cu")));
        while (m.find()) defines.put(m.group(1), Integer.parseInt(m.group(2)));
        for (Unary k : Unary.values()) assertEquals(defines.get("NNC_ACT_" + k.name()), k.code(), k.name());
        for (Binary k : Binary.values()) assertEquals(defines.get("NNC_BC_" + k.name()), k.code(), k.name());
        assertEquals(CudaPointwise.MAX_RANK, defines.get("NNC_BC_RANK"));
    }

    @Test
    void geometryIsRightAlignedWithTheStretchedDimsMasked() {
        // squeeze-excitation [N, C, H, W] * [N, C, 1, 1]: [N*C, H*W], the gate stretched along the last dim
        BroadcastGeometry se = BroadcastGeometry.of("t", Shape.of(2, 3, 4, 5), Shape.of(2, 3, 1, 1));
        assertArrayEquals(new int[] {1, 1, 1, 1, 6, 20, 0, 1 << 5}, CudaPointwise.kernelGeometry("t", se));
        // a per-channel constant first: [N, C, H*W], the constant stretched along N and H*W
        BroadcastGeometry pc = BroadcastGeometry.of("t", Shape.of(3, 1, 1), Shape.of(2, 3, 4, 5));
        assertArrayEquals(new int[] {1, 1, 1, 2, 3, 20, (1 << 3) | (1 << 5), 0}, CudaPointwise.kernelGeometry("t", pc));
        // a scalar: one dim, b stretched
        assertArrayEquals(new int[] {1, 1, 1, 1, 1, 120, 0, 1 << 5},
                CudaPointwise.kernelGeometry("t", BroadcastGeometry.of("t", Shape.of(2, 3, 4, 5), Shape.of(1))));
        BroadcastGeometry seven = BroadcastGeometry.of("t", Shape.of(2, 1, 2, 1, 2, 1, 2), Shape.of(1, 2, 1, 2, 1, 2, 1));
        assertEquals(7, seven.rank());
        var e = assertThrows(IllegalArgumentException.class,
                () -> CudaPointwise.kernelGeometry("binary", seven));
        assertTrue(e.getMessage().contains("at most 6"), e.getMessage());
    }
}
