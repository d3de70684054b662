"""The GPU check's float64 reference against tf.nn.conv2d, and its error
measures on hand-made cases."""

import numpy as np
import pytest
import tensorflow as tf

from sparsezoo_tf import ops
from sparsezoo_tf.gpu_check import binding
from sparsezoo_tf.gpu_check import reference


@pytest.mark.parametrize("plan, strides, padding, hw", [
    (ops.spatial_sc_plan(3, 6, 10), 1, "SAME", (7, 9)),
    (ops.channel_sc_plan(1, 8, 6), 2, "SAME", (7, 8)),
    (ops.psconv_plan(3, 8, 8, 4), 2, "VALID", (9, 7)),
    (ops.group_plan(3, 8, 12, 4, shuffle=True), (2, 1), "SAME", (6, 5)),
    (ops.spatial_sc_plan(5, 4, 6), 1, "VALID", (8, 8)),
])
def test_reference_matches_tf_conv2d(plan, strides, padding, hw, rng):
  g = binding.Geometry.of((2,) + hw + (plan.in_channels,), plan, strides,
                          padding)
  x = rng.standard_normal(g.input_shape)
  packed = rng.standard_normal(plan.num_weights)
  dy = rng.standard_normal(g.output_shape)
  y, dx, dw = reference.masked_dense_conv(x, packed, plan, g, dy)

  xt = tf.constant(x)
  kernel = tf.constant(plan.unpack(packed))
  with tf.GradientTape() as tape:
    tape.watch([xt, kernel])
    expected = tf.nn.conv2d(xt, kernel, strides, padding)
    loss = tf.reduce_sum(expected * dy)
  dx_tf, dkernel_tf = tape.gradient(loss, [xt, kernel])
  assert y.shape == tuple(expected.shape)
  np.testing.assert_allclose(y, expected.numpy(), rtol=1e-10, atol=1e-10)
  np.testing.assert_allclose(dx, dx_tf.numpy(), rtol=1e-10, atol=1e-10)
  np.testing.assert_allclose(
      dw, dkernel_tf.numpy().reshape(-1)[plan.packed_index], rtol=1e-10,
      atol=1e-10)


def test_geometry_follows_tensorflow_padding():
  plan = ops.spatial_sc_plan(3, 4, 4)
  g = binding.Geometry.of((1, 8, 7, 4), plan, 2, "SAME")
  # TF: out = ceil(in / stride); total padding split, the extra at the end.
  assert (g.out_rows, g.out_cols) == (4, 4)
  assert (g.pad_top, g.pad_bottom, g.pad_left, g.pad_right) == (0, 1, 1, 1)
  with pytest.raises(ValueError, match="does not fit"):
    binding.Geometry.of((1, 2, 2, 4), plan, 1, "VALID")
  with pytest.raises(ValueError, match="channels"):
    binding.Geometry.of((1, 8, 8, 5), plan, 1, "SAME")
  with pytest.raises(ValueError, match="padding"):
    binding.Geometry.of((1, 8, 8, 4), plan, 1, "FULL")


def test_relative_error():
  expected = np.array([3.0, 4.0])  # norm 5
  assert reference.relative_error(np.array([3.0, 4.5]), expected) == 0.1
  assert reference.relative_error(expected, expected) == 0.0
  assert reference.relative_error(np.array([np.nan, 4.0]),
                                  expected) == float("inf")
  assert reference.relative_error(np.array([3.0]), expected) == float("inf")
  # A zero reference: the absolute error.
  assert reference.relative_error(np.array([0.0, 2.0]), np.zeros(2)) == 2.0


def test_bfloat16_rounding_matches_tensorflow(rng):
  values = rng.standard_normal(1000).astype(np.float32) * 100
  values[:3] = [1.0 + 2.0 ** -8, 1.0 + 3 * 2.0 ** -8, -0.0]  # ties to even
  ours = reference.round_to(values, "bfloat16")
  theirs = tf.cast(tf.cast(values, tf.bfloat16), tf.float32).numpy()
  np.testing.assert_array_equal(ours, theirs)
  np.testing.assert_array_equal(
      reference.round_to(values, "float16"),
      values.astype(np.float16).astype(np.float32))
