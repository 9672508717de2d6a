#!/usr/bin/env python3
"""The float baselines of the vendor step: PyTorch's fp32 matmul and the teacher's conv2 on this GPU.

Issue 9 compares our cuDNN route with what PyTorch gets for the same conv on the same GPU, and our gemm_f32
with cuBLAS; VendorCheck prints our rows (conv_<route>_fwd/_bwd shape 64x32x28x28_k3_o64, sgemm_* shape
SxSxS), this script PyTorch's, in the harness contract:
  RESULT name=torch_conv_fwd shape=64x32x28x28_k3_o64 check=ok time_ms=<median> rate=<TFLOP/s> unit=TFLOP/s peak_frac=-
TF32 is off on both sides (our cuBLAS route sets CUBLAS_DEFAULT_MATH; cuDNN convs get FP32 math), and
cudnn.benchmark picks PyTorch's fastest algorithm, so the comparison is pure FP32 against PyTorch at its best.
The conv backward row times weight and input gradients together, as VendorCheck's conv_*_bwd does.
Exit code: 0 when every check passed, 1 on a mismatch, 2 when torch or a CUDA device is missing.
"""
import statistics
import sys

from torch_gpu import load_torch

WARMUP = 3
REPS = 20


def median_ms(torch, fn):
    start = torch.cuda.Event(enable_timing=True)
    stop = torch.cuda.Event(enable_timing=True)
    for _ in range(WARMUP):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(REPS):
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop))
    return statistics.median(times)


def result(name, shape, ok, ms, flops):
    print(f"RESULT name={name} shape={shape} check={'ok' if ok else 'FAIL'} time_ms={ms:.4f} "
          f"rate={flops / (ms * 1e-3) / 1e12:.2f} unit=TFLOP/s peak_frac=-")


def main():
    torch = load_torch()
    if torch is None:
        return 2
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True
    print(f"torch {torch.__version__}, cuDNN {torch.backends.cudnn.version()} on {torch.cuda.get_device_name(0)}; TF32 off")
    gen = torch.Generator(device="cuda").manual_seed(1234)
    failed = False
    for s in (1024, 4096):
        a = torch.randn(s, s, device="cuda", generator=gen)
        b = torch.randn(s, s, device="cuda", generator=gen)
        c = a @ b
        want = a[:16].double() @ b.double()
        ok = torch.allclose(c[:16].double(), want, rtol=0, atol=1e-5 * want.abs().max().item())
        failed |= not ok
        result("torch_sgemm", f"{s}x{s}x{s}", ok, median_ms(torch, lambda: a @ b), 2.0 * s ** 3)
    # the teacher's conv2 at batch 64, as VendorCheck.conv: 32 -> 64 channels, 28x28, 3x3, pad 1
    x = torch.randn(64, 32, 28, 28, device="cuda", generator=gen, requires_grad=True)
    w = torch.randn(64, 32, 3, 3, device="cuda", generator=gen, requires_grad=True)
    flops = 2.0 * 64 * 64 * 32 * 9 * 28 * 28
    conv = torch.nn.functional.conv2d
    y = conv(x, w, padding=1)
    want = torch.nn.functional.conv2d(x[:2].double(), w.double(), padding=1)
    ok = torch.allclose(y[:2].double(), want, rtol=0, atol=1e-5 * want.abs().max().item())
    failed |= not ok
    shape = "64x32x28x28_k3_o64"
    with torch.no_grad():
        result("torch_conv_fwd", shape, ok, median_ms(torch, lambda: conv(x, w, padding=1)), flops)
    gy = torch.randn_like(y)
    result("torch_conv_bwd", shape, ok, median_ms(torch, lambda: torch.autograd.grad(y, (x, w), gy, retain_graph=True)), 2 * flops)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
