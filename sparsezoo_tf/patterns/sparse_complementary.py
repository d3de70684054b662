"""Sparse-complementary kernels (paper 000; also the base of scFusion, 003).

SW-SC pairs a "+"-like kernel (odd linear positions plus the centre) with an
"x"-like kernel (even positions) in one layer: output channel 2m uses the
first, 2m+1 the second, each over all input channels. CW-SC pairs kernels
reading the even input channels with kernels reading the odd ones, and
writes the first to the first half of the outputs and the second to the
second half: the output reordering the paper builds into the convolution.
For a k x k kernel position (y, x) the linear index is y * k + x.
"""

import numpy as np

from sparsezoo_tf.patterns import _checks


def _odd_square(kernel_size, scheme: str) -> int:
  rows, cols = _checks.kernel_pair(kernel_size)
  if rows != cols or rows % 2 == 0:
    raise ValueError(
        f"{scheme} needs an odd square kernel (3x3, 5x5, ...), got "
        f"{rows}x{cols}")
  return rows


def sw_sc_masks(kernel_size) -> tuple:
  """Returns the two complementary k x k masks (plus, cross) of SW-SC.

  plus: odd linear indices and the centre ("+" for 3x3, taps 1, 3, 4, 5, 7).
  cross: even linear indices ("x" for 3x3, taps 0, 2, 4, 6, 8).
  Each has ceil(k^2 / 2) taps; they share only the centre.
  """
  k = _odd_square(kernel_size, "SW-SC")
  index = np.arange(k * k).reshape(k, k)
  centre = (k * k) // 2
  plus = (index % 2 == 1) | (index == centre)
  cross = index % 2 == 0
  return plus, cross


def _pair_channels(name: str, value: int, scheme: str) -> None:
  _checks.positive_int(name, value)
  _checks.divisible(name, value, 2, f"{scheme} pairs channels 2m and 2m+1")


def spatial_sc(kernel_size, in_channels: int, out_channels: int) -> np.ndarray:
  """SW-SC support [k, k, C, K]: output 2m is "+", output 2m+1 is "x".

  An odd K ends on a "+" output: the CIFAR ResNets of paper 000 Table 8
  need it (w = 1.3125 gives 16 w = 21 channels; the table's 66.5 M
  multiply-adds for ResNet-32-sc need 21, 20 gives 64.3 M, 22 gives
  68.6 M).
  """
  plus, cross = sw_sc_masks(kernel_size)
  _checks.positive_int("in_channels", in_channels)
  _checks.positive_int("out_channels", out_channels)
  per_output = np.stack([(plus, cross)[o % 2] for o in range(out_channels)],
                        axis=-1)
  return np.broadcast_to(
      per_output[:, :, None, :],
      plus.shape + (in_channels, out_channels)).copy()


def channel_sc(kernel_size, in_channels: int, out_channels: int) -> np.ndarray:
  """CW-SC support (any k): outputs 0 .. K/2-1 read the even input channels,
  outputs K/2 .. K-1 the odd ones.

  Paper 000's Eq. (2) names the even-reading kernels 2m and the odd-reading
  ones 2m+1; its text says that CW-SC "embeds channel reordering on the
  output feature maps", so that "every feature map at layer L+2 gets the
  information of all feature maps at layer L" (unlike a 2-group
  convolution), and that it equals IGC with two groups and the permutation
  inside the convolution. Writing the two kernel sets to the two output
  halves is that reordering: an output of either half reads one parity, and
  the even (odd) channels of the next layer come from both halves. Writing
  them to even/odd outputs would keep the parity from layer to layer and
  never mix the halves.
  """
  rows, cols = _checks.kernel_pair(kernel_size)
  _pair_channels("in_channels", in_channels, "CW-SC")
  _pair_channels("out_channels", out_channels, "CW-SC")
  reads_odd = np.arange(out_channels) >= out_channels // 2
  connected = (np.arange(in_channels)[:, None] % 2) == reads_odd[None, :]
  return np.broadcast_to(connected,
                         (rows, cols, in_channels, out_channels)).copy()


def spatial_channel_sc(kernel_size, in_channels: int,
                       out_channels: int) -> np.ndarray:
  """SW-SC and CW-SC in one kernel ("-comb", paper 000 Table 8).

  Output o has the "+" kernel when o is even and the "x" kernel when it is
  odd (SW-SC), over the even inputs in the first half of the outputs and
  the odd inputs in the second half (CW-SC): about a quarter of the dense
  weights, for any even width (the paper's w = 1.875 gives 30 channels).
  """
  return (spatial_sc(kernel_size, in_channels, out_channels) &
          channel_sc(kernel_size, in_channels, out_channels))


def single_shape(kernel_size, in_channels: int, out_channels: int,
                 shape: str) -> np.ndarray:
  """One SW-SC shape for every output ("-seq" ablation, paper 000 Table 4).

  Args:
    shape: "plus" or "cross".
  """
  plus, cross = sw_sc_masks(kernel_size)
  masks = {"plus": plus, "cross": cross}
  if shape not in masks:
    raise ValueError(f"shape must be 'plus' or 'cross', got {shape!r}")
  _checks.positive_int("in_channels", in_channels)
  _checks.positive_int("out_channels", out_channels)
  mask = masks[shape]
  return np.broadcast_to(mask[:, :, None, None],
                         mask.shape + (in_channels, out_channels)).copy()
