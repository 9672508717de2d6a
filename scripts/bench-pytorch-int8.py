#!/usr/bin/env python3
"""PyTorch's side of `nncompress bench MODEL --int8 --vs-pytorch`: int8 inference images/s of our built-in models.

Builds the SAME architecture as our built-in `teacher` or `student` (dev.nncompress.models.Models, Fashion-MNIST
input [1, 28, 28], 10 classes), quantizes it the way a PyTorch user would on x86: eager-mode static PTQ with
torch.ao.quantization, the `x86` engine (fbgemm kernels; per-channel int8 weights as our default, quint8
activations with the HistogramObserver of `get_default_qconfig("x86")`), Conv+ReLU and Linear+ReLU fused, a
QuantStub in front and a DeQuantStub behind (so the timed call goes from float images to float logits, as ours).
Weights are PyTorch's default initialisation (their values do not change the speed); calibration and timing
use the first Fashion-MNIST training images normalised as ours ((x/255 - 0.2860)/0.3530), or N(0, 1) images
where the IDX file is not there. The input is a plain contiguous NCHW batch, as users pass it (--channels-last
gives a NHWC one instead; it was not faster here).

Two ways to run:
  bench-pytorch-int8.py --model teacher --batch 256 --threads 2 --rounds 5 --round-seconds 2
      one JSON object: the rounds' images/s, the median, CPU microseconds per image
  bench-pytorch-int8.py --model teacher --batch 256 --threads 2 --serve
      prints one JSON line ("ready") once quantized, then for every line "round SECONDS" on stdin one timed
      round as a JSON line; "quit" or end of input ends it. nncompress's bench uses this to alternate its
      rounds with ours in one run (on a loaded machine, sequential runs compare the load, not the code).

Never needed by the test suite; needs torch (tested with 2.13 CPU).
"""
import argparse
import gzip
import json
import os
import struct
import sys
import time
import warnings

MEAN, STD = 0.2860, 0.3530
FASHION_MNIST = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"


def build(name, torch):
    nn = torch.nn
    q = torch.ao.quantization

    class Net(nn.Module):
        def __init__(self, layers):
            super().__init__()
            self.quant = q.QuantStub()
            self.body = nn.Sequential(*layers)
            self.dequant = q.DeQuantStub()

        def forward(self, x):
            return self.dequant(self.body(self.quant(x)))

    if name == "teacher":
        # conv1 1->32, conv2 32->64 (3x3, pad 1, ReLU), pool 2, conv3 64->128, pool 2, fc1 6272->256 ReLU, fc2 256->10
        layers = [nn.Conv2d(1, 32, 3, 1, 1), nn.ReLU(), nn.Conv2d(32, 64, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2),
                  nn.Conv2d(64, 128, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                  nn.Linear(128 * 7 * 7, 256), nn.ReLU(), nn.Linear(256, 10)]
        fuse = [["0", "1"], ["2", "3"], ["5", "6"], ["9", "10"]]
    elif name == "student":
        # conv1 1->8 ReLU pool 2, conv2 8->16 ReLU pool 2, fc1 784->64 ReLU, fc2 64->10
        layers = [nn.Conv2d(1, 8, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2),
                  nn.Flatten(), nn.Linear(16 * 7 * 7, 64), nn.ReLU(), nn.Linear(64, 10)]
        fuse = [["0", "1"], ["3", "4"], ["7", "8"]]
    else:
        raise SystemExit(f"bench-pytorch-int8: unknown model '{name}' (teacher or student)")
    net = Net(layers).eval()
    q.fuse_modules(net.body, fuse, inplace=True)
    return net


def images(count, torch):
    """The first `count` Fashion-MNIST training images, normalised as ours; random ones without the file."""
    if os.path.isfile(FASHION_MNIST):
        with gzip.open(FASHION_MNIST, "rb") as f:
            magic, n, h, w = struct.unpack(">IIII", f.read(16))
            if magic != 0x803 or (h, w) != (28, 28):
                raise SystemExit(f"bench-pytorch-int8: {FASHION_MNIST}: not a 28x28 IDX image file")
            n = min(n, count)
            raw = torch.frombuffer(bytearray(f.read(n * 28 * 28)), dtype=torch.uint8).float()
        x = (raw / 255 - MEAN) / STD
        x = x.reshape(n, 1, 28, 28)
        if n < count:
            x = x.repeat((count + n - 1) // n, 1, 1, 1)[:count]
        return x, "fashion-mnist"
    return torch.randn(count, 1, 28, 28, generator=torch.Generator().manual_seed(42)), "random N(0,1)"


def quantized(name, batch, channels_last, torch):
    q = torch.ao.quantization
    torch.backends.quantized.engine = "x86"
    net = build(name, torch)
    net.qconfig = q.get_default_qconfig("x86")
    q.prepare(net, inplace=True)
    calib, source = images(max(batch, 256), torch)
    with torch.inference_mode():
        for i in range(0, calib.shape[0], 256):
            net(calib[i:i + 256])
    q.convert(net, inplace=True)
    x = calib[:batch].contiguous(memory_format=torch.channels_last) if channels_last else calib[:batch].contiguous()
    return net, x, source


def timed_round(net, x, seconds, torch):
    """Calls in a loop for about `seconds`: images/s and process CPU microseconds per image (all threads)."""
    n = 0
    c0, t0 = time.process_time(), time.perf_counter()
    end = t0 + seconds
    with torch.inference_mode():
        while True:
            net(x)
            n += 1
            if time.perf_counter() >= end:
                break
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    images = n * x.shape[0]
    return {"images_per_second": images / wall, "cpu_us_per_image": cpu * 1e6 / images, "calls": n}


def serve(script, answer):
    """--serve: after the caller's ready line, each stdin line 'WORD SECONDS' gets answer[WORD](SECONDS) back as one
    JSON line, until 'quit' or the end of input (bench-pytorch-float.py serves its rounds through this too)."""
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] == "quit":
            return
        if words[0] not in answer or len(words) != 2:
            expected = ", ".join(f"'{word} SECONDS'" for word in answer)
            raise SystemExit(f"{script}: expected {expected} or 'quit', got {line.strip()!r}")
        print(json.dumps(answer[words[0]](float(words[1]))), flush=True)


def medians(rounds):
    """The median images/s and CPU us/image of timed rounds, each taken on its own."""
    ips = sorted(r["images_per_second"] for r in rounds)
    cpu = sorted(r["cpu_us_per_image"] for r in rounds)
    return {"images_per_second": ips[len(ips) // 2], "cpu_us_per_image": cpu[len(cpu) // 2]}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, choices=["teacher", "student"])
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (intra-op threads)")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--round-seconds", type=float, default=2.0)
    p.add_argument("--channels-last", action=argparse.BooleanOptionalAction, default=False)
    p.add_argument("--serve", action="store_true", help="timed rounds on request (stdin lines 'round SECONDS')")
    a = p.parse_args()
    if a.batch < 1 or a.threads < 1 or a.rounds < 1 or not a.round_seconds > 0:
        raise SystemExit("bench-pytorch-int8: --batch, --threads, --rounds and --round-seconds must be positive")
    warnings.filterwarnings("ignore")  # torch.ao's deprecation notices: stdout stays JSON, stderr stays quiet
    try:
        import torch
    except ImportError:
        raise SystemExit("bench-pytorch-int8: this Python has no torch (pip install torch)")
    torch.set_num_threads(a.threads)
    net, x, source = quantized(a.model, a.batch, a.channels_last, torch)
    info = {"model": a.model, "batch": a.batch, "threads": torch.get_num_threads(), "torch": torch.__version__,
            "engine": torch.backends.quantized.engine, "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "qconfig": "get_default_qconfig('x86'): per-channel weights, HistogramObserver activations",
            "fused": "conv+relu, linear+relu", "channels_last": a.channels_last, "images": source}
    timed_round(net, x, min(0.5, a.round_seconds), torch)  # warm-up, untimed
    if a.serve:
        print(json.dumps(dict(info, ready=True)), flush=True)
        serve("bench-pytorch-int8", {"round": lambda seconds: timed_round(net, x, seconds, torch)})
        return
    rounds = [timed_round(net, x, a.round_seconds, torch) for _ in range(a.rounds)]
    print(json.dumps(dict(info, rounds=rounds, **medians(rounds))))


if __name__ == "__main__":
    main()
