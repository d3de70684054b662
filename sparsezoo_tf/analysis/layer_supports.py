"""Built Keras layers -> the kernel supports they apply, in order.

Shared by the receptive-field coverage and the information field: both need
which input positions and channels each output of a layer reads.
"""

import dataclasses
from typing import List

import numpy as np
import tensorflow as tf
import tf_keras as keras

from sparsezoo_tf import patterns
from sparsezoo_tf.layers import base
from sparsezoo_tf.layers import grouped

# Layers that act on every channel and position alone: no support of their
# own (the field passes through them unchanged).
PER_ELEMENT_LAYERS = (
    keras.layers.BatchNormalization, keras.layers.Activation,
    keras.layers.ReLU, keras.layers.LeakyReLU, keras.layers.PReLU,
    keras.layers.ELU, keras.layers.Softmax, keras.layers.Dropout,
    keras.layers.SpatialDropout2D, keras.layers.GaussianNoise,
    keras.layers.InputLayer,
)


@dataclasses.dataclass(frozen=True)
class LayerSupport:
  """One convolution as the analyses see it.

  Attributes:
    name: the layer's name (with its parents', "block/0_pw").
    support: boolean [k_rows, k_cols, in_channels, out_channels].
    strides: (rows, cols).
    dilation: (rows, cols).
  """
  name: str
  support: np.ndarray
  strides: tuple = (1, 1)
  dilation: tuple = (1, 1)

  @property
  def connectivity(self) -> np.ndarray:
    """[in_channels, out_channels]: which input channels an output reads."""
    return self.support.any(axis=(0, 1))


def _depthwise_support(kernel_shape) -> np.ndarray:
  rows, cols, channels, multiplier = (int(v) for v in kernel_shape)
  reads = np.arange(channels * multiplier) // multiplier
  connected = np.arange(channels)[:, None] == reads[None, :]
  return np.broadcast_to(connected, (rows, cols) + connected.shape).copy()


def _require_built(layer, what: str) -> None:
  if not layer.built:
    raise ValueError(f"{layer.name} ({type(layer).__name__}) is not built: "
                     f"build it (or call it on an input) so that its {what} "
                     f"is known")


def _pair(value) -> tuple:
  return tuple(int(v) for v in value)


def supports_applied_by(layer, prefix: str = "") -> List[LayerSupport]:
  """The supports a built layer applies, in order ([] for per-element
  layers such as BN and activations).

  Understood: `SparseConv2DBase` subclasses, `Conv2D` (with groups),
  `DepthwiseConv2D`, `SeparableConv2D`, `ChannelShuffle` (a 1x1
  permutation), per-element layers, composite layers that implement
  `sublayer_calls` (their sublayers, in call order, must form a chain), and
  models whose layers form a chain.

  Raises:
    ValueError: for an unbuilt layer, a transposed convolution or a layer
      type that is not understood (named).
  """
  name = prefix + layer.name
  if isinstance(layer, PER_ELEMENT_LAYERS):
    return []
  if isinstance(layer, base.SparseConv2DBase):
    if layer.plan is None:
      _require_built(layer, "support")
    return [LayerSupport(name, np.array(layer.plan.support, bool),
                         layer.strides)]
  if isinstance(layer, grouped.ChannelShuffle):
    _require_built(layer, "channel count")
    perm = layer.permutation
    support = np.zeros((1, 1, len(perm), len(perm)), bool)
    support[0, 0, perm, np.arange(len(perm))] = True
    return [LayerSupport(name, support)]
  if isinstance(layer, keras.layers.Conv2DTranspose):
    raise ValueError(f"{name}: transposed convolutions are not supported")
  if isinstance(layer, keras.layers.SeparableConv2D):
    _require_built(layer, "channel count")
    _, _, channels, filters = _pair(layer.pointwise_kernel.shape)
    return [LayerSupport(name + "/depthwise",
                         _depthwise_support(layer.depthwise_kernel.shape),
                         _pair(layer.strides), _pair(layer.dilation_rate)),
            LayerSupport(name + "/pointwise",
                         np.ones((1, 1, channels, filters), bool))]
  if isinstance(layer, keras.layers.DepthwiseConv2D):
    _require_built(layer, "channel count")
    return [LayerSupport(name,
                         _depthwise_support(layer.depthwise_kernel.shape),
                         _pair(layer.strides), _pair(layer.dilation_rate))]
  if isinstance(layer, keras.layers.Conv2D):
    _require_built(layer, "channel count")
    rows, cols, group_channels, filters = _pair(layer.kernel.shape)
    groups = int(layer.groups)
    return [LayerSupport(name,
                         patterns.grouped((rows, cols), group_channels * groups,
                                          filters, groups),
                         _pair(layer.strides), _pair(layer.dilation_rate))]
  if isinstance(layer, keras.Model):
    return _chain_model_supports(layer, name + "/")
  if hasattr(layer, "sublayer_calls"):
    _require_built(layer, "sublayers")
    supports = []
    for sublayer, _ in layer.sublayer_calls(_input_shape(layer)):
      supports.extend(supports_applied_by(sublayer, name + "/"))
    return supports
  raise ValueError(
      f"{name}: cannot take the support of a {type(layer).__name__}; "
      f"understood are sparse convolutions, Conv2D, DepthwiseConv2D, "
      f"SeparableConv2D, ChannelShuffle, per-element layers and composite "
      f"layers with sublayer_calls")


def _chain_model_supports(model, prefix: str) -> List[LayerSupport]:
  """A model whose layers form one chain (Sequential, or functional without
  branches): the supports of its layers in order."""
  if not model.built:
    _require_built(model, "layers")
  supports = []
  for layer in model.layers:
    inbound = [node for node in getattr(layer, "_inbound_nodes", [])
               if node.inbound_layers]
    if any(isinstance(node.inbound_layers, list) and
           len(node.inbound_layers) > 1 for node in inbound) or (
               len(inbound) > 1):
      raise ValueError(
          f"{prefix}{layer.name} merges or reuses branches: the model is not "
          f"a chain of layers; pass one block (e.g. the unit of a stage)")
    supports.extend(supports_applied_by(layer, prefix))
  return supports


def _input_shape(layer) -> tf.TensorShape:
  spec = layer.input_spec
  channels = None
  if spec is not None and getattr(spec, "axes", None):
    channels = spec.axes.get(-1)
  return tf.TensorShape([None, None, None, channels])
