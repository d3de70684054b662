"""The papers' table rows each zoo model reproduces, apart from the code
that builds the models.

One module per family; each holds `ROWS`, a dict from a registered model's
name to its `PaperRow`s (params and FLOPs as printed, how a row was read,
and why a row cannot match where it cannot). `register_model` attaches
`ROWS[name]` to the model's `ModelInfo`, and the zoo's table tests check
every row against the built model.
"""

from typing import Dict, Tuple

from sparsezoo_tf.models.info import PaperRow
from sparsezoo_tf.models.paper_rows import densenet
from sparsezoo_tf.models.paper_rows import igc
from sparsezoo_tf.models.paper_rows import resnet
from sparsezoo_tf.models.paper_rows import resnet_cifar
from sparsezoo_tf.models.paper_rows import sparse_kernel_nets
from sparsezoo_tf.models.paper_rows import vgg


def _merge(*tables: Dict[str, Tuple[PaperRow, ...]]
           ) -> Dict[str, Tuple[PaperRow, ...]]:
  merged = {}
  for table in tables:
    for name, rows in table.items():
      if name in merged:
        raise ValueError(f"paper rows of {name!r} are given twice")
      merged[name] = tuple(rows)
  return merged


ROWS = _merge(densenet.ROWS, igc.ROWS, resnet.ROWS, resnet_cifar.ROWS,
              sparse_kernel_nets.ROWS, vgg.ROWS)
