"""IGC-V2, IGC-V1 and Xception blocks (paper 002)."""

import numpy as np
import pytest
import tensorflow as tf

import layer_checks
from sparsezoo_tf.layers import IGCV1Block
from sparsezoo_tf.layers import IGCV2Block
from sparsezoo_tf.layers import igcv2_structure
from sparsezoo_tf.layers import XceptionBlock


def linear(block_class, *args, **kwargs):
  """The block without batch norm and biases: a linear map."""
  return block_class(*args, batch_norm=False, use_bias=False, **kwargs)


def composite_connectivity(block, channels, size=5):
  """[C, F] boolean: output f depends on input c, read off the block's
  impulse responses (random weights make every existing path non-zero)."""
  impulses = np.zeros((channels, size, size, channels), np.float32)
  impulses[np.arange(channels), size // 2, size // 2, np.arange(channels)] = 1
  responses = block(impulses).numpy()
  return np.abs(responses).max(axis=(1, 2)) > 1e-7


def randomize(block, seed=0):
  rng = np.random.default_rng(seed)
  block.set_weights([rng.uniform(0.5, 1.5, w.shape).astype(np.float32)
                     for w in block.get_weights()])


def path_counts(block):
  """[C, F] number of channel paths through the block's group steps."""
  counts = None
  for convolution in block.convolutions:
    if hasattr(convolution, "plan"):
      step = convolution.plan.support.any(axis=(0, 1)).astype(np.int64)
    else:  # depthwise
      step = np.eye(convolution.kernel_size[0] and
                    convolution.depthwise_kernel.shape[2], dtype=np.int64)
    counts = step if counts is None else counts @ step
  return counts


@pytest.mark.parametrize("channels,branch,groups_convs,complementary", [
    (64, 8, 3, True),    # 8^2 = 64
    (64, 4, 4, True),    # 4^3 = 64
    (16, 4, 3, True),
    (64, 4, 3, False),   # 4^2 = 16 < 64: each output sees 16 inputs
    (64, 2, 4, False),   # 2^3 = 8
])
def test_composite_kernel_dense_exactly_when_complementary(
    channels, branch, groups_convs, complementary):
  block = linear(IGCV2Block, channels, branch_channels=branch,
                 num_group_convs=groups_convs)
  block.build((None, 5, 5, channels))
  randomize(block)
  assert block.structure(channels).complementary == complementary
  connected = composite_connectivity(block, channels)
  assert connected.all() == complementary
  if complementary:
    np.testing.assert_array_equal(path_counts(block), 1)
  else:
    np.testing.assert_array_equal(
        connected.sum(axis=0), branch**(groups_convs - 1))


def test_non_complementary_dense_block_has_redundant_paths():
  """C=48, K=8, L=3: dense (the condition is sufficient, not necessary),
  but some input-output pairs are joined by several paths."""
  block = linear(IGCV2Block, 48, branch_channels=8, num_group_convs=3)
  block.build((None, 5, 5, 48))
  randomize(block)
  assert composite_connectivity(block, 48).all()
  assert path_counts(block).max() > 1


def test_require_complementary_rejects_violations():
  block = IGCV2Block(48, branch_channels=8, num_group_convs=3,
                     require_complementary=True)
  with pytest.raises(ValueError, match=r"K\^\(L-1\) = 64 != C"):
    block(np.zeros((1, 4, 4, 48), np.float32))
  IGCV2Block(64, branch_channels=8, num_group_convs=3,
             require_complementary=True)(np.zeros((1, 4, 4, 64), np.float32))


@pytest.mark.parametrize("channels,kwargs,expected", [
    (64, {}, (4, 4)),          # Q = C(9 + 3*4) beats C(9 + 2*8)
    (256, {}, (5, 4)),         # 4^4: C(9 + 16) vs 16^2: C(9 + 32)
    (64, dict(branch_channels=8), (3, 8)),      # IGC-V2*: ceil(log8 64)+1
    (216, dict(branch_channels=8), (4, 8)),     # ceil(2.58) + 1
    (416, dict(branch_channels=8), (4, 8)),
    (64, dict(num_group_convs=3), (3, 8)),      # IGC-V2 (Cx): L = 3
    (256, dict(num_group_convs=3), (3, 16)),
])
def test_structure_from_the_balance_condition(channels, kwargs, expected):
  structure = igcv2_structure(channels, 3, **kwargs)
  assert (structure.num_group_convs, structure.branch_channels) == expected


def test_parameters_follow_equation_7():
  block = linear(IGCV2Block, 64, branch_channels=8, num_group_convs=3)
  block.build((None, 4, 4, 64))
  assert block.count_params() == 64 * 9 + 64 * (8 + 8)


@pytest.mark.parametrize("kwargs,channels,message", [
    (dict(filters=64, branch_channels=6), 64, "does not divide channels=64"),
    (dict(filters=64, num_group_convs=1), 64, "must be >= 2"),
    (dict(filters=20, branch_channels=8), 64, "filters=20 cannot split"),
])
def test_impossible_igcv2_settings(kwargs, channels, message):
  with pytest.raises(ValueError, match=message):
    IGCV2Block(**kwargs)(np.zeros((1, 4, 4, channels), np.float32))


def test_xception_block_equals_depthwise_then_pointwise():
  rng = np.random.default_rng(2)
  block = linear(XceptionBlock, 6, strides=2)
  x = rng.standard_normal((2, 7, 7, 4)).astype(np.float32)
  block(x)
  randomize(block, 1)
  depthwise, pointwise = block.get_weights()
  expected = tf.nn.conv2d(
      tf.nn.depthwise_conv2d(x, depthwise, [1, 2, 2, 1], "SAME"), pointwise,
      1, "SAME")
  np.testing.assert_allclose(block(x), expected, rtol=1e-5, atol=1e-5)


def test_igcv1_block_is_complementary_with_two_by_two_branches():
  block = linear(IGCV1Block, 8)
  block.build((None, 5, 5, 8))
  randomize(block)
  assert block.describe() == "GConv(4)+shuffle+PWGConv(2)"
  assert composite_connectivity(block, 8).all()
  np.testing.assert_array_equal(path_counts(block), 1)
  assert block.count_params() == 9 * 8 * 2 + 8 * 8 // 2


def test_igcv1_rejects_odd_channels():
  with pytest.raises(ValueError, match="primary_branch_channels=2"):
    IGCV1Block(8)(np.zeros((1, 4, 4, 7), np.float32))


@pytest.mark.parametrize("make", [
    lambda: IGCV2Block(16, branch_channels=4, name="igc2"),
    lambda: IGCV1Block(16, strides=2, name="igc1"),
    lambda: XceptionBlock(8, name="xc"),
])
def test_config_save_and_fit(make, tmp_path):
  layer_checks.assert_config_round_trip(make(), (6, 6, 16))
  layer_checks.assert_save_load_identical(make, (6, 6, 16), tmp_path)
  # Inside a block, BN -> linear -> BN (training) makes the first BN's
  # shift a no-op: its gradient is exactly zero.
  layer_checks.assert_fit_step_trains(make, (6, 6, 16),
                                      frozen_by_design=("0_bn/beta",
                                                        "1_bn/beta"))


def test_mixed_float16_reference_path():
  mixed, full = layer_checks.run_mixed_float16(
      lambda: IGCV2Block(16, branch_channels=4, implementation="reference"),
      (6, 6, 16))
  assert mixed.dtype == tf.float16
  np.testing.assert_allclose(mixed.numpy().astype(np.float32), full,
                             rtol=2e-2, atol=2e-2)
