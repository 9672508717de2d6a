#!/usr/bin/env python3
"""Builds the ONNX test fixtures under src/test/resources/onnx/ (run by hand; CI needs no Python).

Each fixture is an .onnx file with a JSON beside it (format: onnx_fixtures/record.py) holding ONNX
Runtime's logits for 8 fixed inputs, and for trained models PyTorch's and ONNX Runtime's test-set
accuracy. The Java tests (OnnxFixturesTest) import each file and compare with both the recorded logits
and ONNX Runtime Java. Groups (--only):

  first       LeNet, a small ResNet, an MLP: the importer's first slice (onnx_fixtures/first_slice.py)
  mobilenetv2 MobileNetV2-style (inverted residuals, depthwise 3x3, ReLU6 as Clip, BatchNorm, residual
              Add) trained to ~90% on Fashion-MNIST, and a narrower, shallower student (mobilenet.py)
  squeezenet  fire modules (squeeze 1x1, expand 1x1 | 3x3, Concat), MaxPool ceil_mode (squeezenet.py)
  se_resnet   ResNet with squeeze-excitation blocks (ReduceMean / GlobalAveragePool, Sigmoid,
              broadcast Mul), 3x32x32 input (se_resnet.py)
  opzoo       every other operator and attribute form of issue 17, small random-weight graphs:
              torch-exported at several opsets and both exporters, and built with onnx.helper for
              the forms torch never writes (opzoo_torch.py, opzoo_helper.py)

Trained fixtures see Fashion-MNIST with the normalisation nncompress's data pipeline applies
((x / 255 - 0.2860) / 0.3530, in float32) and are checked on the first 8 test images; the others on
seeded pseudo-random images that the Java side regenerates exactly (data.lcg_images).

Needs torch, onnx, onnxruntime, onnxscript and numpy; in a throw-away venv, never a project requirement:

    python3 -m venv /tmp/onnxvenv && /tmp/onnxvenv/bin/pip install torch onnx onnxruntime onnxscript numpy
    /tmp/onnxvenv/bin/python scripts/make-onnx-fixtures.py [--data DIR] [--only GROUP,...]

Deterministic for a given torch build (fixed seeds, one thread); rerunning rewrites the files with the
same bytes. The whole run took ~20 minutes on 1 thread of a heavily shared 2-vCPU machine, half of it
training mobilenetv2 (1400 steps); --only opzoo takes under a minute.
"""
import argparse
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts

import torch  # noqa: E402

from onnx_fixtures import first_slice, mobilenet, opzoo_helper, opzoo_torch, se_resnet, squeezenet  # noqa: E402
from onnx_fixtures.data import load  # noqa: E402
from onnx_fixtures.record import OUT  # noqa: E402

GROUPS = ["first", "mobilenetv2", "squeezenet", "se_resnet", "opzoo"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--steps", type=int, default=400, help="training steps of the first-slice models")
    ap.add_argument("--only", default=",".join(GROUPS), help="comma-separated groups: " + ", ".join(GROUPS))
    args = ap.parse_args()
    groups = args.only.split(",")
    unknown = [g for g in groups if g not in GROUPS]
    if unknown:
        ap.error(f"unknown group(s) {unknown}; known: {GROUPS}")
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    train_set, test = load(args.data, "train"), load(args.data, "test")

    if "first" in groups:
        first_slice.build(train_set, test, args.steps)
    if "mobilenetv2" in groups:
        mobilenet.build(train_set, test)
    if "squeezenet" in groups:
        squeezenet.build(train_set, test)
    if "se_resnet" in groups:
        se_resnet.build(args.data)
    if "opzoo" in groups:
        opzoo_torch.build()
        opzoo_helper.build()


if __name__ == "__main__":
    main()
