"""The ImageNet networks of paper 001 ("Penetrating the Fog"): the Table 1
layout with the standard-convolution unit, the paper's sparse kernel
designs (Tables 2 and 3) and the state-of-the-art units of Table 4.

Layout (Table 1, section 4.1): a dense 3x3 stride-2 stem with `width`
outputs, BN, ReLU; a 3x3 stride-2 max pool; four stages of B blocks with
widths w, 2w, 4w, 8w (the first block of stages 2-4 has stride 2 and
doubles the channels); global average pooling; the 1000-way FC. A block is
ONE application of the network unit (`SparseKernelBlock`: the unit's kernels
in order, BN after each, no ReLU inside), its shortcut added, then ReLU.
Table 2 confirms one unit per block: its PW+GConv+PW networks of depth 98
and 194 are 4 stages x B blocks x 3 layers + stem + FC with B = 8 and 16.
The standard unit is one 3x3 convolution, so B = 4 is ResNet-18's depth.

Shortcuts are identities ("identity mapping (He et al. 2016b) is used over
each block"); where a block halves the resolution and doubles the channels
the identity is strided and padded with zero channels (`ZeroPadShortcut`,
ResNet's option A), without parameters. A 1x1 projection there cannot fit
the wide rows: at w = 560 the three projections alone hold 0.63 + 2.5 +
10.0 M parameters, against 11.3 M for the whole network in Table 3.

Unit widths: the kernels before the last keep the block's input width,
except the bottleneck units, whose inner width is F / r for output width F:
r = 4 for PW+DW+PW, PWGConv(4)+DW+PWGConv(4), ResNet's bottleneck and the
PW+GConv(g)+PW units of Table 2 ("following the normal practice"), r = 2
for ResNeXt (cardinality 16, "bottleneck ratio of 1:2"), and r = 3.5 for
PWGConv(100)+DW+PWGConv(2) at w = 700: F / 4 = 175 cannot be split into
PWGConv(2)'s two groups, and Theorem 1's optimum K = M N = 200 is F / 3.5.

What the tables do not determine, and how we read it:
  * B for Tables 3 and 4. No shared layout reproduces them: over one or
    two units per block, any per-stage B1..B4 in 1..6, projection,
    zero-padded or concatenated shortcuts, 0, 10, 100 or 1000 classes and
    BN counted or not, the best layout misses the rows by 33 % on average.
    The tables contradict a shared B directly: for B >= 2 ResNeXt's unit
    network is the larger at equal width (per regular block F^2 (1 + 9/64)
    against ResNet's bottleneck F^2 (1/2 + 9/16)), yet at width 192 Table 4
    gives ResNeXt 11.1 M and ResNet 11.3 M (B = 1 gives both under 4.5 M);
    and the two DW+PW rows (w = 72: 0.8 M, w = 280: 11.2 M) need B = 1 and
    B = 2. Each network therefore has its own B: the one whose parameter
    count is nearest to its row (`SparseKernelNetSpec.blocks`).
  * Table 2's B comes from its Depth column (3-layer units: B = 8 and 16).
    No bottleneck ratio r reproduces these rows: rows 1 and 3 (w = 128,
    depth 98 and 194: 13.9 M and 28.4 M) say that 8 more blocks per stage
    add 14.5 M, so the depth-98 network holds 7/8 of that (12.7 M) in its
    regular blocks, plus 1.0 M of FC, leaving 0.2 M for the stem and the
    three stride-2 blocks (1.6 M at r = 4); and row 6 (w = 512, 28.4 M)
    needs r >= 12 for its 1x1 convolutions alone (about 350 M / r), while
    rows 1 and 4 need r of about 4. We keep r = 4.

Our counts are `analysis.count_model`'s trainable parameters (BN gamma and
beta, FC with bias). Rows that are not within 0.5 % carry the numbers of
the nearest B (and of B - 1 / B + 1) in `PaperRow.mismatch`.

Names: `skn_<unit>_w<width>` for Tables 3-4 (`skn_standard_w64`,
`skn_dw_pw_w280`, `skn_gconv16_pwgconv16_w256`, `skn_pw_conv_pw_w192` is
ResNet's bottleneck, `skn_pw_gconv16_pw_w192` ResNeXt) and
`skn<depth>_<unit>_w<width>` for Table 2 (`skn98_pw_gconv32_pw_w256`). The
dense baseline of each, the standard unit at the same width and B, is
`skn_standard_w<width>_b<B>` (`skn_standard_w64` is dense itself).
Table 4's Xception and ShuffleNet (4 groups) rows are the DW+PW (w = 280)
and PWGConv(4)+DW+PWGConv(4) (w = 560) networks of Table 3: the paper gives
them the same parameters, width and error. Its ResNet row (a standard
3x3 unit per block) is `skn_standard_w64`.

The entry points take `width` and `blocks` to resize a network. The group
units keep the full information field only while their groups allow it
(GConv(M)+PWGConv(N): M N <= C; `analysis.information_field_of` on a block
tells).

Endpoints: '1' (stem, stride 2), '2'..'5' (stages 1-4, strides 4..32).
"""

import dataclasses
import fractions
import functools
from typing import Dict, Optional, Tuple, Union

import tf_keras as keras

from sparsezoo_tf import layers as sz_layers
from sparsezoo_tf.layers import base as layers_base
from sparsezoo_tf.models import common
from sparsezoo_tf.models import convs
from sparsezoo_tf.models.paper_rows import sparse_kernel_nets as paper_rows
from sparsezoo_tf.models.registry import register_model
from sparsezoo_tf.models.shortcuts import ZeroPadShortcut

INPUT_SHAPE = (224, 224, 3)
CLASSES = 1000
NUM_STAGES = 4
STANDARD = "conv"
MIN_SIZE = 32

Ratio = Union[int, float, str, fractions.Fraction, None]


@keras.utils.register_keras_serializable(package="sparsezoo_tf")
class MidWidthKernelBlock(sz_layers.SparseKernelBlock):
  """A `SparseKernelBlock` whose inner width is given directly, for
  bottleneck ratios F / K that are not integers (paper 001's
  PWGConv(100)+DW+PWGConv(2) at w = 700: K = M N = 200 = F / 3.5).

  Args:
    filters: output channels F.
    design: as `SparseKernelBlock`.
    mid_width: K, the output width of every kernel but the last.
    **kwargs: as `SparseKernelBlock` (without `bottleneck_ratio`).
  """

  def __init__(self, filters, design="pw+dw+pw", mid_width=None, **kwargs):
    if kwargs.get("bottleneck_ratio") is not None:
      raise ValueError("MidWidthKernelBlock takes mid_width, not "
                       "bottleneck_ratio")
    super().__init__(filters, design, **kwargs)
    self.mid_width = layers_base.positive_int("mid_width", mid_width)

  def mid_channels(self, in_channels: Optional[int]) -> int:
    return self.mid_width

  def get_config(self):
    config = super().get_config()
    config["mid_width"] = self.mid_width
    return config


def _as_ratio(ratio: Ratio) -> Optional[fractions.Fraction]:
  if ratio is None:
    return None
  value = fractions.Fraction(str(ratio))
  if value <= 0:
    raise ValueError(f"bottleneck_ratio must be positive, got {ratio!r}")
  return value


def _mid_width(filters: int, ratio: fractions.Fraction, name: str) -> int:
  mid = filters / ratio
  if mid.denominator != 1:
    raise ValueError(f"{name}: {filters} output channels with bottleneck "
                     f"ratio {ratio} give a non-integer inner width {mid}")
  return int(mid)


def unit_block(design: str, filters: int, bottleneck_ratio: Ratio = None,
               strides: int = 1, implementation: str = "auto",
               name: Optional[str] = None) -> sz_layers.SparseKernelBlock:
  """The unit of one block of the network (its kernels, BN after each).

  Args:
    design: the unit, e.g. "pwgconv4+dw+pwgconv4" ("conv": standard 3x3).
    filters: output channels F.
    bottleneck_ratio: F / K (an int gives `SparseKernelBlock`'s
      `bottleneck_ratio`, a fraction such as 3.5 a `MidWidthKernelBlock`),
      or None to keep the input width inside the unit.
    strides: stride of the unit's first spatial kernel.
    implementation: "auto", "op" or "reference" for the group convolutions.
    name: layer name.

  Returns:
    The unbuilt layer.
  """
  ratio = _as_ratio(bottleneck_ratio)
  if ratio is None or ratio.denominator == 1:
    return sz_layers.SparseKernelBlock(
        filters, design, bottleneck_ratio=None if ratio is None else
        int(ratio), strides=strides, implementation=implementation,
        name=name)
  return MidWidthKernelBlock(filters, design,
                             mid_width=_mid_width(filters, ratio, name),
                             strides=strides, implementation=implementation,
                             name=name)


def _block(x, design: str, filters: int, ratio: Optional[fractions.Fraction],
           strides: int, name: str, implementation: str):
  """Unit, identity shortcut (strided and zero-padded where needed),
  addition, ReLU."""
  in_channels = int(x.shape[-1])
  y = unit_block(design, filters, ratio, strides, implementation, name)(x)
  shortcut = x
  if strides != 1 or in_channels != filters:
    shortcut = ZeroPadShortcut(filters, strides, name=f"{name}_shortcut")(x)
  y = keras.layers.Add(name=f"{name}_add")([shortcut, y])
  return keras.layers.ReLU(name=f"{name}_relu")(y)


def sparse_kernel_net(design: str = STANDARD,
                      width: int = 64,
                      blocks: int = 4,
                      bottleneck_ratio: Ratio = None,
                      include_top: bool = True,
                      weights: Optional[str] = None,
                      input_tensor=None,
                      input_shape=None,
                      pooling: Optional[str] = None,
                      classes: int = CLASSES,
                      classifier_activation="softmax",
                      implementation: str = "auto",
                      features_only: bool = False,
                      name: Optional[str] = None) -> keras.Model:
  """A network of paper 001's Table 1 layout built from one unit.

  Args:
    design: the unit as `SparseKernelBlock` writes it ("conv" is the
      standard 3x3 convolution, "dw+pw", "gconv16+pwgconv16", "pw+dw+pw",
      "pwgconv4+dw+pwgconv4", "pw+gconv32+pw", ...).
    width: channels of the stem and of stage 1 (2x, 4x, 8x in stages 2-4).
    blocks: B, blocks per stage.
    bottleneck_ratio: F / K for bottleneck units (4, 2, 3.5, ...); None
      keeps the block's input width inside the unit.
    include_top, weights, input_tensor, input_shape, pooling, classes,
      classifier_activation: as in Keras Applications.
    implementation: "auto", "op" or "reference" for the group convolutions.
    features_only: return {"1": stem, "2".."5": stages 1-4} instead.
    name: model name.

  Returns:
    The `tf_keras` model.
  """
  sz_layers.parse_design(design)
  layers_base.positive_int("width", width)
  layers_base.positive_int("blocks", blocks)
  ratio = _as_ratio(bottleneck_ratio)
  name = name or f"skn_{design.replace('+', '_')}_w{width}_b{blocks}"
  resolved = common.check_arguments(name, weights, include_top, classes,
                                    pooling, classifier_activation)
  inputs, x = common.image_input(input_tensor, input_shape, INPUT_SHAPE,
                                 min_size=MIN_SIZE)
  x = convs.make_policy("dense").dense(width, 3, 2, name="stem_conv")(x)
  x = keras.layers.BatchNormalization(name="stem_bn")(x)
  x = keras.layers.ReLU(name="stem_relu")(x)
  endpoints = {"1": x}
  x = keras.layers.MaxPooling2D(3, 2, padding="same", name="stem_pool")(x)
  for stage in range(NUM_STAGES):
    for index in range(blocks):
      strides = 2 if stage > 0 and index == 0 else 1
      x = _block(x, design, width * 2**stage, ratio, strides,
                 f"stage{stage + 1}_block{index}", implementation)
    endpoints[str(stage + 2)] = x
  outputs = common.classification_head(x, include_top, pooling, classes,
                                       classifier_activation)
  return common.finish(inputs, outputs, name, endpoints, features_only,
                       resolved)


@dataclasses.dataclass(frozen=True)
class SparseKernelNetSpec:
  """One registered network.

  Attributes:
    design: the unit (`sparse_kernel_net`'s `design`).
    width: w.
    blocks: B.
    bottleneck_ratio: F / K, or None.
    depth_in_name: Table 2 names carry the depth the paper prints.
  """
  design: str
  width: int
  blocks: int
  bottleneck_ratio: Ratio = None
  depth_in_name: bool = False

  @property
  def depth(self) -> int:
    """Layers with weights on the main path: stem, units, FC."""
    kernels = len(sz_layers.parse_design(self.design))
    return NUM_STAGES * self.blocks * kernels + 2

  @property
  def unit_name(self) -> str:
    if self.design == STANDARD:
      return "standard"
    return self.design.replace("+", "_")

  @property
  def name(self) -> str:
    depth = self.depth if self.depth_in_name else ""
    return f"skn{depth}_{self.unit_name}_w{self.width}"

  @property
  def baseline_name(self) -> str:
    return f"skn_standard_w{self.width}_b{self.blocks}"


# The registered networks with paper rows, and their parameter counts
# (count_model's trainable parameters) by name.
SPECS: Tuple[SparseKernelNetSpec, ...] = (
    SparseKernelNetSpec(STANDARD, 64, 4),
    SparseKernelNetSpec("dw+pw", 72, 1),
    SparseKernelNetSpec("dw+pw", 280, 2),
    SparseKernelNetSpec("gconv4+pwgconv32", 128, 4),
    SparseKernelNetSpec("gconv16+pwgconv16", 256, 3),
    SparseKernelNetSpec("pw+dw+pw", 400, 1, 4),
    SparseKernelNetSpec("pwgconv4+dw+pwgconv4", 560, 2, 4),
    SparseKernelNetSpec("gconv100+pwgconv2", 200, 4),
    SparseKernelNetSpec("pwgconv100+dw+pwgconv2", 700, 1, 3.5),
    SparseKernelNetSpec("pw+conv+pw", 192, 3, 4),
    SparseKernelNetSpec("pw+gconv16+pw", 192, 3, 2),
    SparseKernelNetSpec("pw+gconv1+pw", 128, 8, 4, True),
    SparseKernelNetSpec("pw+gconv32+pw", 256, 8, 4, True),
    SparseKernelNetSpec("pw+gconv1+pw", 128, 16, 4, True),
    SparseKernelNetSpec("pw+gconv1+pw", 200, 8, 4, True),
    SparseKernelNetSpec("pw+gconv2+pw", 256, 8, 4, True),
    SparseKernelNetSpec("pw+gconv64+pw", 512, 8, 4, True),
)
PARAMS: Dict[str, int] = paper_rows.PARAMS

_imagenet_model = functools.partial(
    register_model, family="sparse_kernel", dataset="imagenet",
    input_shape=INPUT_SHAPE, classes=CLASSES, preprocessing="imagenet")


def _create_skn(name: str, design: str, bottleneck_ratio: Ratio = None,
                /, **kwargs) -> keras.Model:
  return sparse_kernel_net(design, bottleneck_ratio=bottleneck_ratio,
                           name=name, **kwargs)


@_imagenet_model()
def skn_standard_w64(weights: Optional[str] = None, width: int = 64,
                     blocks: int = 4, **kwargs) -> keras.Model:
  """Paper 001 Table 1 network, unit standard 3x3 convolution, width 64, B = 4,
  ImageNet.

  Other arguments as `sparse_kernel_net` (without `design`, `bottleneck_ratio`).
  """
  return _create_skn("skn_standard_w64", STANDARD, weights=weights, width=width,
                     blocks=blocks, **kwargs)


@_imagenet_model(scheme="dw_pw", baseline="skn_standard_w72_b1")
def skn_dw_pw_w72(weights: Optional[str] = None, width: int = 72,
                  blocks: int = 1, **kwargs) -> keras.Model:
  """Paper 001 Table 1 network, unit DW+PW, width 72, B = 1, ImageNet.

  Other arguments as `sparse_kernel_net` (without `design`, `bottleneck_ratio`).
  """
  return _create_skn("skn_dw_pw_w72", "dw+pw", weights=weights, width=width,
                     blocks=blocks, **kwargs)


@_imagenet_model()
def skn_standard_w72_b1(weights: Optional[str] = None, width: int = 72,
                        blocks: int = 1, **kwargs) -> keras.Model:
  """Paper 001 Table 1 network, unit standard 3x3 convolution, width 72, B = 1,
  ImageNet (dense baseline).

  Other arguments as `sparse_kernel_net` (without `design`, `bottleneck_ratio`).
  """
  return _create_skn("skn_standard_w72_b1", STANDARD, weights=weights,
                     width=width, blocks=blocks, **kwargs)


@_imagenet_model(scheme="dw_pw", baseline="skn_standard_w280_b2")
def skn_dw_pw_w280(weights: Optional[str] = None, width: int = 280,
                   blocks: int = 2, **kwargs) -> keras.Model:
  """Paper 001 Table 1 network, unit DW+PW, width 280, B = 2, ImageNet.

  Other arguments as `sparse_kernel_net` (without `design`, `bottleneck_ratio`).
  """
  return _create_skn("skn_dw_pw_w280", "dw+pw", weights=weights, width=width,
                     blocks=blocks, **kwargs)


@_imagenet_model()
def skn_standard_w280_b2(weights: Optional[str] = None, width: int = 280,
                         blocks: int = 2, **kwargs) -> keras.Model:
  """Paper 001 Table 1 network, unit standard 3x3 convolution, width 280, B = 2,
  ImageNet (dense baseline).

  Other arguments as `sparse_kernel_net` (without `design`, `bottleneck_ratio`).
  """
  return _create_skn("skn_standard_w280_b2", STANDARD, weights=weights,
                     width=width, blocks=blocks, **kwargs)


@_imagenet_model(scheme="gconv4_pwgconv32", baseline="skn_standard_w128_b4")
def skn_gconv4_pwgconv32_w128(weights: Optional[str] = None, width: int = 128,
                              blocks: int = 4, **kwargs) -> keras.Model:
  """Paper 001 Table 1 network, unit GCONV4+PWGCONV32, width 128, B = 4,
  ImageNet.

  Other arguments as `sparse_kernel_net` (without `design`, `bottleneck_ratio`).
  """
  return _create_skn("skn_gconv4_pwgconv32_w128", "gconv4+pwgconv32",
                     weights=weights, width=width, blocks=blocks, **kwargs)


@_imagenet_model()
def skn_standard_w128_b4(weights: Optional[str] = None, width: int = 128,
                         blocks: int = 4, **kwargs) -> keras.Model:
  """Paper 001 Table 1 network, unit standard 3x3 convolution, width 128, B = 4,
  ImageNet (dense baseline).

  Other arguments as `sparse_kernel_net` (without `design`, `bottleneck_ratio`).
  """
  return _create_skn("skn_standard_w128_b4", STANDARD, weights=weights,
                     width=width, blocks=blocks, **kwargs)


@_imagenet_model(scheme="gconv16_pwgconv16", baseline="skn_standard_w256_b3")
def skn_gconv16_pwgconv16_w256(weights: Optional[str] = None, width: int = 256,
                               blocks: int = 3, **kwargs) -> keras.Model:
  """Paper 001 Table 1 network, unit GCONV16+PWGCONV16, width 256, B = 3,
  ImageNet.

  Other arguments as `sparse_kernel_net` (without `design`, `bottleneck_ratio`).
  """
  return _create_skn("skn_gconv16_pwgconv16_w256", "gconv16+pwgconv16",
                     weights=weights, width=width, blocks=blocks, **kwargs)


@_imagenet_model()
def skn_standard_w256_b3(weights: Optional[str] = None, width: int = 256,
                         blocks: int = 3, **kwargs) -> keras.Model:
  """Paper 001 Table 1 network, unit standard 3x3 convolution, width 256, B = 3,
  ImageNet (dense baseline).

  Other arguments as `sparse_kernel_net` (without `design`, `bottleneck_ratio`).
  """
  return _create_skn("skn_standard_w256_b3", STANDARD, weights=weights,
                     width=width, blocks=blocks, **kwargs)


@_imagenet_model(scheme="pw_dw_pw", baseline="skn_standard_w400_b1")
def skn_pw_dw_pw_w400(weights: Optional[str] = None, width: int = 400,
                      blocks: int = 1, **kwargs) -> keras.Model:
  """Paper 001 Table 1 network, unit PW+DW+PW, bottleneck 1:4, width 400, B = 1,
  ImageNet.

  Other arguments as `sparse_kernel_net` (without `design`, `bottleneck_ratio`).
  """
  return _create_skn("skn_pw_dw_pw_w400", "pw+dw+pw", 4,
                     weights=weights, width=width, blocks=blocks, **kwargs)


@_imagenet_model()
def skn_standard_w400_b1(weights: Optional[str] = None, width: int = 400,
                         blocks: int = 1, **kwargs) -> keras.Model:
  """Paper 001 Table 1 network, unit standard 3x3 convolution, width 400, B = 1,
  ImageNet (dense baseline).

  Other arguments as `sparse_kernel_net` (without `design`, `bottleneck_ratio`).
  """
  return _create_skn("skn_standard_w400_b1", STANDARD, weights=weights,
                     width=width, blocks=blocks, **kwargs)


@_imagenet_model(scheme="pwgconv4_dw_pwgconv4", baseline="skn_standard_w560_b2")
def skn_pwgconv4_dw_pwgconv4_w560(weights: Optional[str] = None,
                                  width: int = 560, blocks: int = 2,
                                  **kwargs) -> keras.Model:
  """Paper 001 Table 1 network, unit PWGCONV4+DW+PWGCONV4, bottleneck 1:4, width
  560, B = 2, ImageNet.

  Other arguments as `sparse_kernel_net` (without `design`, `bottleneck_ratio`).
  """
  return _create_skn("skn_pwgconv4_dw_pwgconv4_w560", "pwgconv4+dw+pwgconv4",
                     4, weights=weights, width=width,
                     blocks=blocks, **kwargs)


@_imagenet_model()
def skn_standard_w560_b2(weights: Optional[str] = None, width: int = 560,
                         blocks: int = 2, **kwargs) -> keras.Model:
  """Paper 001 Table 1 network, unit standard 3x3 convolution, width 560, B = 2,
  ImageNet (dense baseline).

  Other arguments as `sparse_kernel_net` (without `design`, `bottleneck_ratio`).
  """
  return _create_skn("skn_standard_w560_b2", STANDARD, weights=weights,
                     width=width, blocks=blocks, **kwargs)


@_imagenet_model(scheme="gconv100_pwgconv2", baseline="skn_standard_w200_b4")
def skn_gconv100_pwgconv2_w200(weights: Optional[str] = None, width: int = 200,
                               blocks: int = 4, **kwargs) -> keras.Model:
  """Paper 001 Table 1 network, unit GCONV100+PWGCONV2, width 200, B = 4,
  ImageNet.

  Other arguments as `sparse_kernel_net` (without `design`, `bottleneck_ratio`).
  """
  return _create_skn("skn_gconv100_pwgconv2_w200", "gconv100+pwgconv2",
                     weights=weights, width=width, blocks=blocks, **kwargs)


@_imagenet_model()
def skn_standard_w200_b4(weights: Optional[str] = None, width: int = 200,
                         blocks: int = 4, **kwargs) -> keras.Model:
  """Paper 001 Table 1 network, unit standard 3x3 convolution, width 200, B = 4,
  ImageNet (dense baseline).

  Other arguments as `sparse_kernel_net` (without `design`, `bottleneck_ratio`).
  """
  return _create_skn("skn_standard_w200_b4", STANDARD, weights=weights,
                     width=width, blocks=blocks, **kwargs)


@_imagenet_model(scheme="pwgconv100_dw_pwgconv2",
                 baseline="skn_standard_w700_b1")
def skn_pwgconv100_dw_pwgconv2_w700(weights: Optional[str] = None,
                                    width: int = 700, blocks: int = 1,
                                    **kwargs) -> keras.Model:
  """Paper 001 Table 1 network, unit PWGCONV100+DW+PWGCONV2, bottleneck 1:3.5,
  width 700, B = 1, ImageNet.

  Other arguments as `sparse_kernel_net` (without `design`, `bottleneck_ratio`).
  """
  return _create_skn("skn_pwgconv100_dw_pwgconv2_w700",
                     "pwgconv100+dw+pwgconv2", 3.5,
                     weights=weights, width=width, blocks=blocks, **kwargs)


@_imagenet_model()
def skn_standard_w700_b1(weights: Optional[str] = None, width: int = 700,
                         blocks: int = 1, **kwargs) -> keras.Model:
  """Paper 001 Table 1 network, unit standard 3x3 convolution, width 700, B = 1,
  ImageNet (dense baseline).

  Other arguments as `sparse_kernel_net` (without `design`, `bottleneck_ratio`).
  """
  return _create_skn("skn_standard_w700_b1", STANDARD, weights=weights,
                     width=width, blocks=blocks, **kwargs)


@_imagenet_model(scheme="pw_conv_pw", baseline="skn_standard_w192_b3")
def skn_pw_conv_pw_w192(weights: Optional[str] = None, width: int = 192,
                        blocks: int = 3, **kwargs) -> keras.Model:
  """Paper 001 Table 1 network, unit PW+CONV+PW, bottleneck 1:4, width 192, B =
  3, ImageNet.

  Other arguments as `sparse_kernel_net` (without `design`, `bottleneck_ratio`).
  """
  return _create_skn("skn_pw_conv_pw_w192", "pw+conv+pw", 4,
                     weights=weights, width=width, blocks=blocks, **kwargs)


@_imagenet_model()
def skn_standard_w192_b3(weights: Optional[str] = None, width: int = 192,
                         blocks: int = 3, **kwargs) -> keras.Model:
  """Paper 001 Table 1 network, unit standard 3x3 convolution, width 192, B = 3,
  ImageNet (dense baseline).

  Other arguments as `sparse_kernel_net` (without `design`, `bottleneck_ratio`).
  """
  return _create_skn("skn_standard_w192_b3", STANDARD, weights=weights,
                     width=width, blocks=blocks, **kwargs)


@_imagenet_model(scheme="pw_gconv16_pw", baseline="skn_standard_w192_b3")
def skn_pw_gconv16_pw_w192(weights: Optional[str] = None, width: int = 192,
                           blocks: int = 3, **kwargs) -> keras.Model:
  """Paper 001 Table 1 network, unit PW+GCONV16+PW, bottleneck 1:2, width 192, B
  = 3, ImageNet.

  Other arguments as `sparse_kernel_net` (without `design`, `bottleneck_ratio`).
  """
  return _create_skn("skn_pw_gconv16_pw_w192", "pw+gconv16+pw",
                     2, weights=weights, width=width,
                     blocks=blocks, **kwargs)


@_imagenet_model(scheme="pw_gconv1_pw", baseline="skn_standard_w128_b8")
def skn98_pw_gconv1_pw_w128(weights: Optional[str] = None, width: int = 128,
                            blocks: int = 8, **kwargs) -> keras.Model:
  """Paper 001 Table 1 network, unit PW+GCONV1+PW, bottleneck 1:4, width 128, B
  = 8, ImageNet.

  Other arguments as `sparse_kernel_net` (without `design`, `bottleneck_ratio`).
  """
  return _create_skn("skn98_pw_gconv1_pw_w128", "pw+gconv1+pw",
                     4, weights=weights, width=width,
                     blocks=blocks, **kwargs)


@_imagenet_model()
def skn_standard_w128_b8(weights: Optional[str] = None, width: int = 128,
                         blocks: int = 8, **kwargs) -> keras.Model:
  """Paper 001 Table 1 network, unit standard 3x3 convolution, width 128, B = 8,
  ImageNet (dense baseline).

  Other arguments as `sparse_kernel_net` (without `design`, `bottleneck_ratio`).
  """
  return _create_skn("skn_standard_w128_b8", STANDARD, weights=weights,
                     width=width, blocks=blocks, **kwargs)


@_imagenet_model(scheme="pw_gconv32_pw", baseline="skn_standard_w256_b8")
def skn98_pw_gconv32_pw_w256(weights: Optional[str] = None, width: int = 256,
                             blocks: int = 8, **kwargs) -> keras.Model:
  """Paper 001 Table 1 network, unit PW+GCONV32+PW, bottleneck 1:4, width 256, B
  = 8, ImageNet.

  Other arguments as `sparse_kernel_net` (without `design`, `bottleneck_ratio`).
  """
  return _create_skn("skn98_pw_gconv32_pw_w256", "pw+gconv32+pw",
                     4, weights=weights, width=width,
                     blocks=blocks, **kwargs)


@_imagenet_model()
def skn_standard_w256_b8(weights: Optional[str] = None, width: int = 256,
                         blocks: int = 8, **kwargs) -> keras.Model:
  """Paper 001 Table 1 network, unit standard 3x3 convolution, width 256, B = 8,
  ImageNet (dense baseline).

  Other arguments as `sparse_kernel_net` (without `design`, `bottleneck_ratio`).
  """
  return _create_skn("skn_standard_w256_b8", STANDARD, weights=weights,
                     width=width, blocks=blocks, **kwargs)


@_imagenet_model(scheme="pw_gconv1_pw", baseline="skn_standard_w128_b16")
def skn194_pw_gconv1_pw_w128(weights: Optional[str] = None, width: int = 128,
                             blocks: int = 16, **kwargs) -> keras.Model:
  """Paper 001 Table 1 network, unit PW+GCONV1+PW, bottleneck 1:4, width 128, B
  = 16, ImageNet.

  Other arguments as `sparse_kernel_net` (without `design`, `bottleneck_ratio`).
  """
  return _create_skn("skn194_pw_gconv1_pw_w128", "pw+gconv1+pw",
                     4, weights=weights, width=width,
                     blocks=blocks, **kwargs)


@_imagenet_model()
def skn_standard_w128_b16(weights: Optional[str] = None, width: int = 128,
                          blocks: int = 16, **kwargs) -> keras.Model:
  """Paper 001 Table 1 network, unit standard 3x3 convolution, width 128, B =
  16, ImageNet (dense baseline).

  Other arguments as `sparse_kernel_net` (without `design`, `bottleneck_ratio`).
  """
  return _create_skn("skn_standard_w128_b16", STANDARD, weights=weights,
                     width=width, blocks=blocks, **kwargs)


@_imagenet_model(scheme="pw_gconv1_pw", baseline="skn_standard_w200_b8")
def skn98_pw_gconv1_pw_w200(weights: Optional[str] = None, width: int = 200,
                            blocks: int = 8, **kwargs) -> keras.Model:
  """Paper 001 Table 1 network, unit PW+GCONV1+PW, bottleneck 1:4, width 200, B
  = 8, ImageNet.

  Other arguments as `sparse_kernel_net` (without `design`, `bottleneck_ratio`).
  """
  return _create_skn("skn98_pw_gconv1_pw_w200", "pw+gconv1+pw",
                     4, weights=weights, width=width,
                     blocks=blocks, **kwargs)


@_imagenet_model()
def skn_standard_w200_b8(weights: Optional[str] = None, width: int = 200,
                         blocks: int = 8, **kwargs) -> keras.Model:
  """Paper 001 Table 1 network, unit standard 3x3 convolution, width 200, B = 8,
  ImageNet (dense baseline).

  Other arguments as `sparse_kernel_net` (without `design`, `bottleneck_ratio`).
  """
  return _create_skn("skn_standard_w200_b8", STANDARD, weights=weights,
                     width=width, blocks=blocks, **kwargs)


@_imagenet_model(scheme="pw_gconv2_pw", baseline="skn_standard_w256_b8")
def skn98_pw_gconv2_pw_w256(weights: Optional[str] = None, width: int = 256,
                            blocks: int = 8, **kwargs) -> keras.Model:
  """Paper 001 Table 1 network, unit PW+GCONV2+PW, bottleneck 1:4, width 256, B
  = 8, ImageNet.

  Other arguments as `sparse_kernel_net` (without `design`, `bottleneck_ratio`).
  """
  return _create_skn("skn98_pw_gconv2_pw_w256", "pw+gconv2+pw",
                     4, weights=weights, width=width,
                     blocks=blocks, **kwargs)


@_imagenet_model(scheme="pw_gconv64_pw", baseline="skn_standard_w512_b8")
def skn98_pw_gconv64_pw_w512(weights: Optional[str] = None, width: int = 512,
                             blocks: int = 8, **kwargs) -> keras.Model:
  """Paper 001 Table 1 network, unit PW+GCONV64+PW, bottleneck 1:4, width 512, B
  = 8, ImageNet.

  Other arguments as `sparse_kernel_net` (without `design`, `bottleneck_ratio`).
  """
  return _create_skn("skn98_pw_gconv64_pw_w512", "pw+gconv64+pw",
                     4, weights=weights, width=width,
                     blocks=blocks, **kwargs)


@_imagenet_model()
def skn_standard_w512_b8(weights: Optional[str] = None, width: int = 512,
                         blocks: int = 8, **kwargs) -> keras.Model:
  """Paper 001 Table 1 network, unit standard 3x3 convolution, width 512, B = 8,
  ImageNet (dense baseline).

  Other arguments as `sparse_kernel_net` (without `design`, `bottleneck_ratio`).
  """
  return _create_skn("skn_standard_w512_b8", STANDARD, weights=weights,
                     width=width, blocks=blocks, **kwargs)
