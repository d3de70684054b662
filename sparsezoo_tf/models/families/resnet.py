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
import math
from typing import Any, Callable, Dict, Optional, Sequence

import numpy as np
import tf_keras as keras

from sparsezoo_tf import layers as sz_layers
from sparsezoo_tf import ops
from sparsezoo_tf import patterns
from sparsezoo_tf.models import common
from sparsezoo_tf.models import convs
from sparsezoo_tf.models.registry import ModelInfo
from sparsezoo_tf.models.registry import PaperRow
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


@functools.lru_cache(maxsize=64)
def _odd_spatial_sc_plan(kernel_size: int, in_channels: int,
                         filters: int) -> ops.SparseConvPlan:
  even_support = patterns.spatial_sc(kernel_size, in_channels, filters + 1)
  return ops.compile_plan(np.ascontiguousarray(even_support[..., :filters]))


@keras.utils.register_keras_serializable(package="sparsezoo_tf")
class SpatialSCAnyWidth(sz_layers.SparseComplementaryConv2D):
  """SW-SC (paper 000) that also takes an odd number of filters.

  Output 2m has the "+" kernel and 2m+1 the "x" kernel, as in
  `SparseComplementaryConv2D(mode="spatial")`; an odd count ends on a "+".
  The CIFAR ResNets of paper 000 Table 8 need it: w = 1.3125 gives
  16 w = 21 channels in the first stage (the table's 66.5 M multiply-adds
  for ResNet-32-sc need 21; 20 gives 64.3 M, 22 gives 68.6 M).
  """

  def __init__(self, filters, kernel_size=3, mode="spatial", **kwargs):
    if mode != "spatial":
      raise ValueError(f"SpatialSCAnyWidth is SW-SC only, got mode {mode!r}")
    super().__init__(filters, kernel_size, mode=mode, **kwargs)

  def make_plan(self, in_channels: int) -> ops.SparseConvPlan:
    if self.filters % 2 == 0:
      return super().make_plan(in_channels)
    return _odd_spatial_sc_plan(self.kernel_size[0], in_channels,
                                self.filters)


def scaled(channels: int, width: float, multiple: int = 2) -> int:
  """`channels * width` rounded to a positive multiple of `multiple`."""
  return max(multiple, multiple * int(round(channels * width / multiple)))


def channel_multiple(policy: convs.ConvPolicy, minimum: int = 1) -> int:
  """The multiple every width must be for the policy's layers.

  Args:
    policy: the conv policy.
    minimum: the least multiple wanted (2 where CW-SC 1x1s pair channels).

  Returns:
    lcm(max(minimum, 2 for "sc_comb"), alpha for scFusion).
  """
  multiple = max(minimum, 2 if policy.scheme == "sc_comb" else 1)
  return math.lcm(multiple, policy.alpha or 1)


def check_width(width) -> float:
  """Returns `width` as a float, or raises ValueError."""
  if isinstance(width, bool) or not isinstance(width, (int, float)) or (
      not 0 < width <= 16):
    raise ValueError(f"width must be a number in (0, 16], got {width!r}")
  return float(width)


def conv(policy: convs.ConvPolicy, filters: int, kernel_size: int,
         strides: int, name: str, role: str = "body") -> keras.layers.Layer:
  """The policy's convolution, with SW-SC of odd width where it needs it."""
  if (role == "body" and kernel_size > 1 and filters % 2 and
      policy.scheme in ("sc", "sc_spatial")):
    return SpatialSCAnyWidth(
        filters, kernel_size, strides=strides, padding="same",
        use_bias=policy.use_bias,
        kernel_initializer=keras.initializers.get(policy.kernel_initializer),
        kernel_regularizer=keras.regularizers.get(policy.kernel_regularizer),
        implementation=policy.implementation, name=name)
  return policy.conv(filters, kernel_size, strides, name=name, role=role)


def batch_norm(name: str, zero_gamma: bool = False) -> keras.layers.Layer:
  """Tensorpack-style BN; `zero_gamma` starts a residual branch at zero."""
  return keras.layers.BatchNormalization(
      epsilon=BN_EPSILON, momentum=BN_MOMENTUM, name=name,
      gamma_initializer="zeros" if zero_gamma else "ones")


def conv_bn(x, policy, filters: int, kernel_size: int, strides: int,
            name: str, role: str = "body", relu: bool = True,
            zero_gamma: bool = False):
  """Convolution, BN and (optionally) ReLU, named `name`_conv/_bn/_relu."""
  x = conv(policy, filters, kernel_size, strides, f"{name}_conv", role)(x)
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
  multiple = channel_multiple(policy, minimum=2)
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


def register(name: str, builder: Callable[..., keras.Model], info: ModelInfo,
             fixed: Dict[str, Any], defaults: Dict[str, Any]) -> None:
  """Registers `builder(name=name, **fixed, **defaults)` as `name`.

  Args:
    name: the registered name (also the model name).
    builder: the family builder.
    info: the model's `ModelInfo` (its name must be `name`); its description
      opens the entry point's docstring.
    fixed: builder arguments the entry point fixes (depth, scheme, ...).
    defaults: builder arguments the entry point defaults differently
      (width, classes, ...); keyword arguments override them.
  """
  if info.name != name:
    raise ValueError(f"ModelInfo name {info.name!r} is not {name!r}")

  def entry_point(**kwargs) -> keras.Model:
    return builder(name=name, **fixed, **{**defaults, **kwargs})
  entry_point.__name__ = name
  shown = ", ".join(f"{key}={value!r}" for key, value in defaults.items())
  entry_point.__doc__ = (f"{info.description}.\n\nArguments as `"
                         f"{builder.__name__}` without "
                         f"{', '.join(sorted(fixed))}; defaults: {shown}.")
  register_model(info)(entry_point)


# Paper 000 Tables 6, 7 and 10: depth -> (w of the -sc model, rows), rows as
# (table, label, params, multiply-adds), the baseline's row first.
_PAPER_000 = {
    18: (1.3125, (
        ("Table 7", "ResNet-18", 11.69e6, 1.81e9),
        ("Table 7", "ResNet-18-sc (w = 1.3125) (Ours)", 11.51e6, 1.79e9),
        ("Table 10", "ResNet-18", 11.69e6, 1.81e9),
        ("Table 10", "ResNet-18-sc (w = 1.3125)", 11.51e6, 1.79e9))),
    34: (1.3125, (
        ("Table 10", "ResNet-34", 21.80e6, 3.66e9),
        ("Table 10", "ResNet-34-sc (w = 1.3125)", 21.18e6, 3.56e9))),
    50: (1.28125, (
        ("Table 6", "ResNet-50", 25.55e6, 4.09e9),
        ("Table 6", "ResNet-50-sc (w = 1.28125) (Ours)", 25.25e6, 3.87e9),
        ("Table 10", "ResNet-50", 25.55e6, 4.09e9),
        ("Table 10", "ResNet-50-sc (w = 1.28125)", 25.25e6, 3.87e9))),
    101: (1.3125, (
        ("Table 10", "ResNet-101", 44.54e6, 7.80e9),
        ("Table 10", "ResNet-101-sc (w = 1.3125)", 43.77e6, 7.45e9))),
    152: (1.34375, (
        ("Table 10", "ResNet-152", 60.19e6, 11.51e9),
        ("Table 10", "ResNet-152-sc (w = 1.34375)", 60.79e6, 11.35e9))),
}
# Paper 003 gives ratios only (Table 5: ResNet-34 scFusion-8 has 4.40x fewer
# FLOPs); the row divides our dense resnet34's multiply-adds by it.
_RESNET34_MULTIPLY_ADDS = 3_663_761_408
_SCFUSION8_FLOPS_REDUCTION = 4.40


def _register_imagenet(depth: int, scheme: str, width: float,
                       rows: Sequence[PaperRow], description: str) -> None:
  dense = f"resnet{depth}"
  name = dense if scheme == "dense" else f"{dense}_{scheme}"
  info = ModelInfo(name=name, family="resnet", scheme=scheme,
                   dataset="imagenet", input_shape=IMAGENET_SHAPE,
                   classes=1000, preprocessing="imagenet", rows=tuple(rows),
                   baseline=None if scheme == "dense" else dense,
                   description=description)
  register(name, resnet_imagenet, info, {"depth": depth, "scheme": scheme},
           {"width": width})


def _register_all_imagenet() -> None:
  for depth, (sc_width, table_rows) in _PAPER_000.items():
    rows = [PaperRow(paper="000", table=table, row=label, params=params,
                     flops=flops)
            for table, label, params, flops in table_rows]
    _register_imagenet(depth, "dense", 1.0, rows[0::2],
                       f"ResNet-{depth} (ImageNet, post-activation)")
    _register_imagenet(depth, "sc", sc_width, rows[1::2],
                       f"ResNet-{depth}-sc, w = {sc_width:g}: SW-SC on the "
                       f"3x3s, CW-SC on the 1x1s (paper 000)")
  for alpha in (2, 4, 8):
    rows = []
    if alpha == 8:
      rows.append(PaperRow(
          paper="003", table="Table 5", row="ResNet-34 scFusion-8 (Ours)",
          flops=_RESNET34_MULTIPLY_ADDS / _SCFUSION8_FLOPS_REDUCTION,
          note="the table gives the FLOPs reduction only (4.40x); flops = "
               "our dense resnet34 (3,663,761,408 multiply-adds) / 4.40"))
    _register_imagenet(34, f"scfusion{alpha}", 1.0, rows,
                       f"ResNet-34 scFusion-{alpha}, dense first convolution "
                       f"(paper 003)")


_register_all_imagenet()
