"""Interleaved group convolutions: IGC-V2 and its baselines (paper 002).

An IGC-V2 block is y = P_L W_L ... P_1 W_1 x: a channel-wise k x k
convolution (W_1, branches of K_1 = 1 channel) followed by L - 1 group 1x1
convolutions with K channels per branch, each followed by the interleave
[C/K, K] -> [K, C/K]. That interleave rotates the digits of the channel
index written in base K, so each group convolution mixes a digit the
previous ones did not: with prod K_l = C (the complementary condition,
Condition 1) every output is connected to every input by exactly one path.
"""

import dataclasses
import math
from typing import List, Optional

import tf_keras as keras

from sparsezoo_tf.layers import base
from sparsezoo_tf.layers import kernel_sequence
from sparsezoo_tf.layers.kernel_sequence import KernelStep


@dataclasses.dataclass(frozen=True)
class IGCV2Structure:
  """The hyper-parameters of an IGC-V2 block of the recommended form.

  Attributes:
    channels: C, the block's width.
    num_group_convs: L, including the channel-wise convolution.
    branch_channels: K, channels per branch of the L - 1 group 1x1
      convolutions.
    kernel_area: S = k * k of the channel-wise convolution.
  """
  channels: int
  num_group_convs: int
  branch_channels: int
  kernel_area: int = 9

  @property
  def complementary(self) -> bool:
    """prod K_l == C with K_1 = 1: the complementary condition."""
    return self.branch_channels**(self.num_group_convs - 1) == self.channels

  @property
  def params_per_pixel(self) -> int:
    """Q = C S + C (L - 1) K (Eq. 7 with K_1 = 1), without the shortcut."""
    return self.channels * (self.kernel_area + (self.num_group_convs - 1) *
                            self.branch_channels)


def _integer_root(value: int, degree: int) -> Optional[int]:
  root = round(value**(1.0 / degree))
  for candidate in (root - 1, root, root + 1):
    if candidate >= 1 and candidate**degree == value:
      return candidate
  return None


def _nearest_divisor(value: int, target: float) -> int:
  divisors = [d for d in range(1, value + 1) if value % d == 0]
  return min(divisors, key=lambda d: (abs(math.log(d / target)), d))


def igcv2_structure(channels: int,
                    kernel_size: int = 3,
                    num_group_convs: Optional[int] = None,
                    branch_channels: Optional[int] = None) -> IGCV2Structure:
  """Derives (L, K) of an IGC-V2 block from the balance condition.

  The recommended form (paper 002, section 3.2, "Examples") has a
  channel-wise convolution and L - 1 group 1x1 convolutions, balanced when
  K_2 = ... = K_L = C^(1 / (L - 1)).

  - Only `channels`: the complementary (L, K) with the fewest parameters.
  - `branch_channels` K: L = ceil(log_K C) + 1 (Table 1's IGC-V2*).
  - `num_group_convs` L: the divisor of C nearest to C^(1 / (L - 1)).
  - Both: taken as given.

  Args:
    channels: C.
    kernel_size: k of the channel-wise convolution.
    num_group_convs: L >= 2, or None.
    branch_channels: K >= 2 dividing C, or None.

  Returns:
    An `IGCV2Structure`; its `complementary` says whether K^(L-1) == C.

  Raises:
    ValueError: for impossible settings (K not dividing C, L < 2, ...).
  """
  channels = base.positive_int("channels", channels)
  area = base.positive_int("kernel_size", kernel_size)**2
  if num_group_convs is not None:
    num_group_convs = base.positive_int("num_group_convs", num_group_convs)
    if num_group_convs < 2:
      raise ValueError(f"num_group_convs (L) counts the channel-wise "
                       f"convolution and at least one group 1x1 "
                       f"convolution: it must be >= 2, got {num_group_convs}")
  if branch_channels is not None:
    branch_channels = base.positive_int("branch_channels", branch_channels)
    if channels % branch_channels:
      raise ValueError(f"branch_channels={branch_channels} does not divide "
                       f"channels={channels}: the group 1x1 convolutions "
                       f"need equal branches")
  if branch_channels is not None and num_group_convs is not None:
    return IGCV2Structure(channels, num_group_convs, branch_channels, area)
  if branch_channels is not None:
    if branch_channels == 1:
      raise ValueError("branch_channels=1 never mixes channels; use K >= 2")
    pointwise = max(1, math.ceil(math.log(channels, branch_channels) - 1e-9))
    return IGCV2Structure(channels, pointwise + 1, branch_channels, area)
  if num_group_convs is not None:
    target = channels**(1.0 / (num_group_convs - 1))
    return IGCV2Structure(channels, num_group_convs,
                          _nearest_divisor(channels, target), area)
  candidates = []
  for pointwise in range(1, max(1, int(math.log2(channels))) + 1):
    root = _integer_root(channels, pointwise)
    if root is not None and (root > 1 or channels == 1):
      candidates.append(IGCV2Structure(channels, pointwise + 1, root, area))
  return min(candidates, key=lambda s: (s.params_per_pixel,
                                        s.num_group_convs))


def check_complementary(structure: IGCV2Structure) -> None:
  """Raises ValueError when the block violates the complementary condition
  (K^(L-1) != C), saying what would satisfy it."""
  if structure.complementary:
    return
  product = structure.branch_channels**(structure.num_group_convs - 1)
  raise ValueError(
      f"IGC-V2 with C={structure.channels}, L={structure.num_group_convs}, "
      f"K={structure.branch_channels} violates the complementary condition: "
      f"K^(L-1) = {product} != C. Choose C = K^(L-1), or pass "
      f"require_complementary=False for a (nearly) complementary block")


@keras.utils.register_keras_serializable(package="sparsezoo_tf")
class IGCV2Block(kernel_sequence.KernelSequence):
  """IGC-V2 block (paper 002, section 3.2 and Table 1): channel-wise k x k
  convolution, then L - 1 group 1x1 convolutions with K channels per
  branch, interleaved; batch norm after each.

  (L, K) default to the balance condition (`igcv2_structure`): give
  `branch_channels` (IGC-V2*: K = 8, L = ceil(log_8 C) + 1) or
  `num_group_convs` (IGC-V2 (Cx): L = 3), or both. The last group
  convolution maps to `filters` channels with the same number of branches.

  Args:
    filters: output channels; a multiple of C / K.
    kernel_size: k of the channel-wise convolution.
    branch_channels: K, or None.
    num_group_convs: L (including the channel-wise one), or None.
    strides: stride of the channel-wise convolution.
    require_complementary: raise ValueError at build unless K^(L-1) == C.
    **kwargs: as `KernelSequence` (batch_norm, activation, use_bias,
      initializers, regularizer, implementation, name, ...).
  """

  def __init__(self, filters, kernel_size=3, branch_channels=None,
               num_group_convs=None, strides=1, require_complementary=False,
               **kwargs):
    super().__init__(**kwargs)
    self.filters = base.positive_int("filters", filters)
    self.kernel_size = base.positive_int("kernel_size", kernel_size)
    self.branch_channels = (None if branch_channels is None else
                            base.positive_int("branch_channels",
                                              branch_channels))
    self.num_group_convs = num_group_convs
    self.strides = base.positive_int("strides", strides)
    self.require_complementary = bool(require_complementary)
    if num_group_convs is not None and (
        base.positive_int("num_group_convs", num_group_convs) < 2):
      raise ValueError(f"num_group_convs (L) must be >= 2, got "
                       f"{num_group_convs}")

  def structure(self, in_channels: int) -> IGCV2Structure:
    """The (L, K) this block uses on `in_channels` inputs."""
    return igcv2_structure(in_channels, self.kernel_size,
                           self.num_group_convs, self.branch_channels)

  def make_steps(self, in_channels: int) -> List[KernelStep]:
    structure = self.structure(in_channels)
    if self.require_complementary:
      check_complementary(structure)
    groups = in_channels // structure.branch_channels
    if self.filters % groups:
      raise ValueError(
          f"IGCV2Block: the last group convolution has {groups} branches "
          f"(C={in_channels} / K={structure.branch_channels}), which "
          f"filters={self.filters} cannot split evenly")
    steps = [KernelStep("dw", kernel_size=self.kernel_size,
                        strides=self.strides)]
    pointwise = structure.num_group_convs - 1
    for index in range(pointwise):
      last = index == pointwise - 1
      steps.append(KernelStep(
          "pwgconv" if groups > 1 else "pw",
          filters=self.filters if last else in_channels, groups=groups,
          shuffle=not last and groups > 1))
    return steps

  def get_config(self):
    config = super().get_config()
    config.update({
        "filters": self.filters,
        "kernel_size": self.kernel_size,
        "branch_channels": self.branch_channels,
        "num_group_convs": self.num_group_convs,
        "strides": self.strides,
        "require_complementary": self.require_complementary,
    })
    return config


@keras.utils.register_keras_serializable(package="sparsezoo_tf")
class IGCV1Block(kernel_sequence.KernelSequence):
  """IGC-V1 block, the baseline of paper 002 (Table 1, after Zhang et al.
  2017): a primary group k x k convolution with C / M branches of M
  channels, the interleave, and a secondary group 1x1 convolution with
  `secondary_groups` branches; batch norm after each. With M ==
  secondary_groups (the paper's M = 2) the pair is complementary.

  Args:
    filters: output channels, a multiple of `secondary_groups`.
    kernel_size: k of the primary convolution.
    primary_branch_channels: M, channels per primary branch.
    secondary_groups: branches of the secondary 1x1 convolution.
    strides: stride of the primary convolution.
    **kwargs: as `KernelSequence`.
  """

  def __init__(self, filters, kernel_size=3, primary_branch_channels=2,
               secondary_groups=2, strides=1, **kwargs):
    super().__init__(**kwargs)
    self.filters = base.positive_int("filters", filters)
    self.kernel_size = base.positive_int("kernel_size", kernel_size)
    self.primary_branch_channels = base.positive_int(
        "primary_branch_channels", primary_branch_channels)
    self.secondary_groups = base.positive_int("secondary_groups",
                                              secondary_groups)
    self.strides = base.positive_int("strides", strides)
    if self.filters % self.secondary_groups:
      raise ValueError(f"IGCV1Block: filters={self.filters} is not divisible "
                       f"by secondary_groups={self.secondary_groups}")

  def make_steps(self, in_channels: int) -> List[KernelStep]:
    if in_channels % self.primary_branch_channels:
      raise ValueError(
          f"IGCV1Block: {in_channels} input channels cannot form branches "
          f"of primary_branch_channels={self.primary_branch_channels}")
    primary_groups = in_channels // self.primary_branch_channels
    return [
        KernelStep("gconv", filters=in_channels, groups=primary_groups,
                   kernel_size=self.kernel_size, strides=self.strides,
                   shuffle=primary_groups > 1),
        KernelStep("pwgconv", filters=self.filters,
                   groups=self.secondary_groups),
    ]

  def get_config(self):
    config = super().get_config()
    config.update({
        "filters": self.filters,
        "kernel_size": self.kernel_size,
        "primary_branch_channels": self.primary_branch_channels,
        "secondary_groups": self.secondary_groups,
        "strides": self.strides,
    })
    return config


@keras.utils.register_keras_serializable(package="sparsezoo_tf")
class XceptionBlock(kernel_sequence.KernelSequence):
  """Xception block, the baseline of paper 002 (Table 1): a channel-wise
  k x k convolution and a dense 1x1 convolution, batch norm after each
  (the same unit as paper 001's DW+PW).

  Args:
    filters: output channels.
    kernel_size: k of the channel-wise convolution.
    strides: its stride.
    **kwargs: as `KernelSequence`.
  """

  def __init__(self, filters, kernel_size=3, strides=1, **kwargs):
    super().__init__(**kwargs)
    self.filters = base.positive_int("filters", filters)
    self.kernel_size = base.positive_int("kernel_size", kernel_size)
    self.strides = base.positive_int("strides", strides)

  def make_steps(self, in_channels: int) -> List[KernelStep]:
    del in_channels
    return [KernelStep("dw", kernel_size=self.kernel_size,
                       strides=self.strides),
            KernelStep("pw", filters=self.filters)]

  def get_config(self):
    config = super().get_config()
    config.update({"filters": self.filters, "kernel_size": self.kernel_size,
                   "strides": self.strides})
    return config
