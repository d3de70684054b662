"""Checks every layer of the package must pass, shared by the layer tests."""

import numpy as np
import tensorflow as tf
import tf_keras as keras


def tiny_model(make_layer, input_shape, classes=3):
  """Input -> layer -> global pool -> Dense: a model that can be fit."""
  inputs = keras.Input(input_shape)
  features = make_layer()(inputs)
  pooled = keras.layers.GlobalAveragePooling2D()(features)
  outputs = keras.layers.Dense(classes, name="head")(pooled)
  return keras.Model(inputs, outputs)


def assert_config_round_trip(layer, input_shape):
  """from_config(get_config()) builds a layer computing the same function
  once given the same weights."""
  x = np.random.default_rng(0).standard_normal((2,) + tuple(input_shape))
  x = x.astype(np.float32)
  expected = layer(x)
  clone = type(layer).from_config(layer.get_config())
  clone(x)
  assert clone.get_config() == layer.get_config()
  clone.set_weights(layer.get_weights())
  np.testing.assert_allclose(clone(x), expected, rtol=1e-5, atol=1e-5)


def assert_save_load_identical(make_layer, input_shape, directory):
  """A model holding the layer saves and loads in .keras, .h5 and
  SavedModel, and the loaded model gives the same outputs."""
  model = tiny_model(make_layer, input_shape)
  x = np.random.default_rng(1).standard_normal((2,) + tuple(input_shape))
  x = x.astype(np.float32)
  expected = model(x).numpy()
  for path, kwargs in ((directory / "model.keras", {}),
                       (directory / "model.h5", {}),
                       (directory / "saved_model", {"save_format": "tf"})):
    model.save(str(path), **kwargs)
    loaded = keras.models.load_model(str(path))
    np.testing.assert_allclose(loaded(x).numpy(), expected, rtol=1e-5,
                               atol=1e-6, err_msg=str(path))


def assert_fit_step_trains(make_layer, input_shape, frozen_by_design=()):
  """One `fit` step: finite loss, and every trainable weight of the layer
  changes, except those whose names contain a `frozen_by_design` substring
  (e.g. the BN shift between two linear layers and a BN in training mode,
  whose gradient is exactly zero)."""
  keras.utils.set_random_seed(0)
  model = tiny_model(make_layer, input_shape)
  layer = model.layers[1]
  model.compile(optimizer=keras.optimizers.SGD(0.1),
                loss=keras.losses.SparseCategoricalCrossentropy(
                    from_logits=True))
  rng = np.random.default_rng(2)
  x = rng.standard_normal((4,) + tuple(input_shape)).astype(np.float32)
  y = rng.integers(0, 3, size=4)
  before = [w.numpy().copy() for w in layer.trainable_weights]
  assert before, "the layer has no trainable weights"
  history = model.fit(x, y, batch_size=4, epochs=1, verbose=0)
  assert np.isfinite(history.history["loss"][0])
  for old, new in zip(before, layer.trainable_weights):
    if any(part in new.name for part in frozen_by_design):
      continue
    assert not np.allclose(old, new.numpy()), new.name


def run_mixed_float16(make_layer, input_shape):
  """Builds and runs the layer under the mixed_float16 policy; returns the
  output and the float32 result of the same layer weights."""
  x = np.random.default_rng(3).standard_normal((2,) + tuple(input_shape))
  x = x.astype(np.float32)
  previous = keras.mixed_precision.global_policy()
  keras.mixed_precision.set_global_policy("mixed_float16")
  try:
    mixed = make_layer()
    mixed_out = mixed(x)
  finally:
    keras.mixed_precision.set_global_policy(previous)
  full = make_layer()
  full(x)
  full.set_weights(mixed.get_weights())
  return mixed_out, full(x)


def gradient_is_finite(layer, x):
  with tf.GradientTape() as tape:
    loss = tf.reduce_sum(layer(x) ** 2)
  return all(np.all(np.isfinite(g)) for g in
             tape.gradient(loss, layer.trainable_weights))
