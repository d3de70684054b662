"""Dense and group convolutions, with the channel shuffle of IGC / ShuffleNet.

The shuffle after a group convolution with G branches of n channels views the
channels as [G, n] and transposes them to [n, G] (paper 002, section 3.2):
channel i of branch g moves to position i * G + g.
"""

import numpy as np

from sparsezoo_tf.patterns import _checks


def dense(kernel_size, in_channels: int, out_channels: int) -> np.ndarray:
  """The full support [k_rows, k_cols, C, K]."""
  rows, cols = _checks.kernel_pair(kernel_size)
  _checks.positive_int("in_channels", in_channels)
  _checks.positive_int("out_channels", out_channels)
  return np.ones((rows, cols, in_channels, out_channels), dtype=bool)


def shuffle_permutation(channels: int, groups: int) -> np.ndarray:
  """Position -> source channel of the [G, n] -> [n, G] channel shuffle.

  shuffled[..., p] = x[..., perm[p]].
  """
  _checks.positive_int("channels", channels)
  _checks.positive_int("groups", groups)
  _checks.divisible("channels", channels, groups,
                    f"a shuffle over {groups} groups needs equal groups")
  return np.arange(channels).reshape(groups, channels // groups).T.reshape(-1)


def grouped(kernel_size, in_channels: int, out_channels: int, groups: int,
            shuffle: bool = False) -> np.ndarray:
  """Group convolution support, optionally followed by the channel shuffle.

  Output channel o of group g = o // (K / G) reads input channels of group g;
  with `shuffle`, the outputs are written in shuffled order.
  """
  rows, cols = _checks.kernel_pair(kernel_size)
  _checks.positive_int("groups", groups)
  _checks.positive_int("in_channels", in_channels)
  _checks.positive_int("out_channels", out_channels)
  reason = f"a group convolution with {groups} groups needs equal groups"
  _checks.divisible("in_channels", in_channels, groups, reason)
  _checks.divisible("out_channels", out_channels, groups, reason)
  in_group = np.arange(in_channels) // (in_channels // groups)
  out_group = np.arange(out_channels) // (out_channels // groups)
  if shuffle:
    out_group = out_group[shuffle_permutation(out_channels, groups)]
  connected = in_group[:, None] == out_group[None, :]
  return np.broadcast_to(connected,
                         (rows, cols, in_channels, out_channels)).copy()
