"""The op and the reference path against a masked dense tf.nn.conv2d."""

import numpy as np
import pytest
import tensorflow as tf

from conftest import masked_dense_conv
from sparsezoo_tf import ops

PLANS = {
    "dense3": lambda c, k: ops.dense_plan(3, c, k),
    "sw_sc3": lambda c, k: ops.spatial_sc_plan(3, c, k),
    "sw_sc5": lambda c, k: ops.spatial_sc_plan(5, c, k),
    "sw_sc7": lambda c, k: ops.spatial_sc_plan(7, c, k),
    "cw_sc3": lambda c, k: ops.channel_sc_plan(3, c, k),
    "cw_sc1": lambda c, k: ops.channel_sc_plan(1, c, k),
    "sc_comb3": lambda c, k: ops.spatial_channel_sc_plan(3, c, k),
    "seq_plus": lambda c, k: ops.single_shape_plan(3, c, k, "plus"),
    "seq_cross": lambda c, k: ops.single_shape_plan(3, c, k, "cross"),
    "psc4": lambda c, k: ops.psconv_plan(3, c, k, 4, seed=1),
    "psc2_channel": lambda c, k: ops.psconv_plan(3, c, k, 2, seed=2,
                                                    layout="channel"),
    "psc3_random": lambda c, k: ops.psconv_plan(3, c, k, 3, seed=3,
                                                   layout="random"),
    "group1x1_shuffle": lambda c, k: ops.group_plan(1, c, k, 2, shuffle=True),
    "group3": lambda c, k: ops.group_plan(3, c, k, 2),
    # Depthwise: C groups of one channel (K is ignored).
    "depthwise3": lambda c, k: ops.group_plan(3, c, c, c),
    "dense1": lambda c, k: ops.dense_plan(1, c, k),
    "dense_2x3": lambda c, k: ops.dense_plan((2, 3), c, k),
}
SHAPES = {
    "2x7x9": (2, 7, 9),
    "batch1": (1, 6, 5),
    "1xN": (1, 1, 9),
}
IMPLEMENTATIONS = ["op", "reference"]


def relative_error(actual, expected):
  scale = max(1.0, float(np.max(np.abs(expected))))
  return float(np.max(np.abs(np.asarray(actual) - np.asarray(expected)))) / scale


def fits(plan, shape, padding):
  rows, cols = plan.kernel_size
  return padding == "SAME" or (shape[1] >= rows and shape[2] >= cols)


def run_case(implementation, plan, shape, strides, padding, rng, dtype=np.float32):
  x = rng.standard_normal(shape + (plan.in_channels,)).astype(dtype)
  w = rng.standard_normal(plan.num_weights).astype(dtype)
  expected = masked_dense_conv(x.astype(np.float32), w.astype(np.float32),
                               plan, strides, padding)
  actual = ops.sparse_conv2d(x, w, plan, strides, padding,
                             implementation=implementation)
  return actual, expected


@pytest.fixture(params=IMPLEMENTATIONS)
def implementation(request):
  if request.param == "op":
    request.getfixturevalue("require_op")
  return request.param


@pytest.mark.parametrize("padding", ["SAME", "VALID"])
@pytest.mark.parametrize("strides", [1, 2, (1, 2)])
@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("pattern", list(PLANS))
def test_forward_matches_masked_dense_conv(implementation, pattern, shape,
                                          strides, padding, rng):
  plan = PLANS[pattern](6, 8)
  if not fits(plan, SHAPES[shape], padding):
    pytest.skip("kernel larger than the input with VALID padding")
  actual, expected = run_case(implementation, plan, SHAPES[shape], strides,
                              padding, rng)
  assert actual.shape == expected.shape
  assert relative_error(actual, expected) < 1e-4


@pytest.mark.parametrize("pattern", ["sw_sc3", "cw_sc3", "psc4",
                                     "group1x1_shuffle", "group3",
                                     "depthwise3", "dense_2x3"])
@pytest.mark.parametrize("strides, padding", [(1, "SAME"), (2, "VALID"),
                                              (2, "SAME")])
def test_gradients_match_masked_dense_conv(implementation, pattern, strides,
                                           padding, rng):
  plan = PLANS[pattern](4, 6)
  x = tf.constant(rng.standard_normal((2, 5, 6, 4)), tf.float32)
  w = tf.constant(rng.standard_normal(plan.num_weights), tf.float32)
  upstream = tf.constant(rng.standard_normal(
      masked_dense_conv(x, w, plan, strides, padding).shape), tf.float32)
  grads = []
  for conv in (lambda x, w: ops.sparse_conv2d(
      x, w, plan, strides, padding, implementation=implementation),
               lambda x, w: masked_dense_conv(x, w, plan, strides, padding)):
    with tf.GradientTape() as tape:
      tape.watch([x, w])
      loss = tf.reduce_sum(conv(x, w) * upstream)
    grads.append(tape.gradient(loss, [x, w]))
  for actual, expected in zip(*grads):
    assert relative_error(actual, expected) < 1e-4


@pytest.mark.parametrize("pattern", ["sw_sc3", "cw_sc3", "group1x1_shuffle",
                                     "psc3_random"])
@pytest.mark.parametrize("strides, padding", [(1, "SAME"), (2, "SAME")])
def test_numerical_gradients(implementation, pattern, strides, padding, rng):
  plan = PLANS[pattern](4, 4)
  x = tf.constant(rng.standard_normal((1, 4, 5, 4)), tf.float64)
  w = tf.constant(rng.standard_normal(plan.num_weights), tf.float64)

  def conv(x, w):
    # compute_gradient perturbs in float64; the op computes in float32.
    y = ops.sparse_conv2d(tf.cast(x, tf.float32), tf.cast(w, tf.float32),
                          plan, strides, padding,
                          implementation=implementation)
    return tf.cast(y, tf.float64)

  theoretical, numerical = tf.test.compute_gradient(conv, [x, w], delta=1e-2)
  for t, n in zip(theoretical, numerical):
    assert np.max(np.abs(t - n)) < 1e-3 * max(1.0, np.max(np.abs(n)))


def test_inside_tf_function_with_static_shapes(implementation, rng):
  plan = ops.spatial_sc_plan(3, 4, 6)
  w = tf.constant(rng.standard_normal(plan.num_weights), tf.float32)

  @tf.function(jit_compile=False)
  def step(x):
    with tf.GradientTape() as tape:
      tape.watch(x)
      y = ops.sparse_conv2d(x, w, plan, 2, "SAME",
                            implementation=implementation)
      assert y.shape.as_list() == [3, 4, 5, 6]  # static shape inference
      loss = tf.reduce_sum(y * y)
    return y, tape.gradient(loss, x)

  x = tf.constant(rng.standard_normal((3, 7, 9, 4)), tf.float32)
  y, dx = step(x)
  np.testing.assert_allclose(y, masked_dense_conv(x, w, plan, 2, "SAME"),
                             atol=1e-4)
  assert dx.shape == x.shape


def test_unknown_batch_and_size_in_tf_function(implementation, rng):
  plan = ops.channel_sc_plan(3, 4, 6)
  w = tf.constant(rng.standard_normal(plan.num_weights), tf.float32)

  @tf.function(input_signature=[tf.TensorSpec([None, None, None, 4])])
  def run(x):
    y = ops.sparse_conv2d(x, w, plan, 1, "VALID",
                          implementation=implementation)
    assert y.shape.as_list() == [None, None, None, 6]
    return y

  for shape in [(1, 5, 5, 4), (3, 4, 7, 4)]:
    x = tf.constant(rng.standard_normal(shape), tf.float32)
    np.testing.assert_allclose(run(x), masked_dense_conv(x, w, plan, 1,
                                                         "VALID"), atol=1e-4)


@pytest.mark.parametrize("dtype", [tf.float16, tf.bfloat16])
def test_half_precision_inputs(implementation, dtype, rng):
  plan = ops.spatial_sc_plan(3, 4, 4)
  x = tf.constant(rng.standard_normal((1, 5, 5, 4)), dtype)
  w = tf.constant(rng.standard_normal(plan.num_weights) * 0.3, dtype)
  y = ops.sparse_conv2d(x, w, plan, implementation=implementation)
  assert y.dtype == dtype
  expected = masked_dense_conv(tf.cast(x, tf.float32), tf.cast(w, tf.float32),
                               plan, 1, "SAME")
  np.testing.assert_allclose(tf.cast(y, tf.float32), expected, atol=0.1,
                             rtol=0.05)


def test_empty_batch(implementation, rng):
  plan = ops.spatial_sc_plan(3, 4, 4)
  w = tf.constant(rng.standard_normal(plan.num_weights), tf.float32)
  x = tf.zeros((0, 5, 5, 4))
  with tf.GradientTape() as tape:
    tape.watch(w)
    y = ops.sparse_conv2d(x, w, plan, implementation=implementation)
  assert y.shape == (0, 5, 5, 4)
  grad = tape.gradient(tf.reduce_sum(y), w,
                       unconnected_gradients=tf.UnconnectedGradients.ZERO)
  np.testing.assert_array_equal(grad, np.zeros(plan.num_weights))


def test_larger_shapes_use_several_chunks_and_threads(require_op, rng):
  # Big enough that the CPU kernel splits rows over threads and chunks.
  del require_op
  plan = ops.spatial_sc_plan(3, 64, 128)
  for shape in [(3, 40, 33), (1, 64, 64)]:
    for strides in (1, 2):
      actual, expected = run_case("op", plan, shape, strides, "SAME", rng)
      assert relative_error(actual, expected) < 1e-4


@pytest.mark.parametrize("dtype, tolerance", [(tf.float16, 3e-3),
                                              (tf.bfloat16, 2e-2)])
def test_op_computes_half_types_natively(require_op, dtype, tolerance, rng):
  """float16 / bfloat16 go into the op as they are (no casts in the graph),
  and output and both gradients keep the type and match the float32 masked
  dense convolution of the same values."""
  del require_op
  plan = ops.channel_sc_plan(3, 8, 6)
  x = tf.constant(rng.standard_normal((2, 7, 5, 8)), dtype)
  w = tf.constant(rng.standard_normal(plan.num_weights) * 0.2, dtype)
  dy = tf.constant(rng.standard_normal((2, 4, 3, 6)), tf.float32)

  @tf.function
  def run(x, w):
    with tf.GradientTape() as tape:
      tape.watch([x, w])
      y = ops.sparse_conv2d(x, w, plan, 2, "SAME", implementation="op")
      loss = tf.reduce_sum(tf.cast(y, tf.float32) * dy)
    return [y] + tape.gradient(loss, [x, w])

  graph = run.get_concrete_function(x, w).graph
  sparse_ops = [op for op in graph.get_operations()
                if op.type.startswith("SparseZoo>")]
  assert len(sparse_ops) == 3  # forward and both gradients
  assert all(op.get_attr("T") == dtype for op in sparse_ops)

  y, dx, dw = run(x, w)
  assert y.dtype == dx.dtype == dw.dtype == dtype
  x32, w32 = tf.cast(x, tf.float32), tf.cast(w, tf.float32)
  with tf.GradientTape() as tape:
    tape.watch([x32, w32])
    expected = masked_dense_conv(x32, w32, plan, 2, "SAME")
    loss = tf.reduce_sum(expected * dy)
  expected_dx, expected_dw = tape.gradient(loss, [x32, w32])
  for actual, wanted in ((y, expected), (dx, expected_dx),
                         (dw, expected_dw)):
    assert relative_error(tf.cast(actual, tf.float32), wanted) < tolerance
