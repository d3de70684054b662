"""DenseNets with sparse kernels: DenseNet-121 and the CIFAR DenseNet-BC
with SW-SC / CW-SC (paper 000, Table 2) and DenseNet-40 with scFusion
(paper 003, Table 3).

One builder, `densenet`, makes every variant (Huang et al. 2017):
pre-activation dense layers (BN-ReLU-conv, concatenated to their input),
transitions BN-ReLU-1x1 conv-2x2 average pool, a final BN-ReLU, global
average pooling and the classifier. Convolutions have no bias.

  DenseNet-121 (ImageNet): 7x7 stride-2 stem with 2k channels, BN, ReLU,
    3x3 stride-2 max pool; blocks of 6, 12, 24, 16 bottleneck layers
    (1x1 conv to 4k, 3x3 conv to k); compression 0.5.
  DenseNet-BC-100 (CIFAR): 3x3 stem with 2k channels; three blocks of 16
    bottleneck layers; compression 0.5. Paper 000's Table 2 labels it
    "DenseNet-121 (k = 12)", but its 0.77 M parameters are exactly this
    network's 769,162 (blocks of 6, 12, 24, 16 at k = 12 have 1.00 M).
  DenseNet-40 (CIFAR): 3x3 stem with 16 channels; three blocks of 12
    plain layers (one 3x3 conv to k); no compression.

Schemes: "sc" puts SW-SC on the 3x3 and CW-SC on the 1x1 bottleneck
convolutions; "scfusion<alpha>" replaces the 3x3 convolutions by scFusion
modules. The stem and the transitions stay dense in every scheme: that is
what Table 2 of paper 000 counts (CW-SC transitions would give 7.58 M
parameters for DenseNet-121-sc instead of 8.16 M, 0.72 M instead of 0.78 M
on CIFAR), and paper 003's Table 3 reductions (1.60x, 2.62x) need dense
transitions too. Paper 000 applies its width multiplier w to the growth
rate (k' = int(k w)); the stem keeps 2k' channels.
"""

import dataclasses
import functools
from typing import Callable, Dict, List, Optional, Tuple

import tf_keras as keras

from sparsezoo_tf.models import common
from sparsezoo_tf.models import convs
from sparsezoo_tf.models.registry import register_model

_BN_EPSILON = 1.001e-5


@dataclasses.dataclass(frozen=True)
class Architecture:
  """A DenseNet layout.

  Attributes:
    blocks: dense layers per block.
    growth_rate: k, before the width multiplier.
    bottleneck: dense layers are 1x1 (4k) + 3x3 (k) ("-B"), else one 3x3.
    compression: output channels of a transition / its input channels.
    stem_channels: stem width; None for 2k (k after the width multiplier).
    imagenet_stem: 7x7 stride-2 conv, BN, ReLU and max pool; else a 3x3
      stride-1 convolution.
    dataset, input_shape, classes, preprocessing: as in `ModelInfo`.
  """
  blocks: Tuple[int, ...]
  growth_rate: int
  bottleneck: bool
  compression: float
  stem_channels: Optional[int]
  imagenet_stem: bool
  dataset: str
  input_shape: Tuple[int, int, int]
  classes: int
  preprocessing: str

  @property
  def first_level(self) -> int:
    """The stride (log 2) of the first block's maps."""
    return 2 if self.imagenet_stem else 0


ARCHITECTURES = {
    "densenet121": Architecture((6, 12, 24, 16), 32, True, 0.5, None, True,
                                "imagenet", (224, 224, 3), 1000, "imagenet"),
    "densenet100_cifar": Architecture((16, 16, 16), 12, True, 0.5, None,
                                      False, "cifar10", (32, 32, 3), 10,
                                      "cifar10"),
    "densenet40_cifar": Architecture((12, 12, 12), 12, False, 1.0, 16, False,
                                     "cifar10", (32, 32, 3), 10, "cifar10"),
}


def channel_plan(arch: Architecture, growth_rate: int) -> List[List[int]]:
  """Input channels of every dense layer.

  Args:
    arch: the layout.
    growth_rate: k after the width multiplier.

  Returns:
    One list per block: the input channels of each of its layers.
  """
  channels = arch.stem_channels or 2 * growth_rate
  plan = []
  for index, layers in enumerate(arch.blocks):
    plan.append([channels + i * growth_rate for i in range(layers)])
    channels += layers * growth_rate
    if index < len(arch.blocks) - 1:
      channels = int(channels * arch.compression)
  return plan


def check_channels(arch: Architecture, policy: convs.ConvPolicy,
                   growth_rate: int, name: str) -> None:
  """Raises ValueError, before anything is built, when the policy's scheme
  cannot split a layer's channels (its width rule: e.g. CW-SC splits its
  inputs and outputs into even and odd halves, scFusion-alpha needs
  outputs / alpha base kernels).

  Args:
    arch: the layout.
    policy: the convolutions' policy.
    growth_rate: k after the width multiplier.
    name: the model name, for the message.
  """
  if growth_rate < 1:
    raise ValueError(f"{name}: the growth rate must be positive, got "
                     f"{growth_rate}")
  for block, inputs in enumerate(channel_plan(arch, growth_rate), start=1):
    for layer, channels in enumerate(inputs, start=1):
      layer_convs = ([(1, channels, 4 * growth_rate),
                      (3, 4 * growth_rate, growth_rate)]
                     if arch.bottleneck else [(3, channels, growth_rate)])
      for kernel, in_channels, out_channels in layer_convs:
        part = policy.entry.for_conv(kernel)
        where = (f"{name}: block {block} layer {layer}'s {kernel}x{kernel} "
                 f"{part.name} convolution")
        if out_channels % part.out_multiple:
          raise ValueError(
              f"{where} needs a multiple of {part.out_multiple} output "
              f"channels; the growth rate {growth_rate} gives "
              f"{out_channels} (choose another width)")
        if in_channels % part.in_multiple:
          raise ValueError(
              f"{where} gets {in_channels} input channels, not a multiple "
              f"of {part.in_multiple} (the growth rate {growth_rate} and the "
              f"stem / compression widths give that count: choose another "
              f"width)")


def _bn_relu(x, label: str):
  x = keras.layers.BatchNormalization(epsilon=_BN_EPSILON,
                                      name=f"{label}_bn")(x)
  return keras.layers.ReLU(name=f"{label}_relu")(x)


def _dense_layer(x, policy: convs.ConvPolicy, growth_rate: int,
                 bottleneck: bool, label: str):
  y = _bn_relu(x, f"{label}_0")
  if bottleneck:
    y = policy.conv(4 * growth_rate, 1, name=f"{label}_1_conv")(y)
    y = _bn_relu(y, f"{label}_1")
  y = policy.conv(growth_rate, 3, name=f"{label}_2_conv")(y)
  return keras.layers.Concatenate(name=f"{label}_concat")([x, y])


def _transition(x, policy: convs.ConvPolicy, compression: float,
                label: str):
  activated = _bn_relu(x, label)
  filters = int(keras.backend.int_shape(x)[-1] * compression)
  y = policy.dense(filters, 1, name=f"{label}_conv")(activated)
  return keras.layers.AveragePooling2D(2, name=f"{label}_pool")(y), activated


def _stem(x, policy: convs.ConvPolicy, arch: Architecture, channels: int):
  if not arch.imagenet_stem:
    return policy.conv(channels, 3, name="conv1_conv", role="stem")(x)
  x = policy.conv(channels, 7, 2, name="conv1_conv", role="stem")(x)
  x = _bn_relu(x, "conv1")
  return keras.layers.MaxPooling2D(3, 2, padding="same", name="pool1")(x)


def _body(x, policy: convs.ConvPolicy, arch: Architecture,
          growth_rate: int) -> Tuple[object, Dict[str, object]]:
  """The dense blocks; returns the activated last map and the endpoints."""
  endpoints = {}
  for index, layers in enumerate(arch.blocks):
    stage = index + 2
    for layer in range(1, layers + 1):
      x = _dense_layer(x, policy, growth_rate, arch.bottleneck,
                       f"conv{stage}_block{layer}")
    level = str(arch.first_level + index)
    if index < len(arch.blocks) - 1:
      x, endpoints[level] = _transition(x, policy, arch.compression,
                                        f"pool{stage}")
    else:
      x = _bn_relu(x, "final")
      endpoints[level] = x
  return x, endpoints


def densenet(architecture: str = "densenet121",
             scheme: str = "dense",
             include_top: bool = True,
             weights: Optional[str] = None,
             input_tensor=None,
             input_shape=None,
             pooling: Optional[str] = None,
             classes: Optional[int] = None,
             classifier_activation="softmax",
             width: float = 1.0,
             implementation: str = "auto",
             features_only: bool = False,
             name: Optional[str] = None) -> keras.Model:
  """A DenseNet whose block convolutions use `scheme`.

  Args:
    architecture: a key of ARCHITECTURES.
    scheme: a `convs.make_policy` scheme; registered: "dense", "sc"
      (paper 000), "scfusion2", "scfusion4" (paper 003).
    include_top, weights, input_tensor, input_shape, pooling,
      classifier_activation: as in Keras Applications.
    classes: classes of the classifier (default: the architecture's).
    width: multiplier of the growth rate (k' = int(k * width); paper 000's
      w); the stem follows (2k') in the BC networks.
    implementation: "auto", "op" or "reference" for the sparse layers.
    features_only: return {str(l): activated block output of stride 2^l}
      ('2'..'5' for DenseNet-121, '0'..'2' on CIFAR).
    name: model name.

  Returns:
    The `tf_keras` model.

  Raises:
    ValueError: for an unknown architecture or scheme, a width whose
      channel counts the scheme cannot split, or a bad Keras Applications
      argument.
  """
  if architecture not in ARCHITECTURES:
    raise ValueError(f"architecture must be one of {tuple(ARCHITECTURES)}, "
                     f"got {architecture!r}")
  arch = ARCHITECTURES[architecture]
  classes = arch.classes if classes is None else classes
  name = name or model_name(architecture, scheme)
  resolved = common.check_arguments(name, weights, include_top, classes,
                                    pooling, classifier_activation)
  policy = convs.make_policy(scheme, implementation=implementation)
  growth_rate = int(arch.growth_rate * width)
  check_channels(arch, policy, growth_rate, name)
  inputs, x = common.image_input(
      input_tensor, input_shape, arch.input_shape,
      min_size=2**(arch.first_level + len(arch.blocks) - 1))
  x = _stem(x, policy, arch, arch.stem_channels or 2 * growth_rate)
  x, endpoints = _body(x, policy, arch, growth_rate)
  outputs = common.classification_head(x, include_top, pooling, classes,
                                       classifier_activation)
  return common.finish(inputs, outputs, name, endpoints, features_only,
                       resolved)


def model_name(architecture: str, scheme: str) -> str:
  """The registered name, e.g. "densenet121_sc"."""
  return architecture if scheme == "dense" else f"{architecture}_{scheme}"


def _architecture_model(architecture: str) -> Callable[..., Callable]:
  arch = ARCHITECTURES[architecture]
  return functools.partial(
      register_model, family="densenet", dataset=arch.dataset,
      input_shape=arch.input_shape, classes=arch.classes,
      preprocessing=arch.preprocessing)


_densenet121_model = _architecture_model("densenet121")
_densenet100_cifar_model = _architecture_model("densenet100_cifar")
_densenet40_cifar_model = _architecture_model("densenet40_cifar")


def _create_densenet(name: str, architecture: str, scheme: str = "dense",
                     /, **kwargs) -> keras.Model:
  return densenet(architecture=architecture, scheme=scheme, name=name,
                  **kwargs)


@_densenet121_model()
def densenet121(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """DenseNet-121 (k = 32).

  Other arguments as `densenet` (without `architecture`, `scheme`).
  """
  return _create_densenet("densenet121", "densenet121", weights=weights,
                          **kwargs)


@_densenet121_model(scheme="sc", baseline="densenet121")
def densenet121_sc(weights: Optional[str] = None, width: float = 1.3125,
                   **kwargs) -> keras.Model:
  """DenseNet-121-sc: SW-SC 3x3, CW-SC 1x1, k = 42 (paper 000).

  Other arguments as `densenet` (without `architecture`, `scheme`).
  """
  return _create_densenet("densenet121_sc", "densenet121", "sc",
                          weights=weights, width=width, **kwargs)


@_densenet100_cifar_model()
def densenet100_cifar(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """DenseNet-BC-100 (k = 12) for CIFAR.

  Other arguments as `densenet` (without `architecture`, `scheme`).
  """
  return _create_densenet("densenet100_cifar", "densenet100_cifar",
                          weights=weights, **kwargs)


@_densenet100_cifar_model(scheme="sc", baseline="densenet100_cifar")
def densenet100_cifar_sc(weights: Optional[str] = None, width: float = 1.375,
                         **kwargs) -> keras.Model:
  """DenseNet-BC-100-sc: SW-SC 3x3, CW-SC 1x1, k = 16 (paper 000).

  Other arguments as `densenet` (without `architecture`, `scheme`).
  """
  return _create_densenet("densenet100_cifar_sc", "densenet100_cifar", "sc",
                          weights=weights, width=width, **kwargs)


@_densenet40_cifar_model()
def densenet40_cifar(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """DenseNet-40 (k = 12) for CIFAR.

  Other arguments as `densenet` (without `architecture`, `scheme`).
  """
  return _create_densenet("densenet40_cifar", "densenet40_cifar",
                          weights=weights, **kwargs)


@_densenet40_cifar_model(scheme="scfusion2", baseline="densenet40_cifar")
def densenet40_cifar_scfusion2(weights: Optional[str] = None,
                               **kwargs) -> keras.Model:
  """DenseNet-40 scFusion-2 (paper 003).

  Other arguments as `densenet` (without `architecture`, `scheme`).
  """
  return _create_densenet("densenet40_cifar_scfusion2", "densenet40_cifar",
                          "scfusion2", weights=weights, **kwargs)


@_densenet40_cifar_model(scheme="scfusion4", baseline="densenet40_cifar")
def densenet40_cifar_scfusion4(weights: Optional[str] = None,
                               **kwargs) -> keras.Model:
  """DenseNet-40 scFusion-4 (paper 003).

  Other arguments as `densenet` (without `architecture`, `scheme`).
  """
  return _create_densenet("densenet40_cifar_scfusion4", "densenet40_cifar",
                          "scfusion4", weights=weights, **kwargs)
