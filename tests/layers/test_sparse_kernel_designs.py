"""Paper 001's sparse kernel designs and the generic KernelSequence."""

import numpy as np
import pytest
import tensorflow as tf

import layer_checks
from sparsezoo_tf.layers import design_steps
from sparsezoo_tf.layers import KernelSequence
from sparsezoo_tf.layers import KernelStep
from sparsezoo_tf.layers import parse_design
from sparsezoo_tf.layers import SparseKernelBlock


def numpy_shuffle(x, groups):
  *lead, channels = x.shape
  return x.reshape(*lead, groups, channels // groups).swapaxes(
      -1, -2).reshape(*lead, channels)


def conv_weights(block):
  return sum(int(np.prod(w.shape)) for w in block.trainable_weights
             if "bn" not in w.name)


@pytest.mark.parametrize("design,bottleneck,expected", [
    # Section 3.3 of paper 001, C = 32 inputs, F = 64 outputs.
    ("dw+pw", None, 9 * 32 + 32 * 64),
    ("gconv4+pwgconv8", None, 9 * 32 * 32 // 4 + 32 * 64 // 8),
    ("pw+dw+pw", 4, 16 * (32 + 64 + 9)),                 # K (C + F + 9)
    ("pwgconv2+dw+pwgconv8", 4, 32 * 16 // 2 + 9 * 16 + 16 * 64 // 8),
    ("pw+gconv4+pw", 4, 32 * 16 + 9 * 16 * 16 // 4 + 16 * 64),
    ("conv", None, 9 * 32 * 64),
])
def test_parameter_counts_of_section_3_3(design, bottleneck, expected):
  block = SparseKernelBlock(64, design, bottleneck_ratio=bottleneck,
                            batch_norm=False)
  block.build((None, 8, 8, 32))
  assert conv_weights(block) == expected
  assert block.compute_output_shape((None, 8, 8, 32)) == (None, 8, 8, 64)


@pytest.mark.parametrize("design,expected", [
    ("gconv4+pwgconv8", "GConv(4)+shuffle+PWGConv(8)"),
    ("pwgconv4+dw+pwgconv4", "PWGConv(4)+shuffle+DW+PWGConv(4)"),
    ("pw+gconv32+pw", "PW+GConv(32)+PW"),
    ("dw+pw", "DW+PW"),
    ("gconv1+pwgconv1", "Conv3x3+PW"),
])
def test_the_shuffle_goes_where_the_paper_needs_it(design, expected):
  steps = design_steps(design, 64, 64, 64)
  assert "+".join(step.describe() for step in steps) == expected


def test_stride_goes_to_the_first_spatial_kernel():
  steps = design_steps("pw+dw+pw", 16, 32, 8, strides=2)
  assert [s.strides for s in steps] == [1, 2, 1]
  block = SparseKernelBlock(32, "pw+dw+pw", bottleneck_ratio=4, strides=2)
  assert block(np.zeros((1, 8, 8, 16), np.float32)).shape == (1, 4, 4, 32)


def test_block_equals_explicit_composition():
  """pwgconv2 + shuffle + dw + pwgconv2, computed with tf.nn ops."""
  rng = np.random.default_rng(4)
  block = SparseKernelBlock(8, "pwgconv2+dw+pwgconv2", batch_norm=False)
  x = rng.standard_normal((2, 6, 6, 8)).astype(np.float32)
  block(x)
  first_dense = np.zeros((1, 1, 8, 8), np.float32)
  first_dense[..., :4, :4] = rng.standard_normal((1, 1, 4, 4))
  first_dense[..., 4:, 4:] = rng.standard_normal((1, 1, 4, 4))
  depthwise = rng.standard_normal((3, 3, 8, 1)).astype(np.float32)
  last_dense = np.zeros((1, 1, 8, 8), np.float32)
  last_dense[..., :4, :4] = rng.standard_normal((1, 1, 4, 4))
  last_dense[..., 4:, 4:] = rng.standard_normal((1, 1, 4, 4))
  first, dw, last = block.convolutions
  first.set_weights([first.plan.pack(numpy_shuffle(first_dense, 2))])
  dw.set_weights([depthwise])
  last.set_weights([last.plan.pack(last_dense)])
  expected = numpy_shuffle(tf.nn.conv2d(x, first_dense, 1, "SAME").numpy(),
                           2)
  expected = tf.nn.depthwise_conv2d(expected, depthwise, [1, 1, 1, 1], "SAME")
  expected = tf.nn.conv2d(expected, last_dense, 1, "SAME")
  np.testing.assert_allclose(block(x), expected, rtol=1e-4, atol=1e-4)


def test_batch_norm_follows_every_kernel_and_no_relu_inside():
  block = SparseKernelBlock(16, "pw+dw+pw", bottleneck_ratio=4)
  block.build((None, 4, 4, 16))
  assert len(block.normalizations) == 3
  x = -np.abs(np.random.default_rng(0).standard_normal((2, 4, 4, 16)))
  assert (block(x.astype(np.float32)).numpy() < 0).any()


def test_activation_between_steps_only():
  block = KernelSequence([KernelStep("pw", 8), KernelStep("pw", 8)],
                         batch_norm=False, activation="relu")
  block.build((None, 2, 2, 8))
  x = np.random.default_rng(1).standard_normal((4, 2, 2, 8)).astype(
      np.float32)
  first, second = block.get_weights()
  expected = np.maximum(x @ first[0, 0], 0) @ second[0, 0]
  np.testing.assert_allclose(block(x), expected, rtol=1e-5, atol=1e-5)
  assert (block(x).numpy() < 0).any()


@pytest.mark.parametrize("design,message", [
    ("dw+foo", "unknown kernel 'foo'"),
    ("", "non-empty"),
    ("pw++dw", "unknown kernel ''"),
])
def test_bad_designs_are_named(design, message):
  with pytest.raises(ValueError, match=message):
    parse_design(design)


@pytest.mark.parametrize("kwargs,channels,message", [
    (dict(filters=64, design="gconv5+pwgconv4"), 32,
     r"design 'gconv5\+pwgconv4' .* filters=32 is not divisible by "
     r"groups=5"),
    (dict(filters=64, design="pw+dw+pw", bottleneck_ratio=3), 32,
     "not divisible by bottleneck_ratio=3"),
    (dict(filters=64, design="pwgconv3+dw+pw", bottleneck_ratio=4), 32,
     "bottleneck_ratio=4: pwgconv: filters=16 is not divisible by groups=3"),
    (dict(filters=64, design="pw+dw"), 32, "ends with DW"),
])
def test_impossible_designs_fail_with_the_reason(kwargs, channels, message):
  with pytest.raises(ValueError, match=message):
    SparseKernelBlock(**kwargs)(np.zeros((1, 4, 4, channels), np.float32))


def test_step_validation():
  with pytest.raises(ValueError, match="kind must be one of"):
    KernelStep("sep", 4)
  with pytest.raises(ValueError, match="has no groups"):
    KernelStep("pw", 4, groups=2)
  with pytest.raises(ValueError, match="shuffle after"):
    KernelStep("pw", 4, shuffle=True)


# A BN followed by linear layers and a BN in training mode has a shift
# with exactly zero gradient; followed by DW and a BN, its scale too.
@pytest.mark.parametrize("make,frozen", [
    (lambda: SparseKernelBlock(16, "gconv4+pwgconv4", name="b1"),
     ("0_bn/beta",)),
    (lambda: SparseKernelBlock(16, "pwgconv2+dw+pwgconv2",
                               bottleneck_ratio=2, strides=2, name="b2"),
     ("0_bn/", "1_bn/beta")),
    (lambda: KernelSequence([KernelStep("gconv", 8, groups=2, shuffle=True),
                             KernelStep("pw", 16)], activation="relu",
                            name="seq"), ()),
])
def test_config_save_and_fit(make, frozen, tmp_path):
  layer_checks.assert_config_round_trip(make(), (6, 6, 16))
  layer_checks.assert_save_load_identical(make, (6, 6, 16), tmp_path)
  layer_checks.assert_fit_step_trains(make, (6, 6, 16),
                                      frozen_by_design=frozen)


def test_mixed_float16_reference_path():
  mixed, full = layer_checks.run_mixed_float16(
      lambda: SparseKernelBlock(16, "gconv4+pwgconv4",
                                implementation="reference"), (6, 6, 16))
  assert mixed.dtype == tf.float16
  np.testing.assert_allclose(mixed.numpy().astype(np.float32), full,
                             rtol=2e-2, atol=2e-2)
