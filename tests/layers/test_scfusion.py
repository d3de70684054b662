"""SCFusion against its explicit formula (paper 003, Eq. 1 and Fig. 2)."""

import numpy as np
import pytest
import tensorflow as tf

import layer_checks
from sparsezoo_tf.layers import SCFusion

PLUS_3X3 = np.array([0, 1, 0, 1, 1, 1, 0, 1, 0], bool).reshape(3, 3)
CROSS_3X3 = np.array([1, 0, 1, 0, 1, 0, 1, 0, 1], bool).reshape(3, 3)


def explicit_scfusion(x, w_even, w_odd, b_even, b_odd, w_fuse, b_fuse,
                      addition, inverse, strides):
  even = tf.nn.conv2d(x, w_even * PLUS_3X3[:, :, None, None], strides,
                      "SAME") + b_even
  odd = tf.nn.conv2d(x, w_odd * CROSS_3X3[:, :, None, None], strides,
                     "SAME") + b_odd
  parts = [even, odd]
  if addition:
    parts.append(even + odd)
  if inverse:
    parts.append(-(even + odd))
  fused = tf.nn.relu(tf.concat(parts, -1))
  return tf.nn.conv2d(fused, w_fuse, 1, "SAME") + b_fuse


@pytest.mark.parametrize("addition,inverse", [(True, True), (True, False),
                                              (False, False), (False, True)])
@pytest.mark.parametrize("strides", [1, 2])
def test_output_equals_the_explicit_formula(addition, inverse, strides):
  rng = np.random.default_rng(7)
  c, f, alpha = 6, 8, 4
  n = f // alpha
  layer = SCFusion(f, 3, alpha=alpha, strides=strides, use_addition=addition,
                   use_inverse=inverse)
  layer.build((None, 7, 7, c))
  parts = 2 + addition + inverse
  w_even = rng.standard_normal((3, 3, c, n)).astype(np.float32)
  w_odd = rng.standard_normal((3, 3, c, n)).astype(np.float32)
  b_even, b_odd = rng.standard_normal((2, n)).astype(np.float32)
  w_fuse = rng.standard_normal((1, 1, parts * n, f)).astype(np.float32)
  b_fuse = rng.standard_normal(f).astype(np.float32)
  # The layer's SW-SC convolution interleaves E (even) and O (odd) outputs.
  sc_dense = np.zeros((3, 3, c, 2 * n), np.float32)
  sc_dense[..., 0::2] = w_even * PLUS_3X3[:, :, None, None]
  sc_dense[..., 1::2] = w_odd * CROSS_3X3[:, :, None, None]
  sc_bias = np.zeros(2 * n, np.float32)
  sc_bias[0::2], sc_bias[1::2] = b_even, b_odd
  layer.set_weights([layer.sparse_conv.plan.pack(sc_dense), sc_bias, w_fuse,
                     b_fuse])
  x = rng.standard_normal((2, 7, 7, c)).astype(np.float32)
  expected = explicit_scfusion(x, w_even, w_odd, b_even, b_odd, w_fuse,
                               b_fuse, addition, inverse, strides)
  np.testing.assert_allclose(layer(x), expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("alpha", [2, 4, 8])
def test_parameters_and_flop_ratio_of_table_2(alpha):
  c = f = 64
  layer = SCFusion(f, 3, alpha=alpha, use_bias=False)
  layer.build((None, 8, 8, c))
  n = f // alpha
  assert layer.count_params() == 2 * 5 * c * n + 4 * n * f
  dense = 9 * c * f
  expected_ratio = {2: 1.29, 4: 2.57, 8: 5.14}[alpha]
  assert dense / layer.count_params() == pytest.approx(expected_ratio,
                                                       abs=0.006)


@pytest.mark.parametrize("kwargs,message", [
    (dict(filters=6, alpha=4), "n = filters / alpha"),
    (dict(filters=8, alpha=0), "alpha must be a positive"),
    (dict(filters=8, alpha=4, kernel_size=4), "odd square"),
])
def test_impossible_settings_fail_at_construction(kwargs, message):
  with pytest.raises(ValueError, match=message):
    SCFusion(**kwargs)


def test_config_round_trip():
  layer_checks.assert_config_round_trip(
      SCFusion(8, 3, alpha=2, use_inverse=False, name="fusion"), (6, 6, 4))


def test_save_and_load_identical_outputs(tmp_path):
  layer_checks.assert_save_load_identical(
      lambda: SCFusion(8, 3, alpha=4, name="fusion"), (6, 6, 4), tmp_path)


def test_fit_step_trains():
  layer_checks.assert_fit_step_trains(
      lambda: SCFusion(8, 3, alpha=4, name="fusion"), (6, 6, 4))


def test_mixed_float16_reference_path():
  mixed, full = layer_checks.run_mixed_float16(
      lambda: SCFusion(8, 3, alpha=2, implementation="reference"), (6, 6, 4))
  assert mixed.dtype == tf.float16
  np.testing.assert_allclose(mixed.numpy().astype(np.float32), full,
                             rtol=2e-2, atol=2e-2)
