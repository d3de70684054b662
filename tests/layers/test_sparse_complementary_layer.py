"""SparseComplementaryConv2D against hand-written supports and tf.nn.conv2d."""

import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras

import layer_checks
from sparsezoo_tf import ops
from sparsezoo_tf.layers import SparseComplementaryConv2D

PLUS_3X3 = {1, 3, 4, 5, 7}
CROSS_3X3 = {0, 2, 4, 6, 8}


def hand_mask(mode, k, c, f):
  """The support written out from the paper's definitions, index by index."""
  mask = np.zeros((k, k, c, f), dtype=bool)
  centre = (k * k) // 2
  for o in range(f):
    for i in range(c):
      for tap in range(k * k):
        plus = tap % 2 == 1 or tap == centre
        cross = tap % 2 == 0
        if mode == "sw_sc":
          on = plus if o % 2 == 0 else cross
        elif mode == "cw_sc":  # first output half: even inputs
          on = i % 2 == (o >= f // 2)
        elif mode == "sc_comb":
          on = (plus if o % 2 == 0 else cross) and i % 2 == (o >= f // 2)
        elif mode == "seq_plus":
          on = plus
        else:
          on = cross
        mask[tap // k, tap % k, i, o] = on
  return mask


@pytest.fixture(params=["op", "reference"])
def implementation(request):
  if request.param == "op" and ops.unavailable_reason() is not None:
    pytest.skip(f"op library not usable: {ops.unavailable_reason()}")
  return request.param


def test_3x3_layer_uses_plus_on_even_and_cross_on_odd_outputs():
  layer = SparseComplementaryConv2D(4, 3, mode="sw_sc")
  layer.build((None, 5, 5, 2))
  support = layer.plan.support
  for o in range(4):
    taps = set(np.flatnonzero(support[:, :, 0, o].reshape(-1)).tolist())
    assert taps == (PLUS_3X3 if o % 2 == 0 else CROSS_3X3)


@pytest.mark.parametrize("mode", ["sw_sc", "cw_sc", "sc_comb", "seq_plus",
                                  "seq_cross"])
@pytest.mark.parametrize("k", [3, 5])
def test_support_and_parameter_count(mode, k):
  layer = SparseComplementaryConv2D(6, k, mode=mode, use_bias=False)
  layer.build((None, 7, 7, 4))
  expected = hand_mask(mode, k, 4, 6)
  np.testing.assert_array_equal(layer.plan.support, expected)
  assert layer.count_params() == expected.sum()


def test_5x5_shapes_have_13_taps_each():
  layer = SparseComplementaryConv2D(2, 5, mode="sw_sc")
  layer.build((None, 9, 9, 1))
  assert layer.plan.support[:, :, 0, 0].sum() == 13
  assert layer.plan.support[:, :, 0, 1].sum() == 13


@pytest.mark.parametrize("mode", ["sw_sc", "cw_sc", "sc_comb", "seq_cross"])
@pytest.mark.parametrize("strides,padding", [(1, "same"), (2, "same"),
                                             (2, "valid")])
def test_output_equals_masked_dense_conv2d(mode, strides, padding,
                                           implementation):
  rng = np.random.default_rng(5)
  k, c, f = 3, 4, 6
  layer = SparseComplementaryConv2D(f, k, mode=mode, strides=strides,
                                    padding=padding,
                                    implementation=implementation)
  layer.build((None, 7, 8, c))
  dense = rng.standard_normal((k, k, c, f)).astype(np.float32)
  masked = dense * hand_mask(mode, k, c, f)
  bias = rng.standard_normal(f).astype(np.float32)
  layer.set_weights([layer.plan.pack(masked), bias])
  x = rng.standard_normal((2, 7, 8, c)).astype(np.float32)
  expected = tf.nn.conv2d(x, masked, strides, padding.upper()) + bias
  np.testing.assert_allclose(layer(x), expected, rtol=1e-4, atol=1e-4)
  np.testing.assert_allclose(layer.dense_kernel(), masked)
  assert layer.compute_output_shape((2, 7, 8, c)) == expected.shape


def test_kernel_regularizer_sees_existing_weights_only():
  rng = np.random.default_rng(6)
  layer = SparseComplementaryConv2D(
      4, 3, mode="sw_sc", kernel_regularizer=keras.regularizers.L2(0.5))
  layer.build((None, 5, 5, 2))
  dense = rng.standard_normal((3, 3, 2, 4)).astype(np.float32)
  masked = dense * hand_mask("sw_sc", 3, 2, 4)
  layer.set_weights([layer.plan.pack(masked), np.zeros(4, np.float32)])
  np.testing.assert_allclose(float(tf.add_n(layer.losses)),
                             0.5 * float(np.sum(masked ** 2)), rtol=1e-5)


def test_glorot_initializer_matches_dense_layer_statistics():
  layer = SparseComplementaryConv2D(64, 3, kernel_initializer="glorot_uniform")
  layer.build((None, 4, 4, 64))
  limit = np.sqrt(6.0 / (9 * 64 + 9 * 64))
  values = layer.kernel.numpy()
  assert np.abs(values).max() <= limit
  assert np.abs(values).max() > 0.9 * limit


@pytest.mark.parametrize("kwargs,message", [
    (dict(filters=4, kernel_size=4, mode="sw_sc"), "odd square"),
    (dict(filters=4, kernel_size=(3, 5), mode="sw_sc"), "odd square"),
    (dict(filters=5, kernel_size=3, mode="cw_sc"), "out_channels=5"),
    (dict(filters=4, kernel_size=3, mode="diagonal"),
     "mode must be a scheme of this layer, one of"),
    (dict(filters=0, kernel_size=3), "filters must be a positive int"),
    (dict(filters=4, kernel_size=3, padding="full"), "padding"),
    (dict(filters=4, kernel_size=3, implementation="gpu"), "implementation"),
])
def test_impossible_settings_fail_at_construction(kwargs, message):
  with pytest.raises(ValueError, match=message):
    SparseComplementaryConv2D(**kwargs)


def test_cw_sc_rejects_odd_input_channels_at_build():
  layer = SparseComplementaryConv2D(4, 3, mode="cw_sc")
  with pytest.raises(ValueError, match="in_channels=3"):
    layer(np.zeros((1, 5, 5, 3), np.float32))


def test_wrong_input_rank_is_rejected():
  layer = SparseComplementaryConv2D(4, 3)
  with pytest.raises(ValueError, match="ndim"):
    layer(np.zeros((5, 5, 3), np.float32))


@pytest.mark.parametrize("mode", ["sw_sc", "sc_comb"])
def test_config_round_trip(mode):
  layer = SparseComplementaryConv2D(
      4, 3, mode=mode, strides=2, kernel_regularizer="l2",
      activation="relu", implementation="reference", name="sc")
  layer_checks.assert_config_round_trip(layer, (6, 6, 2))


def test_save_and_load_identical_outputs(tmp_path):
  layer_checks.assert_save_load_identical(
      lambda: SparseComplementaryConv2D(4, 3, mode="sc_comb", name="sc"),
      (6, 6, 2), tmp_path)


def test_fit_step_trains():
  layer_checks.assert_fit_step_trains(
      lambda: SparseComplementaryConv2D(4, 3, mode="sw_sc", name="sc"),
      (6, 6, 2))


def test_mixed_float16_reference_path():
  mixed, full = layer_checks.run_mixed_float16(
      lambda: SparseComplementaryConv2D(4, 3, implementation="reference"),
      (6, 6, 2))
  assert mixed.dtype == tf.float16
  np.testing.assert_allclose(mixed.numpy().astype(np.float32), full,
                             rtol=1e-2, atol=1e-2)


def test_mixed_float16_auto_path():
  mixed, full = layer_checks.run_mixed_float16(
      lambda: SparseComplementaryConv2D(4, 3, mode="cw_sc"), (6, 6, 2))
  assert mixed.dtype == tf.float16
  np.testing.assert_allclose(mixed.numpy().astype(np.float32), full,
                             rtol=1e-2, atol=1e-2)


def test_odd_sw_sc_width_ends_on_plus_and_equals_masked_conv2d():
  rng = np.random.default_rng(7)
  k, c, f = 3, 3, 5
  layer = SparseComplementaryConv2D(f, k, mode="sw_sc", use_bias=False,
                                    implementation="reference")
  layer.build((None, 6, 6, c))
  np.testing.assert_array_equal(layer.plan.support, hand_mask("sw_sc", k, c,
                                                              f))
  assert set(np.flatnonzero(layer.plan.support[:, :, 0, 4]).tolist()) == (
      PLUS_3X3)
  masked = rng.standard_normal((k, k, c, f)).astype(np.float32) * hand_mask(
      "sw_sc", k, c, f)
  layer.set_weights([layer.plan.pack(masked)])
  x = rng.standard_normal((2, 6, 6, c)).astype(np.float32)
  np.testing.assert_allclose(layer(x), tf.nn.conv2d(x, masked, 1, "SAME"),
                             rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("legacy,mode", [("spatial", "sw_sc"),
                                         ("channel", "cw_sc"),
                                         ("both", "sc_comb")])
def test_configs_saved_with_former_mode_names_still_load(legacy, mode):
  config = SparseComplementaryConv2D(4, 3, mode=mode).get_config()
  config["mode"] = legacy
  layer = SparseComplementaryConv2D.from_config(config)
  assert layer.mode == mode and layer.get_config()["mode"] == mode


def test_files_naming_the_former_odd_width_class_still_load():
  config = SparseComplementaryConv2D(5, 3, name="odd").get_config()
  restored = keras.layers.deserialize(
      {"class_name": "sparsezoo_tf>SpatialSCAnyWidth", "config": config})
  restored.build((None, 4, 4, 2))
  assert restored.count_params() == 5 * 2 * 5 + 5
