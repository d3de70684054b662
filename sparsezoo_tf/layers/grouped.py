"""Group convolution fused with the channel shuffle, and the shuffle alone
(IGC-V1/V2, paper 002; GConv / PWGConv, paper 001)."""

import numpy as np
import tensorflow as tf
import tf_keras as keras

from sparsezoo_tf import ops
from sparsezoo_tf import patterns
from sparsezoo_tf.layers import base


@keras.utils.register_keras_serializable(package="sparsezoo_tf")
class ChannelShuffle(base.Layer):
  """The interleaving permutation between group convolutions (paper 002,
  section 3.2): channels viewed as [groups, n] are transposed to
  [n, groups], so that channel i of group g moves to position i * groups + g
  and every group of the next group convolution reads from all groups of
  this one.

  Args:
    groups: number of groups G of the preceding group convolution; the
      channel count must be a multiple of it.
  """

  def __init__(self, groups: int, **kwargs):
    super().__init__(**kwargs)
    self.groups = base.positive_int("groups", groups)
    self.input_spec = keras.layers.InputSpec(min_ndim=2)
    self.permutation = None

  def build(self, input_shape):
    channels = tf.TensorShape(input_shape)[-1]
    if channels is None:
      raise ValueError(f"{self.name}: the channel dimension must be known, "
                       f"got shape {input_shape}")
    try:
      self.permutation = patterns.shuffle_permutation(int(channels),
                                                      self.groups)
    except ValueError as error:
      raise ValueError(f"{self.name}: {error}") from None
    super().build(input_shape)

  def call(self, inputs):
    return tf.gather(inputs, self.permutation, axis=-1)

  def compute_output_shape(self, input_shape):
    return tf.TensorShape(input_shape)

  def get_config(self):
    config = super().get_config()
    config["groups"] = self.groups
    return config


@keras.utils.register_keras_serializable(package="sparsezoo_tf")
class GroupConv2D(base.SparseConv2DBase):
  """Group convolution computed by the sparse op, optionally fused with the
  channel shuffle that follows it (`shuffle=True` writes the outputs in the
  order `ChannelShuffle(groups)` would produce, at no extra cost).

  Output channel o belongs to group o // (filters / groups) and reads the
  input channels of the same group: k_rows k_cols C K / groups weights.
  `groups=1` is a dense convolution; a 1x1 kernel is the pointwise group
  convolution (PWGConv) of paper 001.

  Args:
    filters: output channels, a multiple of `groups`.
    kernel_size: int or (rows, cols).
    groups: number of groups (branches); the input channels must be a
      multiple of it as well.
    shuffle: fuse the [groups, n] -> [n, groups] output interleaving.
    **kwargs: as `SparseConv2DBase` (strides, padding, use_bias,
      initializers, regularizers, implementation, ...).
  """

  def __init__(self, filters, kernel_size=1, groups=1, shuffle=False,
               **kwargs):
    super().__init__(filters, kernel_size, **kwargs)
    self.groups = base.positive_int("groups", groups)
    if self.filters % self.groups:
      raise ValueError(f"GroupConv2D: filters={self.filters} is not divisible "
                       f"by groups={self.groups}: a group convolution needs "
                       f"equal groups")
    self.shuffle = bool(shuffle)

  def make_plan(self, in_channels: int) -> ops.SparseConvPlan:
    try:
      return ops.group_plan(self.kernel_size, in_channels, self.filters,
                            self.groups, shuffle=self.shuffle)
    except ValueError as error:
      raise ValueError(f"GroupConv2D(filters={self.filters}, groups="
                       f"{self.groups}) on {in_channels} input channels: "
                       f"{error}") from None

  def connectivity(self) -> np.ndarray:
    """[C, K] boolean: which input channel each output channel reads."""
    if self.plan is None:
      raise ValueError(f"{self.name} is not built yet")
    return self.plan.support.any(axis=(0, 1))

  def get_config(self):
    config = super().get_config()
    config.update({"groups": self.groups, "shuffle": self.shuffle})
    return config
