"""The first fixtures: LeNet, a small ResNet and an MLP, made only of the operators of the importer's
first slice (Conv, Relu, MaxPool, AveragePool, GlobalAveragePool, BatchNormalization, Gemm,
MatMul + Add, Flatten, Reshape after a shape subgraph, Add, Dropout, Identity)."""
import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import helper

from .record import export_trained
from .train import train

MAX_BYTES = 300 * 1024


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


def add_identity_and_dropout(path, opset, after="Relu"):
    """Puts an Identity and a Dropout (inference, as a training export would keep it) after the first
    `after` node: PyTorch drops both in eval-mode exports, and real files from other exporters carry them."""
    m = onnx.load(path)
    g = m.graph
    pos, relu = next((i, n) for i, n in enumerate(g.node) if n.op_type == after)
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


def export(model, name, opset, dynamo, test, training, notes, extra=None, training_mode=None):
    export_trained(model, name, opset, dynamo, test, training=training, notes=notes, max_bytes=MAX_BYTES,
                   extra=extra, training_mode=training_mode)


def build(train_set, test, steps):
    x_train, y_train = train_set
    torch.manual_seed(0)
    lenet = LeNet()
    how = train(lenet, x_train, y_train, steps, 0)
    export(lenet, "lenet_op17", 17, False, test, how,
           "x.view(x.size(0), -1) exports as a Shape/Gather/Unsqueeze/Concat subgraph feeding Reshape")
    export(lenet, "lenet_dynamo_op18", 18, True, test, how,
           "the same trained LeNet through the dynamo exporter (torch's default)")

    torch.manual_seed(0)
    resnet = SmallResNet()
    how = train(resnet, x_train, y_train, steps, 0)
    # PRESERVE keeps BatchNormalization as a node; EVAL would fold it into the convolution before it
    export(resnet, "resnet_op13", 13, False, test, how,
           "exported with training=PRESERVE in eval mode so that BatchNormalization stays a node",
           training_mode=torch.onnx.TrainingMode.PRESERVE)

    torch.manual_seed(0)
    mlp = Mlp()
    how = train(mlp, x_train, y_train, steps, 0)
    export(mlp, "mlp_op11", 11, False, test, how,
           "an Identity and a Dropout (ratio attribute, opset 11) inserted after the first Relu by this script",
           extra=add_identity_and_dropout)
