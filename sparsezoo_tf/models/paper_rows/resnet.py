"""Paper rows of the ImageNet ResNets (papers 000 and 003)."""

from sparsezoo_tf.models.info import PaperRow

# Paper 000 Tables 6, 7 and 10: (table, label, params, multiply-adds), by
# model.
_PAPER_000 = {
    "resnet18": (("Table 7", "ResNet-18", 11.69e6, 1.81e9),
                 ("Table 10", "ResNet-18", 11.69e6, 1.81e9)),
    "resnet18_sc": (
        ("Table 7", "ResNet-18-sc (w = 1.3125) (Ours)", 11.51e6, 1.79e9),
        ("Table 10", "ResNet-18-sc (w = 1.3125)", 11.51e6, 1.79e9)),
    "resnet34": (("Table 10", "ResNet-34", 21.80e6, 3.66e9),),
    "resnet34_sc": (
        ("Table 10", "ResNet-34-sc (w = 1.3125)", 21.18e6, 3.56e9),),
    "resnet50": (("Table 6", "ResNet-50", 25.55e6, 4.09e9),
                 ("Table 10", "ResNet-50", 25.55e6, 4.09e9)),
    "resnet50_sc": (
        ("Table 6", "ResNet-50-sc (w = 1.28125) (Ours)", 25.25e6, 3.87e9),
        ("Table 10", "ResNet-50-sc (w = 1.28125)", 25.25e6, 3.87e9)),
    "resnet101": (("Table 10", "ResNet-101", 44.54e6, 7.80e9),),
    "resnet101_sc": (
        ("Table 10", "ResNet-101-sc (w = 1.3125)", 43.77e6, 7.45e9),),
    "resnet152": (("Table 10", "ResNet-152", 60.19e6, 11.51e9),),
    "resnet152_sc": (
        ("Table 10", "ResNet-152-sc (w = 1.34375)", 60.79e6, 11.35e9),),
}

# Paper 003 gives ratios only (Table 5: ResNet-34 scFusion-8 has 4.40x fewer
# FLOPs); the row divides our dense resnet34's multiply-adds by it.
_RESNET34_MULTIPLY_ADDS = 3_663_761_408
_SCFUSION8_FLOPS_REDUCTION = 4.40

ROWS = {
    name: tuple(PaperRow(paper="000", table=table, row=label, params=params,
                         flops=flops)
                for table, label, params, flops in rows)
    for name, rows in _PAPER_000.items()
}
ROWS["resnet34_scfusion8"] = (PaperRow(
    paper="003", table="Table 5", row="ResNet-34 scFusion-8 (Ours)",
    flops=_RESNET34_MULTIPLY_ADDS / _SCFUSION8_FLOPS_REDUCTION,
    note="the table gives the FLOPs reduction only (4.40x); flops = our "
         "dense resnet34 (3,663,761,408 multiply-adds) / 4.40"),)
