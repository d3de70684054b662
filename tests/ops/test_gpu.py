"""The CUDA kernels against the CPU op (needs a GPU and a CUDA build)."""

import numpy as np
import pytest
import tensorflow as tf

from sparsezoo_tf import ops

pytestmark = pytest.mark.gpu


@pytest.fixture
def gpu(require_op):
  del require_op
  if not tf.config.list_physical_devices("GPU"):
    pytest.skip("no GPU")
  return "/GPU:0"


@pytest.mark.parametrize("make", [
    lambda: ops.spatial_sc_plan(3, 8, 6),
    lambda: ops.channel_sc_plan(3, 8, 6),
    lambda: ops.psconv_plan(3, 8, 6, 4),
    lambda: ops.group_plan(1, 8, 6, 2, shuffle=True),
])
@pytest.mark.parametrize("strides, padding", [(1, "SAME"), (2, "VALID")])
def test_gpu_matches_cpu(gpu, make, strides, padding, rng):
  plan = make()
  x = tf.constant(rng.standard_normal((2, 7, 9, 8)), tf.float32)
  w = tf.constant(rng.standard_normal(plan.num_weights), tf.float32)
  results = []
  for device in ("/CPU:0", gpu):
    with tf.device(device):
      with tf.GradientTape() as tape:
        tape.watch([x, w])
        y = ops.sparse_conv2d(x, w, plan, strides, padding,
                              implementation="op")
        loss = tf.reduce_sum(y * y)
      results.append([y] + tape.gradient(loss, [x, w]))
  for cpu_value, gpu_value in zip(*results):
    np.testing.assert_allclose(gpu_value, cpu_value, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("dtype, tolerance", [(tf.float16, 3e-3),
                                              (tf.bfloat16, 2e-2)])
def test_gpu_half_types_match_cpu_float32(gpu, dtype, tolerance, rng):
  """float16 / bfloat16 run natively on the GPU (tensor cores where there
  are any): output and gradients within the half type's rounding of the
  CPU's float32 result on the same values."""
  plan = ops.spatial_sc_plan(3, 16, 24)
  x = tf.cast(tf.constant(rng.standard_normal((2, 9, 7, 16)), tf.float32),
              dtype)
  w = tf.cast(tf.constant(rng.standard_normal(plan.num_weights) * 0.2,
                          tf.float32), dtype)
  dy = tf.constant(rng.standard_normal((2, 9, 7, 24)), tf.float32)
  results = []
  for device, cast in (("/CPU:0", tf.float32), (gpu, dtype)):
    with tf.device(device):
      xs, ws = tf.cast(x, cast), tf.cast(w, cast)
      with tf.GradientTape() as tape:
        tape.watch([xs, ws])
        y = ops.sparse_conv2d(xs, ws, plan, implementation="op")
        loss = tf.reduce_sum(tf.cast(y, tf.float32) * dy)
      results.append([y] + tape.gradient(loss, [xs, ws]))
  for cpu_value, gpu_value in zip(*results):
    assert gpu_value.dtype == dtype
    error = np.linalg.norm(tf.cast(gpu_value, tf.float32) - cpu_value)
    assert error <= tolerance * np.linalg.norm(cpu_value)
