"""A block made of a sequence of basic sparse kernels (paper 001's GConv,
DW, PW, PWGConv; paper 002's products of group convolutions).

`KernelSequence` runs its steps in order, each followed by batch
normalization (paper 001, section 4.1: "BN right after each layer in the
block", no ReLU inside). The IGC blocks (`igc.py`) and paper 001's designs
(`sparse_kernel_designs.py`) derive their steps from the input width.
"""

import dataclasses
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import tensorflow as tf
import tf_keras as keras

from sparsezoo_tf.layers import base
from sparsezoo_tf.layers import grouped

KINDS = ("conv", "gconv", "dw", "pw", "pwgconv")


@dataclasses.dataclass(frozen=True)
class KernelStep:
  """One convolution of a `KernelSequence`.

  Attributes:
    kind: "conv" (dense k x k), "gconv" (group k x k), "dw" (depthwise
      k x k), "pw" (dense 1x1) or "pwgconv" (group 1x1).
    filters: output channels ("dw" keeps the input width: leave 0 or give
      the input width).
    groups: groups of "gconv" / "pwgconv".
    kernel_size: spatial size of "conv", "gconv" and "dw" (1 for "pw" and
      "pwgconv").
    strides: stride of this step.
    shuffle: follow the step by the [groups, n] -> [n, groups] channel
      interleave (fused into the group convolution).
  """
  kind: str
  filters: int = 0
  groups: int = 1
  kernel_size: int = 3
  strides: int = 1
  shuffle: bool = False

  def __post_init__(self):
    if self.kind not in KINDS:
      raise ValueError(f"kernel step kind must be one of {KINDS}, got "
                       f"{self.kind!r}")
    if self.kind in ("pw", "pwgconv") and self.kernel_size != 1:
      object.__setattr__(self, "kernel_size", 1)
    base.positive_int("kernel_size", self.kernel_size)
    base.positive_int("strides", self.strides)
    base.positive_int("groups", self.groups)
    if self.kind != "dw":
      base.positive_int(f"filters of a {self.kind!r} step", self.filters)
    if self.kind in ("conv", "pw", "dw") and self.groups != 1:
      raise ValueError(f"a {self.kind!r} step has no groups; use 'gconv' or "
                       f"'pwgconv' (got groups={self.groups})")
    if self.shuffle and self.groups == 1:
      raise ValueError(f"shuffle after a {self.kind!r} step with one group "
                       f"does nothing; the interleave follows a group "
                       f"convolution")
    if self.kind != "dw" and self.filters % self.groups:
      raise ValueError(f"{self.kind}: filters={self.filters} is not divisible "
                       f"by groups={self.groups}")

  @property
  def is_grouped(self) -> bool:
    return self.groups > 1

  def output_channels(self, in_channels: int) -> int:
    return in_channels if self.kind == "dw" else self.filters

  def describe(self) -> str:
    """Paper-style name: DW, PW, Conv3x3, GConv(4), PWGConv(8)."""
    names = {"conv": f"Conv{self.kernel_size}x{self.kernel_size}", "dw": "DW",
             "pw": "PW", "gconv": f"GConv({self.groups})",
             "pwgconv": f"PWGConv({self.groups})"}
    return names[self.kind] + ("+shuffle" if self.shuffle else "")

  def to_config(self) -> Dict[str, Any]:
    return dataclasses.asdict(self)


StepLike = Union[KernelStep, Dict[str, Any]]


def as_step(step: StepLike) -> KernelStep:
  if isinstance(step, KernelStep):
    return step
  if isinstance(step, dict):
    return KernelStep(**step)
  raise TypeError(f"a kernel step must be a KernelStep or a dict, got "
                  f"{type(step).__name__}")


def check_widths(steps: Sequence[KernelStep], in_channels: int) -> None:
  """Raises ValueError naming the step whose groups do not split its
  channels."""
  width = in_channels
  for index, step in enumerate(steps):
    if step.kind == "dw" and step.filters not in (0, width):
      raise ValueError(f"step {index} (DW) keeps the width {width}, but "
                       f"filters={step.filters} was given")
    if step.is_grouped and width % step.groups:
      raise ValueError(
          f"step {index} ({step.describe()}) receives {width} channels, "
          f"which {step.groups} groups cannot split evenly")
    width = step.output_channels(width)


@keras.utils.register_keras_serializable(package="sparsezoo_tf")
class KernelSequence(base.Layer):
  """A sequence of basic sparse kernels, each followed by batch norm.

  Group steps run through the sparse op (`GroupConv2D`, with the channel
  interleave fused); depthwise and dense steps use Keras' `DepthwiseConv2D`
  and `Conv2D`, which TensorFlow already runs optimally. Padding is "same".

  Args:
    steps: the `KernelStep`s (or their dicts), in order.
    batch_norm: batch normalization after every step.
    activation: activation between steps (none after the last; the
      surrounding network adds the shortcut and the ReLU).
    use_bias: biases on the convolutions (off by default: BN follows).
    kernel_initializer, kernel_regularizer: for every convolution; the
      regularizer sees the existing weights only.
    bn_momentum, bn_epsilon: of the batch normalizations.
    implementation: "auto", "op" or "reference" for the group steps.
  """

  def __init__(self,
               steps: Optional[Sequence[StepLike]] = None,
               batch_norm: bool = True,
               activation=None,
               use_bias: bool = False,
               kernel_initializer="he_normal",
               kernel_regularizer=None,
               bn_momentum: float = 0.9,
               bn_epsilon: float = 1e-5,
               implementation: str = "auto",
               **kwargs):
    super().__init__(**kwargs)
    self.steps = None if steps is None else [as_step(s) for s in steps]
    if self.steps is not None and not self.steps:
      raise ValueError("a kernel sequence needs at least one step")
    self.batch_norm = bool(batch_norm)
    self.activation = keras.activations.get(activation)
    self.use_bias = bool(use_bias)
    self.kernel_initializer = keras.initializers.get(kernel_initializer)
    self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
    self.bn_momentum = float(bn_momentum)
    self.bn_epsilon = float(bn_epsilon)
    self.implementation = base.implementation_name(implementation)
    self.input_spec = keras.layers.InputSpec(ndim=4)
    self.convolutions: List[keras.layers.Layer] = []
    self.normalizations: List[keras.layers.Layer] = []

  def make_steps(self, in_channels: int) -> List[KernelStep]:
    """The steps for `in_channels` inputs; subclasses derive them."""
    del in_channels
    if self.steps is None:
      raise ValueError(f"{self.name}: no steps given")
    return list(self.steps)

  def _initializer(self):
    return keras.initializers.get(
        keras.initializers.serialize(self.kernel_initializer))

  def _make_convolution(self, step: KernelStep, index: int):
    common = dict(strides=step.strides, padding="same",
                  use_bias=self.use_bias,
                  kernel_initializer=self._initializer(),
                  name=f"{index}_{step.kind}")
    if step.kind == "dw":
      return keras.layers.DepthwiseConv2D(
          step.kernel_size, depthwise_regularizer=self.kernel_regularizer,
          **common)
    if step.is_grouped:
      return grouped.GroupConv2D(
          step.filters, step.kernel_size, groups=step.groups,
          shuffle=step.shuffle, kernel_regularizer=self.kernel_regularizer,
          implementation=self.implementation, **common)
    return keras.layers.Conv2D(step.filters, step.kernel_size,
                               kernel_regularizer=self.kernel_regularizer,
                               **common)

  def build(self, input_shape):
    input_shape = tf.TensorShape(input_shape)
    in_channels = input_shape[-1]
    if in_channels is None:
      raise ValueError(f"{self.name}: the channel dimension of the inputs "
                       f"must be known, got shape {input_shape}")
    steps = self.make_steps(int(in_channels))
    try:
      check_widths(steps, int(in_channels))
    except ValueError as error:
      raise ValueError(f"{self.name}: {error}") from None
    self.built_steps = steps
    self.convolutions, self.normalizations = [], []
    shape = input_shape
    for index, step in enumerate(steps):
      convolution = self._make_convolution(step, index)
      with tf.name_scope(convolution.name):
        convolution.build(shape)
      shape = convolution.compute_output_shape(shape)
      self.convolutions.append(convolution)
      if self.batch_norm:
        normalization = keras.layers.BatchNormalization(
            momentum=self.bn_momentum, epsilon=self.bn_epsilon,
            name=f"{index}_bn")
        with tf.name_scope(normalization.name):
          normalization.build(shape)
        self.normalizations.append(normalization)
    self.input_spec = keras.layers.InputSpec(ndim=4, axes={-1: in_channels})
    super().build(input_shape)

  def call(self, inputs, training=None):
    outputs = inputs
    last = len(self.convolutions) - 1
    for index, convolution in enumerate(self.convolutions):
      outputs = convolution(outputs)
      if self.batch_norm:
        outputs = self.normalizations[index](outputs, training=training)
      if self.activation is not None and index < last:
        outputs = self.activation(outputs)
    return outputs

  def sublayer_calls(self, input_shape) -> List[Tuple[keras.layers.Layer,
                                                      tf.TensorShape]]:
    """Each sublayer with the input shape it is called on, in order."""
    calls = []
    shape = tf.TensorShape(input_shape)
    for index, convolution in enumerate(self.convolutions):
      calls.append((convolution, shape))
      shape = convolution.compute_output_shape(shape)
      if self.batch_norm:
        calls.append((self.normalizations[index], shape))
    return calls

  def kernel_attributes(self) -> List[Tuple[keras.layers.Layer, str]]:
    """(convolution, attribute name) of every step's kernel, in order:
    "depthwise_kernel" of the depthwise steps, "kernel" of the others (the
    packed kernel of the group steps)."""
    return [(conv, "depthwise_kernel" if isinstance(
        conv, keras.layers.DepthwiseConv2D) else "kernel")
            for conv in self.convolutions]

  def get_prunable_weights(self):
    """The kernels magnitude pruning acts on: every step's kernel (TF
    Model Optimization's `PrunableLayer` protocol; see
    `sparsezoo_tf.optimization.pruning`)."""
    if not self.built:
      raise ValueError(f"{self.name} is not built yet")
    return [getattr(conv, name) for conv, name in self.kernel_attributes()]

  def compute_output_shape(self, input_shape):
    input_shape = tf.TensorShape(input_shape).as_list()
    if input_shape[-1] is None:
      raise ValueError(f"{self.name}: the channel dimension of the inputs "
                       f"must be known, got shape {input_shape}")
    batch, rows, cols, width = input_shape
    for step in self.make_steps(int(width)):
      rows = None if rows is None else -(-rows // step.strides)
      cols = None if cols is None else -(-cols // step.strides)
      width = step.output_channels(width)
    return tf.TensorShape([batch, rows, cols, width])

  def describe(self) -> str:
    """The design in the papers' notation, e.g. "PWGConv(4)+DW+PWGConv(4)"."""
    steps = getattr(self, "built_steps", None) or self.steps or []
    return "+".join(step.describe() for step in steps)

  def get_config(self):
    config = super().get_config()
    config.update({
        "batch_norm": self.batch_norm,
        "activation": keras.activations.serialize(self.activation)
                      if self.activation is not None else None,
        "use_bias": self.use_bias,
        "kernel_initializer":
            keras.initializers.serialize(self.kernel_initializer),
        "kernel_regularizer":
            keras.regularizers.serialize(self.kernel_regularizer),
        "bn_momentum": self.bn_momentum,
        "bn_epsilon": self.bn_epsilon,
        "implementation": self.implementation,
    })
    if type(self) is KernelSequence:  # pylint: disable=unidiomatic-typecheck
      config["steps"] = [step.to_config() for step in self.steps]
    return config
