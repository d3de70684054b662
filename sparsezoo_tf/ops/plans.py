"""Plan constructors for the patterns of the five papers.

Plans are immutable, so each constructor remembers the plans it built:
the many layers of a model that share a shape share one plan.
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
  """SW-SC and CW-SC combined ("-comb", paper 000 Table 8)."""
  return compile_plan(
      patterns.spatial_channel_sc(kernel_size, in_channels, out_channels))


@_memoized
def single_shape_plan(kernel_size, in_channels: int, out_channels: int,
                      shape: str) -> SparseConvPlan:
  """One SW-SC shape ("plus" or "cross") everywhere: the "-seq" layers."""
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


PATTERN_NAMES = ("dense", "sw_sc", "cw_sc", "sw_cw_sc", "seq_plus",
                 "seq_cross", "psconv<KSS>", "group<G>", "group<G>_shuffle")


def plan_from_name(name: str, kernel_size, in_channels: int,
                   out_channels: int, seed: int = 0) -> SparseConvPlan:
  """Builds a plan from a short pattern name (see PATTERN_NAMES), as used by
  the tools' flags: e.g. "sw_sc", "psconv4", "group4_shuffle"."""
  simple = {
      "dense": dense_plan,
      "sw_sc": spatial_sc_plan,
      "cw_sc": channel_sc_plan,
      "sw_cw_sc": spatial_channel_sc_plan,
  }
  if name in simple:
    return simple[name](kernel_size, in_channels, out_channels)
  if name in ("seq_plus", "seq_cross"):
    return single_shape_plan(kernel_size, in_channels, out_channels,
                             name[len("seq_"):])
  if name.startswith("psconv") and name[len("psconv"):].isdigit():
    return psconv_plan(kernel_size, in_channels, out_channels,
                       int(name[len("psconv"):]), seed=seed)
  base, _, suffix = name.partition("_")
  if (base.startswith("group") and base[len("group"):].isdigit() and
      suffix in ("", "shuffle")):
    return group_plan(kernel_size, in_channels, out_channels,
                      int(base[len("group"):]), shuffle=suffix == "shuffle")
  raise ValueError(f"unknown pattern name {name!r}; known: {PATTERN_NAMES}")
