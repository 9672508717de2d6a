#!/usr/bin/env python3
"""Checks files written by `nncompress export` with the Python tools users deploy with (issue 18).

  check-onnx-export.py model.onnx [more.onnx ...]            onnx.checker.check_model(full_check=True) and an
                                                           ONNX Runtime session on random input per file
  check-onnx-export.py weights.safetensors --against model.onnx
                                                           safetensors.torch.load_file, then every tensor equal to
                                                           the ONNX file's initializer of the same name

Needs onnx and onnxruntime (and safetensors + torch for the second form), e.g. the venv of
scripts/make-onnx-fixtures.py. Exit status 1 on the first failure, with the file and reason.
"""
import argparse
import sys

import numpy as np


def check_onnx(path):
    import onnx
    import onnxruntime as ort
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    shape = [2 if not isinstance(d, int) else d for d in inp.shape]
    out = sess.run(None, {inp.name: np.random.default_rng(0).standard_normal(shape, dtype=np.float32)})[0]
    if not np.all(np.isfinite(out)):
        raise ValueError("ONNX Runtime gave non-finite outputs")
    print(f"ok  {path}: opset {model.opset_import[0].version}, IR {model.ir_version}, "
          f"{len(model.graph.node)} nodes, output {list(out.shape)}")


def check_plain(path, against):
    import onnx
    from onnx import numpy_helper
    from safetensors.torch import load_file
    state = load_file(path)
    inits = {t.name: numpy_helper.to_array(t) for t in onnx.load(against).graph.initializer}
    for name, tensor in state.items():
        if name not in inits:
            raise ValueError(f"{name} is not an initializer of {against}")
        if not np.array_equal(tensor.numpy(), inits[name]):
            raise ValueError(f"{name} differs from {against}'s initializer")
    print(f"ok  {path}: {len(state)} tensors, each equal to {against}'s initializer of that name")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+")
    ap.add_argument("--against", help="ONNX file whose initializers the .safetensors files must equal")
    args = ap.parse_args()
    for f in args.files:
        try:
            if f.endswith(".safetensors"):
                if not args.against:
                    raise ValueError("a .safetensors file needs --against model.onnx")
                check_plain(f, args.against)
            else:
                check_onnx(f)
        except Exception as e:  # one line per failure, as the CLI
            print(f"FAIL {f}: {type(e).__name__}: {e}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
