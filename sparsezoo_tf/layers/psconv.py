"""Pre-defined sparse kernels of fixed support size (pSConv, paper 004)."""

from typing import List, Optional

import numpy as np
import tf_keras as keras

from sparsezoo_tf import ops
from sparsezoo_tf import patterns
from sparsezoo_tf.layers import base
from sparsezoo_tf.patterns.psconv import LAYOUTS as PSCONV_LAYOUTS


@keras.utils.register_keras_serializable(package="sparsezoo_tf")
class PSConv2D(base.SparseConv2DBase):
  """pSConv (paper 004, section III): every k x k 2-D kernel keeps `kss`
  positions chosen pseudo-randomly from `seed` before training, and within
  every filter each position is used by at least one 2-D kernel.

  `kss = k * k` is a dense convolution. The support is saved with the layer:
  for the periodic layouts ("shifted", "channel"; see
  `sparsezoo_tf.patterns.psconv`) `get_config` records its tap sets
  (`support_taps`), so a reloaded layer computes exactly the same function
  whatever NumPy's random streams do; for "random" it records the support's
  fingerprint and a reload that draws another support is an error.

  Args:
    filters: output channels.
    kernel_size: int or (rows, cols).
    kss: kernel support size, 1 <= kss <= rows * cols.
    seed: seed of the support.
    layout: "shifted" (default, fast), "channel" or "random" (the paper's
      unstructured support; correct, slow).
    support_taps: tap sets of a periodic layout, as saved by `get_config`;
      None draws them from the seed.
    support_fingerprint: as saved by `get_config` for "random".
    **kwargs: as `SparseConv2DBase`.
  """

  def __init__(self, filters, kernel_size=3, kss=4, seed=0,
               layout="shifted", support_taps: Optional[List[List[int]]] = None,
               support_fingerprint: Optional[str] = None, **kwargs):
    super().__init__(filters, kernel_size, **kwargs)
    taps = self.kernel_size[0] * self.kernel_size[1]
    if isinstance(kss, bool) or not isinstance(kss, (int, np.integer)) or (
        not 1 <= kss <= taps):
      raise ValueError(
          f"kss (kernel support size) must be an int in [1, {taps}] for a "
          f"{self.kernel_size[0]}x{self.kernel_size[1]} kernel, got {kss!r}")
    if layout not in PSCONV_LAYOUTS:
      raise ValueError(f"layout must be one of {PSCONV_LAYOUTS}, "
                       f"got {layout!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
      raise ValueError(f"seed must be an int, got {seed!r}")
    self.kss = int(kss)
    self.seed = int(seed)
    self.layout = layout
    self.support_taps = self._checked_taps(support_taps)
    self.support_fingerprint = support_fingerprint

  def _checked_taps(self, support_taps):
    if support_taps is None:
      return None
    if self.layout == "random":
      raise ValueError("support_taps is for the periodic layouts; the "
                       "'random' layout is reproduced from its seed")
    taps = self.kernel_size[0] * self.kernel_size[1]
    checked = []
    for row in support_taps:
      row = sorted(int(t) for t in row)
      if len(row) != self.kss or len(set(row)) != self.kss or not all(
          0 <= t < taps for t in row):
        raise ValueError(f"support_taps rows must be {self.kss} distinct "
                         f"taps in [0, {taps}), got {row}")
      checked.append(row)
    covered = set().union(*checked) if checked else set()
    if len(covered) != taps:
      raise ValueError(f"support_taps do not cover all {taps} kernel "
                       f"positions (the coverage constraint)")
    return checked

  def _tap_sets(self, in_channels: int) -> np.ndarray:
    taps = self.kernel_size[0] * self.kernel_size[1]
    if self.support_taps is None:
      return patterns.periodic_patterns(self.kernel_size, in_channels,
                                        self.filters, self.kss, self.seed)
    sets = np.zeros((len(self.support_taps), taps), dtype=bool)
    for row, chosen in enumerate(self.support_taps):
      sets[row, chosen] = True
    return sets

  def make_plan(self, in_channels: int) -> ops.SparseConvPlan:
    if self.layout == "random":
      plan = ops.psconv_plan(self.kernel_size, in_channels, self.filters,
                             self.kss, seed=self.seed, layout="random")
      if (self.support_fingerprint is not None and
          plan.fingerprint() != self.support_fingerprint):
        raise ValueError(
            f"{self.name}: the 'random' pSConv support drawn from seed "
            f"{self.seed} (fingerprint {plan.fingerprint()}) is not the one "
            f"this layer was saved with ({self.support_fingerprint}); this "
            f"NumPy draws other random numbers. Use layout='shifted' or "
            f"'channel', whose supports are saved explicitly.")
      self.support_fingerprint = plan.fingerprint()
      return plan
    needed = -(-self.kernel_size[0] * self.kernel_size[1] // self.kss)
    if in_channels < needed:
      raise ValueError(
          f"{self.name}: {in_channels} input channels are too few for "
          f"kss={self.kss}: the 2-D kernels of a filter cannot cover all "
          f"positions (need at least {needed})")
    tap_sets = self._tap_sets(in_channels)
    support = patterns.periodic_support(self.kernel_size, in_channels,
                                        self.filters, tap_sets, self.layout)
    self.support_taps = [np.flatnonzero(row).tolist() for row in tap_sets]
    return ops.compile_plan(support)

  def get_config(self):
    config = super().get_config()
    config.update({
        "kss": self.kss,
        "seed": self.seed,
        "layout": self.layout,
        "support_taps": self.support_taps,
        "support_fingerprint": (self.support_fingerprint
                                if self.layout == "random" else None),
    })
    return config
