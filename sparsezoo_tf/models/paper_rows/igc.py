"""Paper rows of the IGC networks (paper 002, Tables 3, 4, 6 and 7).

Paper 002 counts the convolution weights only (no BN, no classifier) and
prints them in millions with two or three decimals; a row matches when our
count rounds to the printed value (see `families/igc.py`).
"""

from typing import Optional

from sparsezoo_tf.models.info import PaperRow


def _row(table: str, label: str, params_millions: str,
         flops: Optional[float], note: str = "") -> PaperRow:
  """A row whose parameters are printed in millions as `params_millions`
  (e.g. "0.056"): convolution weights, matched to the printed precision."""
  decimals = len(params_millions.partition(".")[2])
  return PaperRow(
      paper="002", table=table, row=label, params=float(params_millions) * 1e6,
      flops=flops, note=note, params_counted="convolutions",
      params_unit=10.0**(6 - decimals))


_NOTE_STAR = ("K = 8, L* = ceil(log_8 w) + 1 on each stage's width w (L* - 1 "
              "group 1x1 convolutions); stem 64")
_NOTE_XCEPTION_35 = "stem fixed at 35 channels (section 4.3)"
_NOTE_IGCV1 = "L = x / 2 primary branches in every stage"
_NOTE_IGCV2_C64 = "K_s1, K_s2, K_s3 = 8, 16, 32; L = 3"
_NOTE_IGCV2_C80 = "K_s1, K_s2, K_s3 = 10, 16, 20; L = 3"

ROWS = {
    "xception_c35_d8": (
        _row("Table 4", "Xception (C35), D=8", "0.056", 0.095e8),),
    "xception_c35_d20": (
        _row("Table 4", "Xception (C35), D=20", "0.168", 0.268e8),),
    "xception_c35_d26": (
        _row("Table 4", "Xception (C35), D=26", "0.223", 0.355e8),),
    "xception_c58_d20": (
        _row("Table 3", "Xception (C58)", "0.44", 0.67e8, _NOTE_XCEPTION_35),),
    "xception_c71_d20": (
        _row("Table 3", "Xception (C71)", "0.66", 0.98e8, _NOTE_XCEPTION_35),),
    "xception_c83_d20": (
        _row("Table 3", "Xception (C83)", "0.89", 1.31e8, _NOTE_XCEPTION_35),),
    "igcv1_c48_d8": (
        _row("Table 6", "IGC-V1 (C48), D=8", "0.046", 1.00e7, _NOTE_IGCV1),),
    "igcv1_c48_d20": (
        _row("Table 6", "IGC-V1 (C48), D=20", "0.151", 2.89e7, _NOTE_IGCV1),),
    "igcv1_c48_d26": (
        _row("Table 6", "IGC-V1 (C48), D=26", "0.203", 3.83e7, _NOTE_IGCV1),),
    "igcv1_c96_d20": (
        _row("Table 3", "IGC-V1 (C96)", "0.40", 0.82e8, _NOTE_IGCV1),),
    "igcv1_c126_d20": (
        _row("Table 3", "IGC-V1 (C126)", "0.60", 1.28e8, _NOTE_IGCV1),),
    "igcv1_c150_d20": (
        _row("Table 3", "IGC-V1 (C150)", "0.79", 1.72e8, _NOTE_IGCV1),),
    "igcv2_c64_d8": (
        _row("Table 4", "IGC-V2 (C64), D=8", "0.047", 0.095e8,
             _NOTE_IGCV2_C64),),
    "igcv2_c64_d20": (
        _row("Table 4", "IGC-V2 (C64), D=20", "0.149", 0.262e8,
             _NOTE_IGCV2_C64),),
    "igcv2_c64_d26": (
        _row("Table 4", "IGC-V2 (C64), D=26", "0.200", 0.346e8,
             _NOTE_IGCV2_C64),),
    "igcv2_c80_d8": (
        _row("Table 6", "IGC-V2 (C80), D=8", "0.046", 1.18e7,
             _NOTE_IGCV2_C80),),
    "igcv2_c80_d20": (
        _row("Table 6", "IGC-V2 (C80), D=20", "0.144", 3.20e7,
             _NOTE_IGCV2_C80),),
    "igcv2_c80_d26": (
        _row("Table 6", "IGC-V2 (C80), D=26", "0.193", 4.21e7,
             _NOTE_IGCV2_C80),),
    "igcv2star_c216_d20": (
        _row("Table 3", "IGC-V2* (C216)", "0.32", 0.76e8, _NOTE_STAR),),
    "igcv2star_c304_d20": (
        _row("Table 3", "IGC-V2* (C304)", "0.48", 1.12e8, _NOTE_STAR),),
    "igcv2star_c416_d20": (
        _row("Table 3", "IGC-V2* (C416)", "0.65", 1.52e8, _NOTE_STAR),
        _row("Table 7", "IGC-V2*-C416", "0.65", None, _NOTE_STAR)),
}
