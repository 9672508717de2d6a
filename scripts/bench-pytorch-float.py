#!/usr/bin/env python3
"""PyTorch's side of `nncompress bench MODEL --vs-pytorch` (without --int8): float training and inference images/s.

Builds the SAME architecture as our built-in `student`, `lenet5` or `teacher` (dev.nncompress.models.Models,
Fashion-MNIST input [1, 28, 28], 10 classes; layer for layer, same kernel sizes, padding and pooling) in fp32 and
times what our bench times (bench.Throughput.TrainingStep and inference on a GraphPredictor):
  train  one SGD step on a fixed batch: zero_grad, forward, cross-entropy, backward, torch.optim.SGD(lr 0.01,
         momentum 0.9) step, as a PyTorch user writes it (default settings: grads set to None, for-loop SGD on CPU)
  infer  the model in eval mode under torch.inference_mode on a fixed batch, float images to float logits, in the
         memory format that is faster for this model on this machine (NCHW or channels_last, both timed at
         start-up: channels_last lets oneDNN skip its per-layer reorders, and is what PyTorch's tuning guide advises)
  distill  (asked for by name, built on first use) a distillation step from a live float teacher, as bench.CompressionSteps
         times ours: the built-in `teacher` architecture in eval mode under torch.no_grad gives its logits for the batch,
         then the train step above on Hinton's loss as our `distill` defaults compute it (T 4, alpha 0.5:
         alpha T^2 KL(softmax(t/T) || softmax(s/T)) batchmean + (1 - alpha) CE)
  qat    (asked for by name, built on first use) a quantisation-aware training step: a copy of the model in eager-mode
         QAT as a PyTorch user sets it up (QuantStub in front, Conv+ReLU and Linear+ReLU fused with fuse_modules_qat,
         get_default_qat_qconfig("x86"): fake-quantised per-channel weights and moving-average activations,
         prepare_qat), then the train step above
Large blocks are kept by glibc's malloc instead of being handed back to the kernel after each call (see
keep_freed_blocks; jemalloc or tcmalloc, which PyTorch's tuning guide advises, do the same): without it, the
teacher's batch-256 activations (25-51 MB each, above glibc's 32 MB mmap limit) were mapped and page-faulted afresh
on every call, which cost 3-4x the CPU per image of the convolutions themselves.
Weights are PyTorch's default initialisation (their values do not change the speed); images and labels are the
first Fashion-MNIST training images normalised as ours, read by bench-pytorch-int8.py's loader (random ones where
the IDX files are not there). torch.set_num_threads sets the intra-op threads.

Two ways to run:
  bench-pytorch-float.py --model student --threads 2 --rounds 5 --round-seconds 2
      one JSON object: each mode's rounds and median images/s and CPU microseconds per image
  bench-pytorch-float.py --model student --threads 2 --serve
      prints one JSON line ("ready") once built, then for every stdin line "train SECONDS", "infer SECONDS",
      "distill SECONDS" or "qat SECONDS" one timed round as a JSON line; "quit" or end of input ends it. nncompress's bench uses this to alternate its
      rounds with ours in one run (on a loaded machine, sequential runs compare the load, not the code).

Never needed by the test suite; needs torch (tested with 2.13 CPU).
"""
import argparse
import copy
import ctypes
import gzip
import importlib.util
import json
import os
import struct
import time
import warnings

LABELS = "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz"


def keep_freed_blocks():
    """Sets glibc malloc to reuse freed large blocks (M_MMAP_THRESHOLD and M_TRIM_THRESHOLD at 1 GiB) before torch
    allocates anything; what a deployer does with MALLOC_MMAP_THRESHOLD_ or an allocator like jemalloc. Our side
    reuses its buffers too. Returns whether it took effect (False off glibc: nothing changed)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3
        return bool(libc.mallopt(m_mmap_threshold, 1 << 30)) and bool(libc.mallopt(m_trim_threshold, 1 << 30))
    except (OSError, AttributeError):
        return False


def shared():
    """bench-pytorch-int8.py beside this file: its Fashion-MNIST image loader and timing conventions."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench-pytorch-int8.py")
    spec = importlib.util.spec_from_file_location("bench_pytorch_int8", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build(name, torch):
    nn = torch.nn
    if name == "student":
        # conv1 1->8 (3x3, pad 1) ReLU pool 2, conv2 8->16 ReLU pool 2, fc1 784->64 ReLU, fc2 64->10
        layers = [nn.Conv2d(1, 8, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2),
                  nn.Flatten(), nn.Linear(16 * 7 * 7, 64), nn.ReLU(), nn.Linear(64, 10)]
    elif name == "lenet5":
        # conv1 1->6 (5x5, pad 2) ReLU pool 2, conv2 6->16 (5x5, no pad) ReLU pool 2, fc1 400->120 ReLU, fc2 120->84 ReLU, fc3 84->10
        layers = [nn.Conv2d(1, 6, 5, 1, 2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5, 1, 0), nn.ReLU(), nn.MaxPool2d(2),
                  nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10)]
    elif name == "teacher":
        # conv1 1->32, conv2 32->64 (3x3, pad 1, ReLU), pool 2, conv3 64->128 ReLU, pool 2, fc1 6272->256 ReLU, fc2 256->10
        layers = [nn.Conv2d(1, 32, 3, 1, 1), nn.ReLU(), nn.Conv2d(32, 64, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2),
                  nn.Conv2d(64, 128, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                  nn.Linear(128 * 7 * 7, 256), nn.ReLU(), nn.Linear(256, 10)]
    else:
        raise SystemExit(f"bench-pytorch-float: unknown model '{name}' (student, lenet5 or teacher)")
    return nn.Sequential(*layers)


def labels(count, torch):
    """The first `count` Fashion-MNIST training labels; seeded random ones without the file."""
    if os.path.isfile(LABELS):
        with gzip.open(LABELS, "rb") as f:
            magic, n = struct.unpack(">II", f.read(8))
            if magic != 0x801:
                raise SystemExit(f"bench-pytorch-float: {LABELS}: not an IDX label file")
            n = min(n, count)
            y = torch.frombuffer(bytearray(f.read(n)), dtype=torch.uint8).long()
        return y.repeat((count + n - 1) // n)[:count]
    return torch.randint(0, 10, (count,), generator=torch.Generator().manual_seed(42))


def qat_model(net, torch):
    """A copy of `net` (a Sequential) for eager-mode QAT: QuantStub/DeQuantStub around it, each Conv2d/Linear with the ReLU
    after it fused (fuse_modules_qat), the x86 default QAT qconfig, prepare_qat; with its own SGD (lr 0.01, momentum 0.9)."""
    nn, q = torch.nn, torch.ao.quantization
    torch.backends.quantized.engine = "x86"

    class Net(nn.Module):
        def __init__(self, body):
            super().__init__()
            self.quant, self.body, self.dequant = q.QuantStub(), body, q.DeQuantStub()

        def forward(self, x):
            return self.dequant(self.body(self.quant(x)))

    body = copy.deepcopy(net)
    layers = list(body)
    fuse = [[str(i), str(i + 1)] for i in range(len(layers) - 1)
            if isinstance(layers[i], (nn.Conv2d, nn.Linear)) and isinstance(layers[i + 1], nn.ReLU)]
    model = Net(body).train()
    q.fuse_modules_qat(model.body, fuse, inplace=True)
    model.qconfig = q.get_default_qat_qconfig("x86")
    q.prepare_qat(model, inplace=True)
    return model, torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)


class Bench:
    def __init__(self, name, train_batch, infer_batch, torch, int8):
        self.torch = torch
        self.net = build(name, torch)
        x, self.source = int8.images(max(train_batch, infer_batch), torch)
        self.train_x = x[:train_batch].contiguous()
        self.train_y = labels(train_batch, torch)
        self.infer_x = x[:infer_batch].contiguous()
        self.infer_net, self.memory_format = self.net, "nchw"
        self.opt = torch.optim.SGD(self.net.parameters(), lr=0.01, momentum=0.9)
        self.loss = torch.nn.CrossEntropyLoss()

    def train_step(self):
        self.opt.zero_grad()
        self.loss(self.net(self.train_x), self.train_y).backward()
        self.opt.step()

    def distill_step(self):
        """One student step on the live teacher's logits (the teacher built on first use, frozen, in eval mode)."""
        torch = self.torch
        f = torch.nn.functional
        if not hasattr(self, "teacher"):
            self.teacher = build("teacher", torch).eval()
        temperature, alpha = 4.0, 0.5
        with torch.no_grad():
            t = self.teacher(self.train_x)
        self.opt.zero_grad()
        s = self.net(self.train_x)
        soft = f.kl_div(f.log_softmax(s / temperature, dim=1), f.softmax(t / temperature, dim=1), reduction="batchmean")
        (alpha * temperature * temperature * soft + (1 - alpha) * self.loss(s, self.train_y)).backward()
        self.opt.step()

    def qat_step(self):
        """One training step of the model prepared for eager-mode QAT (built on first use from a copy of the model)."""
        torch = self.torch
        if not hasattr(self, "qat_net"):
            self.qat_net, self.qat_opt = qat_model(self.net, torch)
        self.qat_opt.zero_grad()
        self.loss(self.qat_net(self.train_x), self.train_y).backward()
        self.qat_opt.step()

    def pick_memory_format(self, seconds):
        """Inference in NCHW or channels_last, whichever took less CPU per image over `seconds` each (the same weights:
        the channels_last copy shares the parameters' values, converted once, and its input is converted once too)."""
        torch = self.torch
        fast = self.round("infer", seconds)["cpu_us_per_image"]
        nchw = (self.infer_net, self.infer_x)
        self.infer_net = copy.deepcopy(self.net).to(memory_format=torch.channels_last).eval()
        self.infer_x = self.infer_x.contiguous(memory_format=torch.channels_last)
        if self.round("infer", seconds)["cpu_us_per_image"] < fast:
            self.memory_format = "channels_last"
        else:
            self.infer_net, self.infer_x = nchw

    def round(self, mode, seconds):
        """Steps or calls in a loop for about `seconds`: images/s and process CPU microseconds per image (all threads)."""
        torch = self.torch
        if mode in ("train", "distill", "qat"):
            self.net.train()
            call, batch = {"train": self.train_step, "distill": self.distill_step, "qat": self.qat_step}[mode], self.train_x.shape[0]
        else:
            self.infer_net.eval()
            net, x = self.infer_net, self.infer_x
            call, batch = lambda: net(x), x.shape[0]
        n = 0
        c0, t0 = time.process_time(), time.perf_counter()
        end = t0 + seconds
        with torch.inference_mode(mode == "infer"):
            while True:
                call()
                n += 1
                if time.perf_counter() >= end:
                    break
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        images = n * batch
        return {"mode": mode, "images_per_second": images / wall, "cpu_us_per_image": cpu * 1e6 / images, "calls": n}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, choices=["student", "lenet5", "teacher"])
    p.add_argument("--train-batch", type=int, default=64)
    p.add_argument("--infer-batch", type=int, default=256)
    p.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (intra-op threads)")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--round-seconds", type=float, default=2.0)
    p.add_argument("--modes", default="train,infer", help="without --serve: the modes to time, of train, infer, distill, qat")
    p.add_argument("--serve", action="store_true", help="timed rounds on request (stdin lines 'MODE SECONDS', MODE one of the above)")
    a = p.parse_args()
    if min(a.train_batch, a.infer_batch, a.threads, a.rounds) < 1 or not a.round_seconds > 0:
        raise SystemExit("bench-pytorch-float: --train-batch, --infer-batch, --threads, --rounds and --round-seconds must be positive")
    modes = a.modes.split(",")
    if not modes or any(m not in ("train", "infer", "distill", "qat") for m in modes):
        raise SystemExit(f"bench-pytorch-float: --modes takes train, infer, distill, qat separated by commas, not {a.modes!r}")
    warnings.filterwarnings("ignore")  # torch.ao's deprecation notices (qat): stdout stays JSON, stderr stays quiet
    malloc_kept = keep_freed_blocks()
    try:
        import torch
    except ImportError:
        raise SystemExit("bench-pytorch-float: this Python has no torch (pip install torch)")
    torch.set_num_threads(a.threads)
    torch.manual_seed(42)
    common = shared()
    bench = Bench(a.model, a.train_batch, a.infer_batch, torch, common)
    info = {"model": a.model, "train_batch": a.train_batch, "infer_batch": a.infer_batch, "threads": torch.get_num_threads(),
            "torch": torch.__version__, "cpu_capability": torch.backends.cpu.get_cpu_capability(), "images": bench.source,
            "optimizer": "SGD lr 0.01 momentum 0.9", "loss": "CrossEntropyLoss", "malloc_keeps_freed_blocks": malloc_kept}
    # warm-up, untimed: one call of each when serving (the caller runs its own warm-up rounds), else half a second
    for mode in ("train", "infer"):
        bench.round(mode, 0 if a.serve else min(0.5, a.round_seconds))
    bench.pick_memory_format(min(0.5, a.round_seconds))
    info["infer_memory_format"] = bench.memory_format
    if a.serve:
        print(json.dumps(dict(info, ready=True)), flush=True)
        common.serve("bench-pytorch-float", {mode: (lambda seconds, mode=mode: bench.round(mode, seconds))
                                             for mode in ("train", "infer", "distill", "qat")})
        return
    out = dict(info)
    for mode in modes:
        bench.round(mode, min(0.5, a.round_seconds))  # builds the teacher or QAT copy on first use, warms it up
        rounds = [bench.round(mode, a.round_seconds) for _ in range(a.rounds)]
        out[mode] = dict(rounds=rounds, **common.medians(rounds))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
