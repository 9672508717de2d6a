"""Writes the NumPy fixtures of NumpyFixturesTest and prints Pillow's resize values that ResamplerTest compares
with. Run by hand with Debian's python3-numpy and python3-pil (/usr/bin/python3 make_fixtures.py); the outputs
are committed, so the tests need no Python."""
import numpy as np
from PIL import Image

# Keras layout: uint8 N,H,W,C images, int64 labels, compressed (deflated entries)
x_train = (np.arange(6 * 4 * 5 * 3) % 251).astype(np.uint8).reshape(6, 4, 5, 3)
y_train = np.array([0, 1, 2, 0, 1, 2], dtype=np.int64)
x_test = (np.arange(2 * 4 * 5 * 3) * 7 % 256).astype(np.uint8).reshape(2, 4, 5, 3)
y_test = np.array([2, 0], dtype=np.int64)
np.savez_compressed("keras_nhwc.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)

# PyTorch layout: float32 N,C,H,W, uint8 labels (N, 1), stored (uncompressed) entries, one array pair to split
x = (np.arange(10 * 1 * 3 * 2, dtype=np.float32) / 8 - 3).reshape(10, 1, 3, 2)
y = np.array([[i % 4] for i in range(10)], dtype=np.uint8)
np.savez("torch_nchw.npz", x=x, y=y)

# big-endian int16 labels and a grayscale N,H,W uint8 array as separate .npy files
np.save("npy/x.npy", (np.arange(4 * 2 * 3) * 11 % 256).astype(np.uint8).reshape(4, 2, 3))
np.save("npy/y.npy", np.array([3, 1, 0, 2], dtype=">i2"))

def resized(w, h, size):
    """torchvision's Resize(size) + CenterCrop(size) of a gray ramp image, with Pillow's bilinear filter."""
    img = Image.fromarray(((np.arange(w * h).reshape(h, w) * 37) % 256).astype(np.uint8), "L")
    if w <= h:
        ow, oh = size, int(size * h / w)
    else:
        oh, ow = size, int(size * w / h)
    r = img.resize((ow, oh), Image.BILINEAR)
    top, left = int(round((oh - size) / 2.0)), int(round((ow - size) / 2.0))
    return np.asarray(r.crop((left, top, left + size, top + size))).flatten().tolist()

for w, h, s in [(7, 5, 3), (5, 7, 9), (13, 10, 4), (16, 16, 8)]:
    print(f"{w}x{h} -> {s}: {resized(w, h, s)}")
