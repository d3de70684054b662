"""The sparse convolution op: plans, the op wrapper, and its TF reference.

    plan = spatial_sc_plan(3, 64, 64)          # SW-SC, paper 000
    y = sparse_conv2d(x, packed_weights, plan, strides=1, padding="SAME")

`sparse_conv2d` runs the compiled op when the library is built (`make
build`) and falls back to a pure-TensorFlow shift-and-multiply otherwise.
"""

from sparsezoo_tf.ops.loader import FORCE_REFERENCE_ENV
from sparsezoo_tf.ops.loader import built_with_cuda
from sparsezoo_tf.ops.loader import library_path
from sparsezoo_tf.ops.loader import load_library
from sparsezoo_tf.ops.loader import op_available
from sparsezoo_tf.ops.loader import unavailable_reason
from sparsezoo_tf.ops.plan import SparseConvPlan
from sparsezoo_tf.ops.plan import compile_plan
from sparsezoo_tf.ops.plans import channel_sc_plan
from sparsezoo_tf.ops.plans import dense_plan
from sparsezoo_tf.ops.plans import group_plan
from sparsezoo_tf.ops.plans import psconv_plan
from sparsezoo_tf.ops.plans import single_shape_plan
from sparsezoo_tf.ops.plans import spatial_channel_sc_plan
from sparsezoo_tf.ops.plans import spatial_sc_plan
from sparsezoo_tf.ops.reference import reference_sparse_conv2d
from sparsezoo_tf.ops.sparse_conv import IMPLEMENTATIONS
from sparsezoo_tf.ops.sparse_conv import resolve_implementation
from sparsezoo_tf.ops.sparse_conv import sparse_conv2d

__all__ = [
    "FORCE_REFERENCE_ENV", "IMPLEMENTATIONS", "SparseConvPlan", "built_with_cuda",
    "channel_sc_plan", "compile_plan", "dense_plan", "group_plan",
    "library_path", "load_library", "op_available", "psconv_plan",
    "reference_sparse_conv2d", "resolve_implementation", "single_shape_plan",
    "spatial_channel_sc_plan", "spatial_sc_plan", "sparse_conv2d",
    "unavailable_reason",
]
