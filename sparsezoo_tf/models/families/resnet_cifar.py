"""CIFAR and Tiny ImageNet ResNets of papers 000, 003 and 004.

`resnet_cifar`: the pre-activation ResNet of depth 6n + 2 (He et al.
2016b) that papers 000 and 003 use on CIFAR: a 3x3 stem with BN-ReLU, three
stages of n basic blocks (16, 32, 64 channels times w; stride 2 at the
first block of stages 2 and 3, with a dense 1x1 projection shortcut), a
final BN-ReLU, global pooling and the classifier. Paper 000 Table 8 pins
it down: ResNet-164 has basic blocks (n = 27: "only 3x3 convolutional
layers", 2.62 M parameters, 380.6 M multiply-adds), the multiply-adds of
every row include the 1x1 projections, and the widths are 16 w, 32 w, 64 w
unrounded (21, 42, 84 for w = 1.3125; SW-SC of odd width ends on a "+").

`resnet18_small`: the ResNet18 of paper 004 (section IV-B): a dense 3x3
stem (stride 1, no max pool), four stages of two post-activation basic
blocks (64, 128, 256, 512 channels times w; w = 0.5 is "HC"), 1x1
down-sampling shortcuts with BN, and the classifier on the flattened 4x4
average pool of the last map. At the 64 x 64 Tiny ImageNet input that
pool leaves 2 x 2 x 512 features for the 200-way layer: Table III's 11.58 M
parameters (a global pool would give 11.27 M).

Default heads: Table 8 of paper 000 prints one parameter column for its
C10 and C100 results, sometimes the 100-class model's count; the models
whose row only the 100-class head matches (resnet50_cifar_sc,
resnet110_cifar_sc_comb, resnet164_cifar; and resnet50_cifar, the
baseline of the first) default to 100 classes, the others to 10.
"""

import math
from typing import Optional, Sequence

import tf_keras as keras

from sparsezoo_tf.models import common
from sparsezoo_tf.models import convs
from sparsezoo_tf.models.families import resnet
from sparsezoo_tf.models.registry import ModelInfo
from sparsezoo_tf.models.registry import PaperRow

CIFAR_SHAPE = (32, 32, 3)
TINY_SHAPE = (64, 64, 3)
CIFAR_WIDTHS = (16, 32, 64)
SMALL_WIDTHS = (64, 128, 256, 512)
SMALL_DATASETS = {"cifar10": (CIFAR_SHAPE, 10), "tiny_imagenet": (TINY_SHAPE,
                                                                   200)}
SMALL_NAMES = {"cifar10": "cifar", "tiny_imagenet": "tiny"}
# The 4x4 average pool before paper 004's classifier.
SMALL_HEAD_POOL = 4


def _level(stride: int) -> str:
  return str(int(math.log2(stride)))


def _preact_block(x, policy: convs.ConvPolicy, width: int, strides: int,
                  name: str, preactivated: bool):
  if preactivated:
    preact = x
  else:
    preact = resnet.batch_norm(f"{name}_preact_bn")(x)
    preact = keras.layers.ReLU(name=f"{name}_preact_relu")(preact)
  shortcut = x
  if strides != 1 or x.shape[-1] != width:
    shortcut = resnet.conv(policy, width, 1, strides, f"{name}_0_conv",
                           role="shortcut")(preact)
  y = resnet.conv_bn(preact, policy, width, 3, strides, f"{name}_1")
  y = resnet.conv(policy, width, 3, 1, f"{name}_2_conv")(y)
  return keras.layers.Add(name=f"{name}_out")([shortcut, y])


def resnet_cifar(depth: int,
                 scheme: str = "dense",
                 width: float = 1.0,
                 include_top: bool = True,
                 weights: Optional[str] = None,
                 input_tensor=None,
                 input_shape=None,
                 pooling: Optional[str] = None,
                 classes: int = 10,
                 classifier_activation="softmax",
                 implementation: str = "auto",
                 features_only: bool = False,
                 name: Optional[str] = None) -> keras.Model:
  """A pre-activation CIFAR ResNet of depth 6n + 2 using `scheme`.

  Args:
    depth: 6n + 2 (32, 50, 110, 164, 194, 290, ...).
    scheme: "dense", "sc", "sc_comb", "sc_seq" or "scfusion<alpha>".
    width: multiplier of the stem and of every block convolution.
    include_top, weights, input_tensor, input_shape, pooling, classes,
      classifier_activation: as in Keras Applications.
    implementation: "auto", "op" or "reference" for the sparse layers.
    features_only: return the endpoints {'0', '1', '2'} (strides 1, 2, 4).
    name: the model name.

  Returns:
    The Keras model.
  """
  if (isinstance(depth, bool) or not isinstance(depth, int) or depth < 8 or
      (depth - 2) % 6):
    raise ValueError(f"depth must be 6n + 2 with n >= 1, got {depth!r}")
  width = resnet.check_width(width)
  name = name or f"resnet{depth}_cifar" + ("" if scheme == "dense" else
                                           f"_{scheme}")
  resolved = common.check_arguments(name, weights, include_top, classes,
                                    pooling, classifier_activation)
  inputs, x = common.image_input(input_tensor, input_shape, CIFAR_SHAPE,
                                 min_size=4)
  policy = convs.make_policy(scheme, implementation=implementation)
  multiple = resnet.channel_multiple(policy)
  widths = [resnet.scaled(base, width, multiple) for base in CIFAR_WIDTHS]
  x = resnet.conv_bn(x, policy, widths[0], 3, 1, "conv1", role="stem")
  endpoints, stride = {}, 1
  for stage, stage_width in enumerate(widths):
    for index in range((depth - 2) // 6):
      strides = 2 if stage > 0 and index == 0 else 1
      stride *= strides
      x = _preact_block(x, policy, stage_width, strides,
                        f"conv{stage + 2}_block{index + 1}",
                        preactivated=stage == 0 and index == 0)
    endpoints[_level(stride)] = x
  x = resnet.batch_norm("post_bn")(x)
  x = keras.layers.ReLU(name="post_relu")(x)
  endpoints[_level(stride)] = x
  outputs = common.classification_head(x, include_top, pooling, classes,
                                       classifier_activation)
  return common.finish(inputs, outputs, name, endpoints, features_only,
                       resolved)


def _small_head(x, dataset: str, include_top: bool, pooling: Optional[str],
                classes: int, classifier_activation):
  if not include_top or dataset == "cifar10":
    return common.classification_head(x, include_top, pooling, classes,
                                       classifier_activation)
  x = keras.layers.AveragePooling2D(SMALL_HEAD_POOL, name="avg_pool")(x)
  x = keras.layers.Flatten(name="flatten")(x)
  return keras.layers.Dense(classes, activation=classifier_activation,
                            name="predictions")(x)


def resnet18_small(dataset: str = "cifar10",
                   scheme: str = "dense",
                   width: float = 1.0,
                   include_top: bool = True,
                   weights: Optional[str] = None,
                   input_tensor=None,
                   input_shape=None,
                   pooling: Optional[str] = None,
                   classes: Optional[int] = None,
                   classifier_activation="softmax",
                   implementation: str = "auto",
                   seed: int = 0,
                   features_only: bool = False,
                   name: Optional[str] = None) -> keras.Model:
  """Paper 004's ResNet18 for CIFAR-10 (32 x 32) or Tiny ImageNet (64 x 64).

  Args:
    dataset: "cifar10" or "tiny_imagenet" (input size, classes and head).
    scheme: "dense" or "psc<kss>" (pSConv on every 3x3 but the stem).
    width: channel multiplier (0.5 is the paper's "HC").
    include_top, weights, input_tensor, input_shape, pooling, classes,
      classifier_activation: as in Keras Applications (classes defaults to
      10 or 200). With `include_top`, Tiny ImageNet needs 64 x 64 inputs
      (the classifier reads the flattened 2 x 2 pooled map) unless
      `features_only`.
    implementation: "auto", "op" or "reference" for the sparse layers.
    seed: added to the per-layer seeds of the pSConv supports.
    features_only: return the endpoints {'0'..'3'} (strides 1 to 8).
    name: the model name.

  Returns:
    The Keras model.
  """
  if dataset not in SMALL_DATASETS:
    raise ValueError(f"dataset must be one of {sorted(SMALL_DATASETS)}, got "
                     f"{dataset!r}")
  default_shape, default_classes = SMALL_DATASETS[dataset]
  classes = default_classes if classes is None else classes
  width = resnet.check_width(width)
  name = name or f"resnet18_{SMALL_NAMES[dataset]}" + (
      "" if scheme == "dense" else f"_{scheme}")
  resolved = common.check_arguments(name, weights, include_top, classes,
                                    pooling, classifier_activation)
  head = include_top and not features_only
  fixed_size = head and dataset == "tiny_imagenet"
  inputs, x = common.image_input(input_tensor, input_shape, default_shape,
                                 min_size=8, fixed_size=fixed_size)
  policy = convs.make_policy(scheme, implementation=implementation, seed=seed)
  widths = [resnet.scaled(base, width, 1) for base in SMALL_WIDTHS]
  x = resnet.conv_bn(x, policy, widths[0], 3, 1, "conv1", role="stem")
  endpoints, stride = {"0": x}, 1
  for stage, stage_width in enumerate(widths):
    for index in range(2):
      strides = 2 if stage > 0 and index == 0 else 1
      stride *= strides
      x = resnet.residual_block(x, policy, stage_width, strides, False,
                                f"conv{stage + 2}_block{index + 1}",
                                zero_gamma=False)
    endpoints[_level(stride)] = x
  outputs = _small_head(x, dataset, head, pooling, classes,
                        classifier_activation)
  return common.finish(inputs, outputs, name, endpoints, features_only,
                       resolved)


def _split_row(paper: str, table: str, label: str, params: float,
               flops: float, mismatch: str, note: str = "") -> list:
  """Splits a row with one unmatched column into one PaperRow per column.

  The unmatched column's row carries the `mismatch` reason.

  Args:
    paper, table, label, note: as in `PaperRow`.
    params, flops: the row's columns (absolute).
    mismatch: "params" or "flops", followed by ": " and the reason.

  Returns:
    The two rows, the matched column first.
  """
  column, _, reason = mismatch.partition(": ")
  matched = dict(params=None, flops=flops) if column == "params" else dict(
      params=params, flops=None)
  unmatched = dict(params=params, flops=None) if column == "params" else dict(
      params=None, flops=flops)
  return [PaperRow(paper=paper, table=table, row=label, note=note, **matched),
          PaperRow(paper=paper, table=table, row=f"{label} ({column})",
                   note=note, mismatch=reason, **unmatched)]


def _cifar_info(name: str, scheme: str, classes: int, rows: Sequence[PaperRow],
                baseline: Optional[str], description: str) -> ModelInfo:
  dataset = f"cifar{classes}"
  return ModelInfo(name=name, family="resnet", scheme=scheme, dataset=dataset,
                   input_shape=CIFAR_SHAPE, classes=classes,
                   preprocessing=dataset, rows=tuple(rows), baseline=baseline,
                   description=description)


# Paper 000 Table 8 (one parameter column for its C10 and C100 columns):
# (depth, scheme, w, name suffix, label, params, multiply-adds, classes).
# The default head is the one whose parameter count the table printed.
_TABLE_8 = (
    (32, "dense", 1.0, "", "ResNet-32", 0.47e6, 69.1e6, 10),
    (50, "sc", 1.0, "_sc", "ResNet-50-sc (w = 1.0)", 0.43e6, 62.3e6, 100),
    (32, "sc_comb", 1.875, "_sc_comb", "ResNet-32-sc-comb (w = 1.875)",
     0.47e6, 68.6e6, 10),
    (32, "sc", 1.0, "_sc_w1", "ResNet-32-sc (w = 1.0)", 0.26e6, 38.7e6, 10),
    (32, "sc", 1.3125, "_sc", "ResNet-32-sc (w = 1.3125)", 0.45e6, 66.5e6,
     10),
    (110, "dense", 1.0, "", "ResNet-110", 1.73e6, 253.1e6, 10),
    (194, "sc", 1.0, "_sc", "ResNet-194-sc (w = 1.0)", 1.73e6, 251.1e6, 10),
    (110, "sc_comb", 1.875, "_sc_comb", "ResNet-110-sc-comb (w = 1.875)",
     1.72e6, 248.3e6, 100),
    (110, "sc", 1.0, "_sc_w1", "ResNet-110-sc (w = 1.0)", 0.966e6, 141.0e6,
     10),
    (110, "sc", 1.3125, "_sc", "ResNet-110-sc (w = 1.3125)", 1.66e6, 242.6e6,
     10),
    (164, "dense", 1.0, "", "ResNet-164", 2.62e6, 380.6e6, 100),
    (290, "sc", 1.0, "_sc", "ResNet-290-sc (w = 1.0)", 2.59e6, 376.9e6, 10),
    (164, "sc_comb", 1.875, "_sc_comb", "ResNet-164-sc-comb (w = 1.875)",
     2.57e6, 372.7e6, 10),
    (164, "sc", 1.0, "_sc_w1", "ResNet-164-sc (w = 1.0)", 1.46e6, 211.7e6,
     10),
    (164, "sc", 1.3125, "_sc", "ResNet-164-sc (w = 1.3125)", 2.50e6, 364.6e6,
     10),
)
_TABLE_8_NOTES = {
    "resnet50_cifar_sc": "params are the 100-class model's: 430,388 (+0.09 "
                         "%); 10 classes give 424,538 (-1.3 %)",
    "resnet110_cifar_sc_comb": "params are the 100-class model's: 1,715,590 "
                               "(-0.26 %); 10 classes give 1,704,700 (-0.89 "
                               "%)",
    "resnet164_cifar": "params are the 100-class model's: 2,611,316 (-0.33 "
                       "%); 10 classes give 2,605,466 (-0.56 %)",
}
# Paper 003 Table 3 (CIFAR-10): reductions against the baseline, as
# (FLOPs, total params); rows are our dense baseline (10 classes) divided by
# them: resnet32_cifar 466,714 / 69,124,736, resnet164_cifar 2,605,466 /
# 380,551,808.
_TABLE_3_BASELINES = {32: (466_714, 69_124_736), 164: (2_605_466,
                                                       380_551_808)}
_TABLE_3 = {(32, 2): (1.26, 1.25, 369_434), (32, 4): (2.45, 2.39, 187_674),
            (164, 2): (1.28, 1.27, 2_035_098),
            (164, 4): (2.56, 2.51, 1_025_434)}


def _register_cifar(depth: int, scheme: str, width: float, suffix: str,
                    classes: int, rows: Sequence[PaperRow],
                    description: str) -> None:
  name = f"resnet{depth}_cifar{suffix}"
  baseline = None if scheme == "dense" else f"resnet{depth}_cifar"
  resnet.register(name, resnet_cifar,
                  _cifar_info(name, scheme, classes, rows, baseline,
                              description),
                  {"depth": depth, "scheme": scheme},
                  {"width": width, "classes": classes})


def _table_8_rows(name: str, label: str, params: float,
                  flops: float) -> list:
  """Table 8 prints parameters in millions with two decimals (three for
  0.966): ResNet-32's 466,714 is its "0.47"."""
  decimals = max(2, len(f"{params / 1e6:.10g}".partition(".")[2]))
  return [PaperRow(paper="000", table="Table 8", row=label, params=params,
                   flops=flops, note=_TABLE_8_NOTES.get(name, ""),
                   params_unit=10.0**(6 - decimals))]


def _table_3_rows(depth: int, alpha: int) -> list:
  flops_ratio, params_ratio, ours = _TABLE_3[(depth, alpha)]
  base_params, base_flops = _TABLE_3_BASELINES[depth]
  params = base_params / params_ratio
  reason = (f"params: {params_ratio}x fewer than our baseline's "
            f"{base_params:,} is {params:,.0f}; ours has {ours:,} "
            f"({base_params / ours:.3f}x). The FLOPs ratio matches; no "
            f"reading found (option-A shortcuts, sparse stem, convolution "
            f"biases) gives the table's parameter ratios for both depths")
  return _split_row(
      "003", "Table 3", f"ResNet-{depth} scFusion-{alpha}", params,
      base_flops / flops_ratio, reason,
      note=f"the table gives reductions only ({flops_ratio}x FLOPs, "
           f"{params_ratio}x params); rows are our dense resnet{depth}_cifar "
           f"({base_params:,} params, {base_flops:,} multiply-adds) divided "
           f"by them")


_SCHEME_TEXT = {"dense": "pre-activation", "sc": "SW-SC on every 3x3",
                "sc_comb": "SW-SC + CW-SC on every 3x3",
                "sc_seq": "alternating whole + and x layers (Table 4)"}


def _register_all_cifar() -> None:
  for depth, scheme, width, suffix, label, params, flops, classes in _TABLE_8:
    name = f"resnet{depth}_cifar{suffix}"
    _register_cifar(depth, scheme, width, suffix, classes,
                    _table_8_rows(name, label, params, flops),
                    f"CIFAR ResNet-{depth}, w = {width:g}: "
                    f"{_SCHEME_TEXT[scheme]} (paper 000)")
  for depth, classes in ((50, 100), (194, 10), (290, 10)):
    _register_cifar(depth, "dense", 1.0, "", classes, (),
                    f"CIFAR ResNet-{depth}, pre-activation (paper 000's "
                    f"equal-FLOPs -sc baseline)")
  for depth in (32, 110, 164):
    _register_cifar(depth, "sc_seq", 1.3125, "_sc_seq", 10, (),
                    f"CIFAR ResNet-{depth}-sc-seq, w = 1.3125: "
                    f"{_SCHEME_TEXT['sc_seq']} (paper 000)")
  for (depth, alpha) in _TABLE_3:
    _register_cifar(depth, f"scfusion{alpha}", 1.0, f"_scfusion{alpha}", 10,
                    _table_3_rows(depth, alpha),
                    f"CIFAR ResNet-{depth} scFusion-{alpha} (paper 003)")


# Paper 004 Tables II (CIFAR-10) and III (Tiny ImageNet): (dataset, HC) ->
# {KSS: (params, FLOPs)}; KSS 9 is the dense ResNet18.
_TABLES_004 = {
    ("cifar10", False): {9: (11.17e6, 0.559e9), 4: (5.07e6, 0.227e9),
                         2: (2.63e6, 0.117e9)},
    ("cifar10", True): {9: (2.8e6, 0.136e9), 4: (1.27e6, 0.056e9),
                        2: (0.66e6, 0.030e9)},
    ("tiny_imagenet", False): {9: (11.58e6, 2.22e9), 4: (5.47e6, 0.902e9),
                               2: (3.03e6, 0.463e9)},
    ("tiny_imagenet", True): {9: (3.00e6, 0.561e9), 4: (1.47e6, 0.228e9),
                              2: (0.863e6, 0.117e9)},
}
# Multiply-adds of the layers pSConv leaves dense in our models (stem, 1x1
# shortcuts, classifier), and ours of the pSC4 / pSC2 models.
_DENSE_PART_004 = {("cifar10", False): 8_066_048, ("cifar10", True): 2_460_160,
                   ("tiny_imagenet", False): 32_653_312,
                   ("tiny_imagenet", True): 10_035_200}
_OURS_004 = {("cifar10", False): {4: 251_335_680, 2: 129_700_864},
             ("cifar10", True): {4: 63_277_568, 2: 32_868_864},
             ("tiny_imagenet", False): {4: 1_005_731_840, 2: 519_192_576},
             ("tiny_imagenet", True): {4: 253_304_832, 2: 131_670_016}}
def _table_004_rows(dataset: str, hc: bool, kss: int) -> list:
  table = "Table II" if dataset == "cifar10" else "Table III"
  label = f"ResNet18{'_HC' if hc else ''}_pSC{kss}"
  columns = _TABLES_004[(dataset, hc)]
  params, flops = columns[kss]
  if kss == 9:
    return [PaperRow(paper="004", table=table, row=label, params=params,
                     flops=flops, note="pSC9 (KSS 9 of 9) is the dense "
                     "ResNet18")]
  dense_flops = columns[9][1]
  kept = _DENSE_PART_004[(dataset, hc)]
  expected = (dense_flops - kept) * kss / 9 + kept
  ours = _OURS_004[(dataset, hc)][kss]
  reason = (f"flops: the paper's Table I formula (H W C_in C_out KSS) "
            f"applied to the table's own pSC9 row ({dense_flops / 1e9:g} G) "
            f"gives {expected / 1e9:.4g} G ({kss}/9 of the 3x3 layers, "
            f"{kept:,} dense), the table prints {flops / 1e9:g} G "
            f"({flops / expected - 1:+.1%}); even with every layer sparse it "
            f"would be {dense_flops * kss / 9 / 1e9:.4g} G. Tables II and "
            f"III print pSC4 and pSC2 at 0.406 and 0.209 of pSC9 (kernel "
            f"densities 0.444 and 0.222). Ours: {ours:,} "
            f"({ours / flops - 1:+.1%}); the parameters match")
  return _split_row("004", table, label, params, flops, reason)


def _register_all_small() -> None:
  for (dataset, hc) in _TABLES_004:
    dense = f"resnet18{'_hc' if hc else ''}_{SMALL_NAMES[dataset]}"
    shape, classes = SMALL_DATASETS[dataset]
    for scheme, kss in (("dense", 9), ("psc9", 9), ("psc4", 4), ("psc2", 2)):
      name = dense if scheme == "dense" else f"{dense}_{scheme}"
      info = ModelInfo(
          name=name, family="resnet", scheme=scheme, dataset=dataset,
          input_shape=shape, classes=classes, preprocessing=dataset,
          rows=tuple(_table_004_rows(dataset, hc, kss)),
          baseline=None if scheme == "dense" else dense,
          description=(f"ResNet18{' HC' if hc else ''} for {dataset}"
                       f"{'' if scheme == 'dense' else f', pSConv KSS {kss}'}"
                       f" (paper 004)"))
      resnet.register(name, resnet18_small, info,
                      {"dataset": dataset, "scheme": scheme},
                      {"width": 0.5 if hc else 1.0})


_register_all_cifar()
_register_all_small()
