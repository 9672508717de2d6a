"""The operator zoo as other exporters write it: attribute forms torch.onnx.export never emits, built
node by node with onnx.helper, at opset 11 and at opset 21 (each with that opset's spelling of the same
graph: Squeeze/Unsqueeze/ReduceMean axes as attributes or as inputs, Dropout's training_mode input,
HardSwish as an op or as x * HardSigmoid(x), Softmax's axis -1).

Input [N, 4, 9, 9] (odd, so SAME padding with stride 2 is asymmetric), seeded pseudo-random; output
[N, 10]. Forms covered: Conv with explicit asymmetric pads, auto_pad SAME_UPPER (grouped, stride 2, odd
total padding), SAME_LOWER (even kernel), VALID; LeakyRelu with the default alpha; HardSigmoid with
non-default alpha and beta; Clip with min and max as initializers, and with max only; MaxPool ceil_mode
with pads; AveragePool count_include_pad with pads; Concat; Sub with the constant first; Div by a rank-3
constant (broadcast across the batch axis too); Mul by a scalar, Add of a [1] vector; Tanh; Sigmoid;
ReduceMean keepdims 1 (squeeze-excitation Mul) and keepdims 0 with negative axes; Reshape with 0 (copy
the batch) and -1, to 2-D, 4-D and back; Gemm alpha 0.5, beta 2, transB 0, C [1, O]; a Gemm whose C is
a scalar; Softmax; Dropout and Identity; Unsqueeze and Squeeze; MatMul + Add. The logits come from the
flattened feature map, not only from global means (which hardly differ between noise images).

Gemm transA=1 is absent on purpose: A is the batch-first activation [N, F], so transA=1 would mean an
activation laid out [F, N], which no image classifier produces without a Transpose (not in issue 17).
"""
import numpy as np
import onnx
from onnx import TensorProto, helper

from .data import lcg_check
from .record import path_of, record

SAMPLES = 8
SHAPE = (SAMPLES, 4, 9, 9)
SEED = 9
MAX_BYTES = 64 * 1024
OPSETS = [11, 21]


class GraphBuilder:
    """Nodes and float initializers with seeded values; each op returns its output's name."""

    def __init__(self, opset, seed):
        self.opset = opset
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits = [], []

    def weight(self, name, *dims, scale=None, values=None):
        if values is None:
            fan_in = int(np.prod(dims[1:])) if len(dims) > 1 else 1
            # uniform with std 1.45 / sqrt(fan_in): keeps activations near 1, nonlinearities in their bending range
            values = self.rng.uniform(-1, 1, dims) * (scale if scale is not None else 2.5 / np.sqrt(fan_in))
        values = np.asarray(values, np.float32)  # a given value's own shape, 0-D for a scalar
        self.inits.append(helper.make_tensor(name, TensorProto.FLOAT, list(values.shape), values.ravel().tolist()))
        return name

    def ints(self, name, values):
        self.inits.append(helper.make_tensor(name, TensorProto.INT64, [len(values)], values))
        return name

    def op(self, op_type, inputs, name, outputs=1, **attrs):
        outs = [name] + [f"{name}_out{i}" for i in range(1, outputs)]
        self.nodes.append(helper.make_node(op_type, inputs, outs, name=name, **attrs))
        return name

    def axes_op(self, op_type, x, axes, name, **attrs):
        """Squeeze/Unsqueeze take axes as an input from opset 13, ReduceMean from 18."""
        as_input = self.opset >= (18 if op_type == "ReduceMean" else 13)
        if as_input:
            return self.op(op_type, [x, self.ints(name + "_axes", axes)], name, **attrs)
        return self.op(op_type, [x], name, axes=axes, **attrs)

    def model(self, out, out_dim):
        graph = helper.make_graph(
            self.nodes, f"opzoo_helper_op{self.opset}",
            [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch"] + list(SHAPE[1:]))],
            [helper.make_tensor_value_info(out, TensorProto.FLOAT, ["batch", out_dim])], self.inits)
        ir = 7 if self.opset <= 13 else 10  # the oldest IR each opset allows, as other exporters write
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.opset)], ir_version=ir,
                                 producer_name="nncompress make-onnx-fixtures.py (onnx.helper)")


def zoo(opset):
    g = GraphBuilder(opset, SEED + opset)
    # Conv, explicit asymmetric pads [top, left, bottom, right] = [1, 0, 0, 2]: [N, 8, 8, 9]
    a = g.op("Conv", ["image", g.weight("c1.weight", 8, 4, 3, 3), g.weight("c1.bias", 8, scale=0.1)], "c1",
             kernel_shape=[3, 3], pads=[1, 0, 0, 2])
    a = g.op("LeakyRelu", [a], "leaky")  # alpha attribute absent: 0.01
    # SAME_UPPER, stride 2, grouped: H 8 -> 4 (total padding 1: 0 before, 1 after), W 9 -> 5 (1 and 1)
    b = g.op("Conv", [a, g.weight("c2.weight", 8, 4, 3, 3)], "c2", auto_pad="SAME_UPPER", strides=[2, 2], group=2)
    b = g.op("HardSigmoid", [b], "hsig", alpha=0.25, beta=0.4)
    # SAME_LOWER with an even kernel: total padding 1, before it; [N, 8, 4, 5]
    b = g.op("Conv", [b, g.weight("c3.weight", 8, 8, 2, 2), g.weight("c3.bias", 8, scale=0.1)], "c3",
             auto_pad="SAME_LOWER", kernel_shape=[2, 2])
    b = g.op("Clip", [b, g.weight("clip_min", values=-0.8), g.weight("clip_upper", values=1.0)], "clip")
    # pools on the first conv's output [N, 8, 8, 9], both with pads [1, 1, 1, 1]
    # MaxPool ceil_mode: H (8 + 2 - 3) / 2 = 3.5 -> 5 rows (floor: 4), W 5; then VALID 2x1 conv: [N, 8, 4, 5]
    p = g.op("MaxPool", [a], "maxpool", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1)
    p = g.op("Conv", [p, g.weight("c4.weight", 8, 8, 2, 1)], "c4", auto_pad="VALID")
    p = g.op("Clip", [p, "", g.weight("clip_max_only", values=0.5)], "clip_max")
    q = g.op("AveragePool", [a], "avgpool", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
             count_include_pad=1)  # [N, 8, 4, 5], border windows divided by 9
    x = g.op("Concat", [b, p, q], "concat", axis=1)  # [N, 24, 4, 5]
    x = g.op("Sub", [g.weight("sub_from", 1, 24, 1, 1, scale=0.5), x], "sub")
    x = g.op("Div", [x, g.weight("div_by", values=np.linspace(0.5, 2, 24).reshape(24, 1, 1))], "div")
    x = g.op("Mul", [x, g.weight("mul_by", values=1.5)], "mul")
    x = g.op("Add", [x, g.weight("add_vec", values=[0.1])], "add")
    x = g.op("Tanh", [x], "tanh")
    s = g.axes_op("ReduceMean", x, [2, 3], "se_mean", keepdims=1)  # [N, 24, 1, 1]
    s = g.op("Sigmoid", [s], "se_gate")
    x = g.op("Mul", [x, s], "se_scale")
    flat = g.op("Reshape", [x, g.ints("shape_flat", [0, -1])], "flatten")  # [N, 480], 0 copies the batch
    # 0.5 * flat @ B + 2 * C, B [480, 16] (transB 0), C [1, 16]
    main = g.op("Gemm", [flat, g.weight("gemm.B", 480, 16, scale=0.3), g.weight("gemm.C", 1, 16, scale=0.1)], "gemm",
                alpha=0.5, beta=2.0, transB=0)
    side = g.axes_op("ReduceMean", x, [-1, -2], "mean", keepdims=0)  # [N, 24]
    if opset >= 14:
        side = g.op("HardSwish", [side], "hswish")
    else:
        side = g.op("Mul", [side, g.op("HardSigmoid", [side], "hswish_gate", alpha=1 / 6)], "hswish")
    side = g.op("Gemm", [side, g.weight("gemm2.B", 16, 24, scale=0.8), g.weight("gemm2.C", values=0.05)], "gemm2", transB=1)
    x = g.op("Add", [main, side], "join")  # [N, 16]
    attn = g.op("Softmax", [x], "softmax", **({"axis": -1} if opset >= 13 else {}))  # opset 11's default axis 1
    x = g.op("Mul", [x, g.op("Mul", [attn, g.weight("attn_scale", values=16.0)], "attn16")], "attend")
    x = g.op("Identity", [x], "identity")
    if opset >= 12:
        drop = [x, g.weight("drop_ratio", values=0.3), "drop_training"]
        g.inits.append(helper.make_tensor("drop_training", TensorProto.BOOL, [], [False]))
        x = g.op("Dropout", drop, "dropout", outputs=2)  # the mask output, unused
    else:
        x = g.op("Dropout", [x], "dropout", outputs=2, ratio=0.3)
    x = g.axes_op("Unsqueeze", x, [2, 3], "unsq")  # [N, 16, 1, 1]
    x = g.op("Mul", [x, g.weight("chan_scale", 1, 16, 1, 1, scale=2)], "chan_mul")
    x = g.axes_op("Squeeze", x, [2, 3], "sq")  # [N, 16]
    x = g.op("Reshape", [x, g.ints("shape_4d", [0, 4, 2, 2])], "to4d")  # [N, 4, 2, 2]
    x = g.op("Reshape", [x, g.ints("shape_minus1", [-1, 16])], "to2d")  # [N, 16]
    x = g.op("MatMul", [x, g.weight("fc.weight", 16, 10)], "matmul")
    x = g.op("Add", [x, g.weight("fc.bias", 10, scale=0.1)], "logits")
    return g.model(x, 10)


def build():
    for opset in OPSETS:
        name = f"opzoo_helper_op{opset}"
        m = zoo(opset)
        onnx.checker.check_model(m, full_check=True)
        onnx.save(m, path_of(name))
        record(name, opset=opset, exporter="onnx.helper (scripts/onnx_fixtures/opzoo_helper.py)",
               **lcg_check(SEED, SHAPE),
               notes="attribute forms torch.onnx.export does not write; see the module docstring",
               training=f"none: random weights, numpy default_rng({SEED + opset})", max_bytes=MAX_BYTES)
