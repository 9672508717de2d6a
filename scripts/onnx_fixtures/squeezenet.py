"""SqueezeNet-style fixture for 1x28x28 Fashion-MNIST (Iandola et al. 2016, v1.1 layout, scaled down).

Fire module: squeeze 1x1 conv + ReLU, then expand 1x1 and expand 3x3 (+ ReLU) side by side, joined by
Concat on channels. The pools are MaxPool with ceil_mode=True as in torchvision's SqueezeNet, sized so
that ceil_mode changes every output size (28 -> 14 -> 7 -> 4; floor would give 13, 6 and 3); the
classifier is a 1x1 conv to the classes, global average pooling, Flatten. torchvision puts a ReLU
after that conv; trained briefly (400 steps) it leaves classes dead at 55-60% test accuracy, where
without it the same training reaches 81%, so it is left out.
"""
import torch
import torch.nn as nn

from .record import export_trained
from .train import train

MAX_BYTES = 300 * 1024


class Fire(nn.Module):
    def __init__(self, cin, squeeze, expand1, expand3):
        super().__init__()
        self.squeeze = nn.Sequential(nn.Conv2d(cin, squeeze, 1), nn.ReLU())
        self.expand1x1 = nn.Sequential(nn.Conv2d(squeeze, expand1, 1), nn.ReLU())
        self.expand3x3 = nn.Sequential(nn.Conv2d(squeeze, expand3, 3, padding=1), nn.ReLU())

    def forward(self, x):
        x = self.squeeze(x)
        return torch.cat([self.expand1x1(x), self.expand3x3(x)], 1)


class SqueezeNet(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(3, 2, ceil_mode=True),  # 28 -> 14 (floor: 13)
            Fire(32, 8, 24, 24), Fire(48, 8, 24, 24),
            nn.MaxPool2d(3, 2, ceil_mode=True),  # 14 -> 7 (floor: 6)
            Fire(48, 12, 32, 32), Fire(64, 12, 32, 32),
            nn.MaxPool2d(2, 2, ceil_mode=True),  # 7 -> 4 (floor: 3): the last window holds one row/column
            Fire(64, 16, 48, 48))
        final = nn.Conv2d(96, classes, 1)
        self.classifier = nn.Sequential(nn.Dropout(0.25), final, nn.AdaptiveAvgPool2d(1))
        # torchvision's SqueezeNet init
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                if m is final:
                    nn.init.normal_(m.weight, 0.0, 0.01)
                else:
                    nn.init.kaiming_uniform_(m.weight)
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        return torch.flatten(self.classifier(self.features(x)), 1)


def build(train_set, test):
    x_train, y_train = train_set
    torch.manual_seed(0)
    model = SqueezeNet()
    how = train(model, x_train, y_train, 400, 0, lr=3e-3)
    export_trained(model, "squeezenet", 13, False, test, training=how, max_bytes=MAX_BYTES,
                   notes=f"SqueezeNet-style, {sum(p.numel() for p in model.parameters())} parameters: conv 3x3 (32) + "
                         "ReLU, MaxPool 3/2 ceil_mode, fire(8; 24|24) x2, MaxPool 3/2 ceil_mode, fire(12; 32|32) x2, "
                         "MaxPool 2/2 ceil_mode, fire(16; 48|48), Dropout (gone in the eval export), conv 1x1 to 10, "
                         "global average pool, Flatten; pooled sizes 28->14->7->4 (floor would give 13, 6, 3)")
