"""Plan constructors for the patterns of the five papers.

Plans are immutable, so each constructor remembers the plans it built:
the many layers of a model that share a shape share one plan. By name, a
scheme's plan is `sparsezoo_tf.schemes.plan_from_name`.
"""

import functools

from sparsezoo_tf import patterns
from sparsezoo_tf.ops.plan import SparseConvPlan
from sparsezoo_tf.ops.plan import compile_plan


def _memoized(constructor):
  """Caches a plan constructor; list kernel sizes become tuples."""
  cached = functools.lru_cache(maxsize=512)(constructor)

  @functools.wraps(constructor)
  def wrapper(kernel_size, *args, **kwargs):
    if isinstance(kernel_size, list):
      kernel_size = tuple(kernel_size)
    return cached(kernel_size, *args, **kwargs)
  wrapper.cache_clear = cached.cache_clear
  return wrapper


@_memoized
def dense_plan(kernel_size, in_channels: int,
               out_channels: int) -> SparseConvPlan:
  """A dense convolution as a plan (one block per tap)."""
  return compile_plan(patterns.dense(kernel_size, in_channels, out_channels))


@_memoized
def spatial_sc_plan(kernel_size, in_channels: int,
                    out_channels: int) -> SparseConvPlan:
  """SW-SC (paper 000): "+" kernels on even outputs, "x" on odd ones."""
  return compile_plan(
      patterns.spatial_sc(kernel_size, in_channels, out_channels))


@_memoized
def channel_sc_plan(kernel_size, in_channels: int,
                    out_channels: int) -> SparseConvPlan:
  """CW-SC (paper 000): the first half of the outputs reads the even
  inputs, the second half the odd ones (`patterns.channel_sc`)."""
  return compile_plan(
      patterns.channel_sc(kernel_size, in_channels, out_channels))


@_memoized
def spatial_channel_sc_plan(kernel_size, in_channels: int,
                            out_channels: int) -> SparseConvPlan:
  """SW-SC and CW-SC combined (scheme "sc_comb", paper 000 Table 8)."""
  return compile_plan(
      patterns.spatial_channel_sc(kernel_size, in_channels, out_channels))


@_memoized
def single_shape_plan(kernel_size, in_channels: int, out_channels: int,
                      shape: str) -> SparseConvPlan:
  """One SW-SC shape ("plus" or "cross") everywhere: the layers of the
  "sc_seq" scheme ("seq_plus", "seq_cross")."""
  return compile_plan(
      patterns.single_shape(kernel_size, in_channels, out_channels, shape))


@_memoized
def psconv_plan(kernel_size, in_channels: int, out_channels: int, kss: int,
                seed: int = 0, layout: str = "shifted") -> SparseConvPlan:
  """pSConv (paper 004): `kss` taps per 2-D kernel, seeded, with coverage."""
  return compile_plan(
      patterns.psconv(kernel_size, in_channels, out_channels, kss, seed,
                      layout))


@_memoized
def group_plan(kernel_size, in_channels: int, out_channels: int, groups: int,
               shuffle: bool = False) -> SparseConvPlan:
  """Group convolution, optionally fused with the following channel shuffle
  (IGC-V2, paper 002; PWGConv, paper 001)."""
  return compile_plan(
      patterns.grouped(kernel_size, in_channels, out_channels, groups,
                       shuffle))

