"""Pre-defined sparse kernels of fixed support size (pSConv, paper 004).

Every k x k 2-D kernel keeps `kss` positions, chosen pseudo-randomly from a
seed before training; within every filter each of the k^2 positions is used
by at least one of its 2-D kernels (the paper's coverage constraint).

Layouts:
  "shifted" (default): the support of 2-D kernel (c, o) is pattern
      [(c + o) mod P] of P patterns that together cover the kernel.
      Filters differ from each other, and every tap is a dense product over
      a set of input channels, which the op runs fast. P is the smallest
      period >= ceil(k^2 / kss) that splits the channels evenly (see
      `period_for`), so that the op's matrix products have equal sizes.
  "channel": pattern [c mod P], the same for every filter.
  "random": an independent random support per 2-D kernel, as in the
      paper's published code; correct but slow (many small blocks).
"""

import math

import numpy as np

from sparsezoo_tf.patterns import _checks

LAYOUTS = ("shifted", "channel", "random")


def covering_patterns(taps: int, kss: int, rng: np.random.Generator,
                      count: int = 0) -> np.ndarray:
  """Returns `count` (at least ceil(taps / kss)) boolean tap sets of size kss
  whose union is every tap: consecutive windows of a random tap order."""
  needed = math.ceil(taps / kss)
  count = max(count, needed)
  order = rng.permutation(taps)
  patterns = np.zeros((count, taps), dtype=bool)
  for p in range(count):
    if p < needed:
      chosen = order[(p * kss + np.arange(kss)) % taps]
    else:
      chosen = rng.choice(taps, size=kss, replace=False)
    patterns[p, chosen] = True
  return patterns


def period_for(taps: int, kss: int, in_channels: int,
               out_channels: int) -> int:
  """The period P of the periodic layouts.

  At least ceil(taps / kss) patterns are needed to cover every position;
  among the periods from there up to twice that, the smallest that divides
  both channel counts is taken, else the minimum.
  """
  needed = math.ceil(taps / kss)
  for period in range(needed, 2 * needed + 1):
    if (period <= in_channels and in_channels % period == 0 and
        out_channels % period == 0):
      return period
  return needed


def psconv(kernel_size, in_channels: int, out_channels: int, kss: int,
           seed: int = 0, layout: str = "shifted") -> np.ndarray:
  """pSConv support [k, k, C, K] with `kss` taps per 2-D kernel.

  Args:
    kernel_size: int or (rows, cols).
    in_channels: C; must be at least ceil(k^2 / kss) so that the 2-D
      kernels of one filter can cover every position.
    out_channels: K.
    kss: kernel support size, 1 <= kss <= rows * cols.
    seed: the same seed always gives the same support.
    layout: one of LAYOUTS.
  """
  rows, cols = _checks.kernel_pair(kernel_size)
  taps = rows * cols
  _checks.positive_int("in_channels", in_channels)
  _checks.positive_int("out_channels", out_channels)
  if isinstance(kss, bool) or not isinstance(kss, int) or not 1 <= kss <= taps:
    raise ValueError(
        f"kss (kernel support size) must be an int in [1, {taps}] for a "
        f"{rows}x{cols} kernel, got {kss!r}")
  if layout not in LAYOUTS:
    raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
  if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
    raise ValueError(f"seed must be an int, got {seed!r}")
  needed = math.ceil(taps / kss)
  if in_channels < needed:
    raise ValueError(
        f"in_channels={in_channels} is too few for kss={kss}: "
        f"{in_channels} kernels of {kss} taps cannot cover all {taps} "
        f"positions of a filter (need at least {needed} input channels)")
  rng = np.random.default_rng(int(seed))
  if layout == "random":
    support = np.zeros((out_channels, in_channels, taps), dtype=bool)
    for o in range(out_channels):
      chosen = rng.permutation(in_channels)
      support[o, chosen] = covering_patterns(taps, kss, rng, in_channels)
    return support.transpose(2, 1, 0).reshape(rows, cols, in_channels,
                                              out_channels)
  period = period_for(taps, kss, in_channels, out_channels)
  return periodic_support((rows, cols), in_channels, out_channels,
                          covering_patterns(taps, kss, rng, period), layout)


def periodic_patterns(kernel_size, in_channels: int, out_channels: int,
                      kss: int, seed: int = 0) -> np.ndarray:
  """The P boolean tap sets [P, k_rows * k_cols] that `psconv` draws for the
  periodic layouts ("shifted", "channel") from `seed`."""
  rows, cols = _checks.kernel_pair(kernel_size)
  taps = rows * cols
  period = period_for(taps, kss, in_channels, out_channels)
  return covering_patterns(taps, kss, np.random.default_rng(int(seed)),
                           period)


def periodic_support(kernel_size, in_channels: int, out_channels: int,
                     patterns: np.ndarray, layout: str) -> np.ndarray:
  """Support [k, k, C, K] of a periodic layout from its tap sets.

  2-D kernel (c, o) uses patterns[(c + o) mod P] ("shifted") or
  patterns[c mod P] ("channel").
  """
  rows, cols = _checks.kernel_pair(kernel_size)
  patterns = np.asarray(patterns, dtype=bool)
  if patterns.ndim != 2 or patterns.shape[1] != rows * cols:
    raise ValueError(f"patterns must be [P, {rows * cols}] for a "
                     f"{rows}x{cols} kernel, got shape {patterns.shape}")
  if layout not in ("shifted", "channel"):
    raise ValueError(f"periodic layouts are 'shifted' and 'channel', got "
                     f"{layout!r}")
  period = patterns.shape[0]
  c = np.arange(in_channels)[None, :]
  o = np.arange(out_channels)[:, None]
  if layout == "shifted":
    phase = (c + o) % period
  else:
    phase = np.broadcast_to(c % period, (out_channels, in_channels))
  support = patterns[phase]  # [K, C, taps]
  return support.transpose(2, 1, 0).reshape(rows, cols, in_channels,
                                            out_channels)


def kernel_support_sizes(support: np.ndarray) -> np.ndarray:
  """Number of taps of every 2-D kernel: [C, K]."""
  return np.asarray(support).sum(axis=(0, 1))


def covers_every_position(support: np.ndarray) -> bool:
  """The coverage constraint: every filter uses every kernel position."""
  return bool(np.asarray(support).any(axis=2).all())
