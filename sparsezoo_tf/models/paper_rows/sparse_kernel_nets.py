"""Paper rows of the sparse kernel networks (paper 001, Tables 2, 3 and 4).

The rows give #Params only; ours are `analysis.count_model`'s trainable
parameters. A row within 0.5 % matches; the others carry our counts at the
network's B (and at B - 1 and B + 1, where we built them) in
`PaperRow.mismatch`, with why no B fits (see `families/sparse_kernel_nets.py`).
"""

from typing import Dict, Tuple

from sparsezoo_tf.models.info import PaperRow

_NO_COMMON_B = ("Tables 3-4 fit no common layout (module docstring); B is "
                "the nearest per network and still misses the row.")
_TABLE2 = ("No bottleneck ratio reproduces Table 2 with the B of its "
           "Depth column (module docstring).")

# By model: (B, our counts at B - 1, B, B + 1 (0: not given), rows as
# (table, label, #Params, note)).
_TABLES_3_4 = {
    "skn_standard_w64": (
        4, (8_372_648, 11_508_008, 14_643_368),
        (("Table 3", "Standard Convolution", 11.2e6,
          "B = 4 (ResNet-18 depth)"),
         ("Table 4", "ResNet (He et al., 2016a)", 11.2e6,
          "the standard unit network of Table 3 (same #Params and width)"))),
    "skn_dw_pw_w72": (
        1, (0, 810_496, 1_265_176),
        (("Table 3", "DW+PW", 0.8e6, "the 0.8 M row (width 72)"),)),
    "skn_dw_pw_w280": (
        2, (5_653_360, 12_371_960, 19_090_560),
        (("Table 3", "DW+PW", 11.2e6, "the 11.2 M row (width 280)"),
         ("Table 4", "Xception (Chollet, 2016)", 11.2e6,
          "the DW+PW network of Table 3"))),
    "skn_gconv4_pwgconv32_w128": (
        4, (8_236_904, 11_421_544, 14_606_184),
        (("Table 3", "GConv(4)+PWGConv(32)", 11.2e6, ""),)),
    "skn_gconv16_pwgconv16_w256": (
        3, (6_552_296, 10_049_256, 13_546_216),
        (("Table 3", "GConv(16)+PWGConv(16)", 11.3e6, ""),)),
    "skn_pw_dw_pw_w400": (
        1, (0, 8_364_100, 15_195_600),
        (("Table 3", "PW+DW+PW", 11.0e6, "bottleneck 1:4"),)),
    "skn_pwgconv4_dw_pwgconv4_w560": (
        2, (7_050_140, 10_426_240, 13_802_340),
        (("Table 3", "PWGConv(4)+DW+PWGConv(4)", 11.3e6, "bottleneck 1:4"),
         ("Table 4", "ShuffleNet (Zhang et al., 2017)", 11.3e6,
          "the PWGConv(4)+DW+PWGConv(4) network of Table 3 (4 groups)"))),
    "skn_gconv100_pwgconv2_w200": (
        4, (6_591_200, 8_609_200, 10_627_200),
        (("Table 4", "GConv(100)+PWGConv(2)", 8.6e6, "B = 4"),)),
    "skn_pwgconv100_dw_pwgconv2_w700": (
        1, (0, 11_691_500, 17_820_500),
        (("Table 4", "PWGConv(100)+DW+PWGConv(2)", 10.4e6,
          "inner width K = M N = 200 (F / 3.5): F / 4 = 175 is odd"),)),
    "skn_pw_conv_pw_w192": (
        3, (7_831_336, 11_169_256, 14_507_176),
        (("Table 4", "ResNet with bottleneck (He et al., 2016a)", 11.3e6,
          "bottleneck 1:4"),)),
    "skn_pw_gconv16_pw_w192": (
        3, (7_939_624, 11_525_224, 15_110_824),
        (("Table 4", "ResNeXt (Xie et al., 2017)", 11.1e6,
          "cardinality 16, bottleneck 1:2"),)),
}

_TABLE_2 = {
    "skn98_pw_gconv1_pw_w128": (
        8, (0, 12_740_200, 0),
        (("Table 2", "PW+GConv(1)+PW", 13.9e6,
          "depth 98, width 128: B = 8; bottleneck 1:4"),)),
    "skn98_pw_gconv32_pw_w256": (
        8, (0, 24_526_056, 0),
        (("Table 2", "PW+GConv(32)+PW", 13.9e6,
          "depth 98, width 256: B = 8; bottleneck 1:4"),)),
    "skn194_pw_gconv1_pw_w128": (
        16, (0, 24_623_720, 0),
        (("Table 2", "PW+GConv(1)+PW", 28.4e6,
          "depth 194, width 128: B = 16; bottleneck 1:4"),)),
    "skn98_pw_gconv1_pw_w200": (
        8, (0, 30_158_800, 0),
        (("Table 2", "PW+GConv(1)+PW", 28.4e6,
          "depth 98, width 200: B = 8; bottleneck 1:4"),)),
    "skn98_pw_gconv2_pw_w256": (
        8, (0, 36_276_456, 0),
        (("Table 2", "PW+GConv(2)+PW", 28.4e6,
          "depth 98, width 256: B = 8; bottleneck 1:4"),)),
    "skn98_pw_gconv64_pw_w512": (
        8, (0, 92_239_336, 0),
        (("Table 2", "PW+GConv(64)+PW", 28.4e6,
          "depth 98, width 512: B = 8; bottleneck 1:4"),)),
}


def _row(table: str, label: str, params: float, blocks: int,
         counts: Tuple[int, int, int], note: str, reason: str) -> PaperRow:
  """A #Params row; `counts` are ours at B - 1, B, B + 1 (0: not given)."""
  lower, ours, higher = counts
  if abs(ours / params - 1) <= 0.005:
    return PaperRow(paper="001", table=table, row=label, params=params,
                    note=note)
  neighbours = ", ".join(
      f"B = {b}: {count / 1e6:.2f} M" for b, count in
      ((blocks - 1, lower), (blocks + 1, higher)) if count)
  mismatch = (f"ours {ours:,} with B = {blocks} ({ours / params:.3f} x "
              f"the table's {params / 1e6:.1f} M)")
  if neighbours:
    mismatch += f"; {neighbours}"
  return PaperRow(paper="001", table=table, row=label, params=params,
                  note=note, mismatch=f"{mismatch}. {reason}")


def _rows(networks, reason: str) -> Dict[str, Tuple[PaperRow, ...]]:
  return {name: tuple(_row(table, label, params, blocks, counts, note, reason)
                      for table, label, params, note in rows)
          for name, (blocks, counts, rows) in networks.items()}


ROWS = {**_rows(_TABLES_3_4, _NO_COMMON_B), **_rows(_TABLE_2, _TABLE2)}

# Our parameter counts (count_model's trainable parameters) of the networks
# with rows, by name.
PARAMS: Dict[str, int] = {
    name: counts[1]
    for name, (_, counts, _) in {**_TABLES_3_4, **_TABLE_2}.items()}
