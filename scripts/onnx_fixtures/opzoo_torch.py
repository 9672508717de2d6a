"""The operator zoo as PyTorch writes it: one small random-weight module using every operator of issue
17 that the three models do not, exported by both exporters at several opsets, because each spells
the same module differently (Squeeze/Unsqueeze axes as attribute before 13 and as input from 13;
ReduceMean axes as input from 18; HardSwish as an op from 14, as HardSigmoid * x before; the dynamo
exporter's shape arithmetic around Reshape differs from TorchScript's Shape/Gather/Concat).

Input [N, 3, 8, 8], seeded pseudo-random; output [N, 10], from the flattened feature map (global means
of noise images hardly differ between images, and would leave the logits nearly constant).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from .data import lcg_check, lcg_images
from .first_slice import add_identity_and_dropout
from .record import DYNAMO, TORCHSCRIPT, path_of, record, torch_export

SAMPLES = 8
SHAPE = (SAMPLES, 3, 8, 8)
SEED = 12
MAX_BYTES = 96 * 1024
EXPORTS = [(11, False), (13, False), (17, False), (18, True), (21, True)]


class OpZoo(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.grouped = nn.Conv2d(8, 16, 3, padding=1, groups=4)              # grouped, 2 inputs per group
        self.dilated = nn.Conv2d(16, 16, 3, padding=2, dilation=2, groups=2)  # dilation 2, grouped
        self.strided = nn.Conv2d(16, 16, (3, 1), stride=(2, 1), padding=(1, 0))  # non-square kernel and stride
        self.pool = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=True)
        self.shift = nn.Parameter(torch.randn(1, 16, 1, 1) * 0.1)
        self.scale = nn.Parameter(torch.rand(1, 16, 1, 1) + 0.5)
        self.bias = nn.Parameter(torch.randn(1, 32, 1, 1) * 0.1)
        self.fc = nn.Linear(40, 32)
        self.w = nn.Parameter(torch.randn(512, 10) / 512 ** 0.5)  # [in, out]: MatMul
        self.b = nn.Parameter(torch.randn(10) * 0.1)
        nn.init.normal_(self.fc.weight, 0.0, 4 / 40 ** 0.5)  # a softmax that picks, not a uniform one
        for conv in (self.stem, self.grouped, self.dilated, self.strided):
            # torch's default init shrinks the signal ~3x a layer; this keeps activations near 1 so that every
            # nonlinearity works in its bending range and the logits depend on the input
            fan_in = conv.weight[0].numel()
            nn.init.normal_(conv.weight, 0.0, 1.6 / fan_in ** 0.5)

    def forward(self, x):
        n = x.shape[0]
        a = F.leaky_relu(self.stem(x), 0.1)                        # LeakyRelu
        b = torch.tanh(self.grouped(a))                            # Tanh
        c = F.hardswish(self.dilated(b))                           # HardSwish (HardSigmoid * x before opset 14)
        d = torch.clamp(self.pool(c), -0.25, 0.75)                 # AveragePool count_include_pad, Clip min and max
        e = F.hardsigmoid((c - self.shift) / self.scale)           # Sub, Div by [1, C, 1, 1]: broadcasting
        f = torch.cat([d - e, torch.clamp(c, min=0.0) * 0.5], 1)  # Sub of activations, Clip min only, Mul by a scalar, Concat
        f = f + self.bias                                          # Add [N, C, H, W] + [1, C, 1, 1] (no conv before it)
        g = F.hardtanh(self.strided(d + e), -1.0, 1.0)             # Add of activations, Clip as hardtanh: [N, 16, 4, 8]
        s = g.mean((2, 3), keepdim=True).squeeze(3).squeeze(2)     # ReduceMean keepdims 1, Squeeze: [N, 16]
        s = torch.cat([s, s * s, a.mean((2, 3))], 1)               # Mul of activations, ReduceMean keepdims 0, Concat on 2-D
        attn = torch.softmax(self.fc(s), dim=1)                    # Gemm, Softmax over the features: [N, 32]
        h = f * (attn * 32).unsqueeze(2).unsqueeze(3)              # Unsqueeze, broadcast Mul [N, C, H, W] * [N, C, 1, 1]
        h = F.max_pool2d(h, 2).view(n, -1) / 2.0                   # Reshape to [N, 512], Div by a scalar
        return torch.matmul(h, self.w) + self.b                    # MatMul + Add


def build():
    torch.manual_seed(SEED)
    model = OpZoo().eval()
    for opset, dynamo in EXPORTS:
        name = f"opzoo_{'dynamo_' if dynamo else ''}op{opset}"
        torch_export(model, name, opset, dynamo, lcg_images(SEED + 1, (2,) + SHAPE[1:]))
        notes = "OpZoo (onnx_fixtures/opzoo_torch.py) with seeded random weights, nothing trained"
        if opset in (11, 13):
            notes += "; HardSwish written as HardSigmoid(alpha 1/6) * x, opset < 14"
        if not dynamo and opset >= 12:
            # a training-style Dropout (ratio as an input) and an Identity that eval exports leave out
            add_identity_and_dropout(path_of(name), opset, after="LeakyRelu")
            notes += "; an Identity and a Dropout (ratio input) inserted after the LeakyRelu by this script"
        record(name, opset=opset, exporter=DYNAMO if dynamo else TORCHSCRIPT, model=model,
               notes=notes, training=f"none: random weights, torch.manual_seed({SEED})", max_bytes=MAX_BYTES,
               **lcg_check(SEED, SHAPE))
