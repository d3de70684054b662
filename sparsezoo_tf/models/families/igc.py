"""The CIFAR networks of paper 002 (IGC-V2, Table 1): IGC-V2 (Cx),
IGC-V2* (Cx) and the Xception (Cx) and IGC-V1 (Cx) baselines, with the
dense ResNet of the same layout built by the same code.

Layout (Table 1): a 3x3 stem convolution, three stages of B blocks at
32x32, 16x16 and 8x8 with widths x, 2x, 4x, global average pooling and the
classifier; depth 3B + 2. A block stands where a ResNet has one 3x3
convolution; a skip connection spans every two blocks (a residual unit:
block, ReLU, block, addition, ReLU, as the IGC-V1 code of Zhang et al.
2017 builds it). Every convolution is followed by BN (inside the blocks).

Blocks (`sparsezoo_tf.layers`):
  xception   `XceptionBlock`: channel-wise 3x3, dense 1x1.
  igcv1      primary group 3x3 with L = x / 2 branches in every stage (so
             M = 2, 4, 8 channels per branch in the three stages: the
             Table 6 increment of 0.157 M from D=8 to D=26, six more
             blocks per stage, needs a fixed L; M = 2 everywhere would
             give 0.181 M), interleave, secondary group 1x1 with M
             branches (`IGCV1Block`).
  igcv2      `IGCV2Block`, channel-wise 3x3 then L - 1 = 2 group 1x1
             convolutions with K_s channels per branch, K_s given per
             stage (C64: 8, 16, 32; C80: 10, 16, 20; sections 4.3, 4.4).
  igcv2star  `IGCV2Block` with K = 8 and L* = ceil(log_8 w) + 1 evaluated
             on each stage's width w: L* - 1 group 1x1 convolutions (C216:
             3, 3, 4). L* from x alone gives 0.28 M for C216, and L* group
             1x1 convolutions 0.39 M; the table says 0.32 M.
  dense      one dense 3x3 convolution (the baseline; `KernelSequence` of
             one "conv" step, so that it has the same layer names).

Stems (Table 1 and section 4.3): x channels, except IGC-V2* (64) and
Xception (35: "we fix the channel number at the first convolutional layer
in Xception as 35", which Table 3 needs).

Where the width changes (Table 1 does not say; this is the reading that
reproduces Tables 3, 4 and 6):
  * The first block of a stage takes the previous width and has stride 2
    on its spatial convolution. Xception: channel-wise 3x3 on the input
    width, 1x1 to the new width. IGC-V2: channel-wise 3x3 and the group
    1x1 convolutions on the input width, the last one to the new width.
    IGC-V1: the primary group 3x3 maps to the new width (L branches), the
    secondary has the new width's M branches.
  * The shortcut of that unit is a 1x1 projection with stride 2 and BN:
    dense for Xception (and the dense baseline), a group convolution with
    L branches for IGC-V1 (as in the IGC-V1 code), with C_in / 2 branches
    of 2 input channels for IGC-V2 and IGC-V2* (gcd(C_in / 2, C_out)
    branches for widths outside the paper's). Projections with C_in
    branches give 0.046 M for IGC-V2 (C64) D=8 (table: 0.047) and 0.045 M
    for (C80) D=8 (0.046); x / 2 branches give 0.194 M for (C80) D=26
    (0.193).
  * The stem-to-first-stage change (IGC-V2*: 64 -> x; Xception: 35 -> x)
    has a parameter-free shortcut, the input padded with zero channels: a
    dense projection there would add 13,824 weights (4.3 %) to IGC-V2*
    (C216) and make Xception (C58) 0.446 M (table: 0.44).

Paper 002 counts the parameters of the convolutions only: neither BN
(gamma, beta) nor the classifier (Xception (C35) D=8: 55,860 convolution
weights, the table's 0.056 M; with the 100-way FC it would be 0.070 M, with
BN 0.058 M; the per-depth increments of every network of Tables 4 and 6
rule out BN). Its FLOPs are the multiply-adds of the convolutions. See
`PAPER_COUNTS` and `ModelCost.convolution_params`.

Names: `<block>_c<x>_d<depth>` (`xception_c58_d20`, `igcv1_c96_d20`,
`igcv2_c64_d20`, `igcv2star_c416_d20`); the dense baseline of the same
layout is `igc_dense_c<x>_d<depth>`. Defaults are CIFAR-100's (100
classes, 32x32); for Tiny ImageNet the paper sets the stride of the first
convolution to 2 (`stem_strides=2` on 64x64 inputs), which leaves every
count but the classifier's unchanged.

Endpoints: the output of each stage, keyed by log2 of its stride w.r.t.
the input: '0', '1', '2' on CIFAR ('1', '2', '3' with `stem_strides=2`).
"""

import dataclasses
import functools
import math
from typing import Dict, Optional, Tuple

import tf_keras as keras

from sparsezoo_tf import layers as sz_layers
from sparsezoo_tf import schemes
from sparsezoo_tf.models import common
from sparsezoo_tf.models import convs
from sparsezoo_tf.models.shortcuts import ZeroPadShortcut
from sparsezoo_tf.models.registry import register_model

INPUT_SHAPE = (32, 32, 3)
CLASSES = 100
BLOCKS = ("xception", "igcv1", "igcv2", "igcv2star")
XCEPTION_STEM = 35
IGCV2STAR_STEM = 64
IGCV2STAR_BRANCH = schemes.get_scheme("igcv2star").layer_options[
    "branch_channels"]
IGCV2_GROUP_CONVS = 3
NUM_STAGES = 3


@dataclasses.dataclass(frozen=True)
class IGCNetSpec:
  """One network of Table 1.

  Attributes:
    block: one of BLOCKS.
    width: x, the width of the first stage.
    depth: 3B + 2, B (even) blocks per stage.
    branch_channels: K_s1, K_s2, K_s3 of IGC-V2 (Cx); empty otherwise.
  """
  block: str
  width: int
  depth: int
  branch_channels: Tuple[int, ...] = ()

  def __post_init__(self):
    if self.block not in BLOCKS:
      raise ValueError(f"block must be one of {BLOCKS}, got {self.block!r}")
    if self.depth < 8 or (self.depth - 2) % 6:
      raise ValueError(f"depth must be 3B + 2 with an even B >= 2 (8, 14, "
                       f"20, 26, ...), got {self.depth}")
    if (self.block == "igcv2") != (len(self.branch_channels) == NUM_STAGES):
      raise ValueError("branch_channels (K per stage) are given for igcv2 "
                       "and only for it")
    if self.block == "igcv1" and self.width % 2:
      raise ValueError(f"IGC-V1 (Cx) has x / 2 primary branches: x must be "
                       f"even, got {self.width}")

  @property
  def blocks_per_stage(self) -> int:
    return (self.depth - 2) // 3

  @property
  def stem_width(self) -> int:
    return {"xception": XCEPTION_STEM,
            "igcv2star": IGCV2STAR_STEM}.get(self.block, self.width)

  @property
  def name(self) -> str:
    return f"{self.block}_c{self.width}_d{self.depth}"

  @property
  def baseline_name(self) -> str:
    return f"igc_dense_c{self.width}_d{self.depth}"

  def stage_width(self, stage: int) -> int:
    """Width of stage 0, 1 or 2."""
    return self.width * 2**stage


def igcv2star_group_convs(width: int) -> int:
  """L* = ceil(log_8 width) + 1 of IGC-V2* (Table 1), the channel-wise
  convolution included."""
  return math.ceil(math.log(width, IGCV2STAR_BRANCH) - 1e-9) + 1


def _igcv1_block(spec: IGCNetSpec, in_channels: int, filters: int,
                 strides: int, name: str, implementation: str):
  branches = spec.width // 2
  per_branch = filters // branches
  if in_channels == filters:
    return sz_layers.IGCV1Block(filters, primary_branch_channels=per_branch,
                                secondary_groups=per_branch, strides=strides,
                                implementation=implementation, name=name)
  return sz_layers.KernelSequence(
      [sz_layers.KernelStep("gconv", filters=filters, groups=branches,
                            strides=strides, shuffle=True),
       sz_layers.KernelStep("pwgconv", filters=filters, groups=per_branch)],
      implementation=implementation, name=name)


def _block(spec: IGCNetSpec, scheme: str, stage: int, in_channels: int,
           strides: int, name: str, implementation: str):
  """The layer standing for one 3x3 convolution (BN inside)."""
  filters = spec.stage_width(stage)
  if scheme == "dense":
    return sz_layers.KernelSequence(
        [sz_layers.KernelStep("conv", filters=filters, strides=strides)],
        name=name)
  if scheme == "xception":
    return sz_layers.XceptionBlock(filters, strides=strides,
                                   implementation=implementation, name=name)
  if scheme == "igcv1":
    return _igcv1_block(spec, in_channels, filters, strides, name,
                        implementation)
  if scheme == "igcv2":
    branch, group_convs = spec.branch_channels[stage], IGCV2_GROUP_CONVS
  else:
    branch, group_convs = IGCV2STAR_BRANCH, igcv2star_group_convs(filters)
  return sz_layers.IGCV2Block(filters, branch_channels=branch,
                              num_group_convs=group_convs, strides=strides,
                              implementation=implementation, name=name)


def _projection_groups(spec: IGCNetSpec, scheme: str, in_channels: int,
                       filters: int) -> int:
  if scheme in ("dense", "xception"):
    return 1
  if scheme == "igcv1":
    return spec.width // 2
  return math.gcd(in_channels // 2, filters)


def _shortcut(x, spec: IGCNetSpec, scheme: str, filters: int, strides: int,
              name: str, implementation: str):
  in_channels = int(x.shape[-1])
  if in_channels == filters and strides == 1:
    return x
  if strides == 1 and in_channels < filters:
    return ZeroPadShortcut(filters, name=f"{name}_pad")(x)
  groups = _projection_groups(spec, scheme, in_channels, filters)
  if groups == 1:
    conv = convs.make_policy("dense").dense(filters, 1, strides, name=name)
  else:
    conv = sz_layers.GroupConv2D(filters, 1, groups=groups, strides=strides,
                                 use_bias=False,
                                 kernel_initializer="he_normal",
                                 implementation=implementation, name=name)
  return keras.layers.BatchNormalization(name=f"{name}_bn")(conv(x))


def _unit(x, spec: IGCNetSpec, scheme: str, stage: int, strides: int,
          label: str, implementation: str):
  """Two blocks and the skip connection around them."""
  filters = spec.stage_width(stage)
  shortcut = _shortcut(x, spec, scheme, filters, strides, f"{label}_shortcut",
                       implementation)
  y = _block(spec, scheme, stage, int(x.shape[-1]), strides,
             f"{label}_block1", implementation)(x)
  y = keras.layers.ReLU(name=f"{label}_relu1")(y)
  y = _block(spec, scheme, stage, filters, 1, f"{label}_block2",
             implementation)(y)
  y = keras.layers.Add(name=f"{label}_add")([shortcut, y])
  return keras.layers.ReLU(name=f"{label}_out")(y)


def igc_net(spec: IGCNetSpec,
            scheme: Optional[str] = None,
            include_top: bool = True,
            weights: Optional[str] = None,
            input_tensor=None,
            input_shape=None,
            pooling: Optional[str] = None,
            classes: int = CLASSES,
            classifier_activation="softmax",
            implementation: str = "auto",
            features_only: bool = False,
            stem_strides: int = 1,
            name: Optional[str] = None) -> keras.Model:
  """A network of paper 002's Table 1.

  Args:
    spec: the network (block type, x, depth, K per stage).
    scheme: `spec.block` (default) or "dense" for the baseline of the same
      layout.
    include_top, weights, input_tensor, input_shape, pooling, classes,
      classifier_activation: as in Keras Applications.
    implementation: "auto", "op" or "reference" for the group convolutions.
    features_only: return the stage outputs by level instead.
    stem_strides: 1 (CIFAR) or 2 (Tiny ImageNet, section 4.1).
    name: model name (default `spec.name`, or `spec.baseline_name`).

  Returns:
    The `tf_keras` model.
  """
  scheme = spec.block if scheme is None else scheme
  if scheme not in (spec.block, "dense"):
    raise ValueError(f"scheme must be {spec.block!r} or 'dense', got "
                     f"{scheme!r}")
  if stem_strides not in (1, 2):
    raise ValueError(f"stem_strides must be 1 or 2, got {stem_strides!r}")
  name = name or (spec.baseline_name if scheme == "dense" else spec.name)
  resolved = common.check_arguments(name, weights, include_top, classes,
                                    pooling, classifier_activation)
  inputs, x = common.image_input(input_tensor, input_shape, INPUT_SHAPE,
                                 min_size=4 * stem_strides)
  x = convs.make_policy("dense").dense(spec.stem_width, 3, stem_strides,
                                       name="stem_conv")(x)
  x = keras.layers.BatchNormalization(name="stem_bn")(x)
  x = keras.layers.ReLU(name="stem_relu")(x)
  endpoints = {}
  for stage in range(NUM_STAGES):
    for unit in range(spec.blocks_per_stage // 2):
      strides = 2 if stage > 0 and unit == 0 else 1
      x = _unit(x, spec, scheme, stage, strides,
                f"stage{stage + 1}_unit{unit + 1}", implementation)
    level = int(math.log2(stem_strides)) + stage
    endpoints[str(level)] = x
  outputs = common.classification_head(x, include_top, pooling, classes,
                                       classifier_activation)
  return common.finish(inputs, outputs, name, endpoints, features_only,
                       resolved)


# Paper 002's counts of our networks: (convolution weights, the paper's
# parameter convention; count_model's trainable parameters with BN and the
# 100-way classifier).
PAPER_COUNTS: Dict[str, Tuple[int, int]] = {
    "xception_c35_d8": (55_860, 72_200),
    "xception_c35_d20": (167_580, 187_840),
    "xception_c35_d26": (223_440, 245_660),
    "xception_c58_d20": (443_626, 477_042),
    "xception_c71_d20": (658_152, 699_004),
    "xception_c83_d20": (893_676, 941_392),
    "igcv1_c48_d8": (46_032, 68_692),
    "igcv1_c48_d20": (150_864, 178_900),
    "igcv1_c48_d26": (203_280, 234_004),
    "igcv1_c96_d20": (398_496, 454_468),
    "igcv1_c126_d20": (602_406, 675_838),
    "igcv1_c150_d20": (792_750, 880_150),
    "igcv2_c64_d8": (46_720, 77_924),
    "igcv2_c64_d20": (148_864, 190_820),
    "igcv2_c64_d26": (199_936, 247_268),
    "igcv2_c80_d8": (45_600, 84_580),
    "igcv2_c80_d20": (143_840, 196_260),
    "igcv2_c80_d26": (192_960, 252_100),
    "igcv2star_c216_d20": (321_712, 488_212),
    "igcv2star_c304_d20": (478_176, 718_948),
    "igcv2star_c416_d20": (653_120, 982_372),
}

_cifar100_model = functools.partial(
    register_model, family="igc", dataset="cifar100", input_shape=INPUT_SHAPE,
    classes=CLASSES, preprocessing="cifar100")


def _create_igc(name: str, spec: IGCNetSpec, scheme: Optional[str] = None,
                /, **kwargs) -> keras.Model:
  return igc_net(spec, scheme=scheme, name=name, **kwargs)


@_cifar100_model(scheme="xception", baseline="igc_dense_c35_d8")
def xception_c35_d8(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """Xception (C35) of depth 8 (paper 002, Table 1), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("xception_c35_d8", IGCNetSpec("xception", 35, 8),
                     weights=weights, **kwargs)


@_cifar100_model()
def igc_dense_c35_d8(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """Dense ResNet of the layout of xception_c35_d8 (3x3 convolutions), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("igc_dense_c35_d8", IGCNetSpec("xception", 35, 8), "dense",
                     weights=weights, **kwargs)


@_cifar100_model(scheme="xception", baseline="igc_dense_c35_d20")
def xception_c35_d20(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """Xception (C35) of depth 20 (paper 002, Table 1), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("xception_c35_d20", IGCNetSpec("xception", 35, 20),
                     weights=weights, **kwargs)


@_cifar100_model()
def igc_dense_c35_d20(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """Dense ResNet of the layout of xception_c35_d20 (3x3 convolutions), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("igc_dense_c35_d20", IGCNetSpec("xception", 35, 20),
                     "dense", weights=weights, **kwargs)


@_cifar100_model(scheme="xception", baseline="igc_dense_c35_d26")
def xception_c35_d26(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """Xception (C35) of depth 26 (paper 002, Table 1), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("xception_c35_d26", IGCNetSpec("xception", 35, 26),
                     weights=weights, **kwargs)


@_cifar100_model()
def igc_dense_c35_d26(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """Dense ResNet of the layout of xception_c35_d26 (3x3 convolutions), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("igc_dense_c35_d26", IGCNetSpec("xception", 35, 26),
                     "dense", weights=weights, **kwargs)


@_cifar100_model(scheme="xception", baseline="igc_dense_c58_d20")
def xception_c58_d20(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """Xception (C58) of depth 20 (paper 002, Table 1), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("xception_c58_d20", IGCNetSpec("xception", 58, 20),
                     weights=weights, **kwargs)


@_cifar100_model()
def igc_dense_c58_d20(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """Dense ResNet of the layout of xception_c58_d20 (3x3 convolutions), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("igc_dense_c58_d20", IGCNetSpec("xception", 58, 20),
                     "dense", weights=weights, **kwargs)


@_cifar100_model(scheme="xception", baseline="igc_dense_c71_d20")
def xception_c71_d20(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """Xception (C71) of depth 20 (paper 002, Table 1), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("xception_c71_d20", IGCNetSpec("xception", 71, 20),
                     weights=weights, **kwargs)


@_cifar100_model()
def igc_dense_c71_d20(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """Dense ResNet of the layout of xception_c71_d20 (3x3 convolutions), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("igc_dense_c71_d20", IGCNetSpec("xception", 71, 20),
                     "dense", weights=weights, **kwargs)


@_cifar100_model(scheme="xception", baseline="igc_dense_c83_d20")
def xception_c83_d20(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """Xception (C83) of depth 20 (paper 002, Table 1), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("xception_c83_d20", IGCNetSpec("xception", 83, 20),
                     weights=weights, **kwargs)


@_cifar100_model()
def igc_dense_c83_d20(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """Dense ResNet of the layout of xception_c83_d20 (3x3 convolutions), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("igc_dense_c83_d20", IGCNetSpec("xception", 83, 20),
                     "dense", weights=weights, **kwargs)


@_cifar100_model(scheme="igcv1", baseline="igc_dense_c48_d8")
def igcv1_c48_d8(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """IGC-V1 (C48) of depth 8 (paper 002, Table 1), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("igcv1_c48_d8", IGCNetSpec("igcv1", 48, 8),
                     weights=weights, **kwargs)


@_cifar100_model()
def igc_dense_c48_d8(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """Dense ResNet of the layout of igcv1_c48_d8 (3x3 convolutions), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("igc_dense_c48_d8", IGCNetSpec("igcv1", 48, 8), "dense",
                     weights=weights, **kwargs)


@_cifar100_model(scheme="igcv1", baseline="igc_dense_c48_d20")
def igcv1_c48_d20(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """IGC-V1 (C48) of depth 20 (paper 002, Table 1), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("igcv1_c48_d20", IGCNetSpec("igcv1", 48, 20),
                     weights=weights, **kwargs)


@_cifar100_model()
def igc_dense_c48_d20(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """Dense ResNet of the layout of igcv1_c48_d20 (3x3 convolutions), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("igc_dense_c48_d20", IGCNetSpec("igcv1", 48, 20), "dense",
                     weights=weights, **kwargs)


@_cifar100_model(scheme="igcv1", baseline="igc_dense_c48_d26")
def igcv1_c48_d26(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """IGC-V1 (C48) of depth 26 (paper 002, Table 1), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("igcv1_c48_d26", IGCNetSpec("igcv1", 48, 26),
                     weights=weights, **kwargs)


@_cifar100_model()
def igc_dense_c48_d26(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """Dense ResNet of the layout of igcv1_c48_d26 (3x3 convolutions), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("igc_dense_c48_d26", IGCNetSpec("igcv1", 48, 26), "dense",
                     weights=weights, **kwargs)


@_cifar100_model(scheme="igcv1", baseline="igc_dense_c96_d20")
def igcv1_c96_d20(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """IGC-V1 (C96) of depth 20 (paper 002, Table 1), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("igcv1_c96_d20", IGCNetSpec("igcv1", 96, 20),
                     weights=weights, **kwargs)


@_cifar100_model()
def igc_dense_c96_d20(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """Dense ResNet of the layout of igcv1_c96_d20 (3x3 convolutions), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("igc_dense_c96_d20", IGCNetSpec("igcv1", 96, 20), "dense",
                     weights=weights, **kwargs)


@_cifar100_model(scheme="igcv1", baseline="igc_dense_c126_d20")
def igcv1_c126_d20(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """IGC-V1 (C126) of depth 20 (paper 002, Table 1), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("igcv1_c126_d20", IGCNetSpec("igcv1", 126, 20),
                     weights=weights, **kwargs)


@_cifar100_model()
def igc_dense_c126_d20(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """Dense ResNet of the layout of igcv1_c126_d20 (3x3 convolutions), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("igc_dense_c126_d20", IGCNetSpec("igcv1", 126, 20),
                     "dense", weights=weights, **kwargs)


@_cifar100_model(scheme="igcv1", baseline="igc_dense_c150_d20")
def igcv1_c150_d20(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """IGC-V1 (C150) of depth 20 (paper 002, Table 1), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("igcv1_c150_d20", IGCNetSpec("igcv1", 150, 20),
                     weights=weights, **kwargs)


@_cifar100_model()
def igc_dense_c150_d20(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """Dense ResNet of the layout of igcv1_c150_d20 (3x3 convolutions), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("igc_dense_c150_d20", IGCNetSpec("igcv1", 150, 20),
                     "dense", weights=weights, **kwargs)


@_cifar100_model(scheme="igcv2", baseline="igc_dense_c64_d8")
def igcv2_c64_d8(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """IGC-V2 (C64) of depth 8 (paper 002, Table 1), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("igcv2_c64_d8", IGCNetSpec("igcv2", 64, 8, (8, 16, 32)),
                     weights=weights, **kwargs)


@_cifar100_model()
def igc_dense_c64_d8(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """Dense ResNet of the layout of igcv2_c64_d8 (3x3 convolutions), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("igc_dense_c64_d8",
                     IGCNetSpec("igcv2", 64, 8, (8, 16, 32)), "dense",
                     weights=weights, **kwargs)


@_cifar100_model(scheme="igcv2", baseline="igc_dense_c64_d20")
def igcv2_c64_d20(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """IGC-V2 (C64) of depth 20 (paper 002, Table 1), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("igcv2_c64_d20", IGCNetSpec("igcv2", 64, 20, (8, 16, 32)),
                     weights=weights, **kwargs)


@_cifar100_model()
def igc_dense_c64_d20(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """Dense ResNet of the layout of igcv2_c64_d20 (3x3 convolutions), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("igc_dense_c64_d20",
                     IGCNetSpec("igcv2", 64, 20, (8, 16, 32)), "dense",
                     weights=weights, **kwargs)


@_cifar100_model(scheme="igcv2", baseline="igc_dense_c64_d26")
def igcv2_c64_d26(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """IGC-V2 (C64) of depth 26 (paper 002, Table 1), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("igcv2_c64_d26", IGCNetSpec("igcv2", 64, 26, (8, 16, 32)),
                     weights=weights, **kwargs)


@_cifar100_model()
def igc_dense_c64_d26(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """Dense ResNet of the layout of igcv2_c64_d26 (3x3 convolutions), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("igc_dense_c64_d26",
                     IGCNetSpec("igcv2", 64, 26, (8, 16, 32)), "dense",
                     weights=weights, **kwargs)


@_cifar100_model(scheme="igcv2", baseline="igc_dense_c80_d8")
def igcv2_c80_d8(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """IGC-V2 (C80) of depth 8 (paper 002, Table 1), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("igcv2_c80_d8", IGCNetSpec("igcv2", 80, 8, (10, 16, 20)),
                     weights=weights, **kwargs)


@_cifar100_model()
def igc_dense_c80_d8(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """Dense ResNet of the layout of igcv2_c80_d8 (3x3 convolutions), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("igc_dense_c80_d8",
                     IGCNetSpec("igcv2", 80, 8, (10, 16, 20)), "dense",
                     weights=weights, **kwargs)


@_cifar100_model(scheme="igcv2", baseline="igc_dense_c80_d20")
def igcv2_c80_d20(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """IGC-V2 (C80) of depth 20 (paper 002, Table 1), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("igcv2_c80_d20", IGCNetSpec("igcv2", 80, 20, (10, 16, 20)),
                     weights=weights, **kwargs)


@_cifar100_model()
def igc_dense_c80_d20(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """Dense ResNet of the layout of igcv2_c80_d20 (3x3 convolutions), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("igc_dense_c80_d20",
                     IGCNetSpec("igcv2", 80, 20, (10, 16, 20)), "dense",
                     weights=weights, **kwargs)


@_cifar100_model(scheme="igcv2", baseline="igc_dense_c80_d26")
def igcv2_c80_d26(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """IGC-V2 (C80) of depth 26 (paper 002, Table 1), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("igcv2_c80_d26", IGCNetSpec("igcv2", 80, 26, (10, 16, 20)),
                     weights=weights, **kwargs)


@_cifar100_model()
def igc_dense_c80_d26(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """Dense ResNet of the layout of igcv2_c80_d26 (3x3 convolutions), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("igc_dense_c80_d26",
                     IGCNetSpec("igcv2", 80, 26, (10, 16, 20)), "dense",
                     weights=weights, **kwargs)


@_cifar100_model(scheme="igcv2star", baseline="igc_dense_c216_d20")
def igcv2star_c216_d20(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """IGC-V2* (C216) of depth 20 (paper 002, Table 1), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("igcv2star_c216_d20", IGCNetSpec("igcv2star", 216, 20),
                     weights=weights, **kwargs)


@_cifar100_model()
def igc_dense_c216_d20(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """Dense ResNet of the layout of igcv2star_c216_d20 (3x3 convolutions), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("igc_dense_c216_d20", IGCNetSpec("igcv2star", 216, 20),
                     "dense", weights=weights, **kwargs)


@_cifar100_model(scheme="igcv2star", baseline="igc_dense_c304_d20")
def igcv2star_c304_d20(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """IGC-V2* (C304) of depth 20 (paper 002, Table 1), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("igcv2star_c304_d20", IGCNetSpec("igcv2star", 304, 20),
                     weights=weights, **kwargs)


@_cifar100_model()
def igc_dense_c304_d20(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """Dense ResNet of the layout of igcv2star_c304_d20 (3x3 convolutions), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("igc_dense_c304_d20", IGCNetSpec("igcv2star", 304, 20),
                     "dense", weights=weights, **kwargs)


@_cifar100_model(scheme="igcv2star", baseline="igc_dense_c416_d20")
def igcv2star_c416_d20(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """IGC-V2* (C416) of depth 20 (paper 002, Table 1), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("igcv2star_c416_d20", IGCNetSpec("igcv2star", 416, 20),
                     weights=weights, **kwargs)


@_cifar100_model()
def igc_dense_c416_d20(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """Dense ResNet of the layout of igcv2star_c416_d20 (3x3 convolutions), CIFAR.

  Other arguments as `igc_net` (without `spec`, `scheme`).
  """
  return _create_igc("igc_dense_c416_d20", IGCNetSpec("igcv2star", 416, 20),
                     "dense", weights=weights, **kwargs)
