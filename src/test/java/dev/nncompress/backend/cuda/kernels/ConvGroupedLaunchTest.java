package dev.nncompress.backend.cuda.kernels;

import dev.nncompress.backend.Conv2dSpec;
import dev.nncompress.backend.ConvGeometry;
import dev.nncompress.backend.cuda.driver.CudaDriver;
import dev.nncompress.backend.cuda.driver.KernelSignatures;
import jcuda.driver.CUdeviceptr;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The depthwise launcher checked without a GPU: the Java argument list of each kernel has the types of
 * its C parameter list in conv_grouped.cu (a mismatch would only show on a GPU as wrong numbers or an
 * illegal address), and each kernel name is in the fatbin when this build has one.
 */
class ConvGroupedLaunchTest {
    @Test
    void argumentListsMatchTheKernelsParameterLists() throws IOException {
        Map<String, List<KernelSignatures.ParamType>> sigs = KernelSignatures.parse(Files.readString(Path.of("cuda-kernels/conv_grouped.cu")));
        ConvGeometry g = ConvGeometry.of(2, 4, 9, 7, 8, 3, 2, new Conv2dSpec(2, 1, 1, 0, 2, 1, 2, 1, 4));
        Object[] args = CudaDepthwiseConv.args(g, new CUdeviceptr(), new CUdeviceptr(), new CUdeviceptr());
        List<KernelSignatures.ParamType> types = new ArrayList<>();
        for (Object a : args) types.add(KernelSignatures.typeOf(a));
        for (String k : List.of(CudaDepthwiseConv.FWD, CudaDepthwiseConv.BWD_INPUT, CudaDepthwiseConv.BWD_WEIGHT)) {
            assertEquals(sigs.get(k), types, k);
        }
        // the ints in NNC_DW_GEO_PARAMS order: n, c, h, w, o, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw
        assertEquals(List.of(2, 4, 9, 7, 8, 3, 2, g.oh(), g.ow(), 2, 1, 1, 0, 2, 1), List.of(args).subList(3, args.length));
    }

    @Test
    void everyKernelTheLauncherNamesIsInTheFatbin() throws IOException {
        String fatbin;
        try (InputStream in = CudaDriver.class.getResourceAsStream(CudaDriver.FATBIN_RESOURCE)) {
            Assumptions.assumeTrue(in != null, "no fatbin in this build (nvcc absent)");
            fatbin = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
        for (String k : List.of(CudaDepthwiseConv.FWD, CudaDepthwiseConv.BWD_INPUT, CudaDepthwiseConv.BWD_WEIGHT)) {
            assertTrue(fatbin.contains(k + "\0"), "fatbin has no kernel " + k);
        }
    }
}
