"""Paper rows of the CIFAR and Tiny ImageNet ResNets (papers 000, 003 and
004)."""

from typing import Tuple

from sparsezoo_tf.models.info import PaperRow


def _split_row(paper: str, table: str, label: str, params: float,
               flops: float, mismatch: str,
               note: str = "") -> Tuple[PaperRow, ...]:
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
  return (PaperRow(paper=paper, table=table, row=label, note=note, **matched),
          PaperRow(paper=paper, table=table, row=f"{label} ({column})",
                   note=note, mismatch=reason, **unmatched))


# Paper 000 Table 8 (one parameter column for its C10 and C100 columns):
# model -> (label, params, multiply-adds). The models' default heads are
# the ones whose parameter count the table printed.
_TABLE_8 = {
    "resnet32_cifar": ("ResNet-32", 0.47e6, 69.1e6),
    "resnet50_cifar_sc": ("ResNet-50-sc (w = 1.0)", 0.43e6, 62.3e6),
    "resnet32_cifar_sc_comb": ("ResNet-32-sc-comb (w = 1.875)", 0.47e6,
                               68.6e6),
    "resnet32_cifar_sc_w1": ("ResNet-32-sc (w = 1.0)", 0.26e6, 38.7e6),
    "resnet32_cifar_sc": ("ResNet-32-sc (w = 1.3125)", 0.45e6, 66.5e6),
    "resnet110_cifar": ("ResNet-110", 1.73e6, 253.1e6),
    "resnet194_cifar_sc": ("ResNet-194-sc (w = 1.0)", 1.73e6, 251.1e6),
    "resnet110_cifar_sc_comb": ("ResNet-110-sc-comb (w = 1.875)", 1.72e6,
                                248.3e6),
    "resnet110_cifar_sc_w1": ("ResNet-110-sc (w = 1.0)", 0.966e6, 141.0e6),
    "resnet110_cifar_sc": ("ResNet-110-sc (w = 1.3125)", 1.66e6, 242.6e6),
    "resnet164_cifar": ("ResNet-164", 2.62e6, 380.6e6),
    "resnet290_cifar_sc": ("ResNet-290-sc (w = 1.0)", 2.59e6, 376.9e6),
    "resnet164_cifar_sc_comb": ("ResNet-164-sc-comb (w = 1.875)", 2.57e6,
                                372.7e6),
    "resnet164_cifar_sc_w1": ("ResNet-164-sc (w = 1.0)", 1.46e6, 211.7e6),
    "resnet164_cifar_sc": ("ResNet-164-sc (w = 1.3125)", 2.50e6, 364.6e6),
}
_TABLE_8_NOTES = {
    "resnet50_cifar_sc": "params are the 100-class model's: 430,388 (+0.09 "
                         "%); 10 classes give 424,538 (-1.3 %)",
    "resnet110_cifar_sc_comb": "params are the 100-class model's: 1,715,590 "
                               "(-0.26 %); 10 classes give 1,704,700 (-0.89 "
                               "%)",
    "resnet164_cifar": "params are the 100-class model's: 2,611,316 (-0.33 "
                       "%); 10 classes give 2,605,466 (-0.56 %)",
}


def _table_8_rows(name: str, label: str, params: float,
                  flops: float) -> Tuple[PaperRow, ...]:
  """Table 8 prints parameters in millions with two decimals (three for
  0.966): ResNet-32's 466,714 is its "0.47"."""
  decimals = max(2, len(f"{params / 1e6:.10g}".partition(".")[2]))
  return (PaperRow(paper="000", table="Table 8", row=label, params=params,
                   flops=flops, note=_TABLE_8_NOTES.get(name, ""),
                   params_unit=10.0**(6 - decimals)),)


# Paper 003 Table 3 (CIFAR-10): reductions against the baseline, as
# (FLOPs, total params); rows are our dense baseline (10 classes) divided by
# them: resnet32_cifar 466,714 / 69,124,736, resnet164_cifar 2,605,466 /
# 380,551,808.
_TABLE_3_BASELINES = {32: (466_714, 69_124_736), 164: (2_605_466,
                                                       380_551_808)}
# (depth, alpha) -> (FLOPs reduction, params reduction, our params).
_TABLE_3 = {(32, 2): (1.26, 1.25, 369_434), (32, 4): (2.45, 2.39, 187_674),
            (164, 2): (1.28, 1.27, 2_035_098),
            (164, 4): (2.56, 2.51, 1_025_434)}


def _table_3_rows(depth: int, alpha: int) -> Tuple[PaperRow, ...]:
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
# The dense ResNet18 of each (dataset, HC).
_DENSE_004 = {("cifar10", False): "resnet18_cifar",
              ("cifar10", True): "resnet18_hc_cifar",
              ("tiny_imagenet", False): "resnet18_tiny",
              ("tiny_imagenet", True): "resnet18_hc_tiny"}
# Multiply-adds of the layers pSConv leaves dense in our models (stem, 1x1
# shortcuts, classifier), and ours of the pSC4 / pSC2 models.
_DENSE_PART_004 = {("cifar10", False): 8_066_048, ("cifar10", True): 2_460_160,
                   ("tiny_imagenet", False): 32_653_312,
                   ("tiny_imagenet", True): 10_035_200}
_OURS_004 = {("cifar10", False): {4: 251_335_680, 2: 129_700_864},
             ("cifar10", True): {4: 63_277_568, 2: 32_868_864},
             ("tiny_imagenet", False): {4: 1_005_731_840, 2: 519_192_576},
             ("tiny_imagenet", True): {4: 253_304_832, 2: 131_670_016}}


def _table_004_rows(dataset: str, hc: bool,
                    kss: int) -> Tuple[PaperRow, ...]:
  table = "Table II" if dataset == "cifar10" else "Table III"
  label = f"ResNet18{'_HC' if hc else ''}_pSC{kss}"
  columns = _TABLES_004[(dataset, hc)]
  params, flops = columns[kss]
  if kss == 9:
    return (PaperRow(paper="004", table=table, row=label, params=params,
                     flops=flops, note="pSC9 (KSS 9 of 9) is the dense "
                     "ResNet18"),)
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


ROWS = {name: _table_8_rows(name, *row) for name, row in _TABLE_8.items()}
ROWS.update({f"resnet{depth}_cifar_scfusion{alpha}":
             _table_3_rows(depth, alpha) for depth, alpha in _TABLE_3})
ROWS.update({f"{dense}{suffix}": _table_004_rows(dataset, hc, kss)
             for (dataset, hc), dense in _DENSE_004.items()
             for suffix, kss in (("", 9), ("_psc9", 9), ("_psc4", 4),
                                 ("_psc2", 2))})
