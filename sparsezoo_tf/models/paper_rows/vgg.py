"""Paper rows of the VGG-16 models (papers 003 and 004)."""

from typing import Tuple

from sparsezoo_tf.models.info import PaperRow

# Paper 003 gives VGG-16 only as reductions; the absolute multiply-adds of
# the dense VGG-16 at 224x224 (conv 15,346,630,656 + FC 123,633,664) turn
# them into counts.
_VGG16_IMAGENET_MACS = 15_470_264_320


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

# Paper 004 Tables IV (CIFAR-10) and V (Tiny ImageNet). pSC9 (KSS 9 of 9)
# is the dense VGG16, so the dense model carries the pSC9 row too; the HC
# models have no rows.
_CIFAR_PSC9 = _psc_rows("Table IV", 9, 33.65e6, 0.333e9, "")
_TINY_PSC9 = _psc_rows("Table V", 9, 40.72e6, 1.28e9, "")

ROWS = {
    "vgg16_scfusion8": (PaperRow(
        paper="003", table="Table 5", row="VGG-16 scFusion-8 (Ours)",
        flops=_VGG16_IMAGENET_MACS / 4.64,
        note="the table gives FLOPs 4.64x lower than VGG-16; 15.470 G "
             "multiply-adds of the dense VGG-16 (FC layers included) / "
             "4.64. The reduction of the convolutions alone is 4.78x, so "
             "the table counts the whole network."),),
    "vgg16_cifar": _CIFAR_PSC9,
    "vgg16_cifar_psc9": _CIFAR_PSC9,
    "vgg16_cifar_psc4": _psc_rows("Table IV", 4, 25.47e6, 0.145e9,
                                  _CIFAR_FLOPS_MISMATCH),
    "vgg16_cifar_psc2": _psc_rows("Table IV", 2, 22.20e6, 0.082e9,
                                  _CIFAR_FLOPS_MISMATCH),
    "vgg16_tiny": _TINY_PSC9,
    "vgg16_tiny_psc9": _TINY_PSC9,
    "vgg16_tiny_psc4": _psc_rows("Table V", 4, 32.54e6, 0.528e9,
                                 _TINY_FLOPS_MISMATCH),
    "vgg16_tiny_psc2": _psc_rows("Table V", 2, 29.28e6, 0.277e9,
                                 _TINY_FLOPS_MISMATCH),
}
