"""Receptive-field coverage of a stack of stride-1 convolutions (paper 000,
section 3.1.1 and Fig. 3; paper 003, Fig. 3).

A stack is given by the supports of its layers, boolean arrays
[k_rows, k_cols, in_channels, out_channels] (see `sparsezoo_tf.patterns`).
An output at one location of the last layer is connected to an input
position of the first layer when some path of existing weights joins them.
Spatial offsets are counted from the top-left corner of the stack's window:
offset (r, s) of the coverage is input position (y + r, x + s) for the output
whose window starts at (y, x), as in a VALID convolution; for odd kernels
with "same" padding the output sits at offset ((R - 1) / 2, (R2 - 1) / 2).
Padding and the image border are ignored (an interior location).

The coverage of a stack has the layout of a support itself,
[R, R2, C_0, K_last] with R = sum(k_rows - 1) + 1 and R2 = sum(k_cols - 1)
+ 1: it is the support of the single convolution the stack would be if it
were linear. Paper 000's "receptive field of a location across multiple
channels" is its union over all channels (`location_coverage`).

Everything is NumPy; only `supports_of_layers` imports TensorFlow, to read
built Keras layers.
"""

from typing import Iterable, List, Sequence

import numpy as np

COVERED = "#"
UNCOVERED = "."


def _as_supports(supports: Sequence[np.ndarray]) -> List[np.ndarray]:
  """Checks a stack of supports and returns them as boolean arrays."""
  if isinstance(supports, np.ndarray):
    raise TypeError("supports must be a sequence of 4-D supports (one per "
                    "layer), not a single array; wrap one support in a list")
  result = []
  for index, support in enumerate(supports):
    array = np.asarray(support)
    if array.ndim != 4:
      raise ValueError(
          f"layer {index}: a support must be 4-D [k_rows, k_cols, "
          f"in_channels, out_channels], got shape {array.shape}")
    if 0 in array.shape:
      raise ValueError(f"layer {index}: empty support of shape {array.shape}")
    if array.dtype != bool:
      array = array != 0
    if result and result[-1].shape[3] != array.shape[2]:
      raise ValueError(
          f"layer {index} reads {array.shape[2]} input channels but layer "
          f"{index - 1} has {result[-1].shape[3]} output channels")
    result.append(array)
  if not result:
    raise ValueError("supports is empty: give at least one layer's support")
  return result


def stack_coverage(supports: Sequence[np.ndarray]) -> np.ndarray:
  """Which inputs of the first layer each output of the last layer sees.

  Args:
    supports: the layers' supports in order, boolean (or numeric, nonzero =
      the weight exists) [k_rows_l, k_cols_l, C_{l-1}, C_l]; the input
      channels of each layer must be the output channels of the previous one.

  Returns:
    Boolean [R, R2, C_0, K_last], R = sum(k_rows_l - 1) + 1 and
    R2 = sum(k_cols_l - 1) + 1: entry [r, s, c, o] is True when output
    channel o of the last layer is connected, through any path, to input
    channel c of the first layer at offset (r, s) (module docstring). For a
    single layer this is its support.

  Raises:
    ValueError: when a support is not 4-D, or the channel counts of
      consecutive layers differ (the message names the layer and counts).
  """
  supports = _as_supports(supports)
  coverage = supports[0].copy()
  for support in supports[1:]:
    rows, cols, channels, out_channels = support.shape
    span_r, span_c, in_channels, _ = coverage.shape
    # Paths are counted exactly (float64 matrix products of 0/1 entries go
    # through BLAS and stay exact far beyond these sizes), then thresholded.
    previous = coverage.reshape(-1, channels).astype(np.float64)
    counts = np.zeros(
        (span_r + rows - 1, span_c + cols - 1, in_channels, out_channels))
    for tap_r, tap_c in zip(*np.nonzero(support.any(axis=(2, 3)))):
      paths = previous @ support[tap_r, tap_c].astype(np.float64)
      counts[tap_r:tap_r + span_r, tap_c:tap_c + span_c] += paths.reshape(
          span_r, span_c, in_channels, out_channels)
    coverage = counts > 0
  return coverage


def location_coverage(supports: Sequence[np.ndarray]) -> np.ndarray:
  """The receptive field of a location across all channels (paper 000).

  Args:
    supports: as `stack_coverage`.

  Returns:
    Boolean [R, R2]: offset (r, s) is True when some output channel of the
    last layer is connected to some input channel at that offset.
  """
  return stack_coverage(supports).any(axis=(2, 3))


def output_coverage(supports: Sequence[np.ndarray]) -> np.ndarray:
  """The receptive field of every output channel, across input channels.

  Args:
    supports: as `stack_coverage`.

  Returns:
    Boolean [R, R2, K_last]: [r, s, o] is True when output channel o is
    connected to some input channel at offset (r, s).
  """
  return stack_coverage(supports).any(axis=2)


def channel_reach(supports: Sequence[np.ndarray]) -> np.ndarray:
  """Which input channels of the first layer each last output reaches.

  Args:
    supports: as `stack_coverage`.

  Returns:
    Boolean [C_0, K_last]: [c, o] is True when output channel o is connected
    to input channel c at any offset (the product of the layers' channel
    connectivities).
  """
  supports = _as_supports(supports)
  reach = supports[0].any(axis=(0, 1))
  for support in supports[1:]:
    reach = (reach.astype(np.float64) @
             support.any(axis=(0, 1)).astype(np.float64)) > 0
  return reach


def channel_coverage(supports: Sequence[np.ndarray]) -> np.ndarray:
  """How many input channels of the first layer each last output reaches.

  Args:
    supports: as `stack_coverage`.

  Returns:
    Integer [K_last]: the number of input channels output channel o is
    connected to (C_0 when it sees every channel).
  """
  return channel_reach(supports).sum(axis=0)


def format_mask(mask: np.ndarray, covered: str = COVERED,
                uncovered: str = UNCOVERED) -> str:
  """A 2-D boolean mask as text, one line per row (no trailing newline).

  Args:
    mask: boolean [rows, cols].
    covered: character for True.
    uncovered: character for False.

  Returns:
    The picture, e.g. ".#.\\n###\\n.#." for a 3x3 "+".
  """
  mask = np.asarray(mask, dtype=bool)
  if mask.ndim != 2:
    raise ValueError(f"mask must be 2-D, got shape {mask.shape}")
  return "\n".join(
      "".join(covered if value else uncovered for value in row)
      for row in mask)


def coverage_report(supports: Sequence[np.ndarray],
                    by_output: bool = False) -> str:
  """An ASCII picture of `location_coverage`, for printing.

  Args:
    supports: as `stack_coverage`.
    by_output: also draw the coverage of every distinct output-channel
      receptive field, with the output channels that have it.

  Returns:
    A summary line, then the picture ('#' covered, '.' uncovered), e.g.

        2 layers, 4 -> 4 channels: 17 of 25 offsets covered (5x5)
        .#.#.
        #####
        .###.
        #####
        .#.#.
  """
  supports = _as_supports(supports)
  coverage = stack_coverage(supports)
  location = coverage.any(axis=(2, 3))
  rows, cols, in_channels, out_channels = coverage.shape
  lines = [
      f"{len(supports)} layer{'s' if len(supports) != 1 else ''}, "
      f"{in_channels} -> {out_channels} channels: {int(location.sum())} of "
      f"{rows * cols} offsets covered ({rows}x{cols})",
      format_mask(location),
  ]
  if by_output:
    per_output = coverage.any(axis=2)
    groups = {}
    for o in range(out_channels):
      groups.setdefault(per_output[:, :, o].tobytes(), []).append(o)
    for channels in groups.values():
      mask = per_output[:, :, channels[0]]
      lines.append(f"output channels {_ranges(channels)}: "
                   f"{int(mask.sum())} of {rows * cols} covered")
      lines.append(format_mask(mask))
  return "\n".join(lines)


def _ranges(values: Sequence[int]) -> str:
  """[0, 2, 4, 5, 6] -> "0, 2, 4-6"."""
  parts = []
  start = previous = values[0]
  for value in list(values[1:]) + [None]:
    if value is not None and value == previous + 1:
      previous = value
      continue
    parts.append(str(start) if start == previous else f"{start}-{previous}")
    if value is not None:
      start = previous = value
  return ", ".join(parts)


def supports_of_layers(layers: Iterable) -> List[np.ndarray]:
  """The supports of built Keras layers, for `stack_coverage`.

  Every layer `sparsezoo_tf.analysis.layer_supports` understands is
  accepted: sparse convolutions, `Conv2D` (with groups), `DepthwiseConv2D`,
  `SeparableConv2D` (two supports), `ChannelShuffle`, composite blocks, and
  per-element layers (BN, activations), which add no support.

  Args:
    layers: the layers in order (e.g. `model.layers` of a plain stack).

  Returns:
    A list of boolean supports [k_rows, k_cols, in_channels, out_channels].

  Raises:
    ValueError: for a layer that is not built, has strides or dilation
      above 1, is a transposed convolution, or of another type (named).
  """
  # Imported here so that the coverage functions work without TensorFlow.
  from sparsezoo_tf.analysis import layer_supports  # pylint: disable=g-import-not-at-top

  supports = []
  for index, layer in enumerate(layers):
    label = (f"layer {index} ({getattr(layer, 'name', '?')}, "
             f"{type(layer).__name__})")
    try:
      applied = layer_supports.supports_applied_by(layer)
    except ValueError as error:
      raise ValueError(f"{label}: {error}") from None
    for item in applied:
      if item.strides != (1, 1):
        raise ValueError(f"{label} has strides {item.strides}: the coverage "
                         f"is defined for stacks of stride-1 convolutions")
      if item.dilation != (1, 1):
        raise ValueError(f"{label} has dilation_rate {item.dilation}: the "
                         f"coverage is defined for undilated convolutions")
      supports.append(item.support)
  return supports
