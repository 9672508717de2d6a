"""MobileNetV2-style fixtures for 1x28x28 Fashion-MNIST: the model of issue 17's compression targets
(structured pruning, int8, distillation into the smaller student beside it).

Inverted residual (Sandler et al. 2018): 1x1 expansion conv + BN + ReLU6 (absent at expansion 1),
depthwise 3x3 conv (stride 1 or 2) + BN + ReLU6, 1x1 linear projection + BN, and a residual Add where
stride is 1 and the channels agree. The stem has stride 2 as in the paper, so the blocks run at 14x14,
7x7 and 4x4: a quarter of the work at 28x28, which keeps CPU training within minutes. Exported with
training=PRESERVE so BatchNormalization stays a node (pruning and fine-tuning then see the user's BN).
"""
import torch
import torch.nn as nn

from .record import export_trained
from .train import train

MAX_BYTES = 1536 * 1024


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, expansion, stride):
        super().__init__()
        hidden = cin * expansion
        layers = []
        if expansion != 1:
            layers += [nn.Conv2d(cin, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6()]
        layers += [nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6(),
                   nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout)]
        self.conv = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.conv(x) if self.residual else self.conv(x)


class MobileNetV2(nn.Module):
    """stages: (expansion t, channels c, blocks n, first stride s), as in the paper's table 2."""

    def __init__(self, stem, stages, last, classes=10):
        super().__init__()
        layers = [nn.Conv2d(1, stem, 3, 2, 1, bias=False), nn.BatchNorm2d(stem), nn.ReLU6()]
        c = stem
        for t, out, n, s in stages:
            for i in range(n):
                layers.append(InvertedResidual(c, out, t, s if i == 0 else 1))
                c = out
        layers += [nn.Conv2d(c, last, 1, bias=False), nn.BatchNorm2d(last), nn.ReLU6()]
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(last, classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


def teacher():
    return MobileNetV2(16, [(1, 16, 1, 1), (4, 24, 2, 2), (4, 32, 3, 2), (4, 64, 2, 2)], 256)


def student():
    return MobileNetV2(8, [(1, 8, 1, 1), (3, 16, 2, 2), (3, 24, 2, 2)], 96)


def export(model, name, test, training, notes):
    export_trained(model, name, 13, False, test, training=training, notes=notes, max_bytes=MAX_BYTES,
                   training_mode=torch.onnx.TrainingMode.PRESERVE)


def build(train_set, test):
    x_train, y_train = train_set
    torch.manual_seed(0)
    big = teacher()
    how = train(big, x_train, y_train, 1400, 0, lr=4e-3, weight_decay=1e-4, one_cycle=True)
    params = sum(p.numel() for p in big.parameters())
    export(big, "mobilenetv2", test, how,
           f"MobileNetV2-style, {params} parameters: stem 3x3/2 (16) + BN + ReLU6, inverted residual stages "
           "(t, c, n, s) = (1,16,1,1) (4,24,2,2) (4,32,3,2) (4,64,2,2), 1x1 conv to 256 + BN + ReLU6, global "
           "average pool, Linear; ReLU6 exports as Clip(0, 6) with min and max as inputs; BatchNormalization kept "
           "as nodes (training=PRESERVE)")

    torch.manual_seed(1)
    small = student()
    how = train(small, x_train, y_train, 300, 1, lr=4e-3, weight_decay=1e-4, one_cycle=True)
    params = sum(p.numel() for p in small.parameters())
    export(small, "mobilenetv2_student", test, how,
           f"the distillation student of mobilenetv2: the same style, {params} parameters: stem 3x3/2 (8), stages "
           "(1,8,1,1) (3,16,2,2) (3,24,2,2), 1x1 conv to 96, Linear; trained briefly so that distillation has "
           "something to improve")
