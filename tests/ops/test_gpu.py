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
