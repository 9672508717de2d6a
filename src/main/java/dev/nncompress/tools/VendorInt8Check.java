package dev.nncompress.tools;

import dev.nncompress.backend.GemmS8Epilogue;
import dev.nncompress.backend.cuda.Blas;
import dev.nncompress.backend.cuda.CudaDriver;
import dev.nncompress.backend.cuda.DeviceBuffer;
import dev.nncompress.backend.cuda.GemmS8;

import java.util.Random;

import static dev.nncompress.tools.VendorCheck.median;
import static dev.nncompress.tools.VendorCheck.result;
import static dev.nncompress.tools.VendorCheck.tag;

/**
 * VendorCheck's int8 rows: our gemm_s8 (the default variant, int32 output) and the vendor BLAS's int8
 * GEMM (cublasGemmEx, CUDA_R_8I in and CUDA_R_32I out) at 1024^3 and 4096^3, MxNxK shapes as the
 * torch._int_mm rows so gpu-check's table lines them up. Ours is checked on 256 sampled entries against
 * an exact CPU sum, the vendor's on every entry against ours: both must be bit-exact (integer sums).
 * The vendor row is named {@code int8_gemmex_<library>}, not {@code gemm_s8}, so that gpu-check's "our
 * best gemm_s8 per shape" stays ours.
 */
final class VendorInt8Check {
    private VendorInt8Check() {}

    static void run(CudaDriver driver, Blas vendor) {
        GemmS8.Variant variant = GemmS8.defaultVariant(driver.info());
        for (int size : new int[] {1024, 4096}) {
            int m = size, n = size, k = size;
            String shape = m + "x" + n + "x" + k;
            double ops = 2.0 * m * n * k;
            Random rnd = new Random(size);
            byte[] a = new byte[m * k], b = new byte[n * k];
            rnd.nextBytes(a);
            rnd.nextBytes(b);
            try (DeviceBuffer da = DeviceBuffer.of(a); DeviceBuffer db = DeviceBuffer.of(b); DeviceBuffer dc = DeviceBuffer.allocate(4L * m * n);
                 GemmS8.DeviceEpilogue s32 = GemmS8.DeviceEpilogue.upload(GemmS8Epilogue.s32())) {
                Runnable ours = () -> GemmS8.launch(variant, da, db, dc, m, n, k, s32);
                ours.run();
                int[] want = dc.toInts();
                int wrong = sampledMismatches(a, b, k, n, want);
                double ms = median(ours, driver::synchronize);
                result("gemm_s8_own_s32", shape, wrong == 0, "bit-exact", ms, ops / (ms * 1e-3) / 1e12, "TOPS");
                String refusal = vendor == null ? "no vendor BLAS in this process" : vendor.gemmS8Refusal(m, n, k);
                if (refusal != null) {
                    System.out.println("int8_gemmex " + shape + ": not run, " + refusal);
                    continue;
                }
                Runnable theirs = () -> vendor.gemmS8(da, db, dc, m, n, k);
                theirs.run();
                int[] got = dc.toInts();
                double vms = median(theirs, driver::synchronize);
                result("int8_gemmex_" + tag(vendor.name()), shape, java.util.Arrays.equals(want, got), "bit-exact", vms,
                        ops / (vms * 1e-3) / 1e12, "TOPS");
            }
        }
    }

    /** Entries of C = A B^T (int32) that differ from an exact CPU sum, over 256 sampled positions. */
    private static int sampledMismatches(byte[] a, byte[] b, int k, int n, int[] c) {
        Random pick = new Random(2);
        int m = c.length / n, wrong = 0;
        for (int t = 0; t < 256; t++) {
            int i = pick.nextInt(m), j = pick.nextInt(n), sum = 0;
            for (int p = 0; p < k; p++) sum += a[i * k + p] * b[j * k + p];
            if (c[i * n + j] != sum) wrong++;
        }
        return wrong;
    }
}
