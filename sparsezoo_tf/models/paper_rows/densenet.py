"""Paper rows of the DenseNets (paper 000 Table 2, paper 003 Table 3)."""

from typing import Tuple

from sparsezoo_tf.models.info import PaperRow

# Paper 003 gives DenseNet-40 only as reductions; the dense DenseNet-40
# (k = 12) has 1,019,722 parameters and 264,812,928 multiply-adds at 32x32.
_DENSENET40_PARAMS = 1_019_722
_DENSENET40_MACS = 264_812_928


def _scfusion_row(alpha: int, flops_ratio: float,
                  params_ratio: float) -> Tuple[PaperRow, ...]:
  return (PaperRow(
      paper="003", table="Table 3", row=f"DenseNet-40 scFusion-{alpha}",
      params=_DENSENET40_PARAMS / params_ratio,
      flops=_DENSENET40_MACS / flops_ratio,
      note=f"the table gives reductions (FLOPs {flops_ratio}x, total "
           f"params {params_ratio}x); counts = dense DenseNet-40 (1,019,722 "
           f"params, 264.8 M multiply-adds) / reduction. Stem and "
           f"transitions dense."),)


ROWS = {
    "densenet121": (PaperRow(
        paper="000", table="Table 2", row="DenseNet-121 (k = 32)",
        params=7.97e6, flops=2.73e9,
        note="FLOPs extracted as '273' (x10^9): read 2.73; ours 2.83 G"),),
    "densenet121_sc": (PaperRow(
        paper="000", table="Table 2",
        row="DenseNet-121-sc (k = 32, w = 1.3125)", params=8.16e6,
        flops=2.75e9,
        note="k' = 42, stem 84, dense transitions (CW-SC transitions: "
             "7.58 M)"),),
    "densenet100_cifar": (PaperRow(
        paper="000", table="Table 2", row="DenseNet-121 (k = 12)",
        params=0.77e6,
        note="labelled DenseNet-121, but 0.77 M is DenseNet-BC-100 (k = 12, "
             "769,162); its FLOPs cell is unreadable in the extraction "
             "('0^'); ours 0.288 G"),),
    "densenet100_cifar_sc": (PaperRow(
        paper="000", table="Table 2",
        row="DenseNet-121-sc (k = 12, w = 1.375)", params=0.78e6,
        flops=0.30e9,
        note="DenseNet-BC-100 as its baseline row; k' = int(12 * 1.375) = "
             "16, stem 32, dense transitions (CW-SC transitions: 0.72 M)"),),
    "densenet40_cifar_scfusion2": _scfusion_row(2, 1.53, 1.60),
    "densenet40_cifar_scfusion4": _scfusion_row(4, 2.37, 2.62),
}
