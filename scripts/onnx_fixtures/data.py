"""The inputs the fixtures are trained and checked on: Fashion-MNIST as nncompress loads it, and seeded
pseudo-random images that the Java tests regenerate bit for bit (OnnxFixtures.lcgImages)."""
import gzip
import os
import struct

import numpy as np
import torch

MEAN, STD = np.float32(0.2860), np.float32(0.3530)  # data/FashionMnist.java


def read_idx(path):
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(data_dir, split, size=28, channels=1):
    """[N, channels, size, size] float32, normalised. size > 28 pads the raw pixels with zeros (black,
    centred) before normalising, as an image of that size would arrive; channels > 1 repeats the grey."""
    prefix = "train" if split == "train" else "t10k"
    x = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"))
    if size != 28:
        lo = (size - 28) // 2
        x = np.pad(x, ((0, 0), (lo, size - 28 - lo), (lo, size - 28 - lo)))
    # the same float32 operations, in the same order, as FashionMnist.NORMALISED
    x = (x.astype(np.float32) / np.float32(255) - MEAN) / STD
    # channels > 1 is a broadcast view (no copy: 60,000 3x32x32 images would take 737 MB)
    x = torch.from_numpy(x[:, None, :, :].copy()).expand(-1, channels, -1, -1)
    return x, torch.from_numpy(y.astype(np.int64))


# Knuth's MMIX LCG: 64-bit wrap-around arithmetic that Java's long reproduces exactly
LCG_MUL, LCG_ADD = 6364136223846793005, 1442695040888963407


def lcg_images(seed, shape):
    """Uniform values in [-2, 2): the top 24 bits k of each LCG state give (k - 2^23) / 2^22, exact in float32."""
    n = int(np.prod(shape))
    out = np.empty(n, dtype=np.float32)
    state = seed & (2 ** 64 - 1)
    for i in range(n):
        state = (state * LCG_MUL + LCG_ADD) & (2 ** 64 - 1)
        out[i] = np.float32((state >> 40) - 2 ** 23) / np.float32(2 ** 22)
    return torch.from_numpy(out.reshape(shape))


def fashion_check(test, samples):
    """record()'s keyword arguments for a model checked on the first test images, scored on the whole test set."""
    x, y = test
    return dict(inputs=x[:samples], labels=y[:samples],
                input_spec={"source": "fashion-mnist-test", "shape": [samples, 1, 28, 28]},
                inputs_text=f"the first {samples} test images (t10k-images-idx3-ubyte), normalised, batch of {samples}",
                test_set=(x, y, "the Fashion-MNIST test set (t10k), normalised"))


def lcg_check(seed, shape):
    """record()'s keyword arguments for a model checked on seeded pseudo-random images (read by OnnxFixtures.inputs)."""
    spec = {"source": "lcg", "seed": seed, "shape": list(shape),
            "formula": "state = state * 6364136223846793005 + 1442695040888963407 (mod 2^64), "
                       "value = ((state >>> 40) - 2^23) / 2^22, one state step per value in row-major order"}
    what = "x".join(str(d) for d in shape[1:])
    return dict(inputs=lcg_images(seed, shape), input_spec=spec,
                inputs_text=f"{shape[0]} seeded pseudo-random {what} images, uniform in [-2, 2) (see input)")
