"""A ResNet with squeeze-excitation blocks (Hu et al. 2018) on 3x32x32 input.

Two SE forms, both common in the wild: the convolutional one (x.mean((2, 3), keepdim=True) -> ReduceMean,
1x1 conv, ReLU, 1x1 conv, Sigmoid) and the Linear one (adaptive_avg_pool2d -> GlobalAveragePool,
view(N, C) -> Reshape, Linear (Gemm), ReLU, Linear, Sigmoid, view(N, C, 1, 1) -> Reshape); either scales
the block's output channels by a broadcast Mul [N, C, H, W] * [N, C, 1, 1] before the residual Add.
(`y.expand_as(x)`, also seen, would export an Expand node, which issue 17 does not list.)

Trained briefly on Fashion-MNIST padded to 32x32 and repeated to 3 channels, for an accuracy that says
the weights are real; the logits are checked on seeded pseudo-random 3x32x32 images, which need no data.
Exported twice: `se_resnet` by TorchScript at opset 17 with training=PRESERVE (BatchNormalization nodes,
GlobalAveragePool, Reshape after a Shape/Gather/Unsqueeze/Concat subgraph), `se_resnet_dynamo_op18` by
the dynamo exporter, torch's default (which folds BatchNorm into the convolutions, writes every average
pool as ReduceMean over axes [-1, -2], and Reshape with a constant shape [-1, C, 1, 1]).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from .data import lcg_check, lcg_images, load
from .record import DYNAMO, TORCHSCRIPT, record, torch_export
from .train import train

SAMPLES = 8
SEED = 32
MAX_BYTES = 600 * 1024


class ConvSE(nn.Module):
    def __init__(self, c, reduction=4):
        super().__init__()
        self.reduce = nn.Conv2d(c, c // reduction, 1)
        self.expand = nn.Conv2d(c // reduction, c, 1)

    def forward(self, x):
        s = x.mean((2, 3), keepdim=True)
        return x * torch.sigmoid(self.expand(F.relu(self.reduce(s))))


class LinearSE(nn.Module):
    def __init__(self, c, reduction=4):
        super().__init__()
        self.fc1 = nn.Linear(c, c // reduction)
        self.fc2 = nn.Linear(c // reduction, c)

    def forward(self, x):
        n, c = x.shape[0], x.shape[1]
        s = F.adaptive_avg_pool2d(x, 1).view(n, c)
        s = torch.sigmoid(self.fc2(F.relu(self.fc1(s))))
        return x * s.view(n, c, 1, 1)


class SEBlock(nn.Module):
    def __init__(self, cin, cout, stride, se):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.se = se(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.se(self.bn2(self.conv2(out)))
        return F.relu(out + self.shortcut(x))


class SEResNet(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.layer1 = SEBlock(16, 16, 1, ConvSE)
        self.layer2 = SEBlock(16, 32, 2, ConvSE)
        self.layer3 = SEBlock(32, 64, 2, LinearSE)
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        x = self.layer3(self.layer2(self.layer1(self.stem(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def build(data_dir):
    x_train, y_train = load(data_dir, "train", size=32, channels=3)
    x_test, y_test = load(data_dir, "test", size=32, channels=3)
    torch.manual_seed(0)
    model = SEResNet()
    how = train(model, x_train, y_train, 300, 0, lr=3e-3,
                dataset="Fashion-MNIST (padded with zeros to 32x32, grey repeated to 3 channels, then normalised)")
    shape = (SAMPLES, 3, 32, 32)
    params = sum(p.numel() for p in model.parameters())
    notes = (f"ResNet with squeeze-excitation, {params} parameters: stem conv 3x3 (16) + BN + ReLU, three basic blocks "
             "(16, 16/2 -> 32, 32/2 -> 64) each with SE before the residual Add; SE of the first two: mean over H, W, "
             "1x1 conv, ReLU, 1x1 conv, Sigmoid, Mul; of the third: adaptive average pool, view to [N, C], Linear, "
             "ReLU, Linear, Sigmoid, view to [N, C, 1, 1], Mul; adaptive average pool, Flatten, Linear")
    test_set = (x_test, y_test, "the Fashion-MNIST test set (t10k) padded with zeros to 32x32, repeated to 3 channels, "
                                "normalised")
    for name, opset, dynamo, how_exported in [
            ("se_resnet", 17, False, "; exported with training=PRESERVE so that BatchNormalization stays a node"),
            ("se_resnet_dynamo_op18", 18, True, "; the dynamo exporter folds BatchNormalization into the convolutions")]:
        torch_export(model, name, opset, dynamo, lcg_images(SEED + 1, (2, 3, 32, 32)),
                     None if dynamo else torch.onnx.TrainingMode.PRESERVE)
        record(name, opset=opset, exporter=DYNAMO if dynamo else TORCHSCRIPT, model=model,
               notes=notes + how_exported, training=how, max_bytes=MAX_BYTES, test_set=test_set, **lcg_check(SEED, shape))
