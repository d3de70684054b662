"""Keras layers (`tf_keras`) of the five papers' sparse-kernel schemes.

Every layer holds only the weights that exist, so `count_params()` is the
true parameter count, and computes through `sparsezoo_tf.ops` (the custom op
or its pure-TF fallback; `implementation=` chooses).
"""

from sparsezoo_tf.layers.base import SparseConv2DBase
from sparsezoo_tf.layers.grouped import ChannelShuffle
from sparsezoo_tf.layers.grouped import GroupConv2D
from sparsezoo_tf.layers.igc import check_complementary
from sparsezoo_tf.layers.igc import IGCV1Block
from sparsezoo_tf.layers.igc import IGCV2Block
from sparsezoo_tf.layers.igc import IGCV2Structure
from sparsezoo_tf.layers.igc import igcv2_structure
from sparsezoo_tf.layers.igc import XceptionBlock
from sparsezoo_tf.layers.kernel_sequence import KernelSequence
from sparsezoo_tf.layers.kernel_sequence import KernelStep
from sparsezoo_tf.layers.psconv import PSConv2D
from sparsezoo_tf.layers.scfusion import SCFusion
from sparsezoo_tf.layers.sparse_complementary import SC_MODES
from sparsezoo_tf.layers.sparse_complementary import SparseComplementaryConv2D
from sparsezoo_tf.layers.sparse_kernel_designs import design_steps
from sparsezoo_tf.layers.sparse_kernel_designs import FINAL_DESIGNS
from sparsezoo_tf.layers.sparse_kernel_designs import parse_design
from sparsezoo_tf.layers.sparse_kernel_designs import SparseKernelBlock

__all__ = [
    "ChannelShuffle", "FINAL_DESIGNS", "GroupConv2D", "IGCV1Block",
    "IGCV2Block", "IGCV2Structure", "KernelSequence", "KernelStep",
    "PSConv2D", "SC_MODES", "SCFusion", "SparseComplementaryConv2D",
    "SparseConv2DBase", "SparseKernelBlock", "XceptionBlock",
    "check_complementary", "design_steps", "igcv2_structure", "parse_design",
]
