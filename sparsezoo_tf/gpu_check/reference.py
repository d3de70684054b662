"""The independent reference of the GPU checks, and their error measures.

The reference is the dense convolution whose missing weights are zero (the
plan's `unpack`), computed in float64 with NumPy: forward, input gradient
and the weight gradient gathered at the packed weights. The harness uses
`torch.nn.functional.conv2d` in float64 instead when PyTorch is there; this
one serves CuPy-only machines and the CPU tests.
"""

from typing import Tuple

import numpy as np

from sparsezoo_tf.gpu_check.binding import Geometry
from sparsezoo_tf.ops import plan as plan_lib


def _tap_view(padded: np.ndarray, g: Geometry, ty: int, tx: int):
  """The padded-input pixels that tap (ty, tx) reads for every output
  pixel: a strided view [N, out_rows, out_cols, C]."""
  return padded[:, ty:ty + g.stride_rows * (g.out_rows - 1) + 1:g.stride_rows,
                tx:tx + g.stride_cols * (g.out_cols - 1) + 1:g.stride_cols, :]


def _pad(x: np.ndarray, g: Geometry) -> np.ndarray:
  return np.pad(x, ((0, 0), (g.pad_top, g.pad_bottom),
                    (g.pad_left, g.pad_right), (0, 0)))


def masked_dense_conv(x: np.ndarray, packed: np.ndarray,
                      plan: plan_lib.SparseConvPlan, g: Geometry,
                      out_backprop: np.ndarray
                      ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
  """Output, input gradient and packed weight gradient of the masked dense
  convolution, in float64. `out_backprop` is the output gradient."""
  x = np.asarray(x, np.float64)
  dy = np.asarray(out_backprop, np.float64)
  kernel = plan.unpack(np.asarray(packed, np.float64))
  padded = _pad(x, g)
  y = np.zeros(g.output_shape, np.float64)
  d_padded = np.zeros_like(padded)
  d_kernel = np.zeros_like(kernel)
  for ty in range(g.kernel_rows):
    for tx in range(g.kernel_cols):
      view = _tap_view(padded, g, ty, tx)
      y += view @ kernel[ty, tx]
      _tap_view(d_padded, g, ty, tx)[...] += dy @ kernel[ty, tx].T
      d_kernel[ty, tx] = np.einsum("nhwc,nhwk->ck", view, dy)
  dx = d_padded[:, g.pad_top:g.pad_top + g.in_rows,
                g.pad_left:g.pad_left + g.in_cols, :]
  return y, dx, d_kernel.reshape(-1)[plan.packed_index]


def relative_error(actual: np.ndarray, expected: np.ndarray) -> float:
  """||actual - expected|| / ||expected|| (Frobenius), in float64; inf when
  `actual` holds a NaN or an infinity or the shapes differ."""
  actual = np.asarray(actual, np.float64)
  expected = np.asarray(expected, np.float64)
  if actual.shape != expected.shape or not np.all(np.isfinite(actual)):
    return float("inf")
  scale = np.linalg.norm(expected)
  error = np.linalg.norm(actual - expected)
  if scale == 0.0:
    return float(error)
  return float(error / scale)


# Norm-wise relative tolerances: float32 arithmetic on float32 data; half
# types hold 11 (float16) and 8 (bfloat16) significant bits, so rounding
# the result alone costs about 2^-11 and 2^-8 relative.
TOLERANCES = {"float32": 1e-4, "float16": 3e-3, "bfloat16": 2e-2}


def to_bfloat16_bits(values: np.ndarray) -> np.ndarray:
  """float32 -> bfloat16 bit patterns (uint16), rounding to nearest even."""
  bits = np.ascontiguousarray(values, np.float32).view(np.uint32)
  rounding = ((bits >> 16) & 1) + np.uint32(0x7FFF)
  return ((bits + rounding) >> 16).astype(np.uint16)


def from_bfloat16_bits(bits: np.ndarray) -> np.ndarray:
  """bfloat16 bit patterns (uint16) -> float32."""
  return (np.asarray(bits, np.uint16).astype(np.uint32) << 16).view(
      np.float32)


def round_to(values: np.ndarray, dtype: str) -> np.ndarray:
  """`values` rounded to `dtype` and back to float32: the data a half-type
  kernel sees."""
  values = np.asarray(values, np.float32)
  if dtype == "float16":
    return values.astype(np.float16).astype(np.float32)
  if dtype == "bfloat16":
    return from_bfloat16_bits(to_bfloat16_bits(values))
  return values
