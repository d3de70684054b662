"""Receptive-field coverage against hand-derived pictures (paper 000, Fig. 3).

Pictures are 5x5 offsets of the input of the first layer seen by one output
location of the second layer ('#' covered); row = kernel row. With 3x3
kernels centred at (0, 0) the two shapes are
  "+" P = {(0, 0), (+-1, 0), (0, +-1)}    "x" X = {(0, 0), (+-1, +-1)}
and a stack of two layers covers the Minkowski sum of their shapes:
  P + X: the 3x3 square and the eight (+-2, +-1), (+-1, +-2): 17 offsets,
         missing the four corners and the four (+-2, 0), (0, +-2);
  P + P: the diamond |dy| + |dx| <= 2: 13 offsets;
  X + X: (0, 0), (+-1, +-1), (+-2, +-2), (+-2, 0), (0, +-2): 13 offsets.
"""

import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras

from sparsezoo_tf import patterns
from sparsezoo_tf.analysis import receptive_field as rf
from sparsezoo_tf.layers import SparseComplementaryConv2D

FULL_5X5 = """
#####
#####
#####
#####
#####
"""

PLUS_THEN_CROSS = """
.#.#.
#####
.###.
#####
.#.#.
"""

PLUS_THEN_PLUS = """
..#..
.###.
#####
.###.
..#..
"""

CROSS_THEN_CROSS = """
#.#.#
.#.#.
#.#.#
.#.#.
#.#.#
"""

# Parallel SW-SC, second layer: a "+" output reads "+" and "x" channels:
# P + (P u X) = (P + X) u (P + P) adds (+-2, 0), (0, +-2) to P + X.
PLUS_OUTPUT_OF_TWO_SW_SC = """
.###.
#####
#####
#####
.###.
"""

# An "x" output: X + (P u X) = (X + P) u (X + X) adds the corners and
# (+-2, 0), (0, +-2) to P + X: everything.
CROSS_OUTPUT_OF_TWO_SW_SC = FULL_5X5


def picture(text: str) -> np.ndarray:
  """A picture of '#' / '.' lines as a boolean array."""
  rows = text.strip().splitlines()
  return np.array([[ch == "#" for ch in row] for row in rows], dtype=bool)


def built(layer, channels):
  layer.build((None, 9, 9, channels))
  return layer


# ---------------------------------------------------------------- basics


def test_two_dense_layers_cover_every_offset_and_channel_pair():
  coverage = rf.stack_coverage([patterns.dense(3, 4, 6),
                                patterns.dense(3, 6, 5)])
  assert coverage.shape == (5, 5, 4, 5) and coverage.dtype == bool
  assert coverage.all()
  np.testing.assert_array_equal(
      rf.location_coverage([patterns.dense(3, 4, 6),
                            patterns.dense(3, 6, 5)]), picture(FULL_5X5))


def test_one_layer_coverage_is_its_support(rng):
  support = rng.random((3, 2, 5, 7)) < 0.4
  np.testing.assert_array_equal(rf.stack_coverage([support]), support)


def test_offsets_add_from_the_top_left_corner():
  # Layer 0: one tap at kernel row 0, col 2; layer 1 (2x3): row 1, col 0.
  # Offset = (0 + 1, 2 + 0) in a 4x5 window.
  first = np.zeros((3, 3, 1, 1), bool)
  first[0, 2] = True
  second = np.zeros((2, 3, 1, 1), bool)
  second[1, 0] = True
  expected = picture("""
      .....
      ..#..
      .....
      .....
  """.replace(" ", ""))
  np.testing.assert_array_equal(rf.location_coverage([first, second]),
                                expected)


def test_numeric_supports_count_nonzero_weights():
  kernel = np.zeros((3, 3, 2, 2), np.float32)
  kernel[1, 1] = 0.5
  np.testing.assert_array_equal(rf.stack_coverage([kernel]), kernel != 0)


def test_matches_the_jacobian_of_a_stack_of_convolutions(rng):
  """Independent check of the layout: a VALID convolution stack with
  positive weights on the supports, on an input exactly one window large;
  the input positions each output depends on are the coverage."""
  supports = [rng.random((3, 3, 3, 4)) < 0.3,
              rng.random((1, 3, 4, 4)) < 0.5,
              rng.random((2, 2, 4, 2)) < 0.4]
  coverage = rf.stack_coverage(supports)
  rows, cols, channels, outputs = coverage.shape
  assert (rows, cols) == (4, 6)
  x = tf.constant(rng.random((1, rows, cols, channels)), tf.float32)
  with tf.GradientTape(persistent=True) as tape:
    tape.watch(x)
    y = x
    for support in supports:
      weights = rng.uniform(0.5, 1.0, support.shape) * support
      y = tf.nn.conv2d(y, tf.constant(weights, tf.float32), 1, "VALID")
    assert y.shape == (1, 1, 1, outputs)
    per_output = [y[0, 0, 0, o] for o in range(outputs)]
  for o in range(outputs):
    depends = tape.gradient(per_output[o], x)[0].numpy() != 0
    np.testing.assert_array_equal(coverage[:, :, :, o], depends)


def test_large_stack_is_fast_enough():
  supports = [patterns.spatial_sc(3, 64, 64)] * 3
  coverage = rf.stack_coverage(supports)
  assert coverage.shape == (7, 7, 64, 64)
  assert rf.location_coverage(supports).all()


# ------------------------------------------------- SW-SC (paper 000 Fig. 3)


def test_parallel_sw_sc_twice_covers_the_location():
  supports = [patterns.spatial_sc(3, 4, 4)] * 2
  np.testing.assert_array_equal(rf.location_coverage(supports),
                                picture(FULL_5X5))


def test_parallel_sw_sc_twice_per_output_channel():
  supports = [patterns.spatial_sc(3, 4, 4)] * 2
  per_output = rf.output_coverage(supports)
  coverage = rf.stack_coverage(supports)
  for o in range(4):
    expected = picture(PLUS_OUTPUT_OF_TWO_SW_SC if o % 2 == 0 else
                       CROSS_OUTPUT_OF_TWO_SW_SC)
    np.testing.assert_array_equal(per_output[:, :, o], expected)
    for c in range(4):  # every SW-SC kernel reads all input channels
      np.testing.assert_array_equal(coverage[:, :, c, o], expected)
  assert picture(PLUS_OUTPUT_OF_TWO_SW_SC).sum() == 21


def test_sequential_plus_then_cross_leaves_offsets_uncovered():
  supports = [patterns.single_shape(3, 4, 4, "plus"),
              patterns.single_shape(3, 4, 4, "cross")]
  location = rf.location_coverage(supports)
  np.testing.assert_array_equal(location, picture(PLUS_THEN_CROSS))
  assert location.sum() == 17


def test_sequential_cross_then_plus_is_the_same_set():
  plus_cross = rf.location_coverage([patterns.single_shape(3, 4, 4, "plus"),
                                     patterns.single_shape(3, 4, 4, "cross")])
  cross_plus = rf.location_coverage([patterns.single_shape(3, 4, 4, "cross"),
                                     patterns.single_shape(3, 4, 4, "plus")])
  np.testing.assert_array_equal(cross_plus, picture(PLUS_THEN_CROSS))
  np.testing.assert_array_equal(cross_plus, plus_cross)


def test_not_alternating_uncovers_more():
  """Paper 000: "if we do not apply sparse and complementary kernel
  alternatively, more receptive fields are uncovered"."""
  plus = patterns.single_shape(3, 4, 4, "plus")
  cross = patterns.single_shape(3, 4, 4, "cross")
  plus_plus = rf.location_coverage([plus, plus])
  cross_cross = rf.location_coverage([cross, cross])
  np.testing.assert_array_equal(plus_plus, picture(PLUS_THEN_PLUS))
  np.testing.assert_array_equal(cross_cross, picture(CROSS_THEN_CROSS))
  alternating = picture(PLUS_THEN_CROSS).sum()
  assert plus_plus.sum() == 13 < alternating
  assert cross_cross.sum() == 13 < alternating


def test_coverage_report_draws_the_location():
  report = rf.coverage_report([patterns.single_shape(3, 4, 4, "plus"),
                               patterns.single_shape(3, 4, 4, "cross")])
  assert report == ("2 layers, 4 -> 4 channels: 17 of 25 offsets covered "
                    "(5x5)\n" + PLUS_THEN_CROSS.strip())


def test_coverage_report_by_output_groups_equal_channels():
  report = rf.coverage_report([patterns.spatial_sc(3, 4, 4)] * 2,
                              by_output=True)
  assert report == "\n".join([
      "2 layers, 4 -> 4 channels: 25 of 25 offsets covered (5x5)",
      FULL_5X5.strip(),
      "output channels 0, 2: 21 of 25 covered",
      PLUS_OUTPUT_OF_TWO_SW_SC.strip(),
      "output channels 1, 3: 25 of 25 covered",
      CROSS_OUTPUT_OF_TWO_SW_SC.strip(),
  ])


# ------------------------------------------------------------------ CW-SC


def test_one_cw_sc_layer_reaches_half_the_channels():
  support = patterns.channel_sc(3, 8, 8)
  assert rf.channel_coverage([support]).tolist() == [4] * 8
  reach = rf.channel_reach([support])
  for c in range(8):
    for o in range(8):
      assert reach[c, o] == (c % 2 == (o >= 4))


def test_two_cw_sc_layers_reach_all_channels():
  """Paper 000, section 3.1: "every feature map at layer L+2 gets the
  information of all feature maps at layer L", unlike two 2-group
  convolutions (next test)."""
  supports = [patterns.channel_sc(3, 8, 8)] * 2
  assert rf.channel_coverage(supports).tolist() == [8] * 8
  assert rf.location_coverage(supports).all()


def test_group_convolution_needs_the_shuffle_to_reach_all_channels():
  plain = patterns.grouped(1, 8, 8, 2)
  shuffled = patterns.grouped(1, 8, 8, 2, shuffle=True)
  assert rf.channel_coverage([plain, plain]).tolist() == [4] * 8
  assert rf.channel_coverage([shuffled, plain]).tolist() == [8] * 8


def test_channel_reach_agrees_with_stack_coverage(rng):
  supports = [rng.random((3, 3, 6, 6)) < 0.05, rng.random((1, 1, 6, 4)) < 0.2]
  np.testing.assert_array_equal(rf.channel_reach(supports),
                                rf.stack_coverage(supports).any(axis=(0, 1)))


# --------------------------------------------------------- bad arguments


def test_mismatched_channel_counts_name_the_layer():
  with pytest.raises(ValueError, match=r"layer 2 reads 6 input channels but "
                     r"layer 1 has 4 output channels"):
    rf.stack_coverage([patterns.dense(3, 2, 4), patterns.dense(3, 4, 4),
                       patterns.dense(3, 6, 4)])


def test_bad_supports():
  with pytest.raises(ValueError, match="empty"):
    rf.stack_coverage([])
  with pytest.raises(ValueError, match="layer 0.*4-D"):
    rf.stack_coverage([np.ones((3, 3, 4), bool)])
  with pytest.raises(TypeError, match="list"):
    rf.stack_coverage(patterns.dense(3, 4, 4))


# ----------------------------------------------------------- Keras layers


def test_sparse_complementary_layers_give_the_pattern_supports():
  stack = [built(SparseComplementaryConv2D(4, 3, mode="sw_sc"), 4)
           for _ in range(2)]
  supports = rf.supports_of_layers(stack)
  assert len(supports) == 2
  for support in supports:
    np.testing.assert_array_equal(support, patterns.spatial_sc(3, 4, 4))
  np.testing.assert_array_equal(
      rf.stack_coverage(supports),
      rf.stack_coverage([patterns.spatial_sc(3, 4, 4)] * 2))


def test_keras_convolutions():
  conv = built(keras.layers.Conv2D(6, 3, groups=2), 4)
  depthwise = built(keras.layers.DepthwiseConv2D(3, depth_multiplier=2), 6)
  separable = built(keras.layers.SeparableConv2D(5, (1, 3)), 12)
  supports = rf.supports_of_layers(
      [keras.layers.InputLayer((9, 9, 4)), conv, depthwise, separable])
  assert [s.shape for s in supports] == [(3, 3, 4, 6), (3, 3, 6, 12),
                                         (1, 3, 12, 12), (1, 1, 12, 5)]
  np.testing.assert_array_equal(supports[0], patterns.grouped(3, 4, 6, 2))
  # Depthwise output c * 2 + j reads input c.
  expected = np.zeros((6, 12), bool)
  for c in range(6):
    expected[c, 2 * c:2 * c + 2] = True
  np.testing.assert_array_equal(supports[1][1, 1], expected)
  assert supports[1].any(axis=(2, 3)).all()
  np.testing.assert_array_equal(supports[2][0, 0], np.eye(12, dtype=bool))
  assert supports[3].all()
  assert rf.stack_coverage(supports).shape == (5, 7, 4, 5)
  # The dense pointwise layer mixes both groups of the group convolution.
  assert rf.channel_coverage(supports).tolist() == [4] * 5


@pytest.mark.parametrize("make_layer", [
    lambda: SparseComplementaryConv2D(4, 3, mode="sw_sc", strides=2),
    lambda: keras.layers.Conv2D(4, 3, strides=(1, 2)),
    lambda: keras.layers.Conv2D(4, 3, dilation_rate=2),
    lambda: keras.layers.DepthwiseConv2D(3, strides=2),
])
def test_strided_or_dilated_layers_are_rejected(make_layer):
  layer = built(make_layer(), 4)
  with pytest.raises(ValueError, match="layer 1 .*(strides|dilation_rate)"):
    rf.supports_of_layers([built(keras.layers.Conv2D(4, 3), 4), layer])


def test_mismatched_keras_layers_raise():
  stack = [built(SparseComplementaryConv2D(4, 3, mode="sw_sc"), 4),
           built(SparseComplementaryConv2D(4, 3, mode="sw_sc"), 8)]
  with pytest.raises(ValueError, match="layer 1 reads 8 input channels but "
                     "layer 0 has 4 output channels"):
    rf.stack_coverage(rf.supports_of_layers(stack))


def test_unknown_unbuilt_and_transposed_layers_are_rejected():
  with pytest.raises(ValueError, match="Dense"):
    rf.supports_of_layers([built(keras.layers.Dense(3), 4)])
  with pytest.raises(ValueError, match="Conv2DTranspose.*transposed"):
    rf.supports_of_layers([built(keras.layers.Conv2DTranspose(3, 3), 4)])
  with pytest.raises(ValueError, match="not built"):
    rf.supports_of_layers([SparseComplementaryConv2D(4, 3)])
  with pytest.raises(ValueError, match="not built"):
    rf.supports_of_layers([keras.layers.Conv2D(4, 3)])
