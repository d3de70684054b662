"""`sparse_conv2d`: the public entry point of the op, and its gradient."""

from typing import Sequence, Tuple, Union

import tensorflow as tf

from sparsezoo_tf.ops import loader
from sparsezoo_tf.ops import plan as plan_lib
from sparsezoo_tf.ops import reference

IMPLEMENTATIONS = ("auto", "op", "reference")
# What the op computes natively (the CPU converts half types around its
# float32 kernels; the GPU runs them on tensor cores).
_OP_DTYPES = (tf.float32, tf.float16, tf.bfloat16)


def _int_pair(name: str, value: Union[int, Sequence[int]]) -> Tuple[int, int]:
  pair = (value, value) if isinstance(value, int) else tuple(value)
  if len(pair) != 2 or any(
      isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in pair):
    raise ValueError(f"{name} must be a positive int or a pair of positive "
                     f"ints, got {value!r}")
  return pair


def resolve_implementation(implementation: str) -> str:
  """"auto" / "op" / "reference" -> the path a call will take.

  "auto" takes the op when the library is usable; "op" insists on it and
  raises if it cannot be loaded; $SPARSEZOO_FORCE_REFERENCE overrides both.
  """
  if implementation not in IMPLEMENTATIONS:
    raise ValueError(f"implementation must be one of {IMPLEMENTATIONS}, got "
                     f"{implementation!r}")
  if implementation == "reference" or loader.reference_forced():
    return "reference"
  reason = loader.unavailable_reason()
  if reason is None:
    return "op"
  if implementation == "op":
    raise RuntimeError(f"implementation='op' but the op library is not "
                       f"usable: {reason}")
  return "reference"


def _check_arguments(inputs: tf.Tensor, weights: tf.Tensor,
                     plan: plan_lib.SparseConvPlan, padding: str) -> None:
  if inputs.shape.rank is not None and inputs.shape.rank != 4:
    raise ValueError(f"inputs must be 4-D NHWC, got shape {inputs.shape}")
  if padding == "VALID" and inputs.shape.rank == 4:
    for size, kernel in zip(inputs.shape[1:3], plan.kernel_size):
      if size is not None and size < kernel:
        raise ValueError(
            f"VALID padding: the {plan.kernel_size[0]}x{plan.kernel_size[1]} "
            f"kernel does not fit in inputs of shape {inputs.shape}")
  channels = inputs.shape[-1] if inputs.shape.rank else None
  if channels is not None and channels != plan.in_channels:
    raise ValueError(f"inputs have {channels} channels but the plan expects "
                     f"{plan.in_channels}")
  if weights.shape.rank is not None and weights.shape != (plan.num_weights,):
    raise ValueError(f"packed weights have shape {weights.shape}, the plan "
                     f"needs ({plan.num_weights},)")
  if weights.dtype != inputs.dtype:
    raise TypeError(f"weights are {weights.dtype.name} but inputs are "
                    f"{inputs.dtype.name}")
  if not inputs.dtype.is_floating:
    raise TypeError(f"inputs must be floating point, got {inputs.dtype.name}")


# Plain Python over static plans: nothing for autograph to convert, and
# converting it dominated the time to build a model.
@tf.autograph.experimental.do_not_convert
def sparse_conv2d(inputs,
                  weights,
                  plan: plan_lib.SparseConvPlan,
                  strides: Union[int, Sequence[int]] = 1,
                  padding: str = "SAME",
                  implementation: str = "auto",
                  name: str = None) -> tf.Tensor:
  """2-D convolution (NHWC) whose kernel exists only where `plan` says.

  Equal to `tf.nn.conv2d(inputs, plan.unpack(weights), strides, padding)`,
  computed from the existing weights only.

  Args:
    inputs: [batch, rows, cols, plan.in_channels] float tensor.
    weights: packed weights, [plan.num_weights], same dtype as inputs.
    plan: a `SparseConvPlan` (see `compile_plan` and the `*_plan`
      constructors).
    strides: int or (rows, cols); dilation is always 1.
    padding: "SAME" or "VALID".
    implementation: "auto", "op" (the compiled library) or "reference"
      (pure TF). The op takes float32, float16 and bfloat16 and accumulates
      in float32.
    name: optional name scope.

  Returns:
    [batch, out_rows, out_cols, plan.out_channels] tensor of inputs' dtype.
  """
  if not isinstance(plan, plan_lib.SparseConvPlan):
    raise TypeError(f"plan must be a SparseConvPlan, got {type(plan).__name__}")
  strides = _int_pair("strides", strides)
  if not isinstance(padding, str) or padding.upper() not in ("SAME", "VALID"):
    raise ValueError(f"padding must be 'SAME' or 'VALID', got {padding!r}")
  padding = padding.upper()
  path = resolve_implementation(implementation)
  with tf.name_scope(name or "sparse_conv2d"):
    inputs = tf.convert_to_tensor(inputs)
    weights = tf.convert_to_tensor(weights)
    _check_arguments(inputs, weights, plan, padding)
    if path == "reference":
      return reference.reference_sparse_conv2d(inputs, weights, plan, strides,
                                               padding)
    if inputs.dtype not in _OP_DTYPES:
      raise TypeError(f"the op computes float32, float16 and bfloat16, got "
                      f"{inputs.dtype.name}; cast the inputs or use "
                      f"implementation='reference'")
    return loader.load_library().sparse_zoo_sparse_conv2d(
        inputs, weights, plan.blocks, plan.in_perm, plan.out_perm,
        kernel_size=list(plan.kernel_size), strides=list(strides),
        padding=padding)


@tf.RegisterGradient("SparseZoo>SparseConv2D")
def _sparse_conv2d_grad(op, out_backprop):
  """Gradients w.r.t. the input and the packed weights (none for the plan)."""
  inputs, weights, blocks, in_perm, out_perm = op.inputs
  ops = loader.load_library()
  attrs = dict(kernel_size=op.get_attr("kernel_size"),
               strides=op.get_attr("strides"),
               padding=op.get_attr("padding"))
  in_backprop = ops.sparse_zoo_sparse_conv2d_backprop_input(
      tf.shape(inputs, out_type=tf.int32), weights, blocks, in_perm, out_perm,
      out_backprop, **attrs)
  weights_backprop = ops.sparse_zoo_sparse_conv2d_backprop_filter(
      inputs, weights, blocks, in_perm, out_perm, out_backprop, **attrs)
  return [in_backprop, weights_backprop, None, None, None]
