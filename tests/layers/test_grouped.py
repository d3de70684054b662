"""GroupConv2D and ChannelShuffle against tf.nn.conv2d and a NumPy shuffle."""

import numpy as np
import pytest
import tensorflow as tf

import layer_checks
from sparsezoo_tf.layers import ChannelShuffle
from sparsezoo_tf.layers import GroupConv2D


def numpy_shuffle(x, groups):
  """[..., G, n] -> [..., n, G], written independently of the package."""
  *lead, channels = x.shape
  n = channels // groups
  return x.reshape(*lead, groups, n).swapaxes(-1, -2).reshape(*lead, channels)


def block_diagonal_kernel(rng, k, c, f, groups):
  kernel = np.zeros((k, k, c, f), np.float32)
  ci, fi = c // groups, f // groups
  for g in range(groups):
    kernel[:, :, g * ci:(g + 1) * ci, g * fi:(g + 1) * fi] = (
        rng.standard_normal((k, k, ci, fi)))
  return kernel


@pytest.mark.parametrize("groups", [1, 2, 4])
def test_channel_shuffle_matches_numpy(groups):
  x = np.arange(2 * 3 * 8, dtype=np.float32).reshape(2, 3, 8)
  np.testing.assert_array_equal(ChannelShuffle(groups)(x),
                                numpy_shuffle(x, groups))


def test_channel_shuffle_of_two_groups_interleaves():
  x = np.arange(6, dtype=np.float32)[None]
  np.testing.assert_array_equal(ChannelShuffle(2)(x), [[0, 3, 1, 4, 2, 5]])


def test_channel_shuffle_rejects_uneven_groups():
  with pytest.raises(ValueError, match="not divisible by 4"):
    ChannelShuffle(4)(np.zeros((1, 6), np.float32))


@pytest.mark.parametrize("kernel_size,strides", [(1, 1), (3, 1), (3, 2)])
@pytest.mark.parametrize("groups,shuffle", [(2, False), (4, False), (4, True),
                                            (8, True)])
def test_group_conv_equals_masked_dense_conv(kernel_size, strides, groups,
                                             shuffle):
  rng = np.random.default_rng(groups + kernel_size)
  c, f = 8, 16
  layer = GroupConv2D(f, kernel_size, groups=groups, shuffle=shuffle,
                      strides=strides, use_bias=False)
  layer.build((None, 7, 7, c))
  dense = block_diagonal_kernel(rng, kernel_size, c, f, groups)
  layer.set_weights([layer.plan.pack(numpy_shuffle(dense, groups)
                                     if shuffle else dense)])
  x = rng.standard_normal((2, 7, 7, c)).astype(np.float32)
  expected = tf.nn.conv2d(x, dense, strides, "SAME").numpy()
  if shuffle:
    expected = numpy_shuffle(expected, groups)
  np.testing.assert_allclose(layer(x), expected, rtol=1e-4, atol=1e-4)


def test_group_conv_fused_shuffle_equals_separate_shuffle():
  rng = np.random.default_rng(3)
  fused = GroupConv2D(8, 3, groups=4, shuffle=True, use_bias=False)
  plain = GroupConv2D(8, 3, groups=4, use_bias=False)
  x = rng.standard_normal((1, 5, 5, 8)).astype(np.float32)
  plain(x)
  fused(x)
  dense = block_diagonal_kernel(rng, 3, 8, 8, 4)
  plain.set_weights([plain.plan.pack(dense)])
  fused.set_weights([fused.plan.pack(numpy_shuffle(dense, 4))])
  np.testing.assert_allclose(fused(x), ChannelShuffle(4)(plain(x)),
                             rtol=1e-5, atol=1e-5)


def test_group_conv_holds_only_existing_weights():
  layer = GroupConv2D(16, 3, groups=4)
  layer.build((None, 6, 6, 8))
  assert layer.count_params() == 9 * 8 * 16 // 4 + 16


@pytest.mark.parametrize("kwargs,channels,message", [
    (dict(filters=6, groups=4), 8, "filters=6 is not divisible by groups=4"),
    (dict(filters=8, groups=4), 6, "in_channels=6 is not divisible by 4"),
    (dict(filters=8, groups=0), 8, "groups must be a positive int"),
])
def test_channels_groups_cannot_split_are_rejected(kwargs, channels, message):
  with pytest.raises(ValueError, match=message):
    GroupConv2D(**kwargs)(np.zeros((1, 4, 4, channels), np.float32))


def test_config_round_trip():
  layer_checks.assert_config_round_trip(
      GroupConv2D(8, 3, groups=2, shuffle=True, strides=2, name="g"),
      (6, 6, 4))
  layer_checks.assert_config_round_trip(ChannelShuffle(2, name="s"),
                                        (3, 3, 4))


def test_save_and_load_identical_outputs(tmp_path):
  layer_checks.assert_save_load_identical(
      lambda: GroupConv2D(8, 3, groups=2, shuffle=True, name="g"), (6, 6, 4),
      tmp_path)


def test_fit_step_trains():
  layer_checks.assert_fit_step_trains(
      lambda: GroupConv2D(8, 1, groups=4, shuffle=True, name="g"), (6, 6, 8))


def test_mixed_float16_reference_path():
  mixed, full = layer_checks.run_mixed_float16(
      lambda: GroupConv2D(8, 3, groups=2, implementation="reference"),
      (6, 6, 4))
  assert mixed.dtype == tf.float16
  np.testing.assert_allclose(mixed.numpy().astype(np.float32), full,
                             rtol=1e-2, atol=1e-2)
