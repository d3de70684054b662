"""The Keras layer every fixed-support convolution in this package builds on.

A subclass says which weights exist by returning a `SparseConvPlan` for the
input channel count (`make_plan`); this class holds the packed weights (only
the weights that exist, so `count_params()` is the true count), the bias and
the activation, and runs `sparsezoo_tf.ops.sparse_conv2d`.
"""

from typing import Optional, Sequence, Tuple, Union

import numpy as np
import tensorflow as tf
import tf_keras as keras

from sparsezoo_tf import keras_compat
from sparsezoo_tf import ops

IntPair = Union[int, Sequence[int]]


def int_pair(name: str, value: IntPair) -> Tuple[int, int]:
  """An int or a pair of ints -> a pair of positive ints, or ValueError."""
  pair = (value, value) if isinstance(value, (int, np.integer)) else value
  try:
    pair = tuple(pair)
  except TypeError:
    raise ValueError(f"{name} must be an int or a pair of ints, got "
                     f"{value!r}") from None
  if len(pair) != 2 or any(
      isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1
      for v in pair):
    raise ValueError(f"{name} must be a positive int or a pair of positive "
                     f"ints, got {value!r}")
  return int(pair[0]), int(pair[1])


def positive_int(name: str, value) -> int:
  if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or (
      value < 1):
    raise ValueError(f"{name} must be a positive int, got {value!r}")
  return int(value)


def padding_name(padding: str) -> str:
  if not isinstance(padding, str) or padding.lower() not in ("same", "valid"):
    raise ValueError(f"padding must be 'same' or 'valid', got {padding!r}")
  return padding.lower()


def implementation_name(implementation: str) -> str:
  if implementation not in ops.IMPLEMENTATIONS:
    raise ValueError(f"implementation must be one of {ops.IMPLEMENTATIONS}, "
                     f"got {implementation!r}")
  return implementation


class _PackedInitializer(keras.initializers.Initializer):
  """Draws a dense kernel with the user's initializer and keeps the weights
  that exist, so that they are distributed exactly as in a dense layer with
  the same initializer (the papers' mask-after-init setting)."""

  def __init__(self, dense_initializer, plan: ops.SparseConvPlan):
    self.dense_initializer = dense_initializer
    self.plan = plan

  def __call__(self, shape, dtype=None, **kwargs):
    del kwargs
    if tuple(shape) != (self.plan.num_weights,):
      raise ValueError(f"packed kernel shape {shape} does not match the plan "
                       f"({self.plan.num_weights},)")
    dense = self.dense_initializer(self.plan.dense_shape, dtype=dtype)
    return tf.gather(tf.reshape(dense, [-1]), self.plan.packed_index)


class Layer(keras_compat.RefusesKeras3, keras.layers.Layer):
  """The base of every layer of the package: a `tf_keras` layer that refuses
  Keras 3 objects with one clear error (see `sparsezoo_tf.keras_compat`)."""


class SparseConv2DBase(Layer):
  """Base class: a 2-D convolution (NHWC) whose kernel support is a plan.

  Subclasses implement `make_plan(in_channels)` and extend `get_config`.
  After `build`, `self.plan` is the compiled plan and `self.kernel` the
  packed weights, `[plan.num_weights]`.

  Args:
    filters: number of output channels.
    kernel_size: int or (rows, cols).
    strides: int or (rows, cols).
    padding: "same" or "valid".
    activation: Keras activation applied after the bias.
    use_bias: add a bias vector.
    kernel_initializer: initializer of the dense kernel [kh, kw, C, K]; the
      existing weights keep their values (fan-in/fan-out are the dense
      kernel's, as in the papers' weight-mask implementations).
    bias_initializer, kernel_regularizer, bias_regularizer,
      activity_regularizer: as in `keras.layers.Conv2D`. The kernel
      regularizer sees the existing weights only.
    implementation: "auto", "op" or "reference" (see
      `sparsezoo_tf.ops.sparse_conv2d`).
  """

  def __init__(self,
               filters: int,
               kernel_size: IntPair,
               strides: IntPair = 1,
               padding: str = "same",
               activation=None,
               use_bias: bool = True,
               kernel_initializer="glorot_uniform",
               bias_initializer="zeros",
               kernel_regularizer=None,
               bias_regularizer=None,
               activity_regularizer=None,
               implementation: str = "auto",
               **kwargs):
    super().__init__(
        activity_regularizer=keras.regularizers.get(activity_regularizer),
        **kwargs)
    self.filters = positive_int("filters", filters)
    self.kernel_size = int_pair("kernel_size", kernel_size)
    self.strides = int_pair("strides", strides)
    self.padding = padding_name(padding)
    self.activation = keras.activations.get(activation)
    self.use_bias = bool(use_bias)
    self.kernel_initializer = keras.initializers.get(kernel_initializer)
    self.bias_initializer = keras.initializers.get(bias_initializer)
    self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
    self.bias_regularizer = keras.regularizers.get(bias_regularizer)
    self.implementation = implementation_name(implementation)
    self.input_spec = keras.layers.InputSpec(ndim=4)
    self.plan: Optional[ops.SparseConvPlan] = None

  def make_plan(self, in_channels: int) -> ops.SparseConvPlan:
    """Returns the plan for `in_channels` inputs (raises ValueError when the
    scheme cannot split the channels)."""
    raise NotImplementedError

  def check_channels(self, in_channels: int) -> None:
    """Raises ValueError early for channel counts the scheme cannot use;
    subclasses call it from `__init__` when they know the input width."""
    self.make_plan(in_channels)

  def build(self, input_shape):
    input_shape = tf.TensorShape(input_shape)
    in_channels = input_shape[-1]
    if in_channels is None:
      raise ValueError(f"{self.name}: the channel dimension of the inputs "
                       f"must be known, got shape {input_shape}")
    self.plan = self.make_plan(int(in_channels))
    if self.plan.kernel_size != self.kernel_size:
      raise AssertionError("make_plan returned a plan of another kernel size")
    self.kernel = self.add_weight(
        name="kernel",
        shape=(self.plan.num_weights,),
        initializer=_PackedInitializer(self.kernel_initializer, self.plan),
        regularizer=self.kernel_regularizer,
        trainable=True,
        dtype=self.dtype)
    if self.use_bias:
      self.bias = self.add_weight(
          name="bias",
          shape=(self.filters,),
          initializer=self.bias_initializer,
          regularizer=self.bias_regularizer,
          trainable=True,
          dtype=self.dtype)
    else:
      self.bias = None
    self.input_spec = keras.layers.InputSpec(ndim=4, axes={-1: in_channels})
    super().build(input_shape)

  def call(self, inputs):
    outputs = ops.sparse_conv2d(inputs, self.kernel, self.plan, self.strides,
                                self.padding.upper(), self.implementation)
    if self.use_bias:
      outputs = tf.nn.bias_add(outputs, self.bias)
    if self.activation is not None:
      outputs = self.activation(outputs)
    return outputs

  def compute_output_shape(self, input_shape):
    input_shape = tf.TensorShape(input_shape).as_list()
    spatial = []
    for size, kernel, stride in zip(input_shape[1:3], self.kernel_size,
                                    self.strides):
      if size is None:
        spatial.append(None)
      elif self.padding == "same":
        spatial.append((size + stride - 1) // stride)
      else:
        spatial.append((size - kernel) // stride + 1)
    return tf.TensorShape([input_shape[0]] + spatial + [self.filters])

  def dense_kernel(self) -> tf.Tensor:
    """The equivalent dense kernel [kh, kw, C, K], zeros where no weight
    exists (for inspection, export and comparison with `tf.nn.conv2d`)."""
    if self.plan is None:
      raise ValueError(f"{self.name} is not built yet")
    flat = tf.scatter_nd(self.plan.packed_index[:, None],
                         tf.convert_to_tensor(self.kernel),
                         [self.plan.dense_size])
    return tf.reshape(flat, self.plan.dense_shape)

  def get_prunable_weights(self):
    """The weights magnitude pruning acts on: the packed kernel, only the
    weights that exist (TF Model Optimization's `PrunableLayer` protocol;
    see `sparsezoo_tf.optimization.pruning`)."""
    if not self.built:
      raise ValueError(f"{self.name} is not built yet")
    return [self.kernel]

  @property
  def multiply_adds_per_pixel(self) -> int:
    """Multiply-adds per output pixel: the existing weights."""
    if self.plan is None:
      raise ValueError(f"{self.name} is not built yet")
    return self.plan.num_weights

  def get_config(self):
    config = super().get_config()
    config.update({
        "filters": self.filters,
        "kernel_size": self.kernel_size,
        "strides": self.strides,
        "padding": self.padding,
        "activation": keras.activations.serialize(self.activation),
        "use_bias": self.use_bias,
        "kernel_initializer":
            keras.initializers.serialize(self.kernel_initializer),
        "bias_initializer": keras.initializers.serialize(self.bias_initializer),
        "kernel_regularizer":
            keras.regularizers.serialize(self.kernel_regularizer),
        "bias_regularizer": keras.regularizers.serialize(self.bias_regularizer),
        "activity_regularizer":
            keras.regularizers.serialize(self.activity_regularizer),
        "implementation": self.implementation,
    })
    return config
