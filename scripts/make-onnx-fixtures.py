#!/usr/bin/env python3
"""Builds the ONNX test fixtures under src/test/resources/onnx/ (run by hand; CI needs no Python).

Each fixture is a small PyTorch model made only of operators nncompress's graph IR has today
(Conv, Relu, MaxPool, AveragePool, GlobalAveragePool, BatchNormalization, Gemm, MatMul + Add,
Flatten, Reshape after a shape subgraph, Add, Dropout, Identity), trained briefly on Fashion-MNIST
with the normalisation nncompress's data pipeline applies ((x / 255 - 0.2860) / 0.3530, in float32),
exported by torch.onnx.export with a dynamic batch axis, and written with a JSON file beside it:
ONNX Runtime's logits for the first 8 test images, and PyTorch's and ONNX Runtime's accuracy on the
whole test set. The Java tests compare the imported models with both.

Needs torch, onnx, onnxruntime, onnxscript and numpy; in a throw-away venv, never a project requirement:

    python3 -m venv /tmp/onnxvenv && /tmp/onnxvenv/bin/pip install torch onnx onnxruntime onnxscript numpy
    /tmp/onnxvenv/bin/python scripts/make-onnx-fixtures.py [--data /usr/share/datasets/fashion-mnist]

Deterministic for a given torch build (fixed seeds, one thread); rerunning rewrites the files.
"""
import argparse
import gzip
import json
import os
import struct
import warnings

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import helper

MEAN, STD = np.float32(0.2860), np.float32(0.3530)  # data/FashionMnist.java
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "test", "resources", "onnx")
SAMPLES = 8
MAX_BYTES = 300 * 1024


def read_idx(path):
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(data_dir, split):
    prefix = "train" if split == "train" else "t10k"
    x = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"))
    # the same float32 operations, in the same order, as FashionMnist.NORMALISED
    x = (x.astype(np.float32) / np.float32(255) - MEAN) / STD
    return torch.from_numpy(x[:, None, :, :].copy()), torch.from_numpy(y.astype(np.int64))


class LeNet(nn.Module):
    """conv/relu/maxpool twice, x.view(N, -1) (a Shape/Gather/Unsqueeze/Concat/Reshape subgraph), two Linear (Gemm)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(400, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(x.size(0), -1)
        return self.fc2(F.relu(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class SmallResNet(nn.Module):
    """Stem conv + BatchNorm + ReLU + padded MaxPool, two residual blocks (Add), GlobalAveragePool, Flatten, Linear."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16, eps=1e-3, momentum=0.05)
        self.pool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = Block(16, 16, 1)
        self.layer2 = Block(16, 32, 2)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x))))
        x = self.layer2(self.layer1(x))
        x = F.adaptive_avg_pool2d(x, 1)
        return self.fc(torch.flatten(x, 1))


class Mlp(nn.Module):
    """AveragePool, Flatten, Linear (Gemm transB=1), addmm (Gemm transB=0), matmul + bias (MatMul + Add)."""

    def __init__(self):
        super().__init__()
        self.pool = nn.AvgPool2d(2)
        self.fc1 = nn.Linear(196, 128)
        bound = 1 / np.sqrt(128)
        self.w2 = nn.Parameter(torch.empty(128, 64).uniform_(-bound, bound))  # [in, out]: Gemm with transB=0
        self.b2 = nn.Parameter(torch.empty(64).uniform_(-bound, bound))
        bound = 1 / np.sqrt(64)
        self.w3 = nn.Parameter(torch.empty(64, 10).uniform_(-bound, bound))  # MatMul then Add
        self.b3 = nn.Parameter(torch.empty(10).uniform_(-bound, bound))

    def forward(self, x):
        x = torch.flatten(self.pool(x), 1)
        x = F.relu(self.fc1(x))
        x = F.relu(torch.addmm(self.b2, x, self.w2))
        return torch.matmul(x, self.w3) + self.b3


def train(model, x, y, steps, seed):
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    model.train()
    for _ in range(steps):
        idx = torch.randint(0, x.shape[0], (128,), generator=g)
        opt.zero_grad()
        F.cross_entropy(model(x[idx]), y[idx]).backward()
        opt.step()
    model.eval()


def correct(logits, y):
    return int((np.asarray(logits).argmax(1) == np.asarray(y)).sum())


def add_identity_and_dropout(path, opset):
    """Puts an Identity and a Dropout (inference, as a training export would keep it) after the first Relu:
    PyTorch drops both in eval-mode exports, and real files from other exporters carry them."""
    m = onnx.load(path)
    g = m.graph
    pos, relu = next((i, n) for i, n in enumerate(g.node) if n.op_type == "Relu")
    src = relu.output[0]
    ident, drop = src + "_identity", src + "_dropout"
    for n in g.node:
        n.input[:] = [drop if i == src else i for i in n.input]
    nodes = [helper.make_node("Identity", [src], [ident], name="extra_identity")]
    if opset < 12:
        nodes.append(helper.make_node("Dropout", [ident], [drop], name="extra_dropout", ratio=0.25))
    else:
        g.initializer.append(helper.make_tensor("extra_dropout_ratio", onnx.TensorProto.FLOAT, [], [0.25]))
        nodes.append(helper.make_node("Dropout", [ident, "extra_dropout_ratio"], [drop], name="extra_dropout"))
    for k, n in enumerate(nodes):
        g.node.insert(pos + 1 + k, n)
    onnx.checker.check_model(m)
    onnx.save(m, path)


def export(model, name, opset, dynamo, x_test, y_test, steps, notes, extra=None, training_mode=None):
    path = os.path.join(OUT, name + ".onnx")
    dummy = x_test[:2]
    kwargs = dict(input_names=["image"], output_names=["logits"], opset_version=opset, dynamo=dynamo)
    if dynamo:
        kwargs["dynamic_shapes"] = {"x": {0: torch.export.Dim("batch", min=1, max=4096)}}
        kwargs["external_data"] = False  # its default writes the weights to a .data file beside the model
    else:
        kwargs["dynamic_axes"] = {"image": {0: "batch"}, "logits": {0: "batch"}}
        kwargs["do_constant_folding"] = True
        if training_mode is not None:
            kwargs["training"] = training_mode
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (dummy,), path, **kwargs)
    if extra:
        extra(path, opset)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    size = os.path.getsize(path)
    assert size < MAX_BYTES, f"{path} is {size} bytes"

    with torch.no_grad():
        torch_logits = torch.cat([model(x_test[i:i + 1000]) for i in range(0, x_test.shape[0], 1000)]).numpy()
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    ort_logits = np.concatenate([sess.run(None, {"image": x_test[i:i + 1000].numpy()})[0]
                                 for i in range(0, x_test.shape[0], 1000)])
    expected = sess.run(None, {"image": x_test[:SAMPLES].numpy()})[0]
    ops = sorted({n.op_type for n in m.graph.node})
    info = {
        "model": name + ".onnx",
        "opset": opset,
        "exporter": ("torch.onnx.export dynamo=True" if dynamo else "torch.onnx.export dynamo=False (TorchScript)"),
        "torch": torch.__version__, "onnx": onnx.__version__, "onnxruntime": ort.__version__,
        "operators": ops,
        "notes": notes,
        "training": f"Adam lr 2e-3, batch 128, {steps} steps on the Fashion-MNIST training set, seed 0",
        "normalisation": "(x / 255 - 0.2860) / 0.3530 in float32, as nncompress's FashionMnist",
        "inputs": f"the first {SAMPLES} test images (t10k-images-idx3-ubyte), normalised, batch of {SAMPLES}",
        "labels": y_test[:SAMPLES].tolist(),
        "logits": expected.tolist(),
        "test_images": int(x_test.shape[0]),
        "pytorch_test_correct": correct(torch_logits, y_test),
        "onnxruntime_test_correct": correct(ort_logits, y_test),
        "pytorch_vs_onnxruntime_max_abs_diff": float(np.abs(torch_logits - ort_logits).max()),
    }
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(info, f, indent=1)
        f.write("\n")
    print(f"{name}: {size} bytes, opset {opset}, ops {ops}, torch {info['pytorch_test_correct']}/10000, "
          f"ort {info['onnxruntime_test_correct']}/10000")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--steps", type=int, default=400)
    args = ap.parse_args()
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    x_train, y_train = load(args.data, "train")
    x_test, y_test = load(args.data, "test")

    torch.manual_seed(0)
    lenet = LeNet()
    train(lenet, x_train, y_train, args.steps, 0)
    export(lenet, "lenet_op17", 17, False, x_test, y_test, args.steps,
           "x.view(x.size(0), -1) exports as a Shape/Gather/Unsqueeze/Concat subgraph feeding Reshape")
    export(lenet, "lenet_dynamo_op18", 18, True, x_test, y_test, args.steps,
           "the same trained LeNet through the dynamo exporter (torch's default)")

    torch.manual_seed(0)
    resnet = SmallResNet()
    train(resnet, x_train, y_train, args.steps, 0)
    # PRESERVE keeps BatchNormalization as a node; EVAL would fold it into the convolution before it
    export(resnet, "resnet_op13", 13, False, x_test, y_test, args.steps,
           "exported with training=PRESERVE in eval mode so that BatchNormalization stays a node",
           training_mode=torch.onnx.TrainingMode.PRESERVE)

    torch.manual_seed(0)
    mlp = Mlp()
    train(mlp, x_train, y_train, args.steps, 0)
    export(mlp, "mlp_op11", 11, False, x_test, y_test, args.steps,
           "an Identity and a Dropout (ratio attribute, opset 11) inserted after the first Relu by this script",
           extra=add_identity_and_dropout)


if __name__ == "__main__":
    main()
