"""Exporting a fixture and writing the JSON beside it: the one place the fixture format is defined.

JSON keys (read by src/test/java/dev/nncompress/io/onnx/OnnxFixtures.java):
  model, opset, exporter, torch/onnx/onnxruntime versions, operators (op types in the file), notes,
  training (how the weights came about), input (machine-readable: {"source": "fashion-mnist-test",
  "shape"} or {"source": "lcg", "seed", "shape"}, see data.py), inputs (the same in words),
  logits (ONNX Runtime's output for those inputs, [samples][outputs]), onnx_reference_max_abs_diff
  (onnx.reference's evaluator against ONNX Runtime on them: a second opinion on the semantics);
  where the input is Fashion-MNIST also labels; where a PyTorch model exists
  pytorch_vs_onnxruntime_max_abs_diff (over the test set where one was scored, else over the inputs);
  where a test set was scored normalisation, test_set, test_images, pytorch_test_correct and
  onnxruntime_test_correct.
"""
import json
import os
import warnings

import numpy as np
import onnx
import onnx.reference
import onnx.reference.op_run
import onnxruntime as ort
import torch

from .data import fashion_check

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "test", "resources", "onnx")
NORMALISATION = "(x / 255 - 0.2860) / 0.3530 in float32, as nncompress's FashionMnist"
TORCHSCRIPT = "torch.onnx.export dynamo=False (TorchScript)"
DYNAMO = "torch.onnx.export dynamo=True"
# the least mean standard deviation of a logit over the inputs, relative to the largest logit
SPREAD = 0.05


def path_of(name):
    return os.path.join(OUT, name + ".onnx")


def torch_export(model, name, opset, dynamo, example, training_mode=None):
    """Writes <name>.onnx with a dynamic batch axis; input "image", output "logits"."""
    path = path_of(name)
    kwargs = dict(input_names=["image"], output_names=["logits"], opset_version=opset, dynamo=dynamo)
    if dynamo:
        kwargs["dynamic_shapes"] = {"x": {0: torch.export.Dim("batch", min=1, max=4096)}}
        kwargs["external_data"] = False  # its default writes the weights to a .data file beside the model
    else:
        kwargs["dynamic_axes"] = {"image": {0: "batch"}, "logits": {0: "batch"}}
        kwargs["do_constant_folding"] = True
        if training_mode is not None:
            kwargs["training"] = training_mode
    model.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (example,), path, **kwargs)
    if dynamo:
        drop_stack_traces(path)
    return path


def drop_stack_traces(path):
    """The dynamo exporter writes each node's Python stack trace (absolute paths of this checkout, line
    numbers) into its metadata_props; without them a rerun from another checkout writes the same bytes.
    Its other node metadata (namespace, class hierarchy, fx node) stays, as real files carry it."""
    m = onnx.load(path)
    for n in m.graph.node:
        keep = [p for p in n.metadata_props if p.key != "pkg.torch.onnx.stack_trace"]
        del n.metadata_props[:]
        n.metadata_props.extend(keep)
    onnx.save(m, path)


class BatchNormalization(onnx.reference.op_run.OpRun):
    """onnx.reference's BatchNormalization for opsets 9-13 normalises with the batch's statistics whenever
    the node has a momentum attribute, which PyTorch writes on every inference-mode node; the ONNX spec,
    ONNX Runtime and PyTorch use the running statistics there. This is the inference form only."""
    op_domain = ""

    def _run(self, x, scale, bias, mean, var, epsilon=None, momentum=None, training_mode=None):  # noqa: ARG002
        assert len(self.onnx_node.output) == 1 and not training_mode, "inference-form BatchNormalization only"
        shape = (-1,) + (1,) * (x.ndim - 2)
        eps = 1e-5 if epsilon is None else epsilon
        y = scale.reshape(shape) * (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) + bias.reshape(shape)
        return (y.astype(x.dtype),)


def session(path):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    return ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])


def run_batched(fn, x, batch=500):
    return np.concatenate([np.asarray(fn(x[i:i + batch])) for i in range(0, x.shape[0], batch)])


def correct(logits, y):
    return int((np.asarray(logits).argmax(1) == np.asarray(y)).sum())


def record(name, *, opset, exporter, inputs, input_spec, inputs_text, notes, training, max_bytes,
           model=None, labels=None, test_set=None):
    """Checks the written <name>.onnx, runs it in ONNX Runtime and onnx.reference on `inputs` (and
    PyTorch's `model`, if any), scores `test_set` = (x, y, description) if given, writes <name>.json."""
    path = path_of(name)
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    size = os.path.getsize(path)
    assert size < max_bytes, f"{path} is {size} bytes"
    sess = session(path)
    x = inputs.numpy()
    expected = sess.run(None, {"image": x})[0]
    assert expected.ndim == 2 and expected.shape[0] == x.shape[0], f"{name}: output {expected.shape}"
    # a check is only as strong as the logits' dependence on the input: biases alone would pass it
    spread = float(expected.std(axis=0).mean() / np.abs(expected).max())
    assert spread > SPREAD, f"{name}: logits barely depend on the input (spread {spread:.3f})"
    reference = onnx.reference.ReferenceEvaluator(m, new_ops=[BatchNormalization]).run(None, {"image": x})[0]
    ops = sorted({n.op_type for n in m.graph.node})
    info = {
        "model": name + ".onnx",
        "opset": opset,
        "exporter": exporter,
        "torch": torch.__version__, "onnx": onnx.__version__, "onnxruntime": ort.__version__,
        "operators": ops,
        "notes": notes,
        "training": training,
        "input": input_spec,
        "inputs": inputs_text,
    }
    if labels is not None:
        info["labels"] = [int(v) for v in labels]
    info["logits"] = expected.tolist()
    info["onnx_reference_max_abs_diff"] = float(np.abs(reference - expected).max())
    if model is not None and test_set is None:
        with torch.no_grad():
            info["pytorch_vs_onnxruntime_max_abs_diff"] = float(np.abs(model(inputs).numpy() - expected).max())
    summary = ""
    if test_set is not None:
        tx, ty, described = test_set
        with torch.no_grad():
            torch_logits = run_batched(lambda b: model(b).numpy(), tx)
        ort_logits = run_batched(lambda b: sess.run(None, {"image": b.numpy()})[0], tx)
        info["normalisation"] = NORMALISATION
        info["test_set"] = described
        info["test_images"] = int(tx.shape[0])
        info["pytorch_test_correct"] = correct(torch_logits, ty)
        info["onnxruntime_test_correct"] = correct(ort_logits, ty)
        info["pytorch_vs_onnxruntime_max_abs_diff"] = float(np.abs(torch_logits - ort_logits).max())
        summary = f", torch {info['pytorch_test_correct']}/{tx.shape[0]}, ort {info['onnxruntime_test_correct']}/{tx.shape[0]}"
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(info, f, indent=1)
        f.write("\n")
    print(f"{name}: {size} bytes, opset {opset}, ops {ops}{summary}, "
          f"onnx.reference diff {info['onnx_reference_max_abs_diff']:.2e}, spread {spread:.2f}", flush=True)
    return info


def export_trained(model, name, opset, dynamo, test, *, training, notes, max_bytes, samples=8, training_mode=None,
                   extra=None):
    """A model trained on Fashion-MNIST: exported (then `extra(path, opset)` if given, to edit the file),
    checked on the first `samples` test images, scored on the whole test set."""
    torch_export(model, name, opset, dynamo, test[0][:2], training_mode)
    if extra:
        extra(path_of(name), opset)
    return record(name, opset=opset, exporter=DYNAMO if dynamo else TORCHSCRIPT, model=model, notes=notes,
                  training=training, max_bytes=max_bytes, **fashion_check(test, samples))
