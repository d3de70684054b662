"""Keras layers (`tf_keras`) of the five papers' sparse-kernel schemes.

Every layer holds only the weights that exist, so `count_params()` is the
true parameter count, and computes through `sparsezoo_tf.ops` (the custom op
or its pure-TF fallback; `implementation=` chooses).
"""

from sparsezoo_tf.layers.base import SparseConv2DBase
from sparsezoo_tf.layers.psconv import PSConv2D
from sparsezoo_tf.layers.scfusion import SCFusion
from sparsezoo_tf.layers.sparse_complementary import SC_MODES
from sparsezoo_tf.layers.sparse_complementary import SparseComplementaryConv2D

__all__ = [
    "PSConv2D", "SC_MODES", "SCFusion", "SparseComplementaryConv2D", "SparseConv2DBase",
]
