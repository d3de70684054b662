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
from typing import Dict, Optional, Sequence, Tuple, Union

import tf_keras as keras

from sparsezoo_tf import layers as sz_layers
from sparsezoo_tf.layers import base as layers_base
from sparsezoo_tf.models import common
from sparsezoo_tf.models import convs
from sparsezoo_tf.models.shortcuts import ZeroPadShortcut
from sparsezoo_tf.models.registry import ModelInfo
from sparsezoo_tf.models.registry import PaperRow
from sparsezoo_tf.models.registry import register_model

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


def _entry_point(spec: SparseKernelNetSpec, design: str, ratio: Ratio,
                 name: str, doc: str):
  def entry_point(width: int = spec.width, blocks: int = spec.blocks,
                  **kwargs):
    return sparse_kernel_net(design, width=width, blocks=blocks,
                             bottleneck_ratio=ratio, name=name, **kwargs)
  entry_point.__name__ = name
  entry_point.__doc__ = (f"{doc}. Arguments as `sparse_kernel_net` (without "
                         f"`design`, `bottleneck_ratio` and `name`); `width` "
                         f"and `blocks` default to {spec.width} and "
                         f"{spec.blocks}.")
  return entry_point


def _info(name: str, scheme: str, rows: Sequence[PaperRow],
          baseline: Optional[str], description: str) -> ModelInfo:
  return ModelInfo(name=name, family="sparse_kernel", scheme=scheme,
                   dataset="imagenet", input_shape=INPUT_SHAPE,
                   classes=CLASSES, preprocessing="imagenet",
                   rows=tuple(rows), baseline=baseline,
                   description=description)


def _describe(spec: SparseKernelNetSpec, design: str) -> str:
  unit = "standard 3x3 convolution" if design == STANDARD else design.upper()
  ratio = (f", bottleneck 1:{spec.bottleneck_ratio}"
           if spec.bottleneck_ratio and design != STANDARD else "")
  return (f"Paper 001 Table 1 network, unit {unit}{ratio}, width "
          f"{spec.width}, B = {spec.blocks}, ImageNet")


_REGISTERED_BASELINES = set()


def _register(spec: SparseKernelNetSpec, rows: Sequence[PaperRow]) -> None:
  dense = spec.design == STANDARD
  baseline = None if dense else spec.baseline_name
  doc = _describe(spec, spec.design)
  register_model(_info(spec.name, "dense" if dense else spec.unit_name, rows,
                       baseline, doc))(
                           _entry_point(spec, spec.design,
                                        spec.bottleneck_ratio, spec.name,
                                        doc))
  if dense or baseline in _REGISTERED_BASELINES:
    return
  _REGISTERED_BASELINES.add(baseline)
  dense_doc = _describe(spec, STANDARD) + " (dense baseline)"
  register_model(_info(baseline, "dense", (), None, dense_doc))(
      _entry_point(spec, STANDARD, None, baseline, dense_doc))


def _row(table: str, label: str, params: float, counts: Tuple[int, ...],
         spec: SparseKernelNetSpec, note: str = "",
         reason: str = "") -> PaperRow:
  """A #Params row; `counts` are ours at B - 1, B, B + 1 (0: not given)."""
  lower, ours, higher = counts
  if abs(ours / params - 1) <= 0.005:
    return PaperRow(paper="001", table=table, row=label, params=params,
                    note=note)
  neighbours = ", ".join(
      f"B = {blocks}: {count / 1e6:.2f} M" for blocks, count in
      ((spec.blocks - 1, lower), (spec.blocks + 1, higher)) if count)
  mismatch = (f"ours {ours:,} with B = {spec.blocks} ({ours / params:.3f} x "
              f"the table's {params / 1e6:.1f} M)")
  if neighbours:
    mismatch += f"; {neighbours}"
  return PaperRow(paper="001", table=table, row=label, params=params,
                  note=note, mismatch=f"{mismatch}. {reason}")


_NO_COMMON_B = ("Tables 3-4 fit no common layout (module docstring); B is "
                "the nearest per network and still misses the row.")
_TABLE2 = ("No bottleneck ratio reproduces Table 2 with the B of its "
           "Depth column (module docstring).")

# (spec, our counts at B - 1, B, B + 1, rows as (table, label, #Params,
# note)).
_MODELS = (
    (SparseKernelNetSpec(STANDARD, 64, 4),
     (8_372_648, 11_508_008, 14_643_368),
     (("Table 3", "Standard Convolution", 11.2e6, "B = 4 (ResNet-18 depth)"),
      ("Table 4", "ResNet (He et al., 2016a)", 11.2e6,
       "the standard unit network of Table 3 (same #Params and width)"))),
    (SparseKernelNetSpec("dw+pw", 72, 1), (0, 810_496, 1_265_176),
     (("Table 3", "DW+PW", 0.8e6, "the 0.8 M row (width 72)"),)),
    (SparseKernelNetSpec("dw+pw", 280, 2), (5_653_360, 12_371_960, 19_090_560),
     (("Table 3", "DW+PW", 11.2e6, "the 11.2 M row (width 280)"),
      ("Table 4", "Xception (Chollet, 2016)", 11.2e6,
       "the DW+PW network of Table 3"))),
    (SparseKernelNetSpec("gconv4+pwgconv32", 128, 4),
     (8_236_904, 11_421_544, 14_606_184),
     (("Table 3", "GConv(4)+PWGConv(32)", 11.2e6, ""),)),
    (SparseKernelNetSpec("gconv16+pwgconv16", 256, 3),
     (6_552_296, 10_049_256, 13_546_216),
     (("Table 3", "GConv(16)+PWGConv(16)", 11.3e6, ""),)),
    (SparseKernelNetSpec("pw+dw+pw", 400, 1, 4), (0, 8_364_100, 15_195_600),
     (("Table 3", "PW+DW+PW", 11.0e6, "bottleneck 1:4"),)),
    (SparseKernelNetSpec("pwgconv4+dw+pwgconv4", 560, 2, 4),
     (7_050_140, 10_426_240, 13_802_340),
     (("Table 3", "PWGConv(4)+DW+PWGConv(4)", 11.3e6, "bottleneck 1:4"),
      ("Table 4", "ShuffleNet (Zhang et al., 2017)", 11.3e6,
       "the PWGConv(4)+DW+PWGConv(4) network of Table 3 (4 groups)"))),
    (SparseKernelNetSpec("gconv100+pwgconv2", 200, 4),
     (6_591_200, 8_609_200, 10_627_200),
     (("Table 4", "GConv(100)+PWGConv(2)", 8.6e6, "B = 4"),)),
    (SparseKernelNetSpec("pwgconv100+dw+pwgconv2", 700, 1, 3.5),
     (0, 11_691_500, 17_820_500),
     (("Table 4", "PWGConv(100)+DW+PWGConv(2)", 10.4e6,
       "inner width K = M N = 200 (F / 3.5): F / 4 = 175 is odd"),)),
    (SparseKernelNetSpec("pw+conv+pw", 192, 3, 4),
     (7_831_336, 11_169_256, 14_507_176),
     (("Table 4", "ResNet with bottleneck (He et al., 2016a)", 11.3e6,
       "bottleneck 1:4"),)),
    (SparseKernelNetSpec("pw+gconv16+pw", 192, 3, 2),
     (7_939_624, 11_525_224, 15_110_824),
     (("Table 4", "ResNeXt (Xie et al., 2017)", 11.1e6,
       "cardinality 16, bottleneck 1:2"),)),
    (SparseKernelNetSpec("pw+gconv1+pw", 128, 8, 4, True),
     (0, 12_740_200, 0),
     (("Table 2", "PW+GConv(1)+PW", 13.9e6,
       "depth 98, width 128: B = 8; bottleneck 1:4"),)),
    (SparseKernelNetSpec("pw+gconv32+pw", 256, 8, 4, True),
     (0, 24_526_056, 0),
     (("Table 2", "PW+GConv(32)+PW", 13.9e6,
       "depth 98, width 256: B = 8; bottleneck 1:4"),)),
    (SparseKernelNetSpec("pw+gconv1+pw", 128, 16, 4, True),
     (0, 24_623_720, 0),
     (("Table 2", "PW+GConv(1)+PW", 28.4e6,
       "depth 194, width 128: B = 16; bottleneck 1:4"),)),
    (SparseKernelNetSpec("pw+gconv1+pw", 200, 8, 4, True),
     (0, 30_158_800, 0),
     (("Table 2", "PW+GConv(1)+PW", 28.4e6,
       "depth 98, width 200: B = 8; bottleneck 1:4"),)),
    (SparseKernelNetSpec("pw+gconv2+pw", 256, 8, 4, True),
     (0, 36_276_456, 0),
     (("Table 2", "PW+GConv(2)+PW", 28.4e6,
       "depth 98, width 256: B = 8; bottleneck 1:4"),)),
    (SparseKernelNetSpec("pw+gconv64+pw", 512, 8, 4, True),
     (0, 92_239_336, 0),
     (("Table 2", "PW+GConv(64)+PW", 28.4e6,
       "depth 98, width 512: B = 8; bottleneck 1:4"),)),
)

# The registered networks with paper rows, and their parameter counts
# (count_model's trainable parameters) by name.
SPECS: Tuple[SparseKernelNetSpec, ...] = tuple(spec for spec, _, _ in _MODELS)
PARAMS: Dict[str, int] = {}

for _spec, _counts, _rows in _MODELS:
  PARAMS[_spec.name] = _counts[1]
  _reason = _TABLE2 if _spec.depth_in_name else _NO_COMMON_B
  _register(_spec, [_row(table, label, params, _counts, _spec, note, _reason)
                    for table, label, params, note in _rows])
