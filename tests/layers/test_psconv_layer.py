"""PSConv2D: support size, coverage, reproducibility and saving."""

import numpy as np
import pytest
import tensorflow as tf

import layer_checks
from sparsezoo_tf.layers import PSConv2D


def built(layer, channels=8, size=6):
  layer.build((None, size, size, channels))
  return layer


@pytest.mark.parametrize("layout", ["shifted", "channel", "random"])
@pytest.mark.parametrize("kss", [1, 2, 4, 9])
def test_every_2d_kernel_has_kss_taps_and_filters_cover_the_kernel(layout,
                                                                   kss):
  layer = built(PSConv2D(6, 3, kss=kss, seed=3, layout=layout), channels=12)
  support = layer.plan.support
  np.testing.assert_array_equal(support.sum(axis=(0, 1)), kss)
  assert support.any(axis=2).all(), "a filter misses a kernel position"
  assert layer.kernel.shape == (kss * 12 * 6,)


def test_kss_9_is_a_dense_convolution():
  rng = np.random.default_rng(0)
  layer = built(PSConv2D(4, 3, kss=9, use_bias=False))
  dense = rng.standard_normal((3, 3, 8, 4)).astype(np.float32)
  layer.set_weights([dense.reshape(-1)[layer.plan.packed_index]])
  x = rng.standard_normal((2, 6, 6, 8)).astype(np.float32)
  np.testing.assert_allclose(layer(x), tf.nn.conv2d(x, dense, 1, "SAME"),
                             rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("layout", ["shifted", "random"])
def test_output_equals_masked_dense_conv2d(layout):
  rng = np.random.default_rng(1)
  layer = built(PSConv2D(4, 3, kss=3, seed=5, strides=2, layout=layout))
  mask = layer.plan.support
  dense = rng.standard_normal(mask.shape).astype(np.float32) * mask
  bias = rng.standard_normal(4).astype(np.float32)
  layer.set_weights([layer.plan.pack(dense), bias])
  x = rng.standard_normal((2, 6, 6, 8)).astype(np.float32)
  np.testing.assert_allclose(layer(x),
                             tf.nn.conv2d(x, dense, 2, "SAME") + bias,
                             rtol=1e-4, atol=1e-4)


def test_support_reproducible_from_seed_and_seed_matters():
  first = built(PSConv2D(6, 3, kss=4, seed=11)).plan.support
  again = built(PSConv2D(6, 3, kss=4, seed=11)).plan.support
  other = built(PSConv2D(6, 3, kss=4, seed=12)).plan.support
  np.testing.assert_array_equal(first, again)
  assert not np.array_equal(first, other)


def test_saved_support_wins_over_the_seed():
  """A reloaded layer computes with the saved tap sets even if the seed
  would now draw others (as a NumPy upgrade could)."""
  layer = built(PSConv2D(6, 3, kss=4, seed=11))
  config = layer.get_config()
  assert len(config["support_taps"]) >= 3
  config["seed"] = 999
  clone = built(PSConv2D.from_config(config))
  np.testing.assert_array_equal(clone.plan.support, layer.plan.support)


def test_random_layout_refuses_a_support_it_cannot_reproduce():
  config = built(PSConv2D(6, 3, kss=4, seed=2, layout="random")).get_config()
  config["support_fingerprint"] = "0" * 16
  with pytest.raises(ValueError, match="not the one this layer was saved"):
    built(PSConv2D.from_config(config))


@pytest.mark.parametrize("kwargs,message", [
    (dict(kss=0), r"kss .* \[1, 9\]"),
    (dict(kss=10), r"kss .* \[1, 9\]"),
    (dict(kss=2.5), "kss"),
    (dict(kss=4, layout="diagonal"), "layout"),
    (dict(kss=4, seed="x"), "seed"),
    (dict(kss=2, support_taps=[[0, 1], [2, 3]]), "cover"),
    (dict(kss=2, support_taps=[[0, 0]]), "distinct"),
    (dict(kss=2, layout="random", support_taps=[[0, 1]]), "periodic"),
])
def test_bad_settings_fail_at_construction(kwargs, message):
  with pytest.raises(ValueError, match=message):
    PSConv2D(4, 3, **kwargs)


def test_too_few_input_channels_for_coverage():
  with pytest.raises(ValueError, match="too few"):
    PSConv2D(4, 3, kss=2)(np.zeros((1, 5, 5, 3), np.float32))


def test_config_round_trip():
  layer_checks.assert_config_round_trip(
      PSConv2D(4, 3, kss=2, seed=4, name="ps"), (6, 6, 8))


def test_save_and_load_identical_outputs(tmp_path):
  layer_checks.assert_save_load_identical(
      lambda: PSConv2D(4, 3, kss=2, seed=4, name="ps"), (6, 6, 8), tmp_path)


def test_fit_step_trains():
  layer_checks.assert_fit_step_trains(
      lambda: PSConv2D(4, 3, kss=4, name="ps"), (6, 6, 8))


def test_mixed_float16_reference_path():
  mixed, full = layer_checks.run_mixed_float16(
      lambda: PSConv2D(4, 3, kss=4, implementation="reference"), (6, 6, 8))
  assert mixed.dtype == tf.float16
  np.testing.assert_allclose(mixed.numpy().astype(np.float32), full,
                             rtol=1e-2, atol=1e-2)
