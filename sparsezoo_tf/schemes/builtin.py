"""The schemes of the five papers (README: "Schemes, and adding one").

Each entry names its pattern (`sparsezoo_tf.patterns`), its cached plan
constructor (`sparsezoo_tf.ops.plans`), its layer (`sparsezoo_tf.layers`),
its width rule and its papers.
"""

from sparsezoo_tf import patterns
from sparsezoo_tf.ops import plans
from sparsezoo_tf.patterns import designs
from sparsezoo_tf.schemes.registry import register_scheme
from sparsezoo_tf.schemes.registry import Scheme
from sparsezoo_tf.schemes.registry import SchemeFamily

_SC = "SparseComplementaryConv2D"


def _sc_layer(name: str, description: str, pattern, plan,
              pointwise: str = "dense", multiple: int = 1) -> Scheme:
  return Scheme(name=name, description=description, papers=("000",),
                pattern=pattern, plan=plan, layer=_SC,
                layer_options={"mode": name}, pointwise=pointwise,
                out_multiple=multiple, in_multiple=multiple)


def _seq(shape: str):
  def pattern(kernel_size, in_channels, out_channels):
    return patterns.single_shape(kernel_size, in_channels, out_channels,
                                 shape)

  def plan(kernel_size, in_channels, out_channels):
    return plans.single_shape_plan(kernel_size, in_channels, out_channels,
                                   shape)
  return pattern, plan


def _psc(kss: int) -> Scheme:
  def pattern(kernel_size, in_channels, out_channels, seed=0):
    return patterns.psconv(kernel_size, in_channels, out_channels, kss, seed)

  def plan(kernel_size, in_channels, out_channels, seed=0):
    return plans.psconv_plan(kernel_size, in_channels, out_channels, kss,
                             seed=seed)
  return Scheme(name=f"psc{kss}",
                description=f"pSConv: {kss} taps per 2-D kernel, seeded "
                            f"per layer, on k x k convolutions",
                papers=("004",), pattern=pattern, plan=plan,
                layer="PSConv2D", layer_options={"kss": kss}, seeded=True,
                pointwise="dense")


def _scfusion(alpha: int) -> Scheme:
  return Scheme(name=f"scfusion{alpha}",
                description=f"scFusion modules (alpha = {alpha}) on k x k "
                            f"convolutions",
                papers=("003",), layer="SCFusion",
                layer_options={"alpha": alpha}, pointwise="dense",
                out_multiple=alpha)


def _group(groups: int, shuffle: bool) -> Scheme:
  def pattern(kernel_size, in_channels, out_channels):
    return patterns.grouped(kernel_size, in_channels, out_channels, groups,
                            shuffle)

  def plan(kernel_size, in_channels, out_channels):
    return plans.group_plan(kernel_size, in_channels, out_channels, groups,
                            shuffle=shuffle)
  name = f"group{groups}" + ("_shuffle" if shuffle else "")
  text = ", fused with the following channel shuffle" if shuffle else ""
  return Scheme(name=name,
                description=f"group convolution, {groups} groups{text}",
                papers=("001", "002"), pattern=pattern, plan=plan,
                layer="GroupConv2D",
                layer_options={"groups": groups, "shuffle": shuffle},
                out_multiple=groups, in_multiple=groups)


def _design_values(name: str):
  return {"design": name} if designs.design_from_scheme(name) else None


def _design(design: str) -> Scheme:
  return Scheme(name=design,
                description=f"paper 001 design "
                            f"{designs.design_from_scheme(design)}",
                papers=("001",), layer="SparseKernelBlock",
                layer_options={"design": designs.design_from_scheme(design)},
                conv_arguments=False, pointwise="dense")


def register_builtin_schemes() -> None:
  """Registers the five papers' schemes (done once, on import)."""
  register_scheme(Scheme(
      name="dense", description="a dense Conv2D", pattern=patterns.dense,
      plan=plans.dense_plan))
  register_scheme(_sc_layer(
      "sw_sc", 'SW-SC: "+" kernels on even outputs, "x" on odd ones',
      patterns.spatial_sc, plans.spatial_sc_plan))
  register_scheme(Scheme(
      name="cw_sc",
      description="CW-SC: half the outputs read the even inputs, half the "
                  "odd ones",
      papers=("000",), pattern=patterns.channel_sc,
      plan=plans.channel_sc_plan, layer=_SC, layer_options={"mode": "cw_sc"},
      out_multiple=2, in_multiple=2))
  register_scheme(_sc_layer(
      "sc_comb", "SW-SC and CW-SC in one kernel on k x k, CW-SC on 1x1 "
      '("-comb")', patterns.spatial_channel_sc,
      plans.spatial_channel_sc_plan, pointwise="cw_sc", multiple=2))
  for shape in ("plus", "cross"):
    register_scheme(_sc_layer(
        f"seq_{shape}", f'every output with the SW-SC "{shape}" shape',
        *_seq(shape)))
  register_scheme(Scheme(
      name="sc", description="SW-SC on k x k, CW-SC on 1x1 (the -sc "
                             "networks)",
      papers=("000",), spatial="sw_sc", pointwise="cw_sc"))
  register_scheme(Scheme(
      name="sc_seq", description='whole "+" and "x" layers in turn on k x k '
                                 '("-seq")',
      papers=("000",), sequence=("seq_plus", "seq_cross"),
      pointwise="dense"))
  register_scheme(SchemeFamily(
      template="psc<kss>", description="pSConv with kernel support size kss",
      papers=("004",), build=_psc))
  register_scheme(SchemeFamily(
      template="scfusion<alpha>",
      description="scFusion modules with complexity parameter alpha",
      papers=("003",), build=_scfusion))
  register_scheme(SchemeFamily(
      template="group<groups>", description="group convolution",
      papers=("001", "002"),
      build=lambda groups: _group(groups, shuffle=False)))
  register_scheme(SchemeFamily(
      template="group<groups>_shuffle",
      description="group convolution fused with the channel shuffle",
      papers=("001", "002"),
      build=lambda groups: _group(groups, shuffle=True)))
  for name, layer, description, options in (
      ("xception", "XceptionBlock", "Xception block: depthwise 3x3, then "
                                    "pointwise", {}),
      ("igcv1", "IGCV1Block", "IGC-V1 block: primary group 3x3, secondary "
                              "group 1x1", {}),
      ("igcv2", "IGCV2Block", "IGC-V2 block: interleaved group "
                              "convolutions, L and K per stage", {}),
      ("igcv2star", "IGCV2Block", "IGC-V2* block: K = 8 channels per "
                                  "branch, L* group convolutions",
       {"branch_channels": 8})):
    register_scheme(Scheme(name=name, description=description,
                           papers=("002",), layer=layer,
                           layer_options=options, conv_arguments=False,
                           pointwise="dense"))
  register_scheme(SchemeFamily(
      template="<design>",
      description="paper 001 sparse kernel design, kernels joined by '_' "
                  "(e.g. pwgconv4_dw_pwgconv4)",
      papers=("001",), build=_design, match=_design_values))
