"""VGG-16 with sparse kernels: scFusion on ImageNet (paper 003) and pSConv
on CIFAR-10 / Tiny ImageNet (paper 004).

One builder, `vgg16`, makes every variant; the first convolution (3 input
channels) is dense in every scheme, the fully connected layers are dense.

Variants (`variant=`):
  "imagenet"  Simonyan & Zisserman's VGG-16 (paper 003): 13 3x3
              convolutions with biases and ReLU, no BatchNorm, five max
              pools, flatten (7x7x512) and FC 4096-4096-classes with dropout
              0.5. `gap=True` is the localization model of paper 003
              (appendix B): no pool5, a 3x3 convolution with 1024 outputs
              after conv5_3, global average pooling and the classifier.
  "cifar"     paper 004's VGG16 for 32x32: every convolution followed by
  "tiny"      BatchNorm and ReLU, the same pools, then (an identity 1x1
              average pool, omitted) flatten and FC 4096-4096-classes with
              ReLU. The flattened features are 1x1x512 on CIFAR-10 and
              2x2x512 on Tiny ImageNet (64x64): the parameter counts of
              Tables IV and V (33.65 M, 40.72 M) need exactly that.
`width` scales every convolution (0.5 is paper 004's "HC", half channels);
the FC layers keep 4096 units.
"""

import dataclasses
from typing import Dict, Optional, Tuple

import tf_keras as keras

from sparsezoo_tf.models import common
from sparsezoo_tf.models import convs
from sparsezoo_tf.models.registry import ModelInfo
from sparsezoo_tf.models.registry import PaperRow
from sparsezoo_tf.models.registry import register_model

STAGES = ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512),
          (512, 512, 512))
GAP_FILTERS = 1024
FC_UNITS = 4096


@dataclasses.dataclass(frozen=True)
class Variant:
  """What differs between the VGG-16 of the datasets.

  Attributes:
    dataset: dataset name of `ModelInfo`.
    input_shape: the input the paper's counts refer to.
    classes: default classes.
    preprocessing: preprocessing mode.
    batch_norm: BatchNorm after every convolution.
    dropout: dropout after each hidden FC layer.
    levels: the endpoint levels (stride 2^level) the features expose.
  """
  dataset: str
  input_shape: Tuple[int, int, int]
  classes: int
  preprocessing: str
  batch_norm: bool
  dropout: float
  levels: Tuple[int, ...]


VARIANTS = {
    "imagenet": Variant("imagenet", (224, 224, 3), 1000, "imagenet", False,
                        0.5, (2, 3, 4, 5)),
    "cifar": Variant("cifar10", (32, 32, 3), 10, "cifar10", True, 0.0,
                     (0, 1, 2, 3, 4, 5)),
    "tiny": Variant("tiny_imagenet", (64, 64, 3), 200, "tiny_imagenet", True,
                    0.0, (0, 1, 2, 3, 4, 5)),
}


def _conv_block(x, policy: convs.ConvPolicy, filters: int, label: str,
                role: str, batch_norm: bool):
  x = policy.conv(filters, 3, name=label, role=role)(x)
  if batch_norm:
    x = keras.layers.BatchNormalization(name=f"{label}_bn")(x)
  return keras.layers.ReLU(name=f"{label}_relu")(x)


def _features(x, policy: convs.ConvPolicy, width: float, batch_norm: bool,
              gap: bool) -> Tuple[object, Dict[int, object]]:
  """The convolutional layers; returns the last map and maps by level."""
  by_level = {}
  for stage, widths in enumerate(STAGES, start=1):
    for index, filters in enumerate(widths, start=1):
      role = "stem" if stage == 1 and index == 1 else "body"
      x = _conv_block(x, policy, _scaled(filters, width),
                      f"block{stage}_conv{index}", role, batch_norm)
    by_level[stage - 1] = x
    if gap and stage == len(STAGES):
      break
    x = keras.layers.MaxPooling2D(2, name=f"block{stage}_pool")(x)
  if gap:
    x = _conv_block(x, policy, _scaled(GAP_FILTERS, width), "cam_conv",
                    "body", batch_norm)
    by_level[len(STAGES) - 1] = x
  else:
    by_level[len(STAGES)] = x
  return x, by_level


def _scaled(filters: int, width: float) -> int:
  scaled = int(round(filters * width))
  if scaled < 1:
    raise ValueError(f"width={width} leaves no channels of {filters}")
  return scaled


def _fc_head(x, classes: int, classifier_activation, dropout: float):
  x = keras.layers.Flatten(name="flatten")(x)
  for index in (1, 2):
    x = keras.layers.Dense(FC_UNITS, activation="relu", name=f"fc{index}")(x)
    if dropout:
      x = keras.layers.Dropout(dropout, name=f"fc{index}_dropout")(x)
  return keras.layers.Dense(classes, activation=classifier_activation,
                            name="predictions")(x)


def vgg16(scheme: str = "dense",
          variant: str = "imagenet",
          gap: bool = False,
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
  """VGG-16 whose 3x3 convolutions (all but the first) use `scheme`.

  Args:
    scheme: a `convs.make_policy` scheme; registered: "dense",
      "scfusion<alpha>" (paper 003), "psc<kss>" (paper 004).
    variant: "imagenet", "cifar" or "tiny" (see the module docstring).
    gap: the localization model (paper 003): no pool5, a 1024-channel 3x3
      convolution, global average pooling and the classifier.
    include_top, weights, input_tensor, input_shape, pooling,
      classifier_activation: as in Keras Applications. With the FC head
      (`include_top` and not `gap`) the input must be the variant's size.
    classes: classes of the classifier (default: the variant's dataset).
    width: multiplier of every convolution's channels (0.5: paper 004's HC).
    implementation: "auto", "op" or "reference" for the sparse layers.
    features_only: return the maps by level: {str(l): map of stride 2^l},
      the last map of each stride (levels 2-5 on ImageNet, 0-5 on the small
      datasets; the GAP model stops at its stride-16 `cam_conv`).
    name: model name.

  Returns:
    The `tf_keras` model.

  Raises:
    ValueError: for an unknown scheme or variant, a width the scheme cannot
      split, or a bad Keras Applications argument.
  """
  if variant not in VARIANTS:
    raise ValueError(f"variant must be one of {tuple(VARIANTS)}, got "
                     f"{variant!r}")
  spec = VARIANTS[variant]
  classes = spec.classes if classes is None else classes
  name = name or model_name(scheme, variant, gap, width)
  resolved = common.check_arguments(name, weights, include_top, classes,
                                    pooling, classifier_activation)
  pools = len(STAGES) - 1 if gap else len(STAGES)
  inputs, x = common.image_input(
      input_tensor, input_shape, spec.input_shape, min_size=2**pools,
      fixed_size=include_top and not gap and not features_only)
  policy = convs.make_policy(scheme, implementation=implementation,
                             use_bias=True)
  x, by_level = _features(x, policy, width, spec.batch_norm, gap)
  endpoints = {str(level): by_level[level] for level in spec.levels
               if level in by_level}
  if include_top and not gap:
    outputs = _fc_head(x, classes, classifier_activation, spec.dropout)
  else:
    outputs = common.classification_head(x, include_top, pooling, classes,
                                         classifier_activation)
  return common.finish(inputs, outputs, name, endpoints, features_only,
                       resolved)


def model_name(scheme: str, variant: str, gap: bool = False,
               width: float = 1.0) -> str:
  """The registered name of a configuration, e.g. "vgg16_hc_cifar_psc4"."""
  parts = ["vgg16"]
  if width == 0.5:
    parts.append("hc")
  elif width != 1.0:
    parts.append(f"w{width:g}")
  if variant != "imagenet":
    parts.append(variant)
  if scheme != "dense":
    parts.append(scheme)
  if gap:
    parts.append("gap")
  return "_".join(parts)


def _register(scheme: str, variant: str, gap: bool, width: float,
              rows: Tuple[PaperRow, ...], description: str) -> None:
  name = model_name(scheme, variant, gap, width)
  spec = VARIANTS[variant]
  info = ModelInfo(
      name=name, family="vgg", scheme=scheme, dataset=spec.dataset,
      input_shape=spec.input_shape, classes=spec.classes,
      preprocessing=spec.preprocessing, rows=rows,
      baseline=(None if scheme == "dense" else
                model_name("dense", variant, gap, width)),
      description=description)

  def entry_point(**kwargs):
    kwargs.setdefault("width", width)
    return vgg16(scheme=scheme, variant=variant, gap=gap, name=name, **kwargs)
  entry_point.__name__ = name
  entry_point.__doc__ = (f"{description}; arguments as `vgg16` (without "
                         f"`scheme`, `variant`, `gap`).")
  register_model(info)(entry_point)


# Paper 003 gives VGG-16 only as reductions; the absolute multiply-adds of
# the dense VGG-16 at 224x224 (conv 15,346,630,656 + FC 123,633,664) turn
# them into counts.
_VGG16_IMAGENET_MACS = 15_470_264_320

_SCFUSION_ROWS = {
    "scfusion8": (PaperRow(
        paper="003", table="Table 5", row="VGG-16 scFusion-8 (Ours)",
        flops=_VGG16_IMAGENET_MACS / 4.64,
        note="the table gives FLOPs 4.64x lower than VGG-16; 15.470 G "
             "multiply-adds of the dense VGG-16 (FC layers included) / "
             "4.64. The reduction of the convolutions alone is 4.78x, so "
             "the table counts the whole network."),),
}


def _psc_rows(table: str, kss: int, params: float, flops: float,
              flops_mismatch: str) -> Tuple[PaperRow, ...]:
  row = f"VGG16_pSC{kss}"
  if not flops_mismatch:
    return (PaperRow(paper="004", table=table, row=row, params=params,
                     flops=flops),)
  return (
      PaperRow(paper="004", table=table, row=row, params=params,
               note="FLOPs: see the mismatched row of the same model"),
      PaperRow(paper="004", table=table, row=row, flops=flops,
               mismatch=flops_mismatch),
  )


_CIFAR_FLOPS_MISMATCH = (
    "Table IV's sparse FLOPs cannot come from the model its parameters "
    "describe. Any VGG16 whose 3x3 convolutions scale with KSS has FLOPs = "
    "A + B*KSS with A >= 18.9 M (the FC 512-4096-4096-10 head the 33.65 M "
    "parameters require); pSC9 = 333 M then gives B <= 34.9 M and pSC4 >= "
    "158.5 M, not 145 M. The sparse rows fit A = 18.9 M and 9B = 283 M = "
    "313.2 M of convolutions minus conv1_1 (1.8 M) and the three 2x2 conv5 "
    "layers (28.3 M): pSC4 18.9 + 283.1*4/9 = 144.7 M, pSC2 81.8 M, so the "
    "paper left those layers out of its sparse counts (the parameter "
    "reductions include them). Ours: pSC4 159.1 M (+9.7 %), pSC2 89.9 M "
    "(+9.6 %).")
_TINY_FLOPS_MISMATCH = (
    "Table V's sparse FLOPs leave out conv1_1 and the conv5 layers, as in "
    "Table IV: 26.0 M (FC 2048-4096-4096-200) + (1252.8 - 7.1 - 113.2 M "
    "of convolutions)*KSS/9 gives pSC4 529 M and pSC2 278 M, the table's "
    "528 M and 277 M, while pSC9 counts every layer (1.28 G). A fixed "
    "VGG16 whose convolutions scale with KSS gives 1278.8 M / 586.7 M "
    "(+11.1 %) / 309.9 M (+11.9 %).")

_PSC_ROWS = {
    ("cifar", 9): _psc_rows("Table IV", 9, 33.65e6, 0.333e9, ""),
    ("cifar", 4): _psc_rows("Table IV", 4, 25.47e6, 0.145e9,
                            _CIFAR_FLOPS_MISMATCH),
    ("cifar", 2): _psc_rows("Table IV", 2, 22.20e6, 0.082e9,
                            _CIFAR_FLOPS_MISMATCH),
    ("tiny", 9): _psc_rows("Table V", 9, 40.72e6, 1.28e9, ""),
    ("tiny", 4): _psc_rows("Table V", 4, 32.54e6, 0.528e9,
                           _TINY_FLOPS_MISMATCH),
    ("tiny", 2): _psc_rows("Table V", 2, 29.28e6, 0.277e9,
                           _TINY_FLOPS_MISMATCH),
}


def _register_all() -> None:
  for gap in (False, True):
    suffix = " with the GAP localization head" if gap else ""
    _register("dense", "imagenet", gap, 1.0, (), f"VGG-16{suffix}")
    for alpha in (2, 4, 8):
      scheme = f"scfusion{alpha}"
      rows = () if gap else _SCFUSION_ROWS.get(scheme, ())
      _register(scheme, "imagenet", gap, 1.0, rows,
                f"VGG-16 scFusion-{alpha}{suffix} (paper 003)")
  datasets = {"cifar": "CIFAR-10", "tiny": "Tiny ImageNet"}
  for variant, label in datasets.items():
    for width, hc in ((1.0, ""), (0.5, "_HC")):
      _register("dense", variant, False, width,
                () if hc else _PSC_ROWS[(variant, 9)],
                f"VGG16{hc} for {label} (paper 004's standard model)")
      for kss in (9, 4, 2):
        _register(f"psc{kss}", variant, False, width,
                  () if hc else _PSC_ROWS[(variant, kss)],
                  f"VGG16{hc}_pSC{kss} for {label} (paper 004)")


_register_all()
