"""Sparse kernel designs of paper 001 ("Penetrating the Fog", section 3.2).

A design is written as the paper writes it, kernels joined by "+":
"conv" (standard k x k), "gconv<M>", "dw", "pw", "pwgconv<N>". The four
final designs are "dw+pw", "gconv<M>+pwgconv<N>", "pw+dw+pw" (bottleneck
1:4) and "pwgconv<M>+dw+pwgconv<N>"; Tables 2-4 also use "pw+gconv<M>+pw"
and the standard unit "conv".
"""

from typing import List, Optional

import tf_keras as keras

from sparsezoo_tf.layers import base
from sparsezoo_tf.layers import kernel_sequence
from sparsezoo_tf.layers.kernel_sequence import KernelStep
from sparsezoo_tf.patterns.designs import FINAL_DESIGNS  # noqa: F401
from sparsezoo_tf.patterns.designs import parse_design

def _mixes_channels(kind: str) -> bool:
  return kind != "dw"


def design_steps(design: str, in_channels: int, filters: int,
                 mid_channels: int, kernel_size: int = 3,
                 strides: int = 1) -> List[KernelStep]:
  """The `KernelStep`s of a design.

  Every kernel but the last outputs `mid_channels`; the last outputs
  `filters`. The stride goes to the first spatial kernel. A group kernel is
  followed by the channel interleave when the next channel-mixing kernel
  (depthwise ones are skipped) is a group kernel too, as designs 2 and 4
  need to keep the full information field.
  """
  kernels = parse_design(design)
  steps = []
  stride_pending = strides
  for index, (kind, groups) in enumerate(kernels):
    last = index == len(kernels) - 1
    spatial = kind in ("conv", "gconv", "dw")
    if kind in ("conv", "pw") or (kind in ("gconv", "pwgconv") and
                                  groups == 1):
      kind, groups = ("conv" if spatial else "pw"), 1
    following = [k for k in kernels[index + 1:] if _mixes_channels(k[0])]
    shuffle = groups > 1 and bool(following) and following[0][1] > 1
    step_stride = stride_pending if spatial else 1
    if spatial:
      stride_pending = 1
    steps.append(KernelStep(
        kind, filters=0 if kind == "dw" else (filters if last else
                                              mid_channels),
        groups=groups, kernel_size=kernel_size if spatial else 1,
        strides=step_stride, shuffle=shuffle))
  if stride_pending != 1:
    steps[0] = KernelStep(steps[0].kind, steps[0].filters, steps[0].groups,
                          steps[0].kernel_size, stride_pending,
                          steps[0].shuffle)
  if steps[-1].kind == "dw":
    widths = in_channels if len(steps) == 1 else mid_channels
    if widths != filters:
      raise ValueError(
          f"design {design!r} ends with DW, which keeps {widths} channels, "
          f"but filters={filters}")
  return steps


@keras.utils.register_keras_serializable(package="sparsezoo_tf")
class SparseKernelBlock(kernel_sequence.KernelSequence):
  """A block of paper 001's Table 1 layout built from a sparse kernel
  design: its kernels in order, batch norm after each, no ReLU inside (the
  network applies it after the shortcut addition).

  Args:
    filters: output channels F.
    design: e.g. "dw+pw", "gconv16+pwgconv16", "pw+dw+pw",
      "pwgconv4+dw+pwgconv4", "pw+gconv32+pw", "conv" (see `parse_design`).
    bottleneck_ratio: r: the kernels before the last output F / r channels
      (paper 001 uses 1:4 for "pw+dw+pw" and "pwgconv+dw+pwgconv"); None
      keeps the input width until the last kernel.
    kernel_size: k of the spatial kernels.
    strides: stride of the first spatial kernel.
    **kwargs: as `KernelSequence`.
  """

  def __init__(self, filters, design="dw+pw", bottleneck_ratio=None,
               kernel_size=3, strides=1, **kwargs):
    super().__init__(**kwargs)
    self.filters = base.positive_int("filters", filters)
    parse_design(design)
    self.design = design
    self.bottleneck_ratio = bottleneck_ratio
    if bottleneck_ratio is not None:
      base.positive_int("bottleneck_ratio", bottleneck_ratio)
      if self.filters % bottleneck_ratio:
        raise ValueError(f"filters={self.filters} is not divisible by "
                         f"bottleneck_ratio={bottleneck_ratio}")
    self.kernel_size = base.positive_int("kernel_size", kernel_size)
    self.strides = base.positive_int("strides", strides)
    if bottleneck_ratio is not None and parse_design(design)[0][0] != "dw":
      mid = self.mid_channels(None)
      try:
        kernel_sequence.check_widths(
            design_steps(design, mid, self.filters, mid,
                         self.kernel_size)[1:], mid)
      except ValueError as error:
        raise ValueError(f"design {design!r} with filters={self.filters} "
                         f"and bottleneck_ratio={bottleneck_ratio}: "
                         f"{error}") from None

  def mid_channels(self, in_channels: Optional[int]) -> int:
    """Width between the kernels: F / r with a bottleneck, else C."""
    if self.bottleneck_ratio is not None:
      return self.filters // self.bottleneck_ratio
    return in_channels

  def make_steps(self, in_channels: int) -> List[KernelStep]:
    try:
      steps = design_steps(self.design, in_channels, self.filters,
                           self.mid_channels(in_channels), self.kernel_size,
                           self.strides)
      kernel_sequence.check_widths(steps, in_channels)
    except ValueError as error:
      raise ValueError(f"{self.name}: design {self.design!r} with "
                       f"filters={self.filters} on {in_channels} input "
                       f"channels: {error}") from None
    return steps

  def get_config(self):
    config = super().get_config()
    config.update({
        "filters": self.filters,
        "design": self.design,
        "bottleneck_ratio": self.bottleneck_ratio,
        "kernel_size": self.kernel_size,
        "strides": self.strides,
    })
    return config
