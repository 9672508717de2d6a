#!/usr/bin/env python3
"""The int8 GEMM baseline: torch._int_mm (cuBLASLt, int8 x int8 -> int32) timed on this GPU.

Prints one harness-contract line per shape,
  RESULT name=torch_int_mm shape=MxNxK check=bit-exact|FAIL time_ms=<median> rate=<TOPS> unit=TOPS peak_frac=<0..1|->
so that scripts/gpu-check.sh can put our gemm_s8 kernels beside it, measured in the same run.
Exit code: 0 when every check passed, 1 on a mismatch, 2 when torch or a CUDA device is missing
(one line saying which). Usage: int8_mm_torch.py [SIZE ...]   (default 1024 2048 4096 8192: cubes)
"""
import statistics
import subprocess
import sys

from torch_gpu import load_torch

# Dense int8 tensor-core operations (2 per multiply-add) per SM per clock, by compute capability:
# each NVIDIA whitepaper's peak INT8 Tensor TOPS (dense, no sparsity) divided by SM count x boost
# clock -- Turing T4 130 TOPS / (40 x 1.59 GHz), A100 624 / (108 x 1.41), GA102 A10 250 / (72 x 1.695),
# Ada RTX 4090 660.6 / (128 x 2.52), H100 SXM 1979 / (132 x 1.83). Unknown archs print peak_frac=-.
INT8_OPS_PER_SM_PER_CLOCK = {(7, 5): 2048, (8, 0): 4096, (8, 6): 2048, (8, 7): 2048, (8, 9): 2048, (9, 0): 8192}
WARMUP = 3
REPS = 20
CHECK_ROWS = 64  # rows of C compared exactly against a float64 product (exact: |sum| < 2^53)


def max_sm_clock_hz(torch, props):
    """The SM boost clock, as cudaDevAttrClockRate gives the harnesses; None when unknown."""
    khz = getattr(props, "clock_rate", None)  # present in some torch versions (kHz)
    if khz:
        return khz * 1e3
    uuid = getattr(props, "uuid", None)
    target = ("GPU-" + str(uuid)) if uuid else str(torch.cuda.current_device())
    try:
        out = subprocess.run(["nvidia-smi", "-i", target, "--query-gpu=clocks.max.sm", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=20).stdout.strip()
        return float(out.splitlines()[0]) * 1e6
    except (OSError, ValueError, IndexError, subprocess.SubprocessError):
        return None


def main(sizes):
    torch = load_torch()
    if torch is None:
        return 2
    props = torch.cuda.get_device_properties(0)
    clock = max_sm_clock_hz(torch, props)
    per_clock = INT8_OPS_PER_SM_PER_CLOCK.get((props.major, props.minor))
    peak = per_clock * props.multi_processor_count * clock if per_clock and clock else None
    print(f"torch {torch.__version__} on {props.name} (cc {props.major}.{props.minor}, {props.multi_processor_count} SMs, "
          f"int8 peak {'%.0f TOPS' % (peak / 1e12) if peak else 'unknown'})")
    gen = torch.Generator(device="cuda").manual_seed(1234)
    failed = False
    for s in sizes:
        m = n = k = s
        try:
            a = torch.randint(-128, 128, (m, k), dtype=torch.int8, device="cuda", generator=gen)
            b = torch.randint(-128, 128, (k, n), dtype=torch.int8, device="cuda", generator=gen)
            c = torch._int_mm(a, b)
            exact = (a[:CHECK_ROWS].double() @ b.double()).to(torch.int64)
            ok = torch.equal(c[:CHECK_ROWS].to(torch.int64), exact)
            start = torch.cuda.Event(enable_timing=True)
            stop = torch.cuda.Event(enable_timing=True)
            for _ in range(WARMUP):
                torch._int_mm(a, b)
            times = []
            for _ in range(REPS):
                start.record()
                torch._int_mm(a, b)
                stop.record()
                stop.synchronize()
                times.append(start.elapsed_time(stop))
            ms = statistics.median(times)
            ops = 2.0 * m * n * k / (ms * 1e-3)
            frac = f"{ops / peak:.3f}" if peak else "-"
            print(f"RESULT name=torch_int_mm shape={m}x{n}x{k} check={'bit-exact' if ok else 'FAIL'} time_ms={ms:.4f} "
                  f"rate={ops / 1e12:.1f} unit=TOPS peak_frac={frac}")
            failed |= not ok
            del a, b, c, exact
            torch.cuda.empty_cache()
        except RuntimeError as e:  # e.g. out of memory or a shape cuBLASLt refuses: say so, count it as failed
            print(f"RESULT name=torch_int_mm shape={m}x{n}x{k} check=FAIL time_ms=- rate=- unit=TOPS peak_frac=-")
            print(f"torch_int_mm {m}x{n}x{k}: {str(e).splitlines()[0]}")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main([int(a) for a in sys.argv[1:]] or [1024, 2048, 4096, 8192]))
