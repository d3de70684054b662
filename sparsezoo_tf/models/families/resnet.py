"""ImageNet ResNets of papers 000 and 003, and what the ResNet family shares.

Architecture (paper 000, section 4.2.1): the "normal" post-activation
ResNet (He et al. 2016a) as Tensorpack builds it: 7x7/2 stem, 3x3/2 max
pool, four stages of basic (18, 34) or bottleneck (50, 101, 152) blocks
with the stride on the 3x3 convolution, 1x1 projection shortcuts where the
shape changes, BN after every convolution, no convolution bias, and the
last BN of every residual branch starting with gamma = 0 (Goyal et al.).

Schemes (`convs.make_policy`): "dense", "sc" (SW-SC on every 3x3 of the
residual branches, CW-SC on their 1x1s; dense stem and shortcuts: the
reading that reproduces Table 10 of paper 000) and "scfusion<alpha>" (paper
003: scFusion modules on the 3x3s, dense first convolution). The width
multiplier w scales the stem and every convolution of the blocks (paper
000, section 4), rounded to an even count: 64 w = 84 for w = 1.3125.

Endpoints: '1' the stem convolution (stride 2), '2'..'5' the stages.
The CIFAR ResNets (papers 000, 003, 004) are in `resnet_cifar`.
"""

import functools
from typing import Optional

import tf_keras as keras

from sparsezoo_tf.models import common
from sparsezoo_tf.models import convs
from sparsezoo_tf.models.registry import register_model

IMAGENET_SHAPE = (224, 224, 3)
# Blocks per stage, and whether the blocks are bottlenecks.
IMAGENET_DEPTHS = {18: ((2, 2, 2, 2), False), 34: ((3, 4, 6, 3), False),
                   50: ((3, 4, 6, 3), True), 101: ((3, 4, 23, 3), True),
                   152: ((3, 8, 36, 3), True)}
STAGE_WIDTHS = (64, 128, 256, 512)
BOTTLENECK_EXPANSION = 4
# Tensorpack's BatchNorm (the papers' framework).
BN_EPSILON = 1e-5
BN_MOMENTUM = 0.9


def scaled(channels: int, width: float, multiple: int = 2) -> int:
  """`channels * width` rounded to a positive multiple of `multiple`."""
  return max(multiple, multiple * int(round(channels * width / multiple)))


def check_width(width) -> float:
  """Returns `width` as a float, or raises ValueError."""
  if isinstance(width, bool) or not isinstance(width, (int, float)) or (
      not 0 < width <= 16):
    raise ValueError(f"width must be a number in (0, 16], got {width!r}")
  return float(width)


def batch_norm(name: str, zero_gamma: bool = False) -> keras.layers.Layer:
  """Tensorpack-style BN; `zero_gamma` starts a residual branch at zero."""
  return keras.layers.BatchNormalization(
      epsilon=BN_EPSILON, momentum=BN_MOMENTUM, name=name,
      gamma_initializer="zeros" if zero_gamma else "ones")


def conv_bn(x, policy, filters: int, kernel_size: int, strides: int,
            name: str, role: str = "body", relu: bool = True,
            zero_gamma: bool = False):
  """Convolution, BN and (optionally) ReLU, named `name`_conv/_bn/_relu."""
  x = policy.conv(filters, kernel_size, strides, f"{name}_conv", role)(x)
  x = batch_norm(f"{name}_bn", zero_gamma)(x)
  if relu:
    x = keras.layers.ReLU(name=f"{name}_relu")(x)
  return x


def residual_block(x, policy: convs.ConvPolicy, width: int, strides: int,
                   bottleneck: bool, name: str, zero_gamma: bool = True):
  """A post-activation residual block (basic or bottleneck).

  Args:
    x: the block input.
    policy: the scheme's conv policy.
    width: channels of the 3x3 convolution(s); a bottleneck outputs 4x.
    strides: of the first 3x3 convolution and of the projection.
    bottleneck: 1x1-3x3-1x1 instead of 3x3-3x3.
    name: layer name prefix.
    zero_gamma: start the last BN of the branch at gamma = 0.

  Returns:
    The block output (after the ReLU that follows the addition).
  """
  out_channels = width * BOTTLENECK_EXPANSION if bottleneck else width
  shortcut = x
  if strides != 1 or x.shape[-1] != out_channels:
    shortcut = conv_bn(x, policy, out_channels, 1, strides, f"{name}_0",
                       role="shortcut", relu=False)
  if bottleneck:
    x = conv_bn(x, policy, width, 1, 1, f"{name}_1")
    x = conv_bn(x, policy, width, 3, strides, f"{name}_2")
    x = conv_bn(x, policy, out_channels, 1, 1, f"{name}_3", relu=False,
                zero_gamma=zero_gamma)
  else:
    x = conv_bn(x, policy, width, 3, strides, f"{name}_1")
    x = conv_bn(x, policy, width, 3, 1, f"{name}_2", relu=False,
                zero_gamma=zero_gamma)
  x = keras.layers.Add(name=f"{name}_add")([shortcut, x])
  return keras.layers.ReLU(name=f"{name}_out")(x)


def resnet_imagenet(depth: int,
                    scheme: str = "dense",
                    width: float = 1.0,
                    include_top: bool = True,
                    weights: Optional[str] = None,
                    input_tensor=None,
                    input_shape=None,
                    pooling: Optional[str] = None,
                    classes: int = 1000,
                    classifier_activation="softmax",
                    implementation: str = "auto",
                    features_only: bool = False,
                    name: Optional[str] = None) -> keras.Model:
  """An ImageNet ResNet (post-activation) whose convolutions use `scheme`.

  Args:
    depth: 18, 34, 50, 101 or 152.
    scheme: "dense", "sc" or "scfusion<alpha>" (see `convs`).
    width: multiplier of the stem and of every block convolution.
    include_top, weights, input_tensor, input_shape, pooling, classes,
      classifier_activation: as in Keras Applications.
    implementation: "auto", "op" or "reference" for the sparse layers.
    features_only: return the endpoints {'1': stem, '2'..'5': stages}.
    name: the model name.

  Returns:
    The Keras model.
  """
  if depth not in IMAGENET_DEPTHS:
    raise ValueError(f"depth must be one of {sorted(IMAGENET_DEPTHS)}, got "
                     f"{depth!r}")
  width = check_width(width)
  name = name or f"resnet{depth}" + ("" if scheme == "dense" else
                                     f"_{scheme}")
  resolved = common.check_arguments(name, weights, include_top, classes,
                                    pooling, classifier_activation)
  inputs, x = common.image_input(input_tensor, input_shape, IMAGENET_SHAPE,
                                 min_size=32)
  policy = convs.make_policy(scheme, implementation=implementation)
  blocks, bottleneck = IMAGENET_DEPTHS[depth]
  multiple = policy.channel_multiple((1, 3), minimum=2)
  x = conv_bn(x, policy, scaled(64, width, multiple), 7, 2, "conv1",
              role="stem")
  endpoints = {"1": x}
  x = keras.layers.MaxPooling2D(3, 2, padding="same", name="pool1_pool")(x)
  for stage, (count, base) in enumerate(zip(blocks, STAGE_WIDTHS)):
    for index in range(count):
      strides = 2 if stage > 0 and index == 0 else 1
      x = residual_block(x, policy, scaled(base, width, multiple), strides,
                         bottleneck, f"conv{stage + 2}_block{index + 1}")
    endpoints[str(stage + 2)] = x
  outputs = common.classification_head(x, include_top, pooling, classes,
                                       classifier_activation)
  return common.finish(inputs, outputs, name, endpoints, features_only,
                       resolved)


_imagenet_model = functools.partial(
    register_model, family="resnet", dataset="imagenet",
    input_shape=IMAGENET_SHAPE, classes=1000, preprocessing="imagenet")


def _create_resnet(name: str, depth: int, scheme: str = "dense", /,
                   **kwargs) -> keras.Model:
  return resnet_imagenet(depth, scheme=scheme, name=name, **kwargs)


@_imagenet_model()
def resnet18(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """ResNet-18 (ImageNet, post-activation).

  Other arguments as `resnet_imagenet` (without `depth`, `scheme`).
  """
  return _create_resnet("resnet18", 18, weights=weights, **kwargs)


@_imagenet_model(scheme="sc", baseline="resnet18")
def resnet18_sc(weights: Optional[str] = None, width: float = 1.3125,
                **kwargs) -> keras.Model:
  """ResNet-18-sc, w = 1.3125: SW-SC on the 3x3s, CW-SC on the 1x1s (paper
  000).

  Other arguments as `resnet_imagenet` (without `depth`, `scheme`).
  """
  return _create_resnet("resnet18_sc", 18, "sc", weights=weights,
                        width=width, **kwargs)


@_imagenet_model()
def resnet34(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """ResNet-34 (ImageNet, post-activation).

  Other arguments as `resnet_imagenet` (without `depth`, `scheme`).
  """
  return _create_resnet("resnet34", 34, weights=weights, **kwargs)


@_imagenet_model(scheme="sc", baseline="resnet34")
def resnet34_sc(weights: Optional[str] = None, width: float = 1.3125,
                **kwargs) -> keras.Model:
  """ResNet-34-sc, w = 1.3125: SW-SC on the 3x3s, CW-SC on the 1x1s (paper
  000).

  Other arguments as `resnet_imagenet` (without `depth`, `scheme`).
  """
  return _create_resnet("resnet34_sc", 34, "sc", weights=weights,
                        width=width, **kwargs)


@_imagenet_model()
def resnet50(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """ResNet-50 (ImageNet, post-activation).

  Other arguments as `resnet_imagenet` (without `depth`, `scheme`).
  """
  return _create_resnet("resnet50", 50, weights=weights, **kwargs)


@_imagenet_model(scheme="sc", baseline="resnet50")
def resnet50_sc(weights: Optional[str] = None, width: float = 1.28125,
                **kwargs) -> keras.Model:
  """ResNet-50-sc, w = 1.28125: SW-SC on the 3x3s, CW-SC on the 1x1s (paper
  000).

  Other arguments as `resnet_imagenet` (without `depth`, `scheme`).
  """
  return _create_resnet("resnet50_sc", 50, "sc", weights=weights,
                        width=width, **kwargs)


@_imagenet_model()
def resnet101(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """ResNet-101 (ImageNet, post-activation).

  Other arguments as `resnet_imagenet` (without `depth`, `scheme`).
  """
  return _create_resnet("resnet101", 101, weights=weights, **kwargs)


@_imagenet_model(scheme="sc", baseline="resnet101")
def resnet101_sc(weights: Optional[str] = None, width: float = 1.3125,
                 **kwargs) -> keras.Model:
  """ResNet-101-sc, w = 1.3125: SW-SC on the 3x3s, CW-SC on the 1x1s (paper
  000).

  Other arguments as `resnet_imagenet` (without `depth`, `scheme`).
  """
  return _create_resnet("resnet101_sc", 101, "sc", weights=weights,
                        width=width, **kwargs)


@_imagenet_model()
def resnet152(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """ResNet-152 (ImageNet, post-activation).

  Other arguments as `resnet_imagenet` (without `depth`, `scheme`).
  """
  return _create_resnet("resnet152", 152, weights=weights, **kwargs)


@_imagenet_model(scheme="sc", baseline="resnet152")
def resnet152_sc(weights: Optional[str] = None, width: float = 1.34375,
                 **kwargs) -> keras.Model:
  """ResNet-152-sc, w = 1.34375: SW-SC on the 3x3s, CW-SC on the 1x1s (paper
  000).

  Other arguments as `resnet_imagenet` (without `depth`, `scheme`).
  """
  return _create_resnet("resnet152_sc", 152, "sc", weights=weights,
                        width=width, **kwargs)


@_imagenet_model(scheme="scfusion2", baseline="resnet34")
def resnet34_scfusion2(weights: Optional[str] = None,
                       **kwargs) -> keras.Model:
  """ResNet-34 scFusion-2, dense first convolution (paper 003).

  Other arguments as `resnet_imagenet` (without `depth`, `scheme`).
  """
  return _create_resnet("resnet34_scfusion2", 34, "scfusion2",
                        weights=weights, **kwargs)


@_imagenet_model(scheme="scfusion4", baseline="resnet34")
def resnet34_scfusion4(weights: Optional[str] = None,
                       **kwargs) -> keras.Model:
  """ResNet-34 scFusion-4, dense first convolution (paper 003).

  Other arguments as `resnet_imagenet` (without `depth`, `scheme`).
  """
  return _create_resnet("resnet34_scfusion4", 34, "scfusion4",
                        weights=weights, **kwargs)


@_imagenet_model(scheme="scfusion8", baseline="resnet34")
def resnet34_scfusion8(weights: Optional[str] = None,
                       **kwargs) -> keras.Model:
  """ResNet-34 scFusion-8, dense first convolution (paper 003).

  Other arguments as `resnet_imagenet` (without `depth`, `scheme`).
  """
  return _create_resnet("resnet34_scfusion8", 34, "scfusion8",
                        weights=weights, **kwargs)
