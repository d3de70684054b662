"""Which weights exist: the kernel supports of the five papers' schemes.

Every function returns a boolean support [k_rows, k_cols, in_channels,
out_channels] (True = the weight exists), in NumPy, without TensorFlow.
"""

from sparsezoo_tf.patterns.grouped import dense
from sparsezoo_tf.patterns.grouped import grouped
from sparsezoo_tf.patterns.grouped import shuffle_permutation
from sparsezoo_tf.patterns.psconv import covers_every_position
from sparsezoo_tf.patterns.psconv import kernel_support_sizes
from sparsezoo_tf.patterns.psconv import period_for as psconv_period
from sparsezoo_tf.patterns.psconv import periodic_patterns
from sparsezoo_tf.patterns.psconv import periodic_support
from sparsezoo_tf.patterns.psconv import psconv
from sparsezoo_tf.patterns.sparse_complementary import channel_sc
from sparsezoo_tf.patterns.sparse_complementary import single_shape
from sparsezoo_tf.patterns.sparse_complementary import spatial_channel_sc
from sparsezoo_tf.patterns.sparse_complementary import spatial_sc
from sparsezoo_tf.patterns.sparse_complementary import sw_sc_masks

__all__ = [
    "channel_sc", "covers_every_position", "dense", "grouped",
    "kernel_support_sizes", "periodic_patterns", "periodic_support", "psconv",
    "psconv_period", "shuffle_permutation",
    "single_shape",
    "spatial_channel_sc", "spatial_sc", "sw_sc_masks",
]
