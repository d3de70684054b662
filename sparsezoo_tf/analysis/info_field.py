"""Information field (paper 001, Definition 1): the (h, w, c) extent of the
input that one output activation depends on.

A standard 3x3 convolution over C channels has the field (3, 3, C). For a
sequence of kernels the spatial extent grows by (k - 1) times the product
of the earlier strides, and the channel extent is the number of input
channels connected to an output through the kernels' channel connectivity
(group structure and permutations included), computed exactly.

InfoSize in paper 001's Tables 2-4 is the field of one block (the "network
unit") with respect to its input: `information_field_of(block)`.
"""

import dataclasses
from typing import Sequence, Tuple

import numpy as np

from sparsezoo_tf import patterns
from sparsezoo_tf.analysis import layer_supports


@dataclasses.dataclass(frozen=True)
class FieldStep:
  """A kernel as the information field sees it.

  Attributes:
    kernel_size: (rows, cols).
    connectivity: boolean [in_channels, out_channels]; True where an output
      channel reads an input channel.
    strides: (rows, cols).
  """
  kernel_size: Tuple[int, int]
  connectivity: np.ndarray
  strides: Tuple[int, int] = (1, 1)


@dataclasses.dataclass(frozen=True)
class InformationField:
  """The field of the outputs of a kernel sequence.

  Attributes:
    height, width: spatial extent in input positions.
    channels: input channels every output reads (the minimum over outputs;
      `channels_max` is the maximum, equal when the design is uniform).
    channels_max: see `channels`.
    in_channels: the input width, for comparison.
  """
  height: int
  width: int
  channels: int
  channels_max: int
  in_channels: int

  def as_tuple(self) -> Tuple[int, int, int]:
    """(h, w, c), as paper 001 writes InfoSize."""
    return (self.height, self.width, self.channels)

  @property
  def full_channels(self) -> bool:
    """Every output reads every input channel."""
    return self.channels == self.in_channels

  def __str__(self):
    return f"({self.height}, {self.width}, {self.channels})"


def group_step(kernel_size: int, in_channels: int, out_channels: int,
               groups: int = 1, shuffle: bool = False,
               strides: int = 1) -> FieldStep:
  """A (group) convolution as a `FieldStep`; groups == in_channels ==
  out_channels is a depthwise convolution."""
  support = patterns.grouped(1, in_channels, out_channels, groups, shuffle)
  return FieldStep((kernel_size, kernel_size), support[0, 0],
                   (strides, strides))


def information_field(steps: Sequence[FieldStep]) -> InformationField:
  """The information field of a sequence of kernels.

  Raises:
    ValueError: for an empty sequence or consecutive kernels whose channel
      counts do not match (named by index).
  """
  if not steps:
    raise ValueError("an information field needs at least one kernel")
  height = width = 1
  jump_rows = jump_cols = 1
  reach = None
  for index, step in enumerate(steps):
    connectivity = np.asarray(step.connectivity, bool)
    if reach is not None and reach.shape[1] != connectivity.shape[0]:
      raise ValueError(
          f"kernel {index} reads {connectivity.shape[0]} channels but kernel "
          f"{index - 1} outputs {reach.shape[1]}")
    height += (step.kernel_size[0] - 1) * jump_rows
    width += (step.kernel_size[1] - 1) * jump_cols
    jump_rows *= step.strides[0]
    jump_cols *= step.strides[1]
    reach = connectivity if reach is None else (
        reach.astype(np.int64) @ connectivity.astype(np.int64)) > 0
  per_output = reach.sum(axis=0)
  return InformationField(height, width, int(per_output.min()),
                          int(per_output.max()), reach.shape[0])


def steps_of(layer) -> Sequence[FieldStep]:
  """The `FieldStep`s of a built layer or block (see
  `layer_supports.supports_applied_by` for what is understood)."""
  steps = []
  for item in layer_supports.supports_applied_by(layer):
    if item.dilation != (1, 1):
      raise ValueError(f"{item.name}: dilated convolutions are not supported")
    steps.append(FieldStep(tuple(item.support.shape[:2]), item.connectivity,
                           tuple(item.strides)))
  return steps


def information_field_of(layer) -> InformationField:
  """The information field of a built block (e.g. an `IGCV2Block`, a
  `SparseKernelBlock`) or of a single convolution layer, with respect to its
  input: paper 001's InfoSize of that network unit.

  Raises:
    ValueError: for unbuilt or unsupported layers, and for composite layers
      whose sublayers are not a chain (e.g. `SCFusion`).
  """
  steps = steps_of(layer)
  if not steps:
    raise ValueError(f"{layer.name} has no convolution")
  try:
    return information_field(steps)
  except ValueError as error:
    raise ValueError(f"{layer.name}: its sublayers are not a chain of "
                     f"convolutions ({error})") from None
