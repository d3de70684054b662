"""Pure-TensorFlow sparse convolution: the path used without the op library.

Shift-and-multiply in TF ops: every block multiplies the shifted (strided)
view of the padded input at its tap by its weight matrix; the products of
blocks with the same input and output ranges are summed, then the partial
outputs are summed per output-channel interval and concatenated. Only
existing weights are multiplied; gradients come from TF's autodiff.
(Concatenating the views of a bundle into one larger matmul was measured
slower: 1.61 against 1.22 of dense time for SW-SC at 8x28x28x256.)

Group convolutions (every group reads its own input range at every tap,
all groups alike) take a batched path instead: one einsum per tap over all
groups, so a depthwise layer of C channels is kh*kw ops, not kh*kw*C.
"""

import collections
import dataclasses
import weakref
from typing import Dict, List, Optional, Tuple

import numpy as np
import tensorflow as tf

from sparsezoo_tf.ops import plan as plan_lib


def output_size_and_padding(size, kernel: int, stride: int, padding: str):
  """TensorFlow's output size and (before, after) padding for one dimension.

  `size` may be a Python int or a scalar int32 tensor.
  """
  if padding == "VALID":
    return (size - kernel) // stride + 1, 0, 0
  out = (size + stride - 1) // stride
  if isinstance(size, int):
    total = max((out - 1) * stride + kernel - size, 0)
  else:
    total = tf.maximum((out - 1) * stride + kernel - size, 0)
  return out, total // 2, total - total // 2


def _dim(x: tf.Tensor, axis: int):
  static = x.shape[axis]
  return static if static is not None else tf.shape(x)[axis]


def _bundles(plan: plan_lib.SparseConvPlan) -> Dict[Tuple[int, int, int, int],
                                                     List[Tuple[int, int, int]]]:
  """(in_start, in_size, out_start, out_size) -> [(block, tap_y, tap_x)]."""
  bundles = collections.OrderedDict()
  for b, (ty, tx, c0, cn, k0, kn) in enumerate(plan.blocks.tolist()):
    bundles.setdefault((c0, cn, k0, kn), []).append((b, ty, tx))
  return bundles


def _block_weights(plan: plan_lib.SparseConvPlan, weights: tf.Tensor):
  """Block id -> its [in_size, out_size] weight matrix (a slice of weights)."""
  matrices = {}
  for group in plan.groups:
    matrix = tf.reshape(
        weights[group.offset:group.offset + group.in_size * group.columns],
        [group.in_size, group.columns])
    col = 0
    for b in group.block_ids:
      size = int(plan.blocks[b, plan_lib.OUT_SIZE])
      matrices[b] = matrix[:, col:col + size]
      col += size
  return matrices


@dataclasses.dataclass(frozen=True)
class _GroupedLayout:
  """A plan that is a plain group convolution (in plan channel order)."""
  groups: int
  in_size: int
  out_size: int
  taps: Tuple[Tuple[int, int], ...]
  # The packed weights, reshaped to [groups, in_size, taps, out_size], are
  # the per-tap matrices after a transpose (a gather would give sparse
  # gradients).


_GROUPED_LAYOUTS = weakref.WeakKeyDictionary()


def _block_weight_index(plan: plan_lib.SparseConvPlan) -> Dict[int, np.ndarray]:
  """Block id -> [in_size, out_size] positions of its weights in the packed
  vector (the layout of `_block_weights`)."""
  index = {}
  for group in plan.groups:
    matrix = group.offset + np.arange(group.in_size * group.columns).reshape(
        group.in_size, group.columns)
    col = 0
    for b in group.block_ids:
      size = int(plan.blocks[b, plan_lib.OUT_SIZE])
      index[b] = matrix[:, col:col + size]
      col += size
  return index


def _grouped_layout(plan: plan_lib.SparseConvPlan) -> Optional[_GroupedLayout]:
  """The plan's group-convolution layout, or None if it is not one."""
  if plan in _GROUPED_LAYOUTS:
    return _GROUPED_LAYOUTS[plan]
  layout = None
  blocks = plan.blocks
  cn, kn = int(blocks[0, plan_lib.IN_SIZE]), int(blocks[0, plan_lib.OUT_SIZE])
  groups = plan.in_channels // cn
  uniform = (groups > 1 and groups * cn == plan.in_channels and
             groups * kn == plan.out_channels and
             np.all(blocks[:, plan_lib.IN_SIZE] == cn) and
             np.all(blocks[:, plan_lib.OUT_SIZE] == kn) and
             np.all(blocks[:, plan_lib.IN_START] // cn ==
                    blocks[:, plan_lib.OUT_START] // kn) and
             np.all(blocks[:, plan_lib.IN_START] % cn == 0) and
             np.all(blocks[:, plan_lib.OUT_START] % kn == 0))
  if uniform:
    taps = sorted({(int(y), int(x)) for y, x in blocks[:, :2]})
    if len(blocks) == len(taps) * groups:
      by_position = {(int(b[0]), int(b[1]), int(b[2]) // cn): i
                     for i, b in enumerate(blocks)}
      weight_index = _block_weight_index(plan)
      index = np.stack([
          np.stack([weight_index[by_position[(ty, tx, g)]]
                    for g in range(groups)]) for ty, tx in taps])
      packed = np.arange(plan.num_weights).reshape(
          groups, cn, len(taps), kn).transpose(2, 0, 1, 3)
      if np.array_equal(index, packed):
        layout = _GroupedLayout(groups, cn, kn, tuple(taps))
  _GROUPED_LAYOUTS[plan] = layout
  return layout


# Plain Python over static plans: nothing for autograph to convert, and
# converting it dominated the time to build a model.
@tf.autograph.experimental.do_not_convert
def reference_sparse_conv2d(inputs: tf.Tensor, weights: tf.Tensor,
                            plan: plan_lib.SparseConvPlan,
                            strides: Tuple[int, int],
                            padding: str) -> tf.Tensor:
  """Computes the op's function with standard TF ops (arguments checked by
  the caller, `sparsezoo_tf.ops.sparse_conv2d`)."""
  kh, kw = plan.kernel_size
  sh, sw = strides
  x = inputs
  if not plan.in_perm_is_identity:
    x = tf.gather(x, plan.in_perm, axis=3)
  rows, pad_top, pad_bottom = output_size_and_padding(_dim(x, 1), kh, sh,
                                                      padding)
  cols, pad_left, pad_right = output_size_and_padding(_dim(x, 2), kw, sw,
                                                      padding)
  x = tf.pad(x, [[0, 0], [pad_top, pad_bottom], [pad_left, pad_right], [0, 0]])
  batch = _dim(x, 0)
  pixels = batch * rows * cols

  layout = _grouped_layout(plan)
  if layout is not None:
    y = _grouped_products(x, weights, layout, (rows, cols), strides, pixels)
  else:
    y = _block_products(x, weights, plan, (rows, cols), strides, pixels)
  y = tf.reshape(y, [batch, rows, cols, plan.out_channels])
  if not plan.out_perm_is_identity:
    y = tf.gather(y, np.argsort(plan.out_perm).astype(np.int32), axis=3)
  return y


def _tap_view(x, ty, tx, rows, cols, sh, sw):
  return x[:, ty:ty + (rows - 1) * sh + 1:sh, tx:tx + (cols - 1) * sw + 1:sw]


def _grouped_products(x, weights, layout: _GroupedLayout, size, strides,
                      pixels):
  """[pixels, out_channels]: one einsum over the groups per tap."""
  rows, cols = size
  matrices = tf.transpose(
      tf.reshape(weights, [layout.groups, layout.in_size, len(layout.taps),
                           layout.out_size]), [2, 0, 1, 3])
  products = []
  for t, (ty, tx) in enumerate(layout.taps):
    view = tf.reshape(_tap_view(x, ty, tx, rows, cols, *strides),
                      [pixels, layout.groups, layout.in_size])
    products.append(tf.einsum("pgc,gck->pgk", view, matrices[t]))
  product = products[0] if len(products) == 1 else tf.add_n(products)
  return tf.reshape(product, [pixels, layout.groups * layout.out_size])


def _block_products(x, weights, plan, size, strides, pixels):
  """[pixels, out_channels]: one matmul per block, summed per bundle."""
  rows, cols = size
  sh, sw = strides
  matrices = _block_weights(plan, weights)
  boundaries = sorted({0, plan.out_channels} |
                      set(plan.blocks[:, plan_lib.OUT_START].tolist()) |
                      set((plan.blocks[:, plan_lib.OUT_START] +
                           plan.blocks[:, plan_lib.OUT_SIZE]).tolist()))
  pieces = collections.defaultdict(list)  # interval start -> [tensor]
  for (c0, cn, k0, kn), members in _bundles(plan).items():
    views = []
    for _, ty, tx in members:
      view = _tap_view(x, ty, tx, rows, cols, sh, sw)[..., c0:c0 + cn]
      views.append(tf.reshape(view, [pixels, cn]))
    products = [tf.matmul(view, matrices[b])
                for view, (b, _, _) in zip(views, members)]
    product = products[0] if len(products) == 1 else tf.add_n(products)
    inside = [edge for edge in boundaries if k0 <= edge <= k0 + kn]
    for start, end in zip(inside[:-1], inside[1:]):
      pieces[start].append(product[:, start - k0:end - k0]
                           if (start, end) != (k0, k0 + kn) else product)
  columns = []
  for start, end in zip(boundaries[:-1], boundaries[1:]):
    parts = pieces.get(start)
    if parts:
      columns.append(parts[0] if len(parts) == 1 else tf.add_n(parts))
    else:
      columns.append(tf.zeros([pixels, end - start], dtype=x.dtype))
  return columns[0] if len(columns) == 1 else tf.concat(columns, axis=1)
