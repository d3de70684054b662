"""Quantization-aware training of zoo models with tfmot: every sparse layer
class gets its QuantizeConfig, runs forward and backward, stays close to
the float model at init, and a quantized model saves and reloads."""

import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras

from sparsezoo_tf import data
from sparsezoo_tf import keras_compat
from sparsezoo_tf import layers
from sparsezoo_tf import models
from sparsezoo_tf.optimization import pruning
from sparsezoo_tf.optimization import quantization

# One digits zoo model per scheme, with its shipped weights.
ZOO = ["digits_cnn_sc", "digits_cnn_sc_comb", "digits_cnn_psc4",
       "digits_cnn_scfusion2", "digits_cnn_igcv2",
       "digits_cnn_pwgconv_dw_pwgconv"]


@pytest.fixture(scope="module")
def digits():
  batches = [x.numpy() for x, _ in data.make_dataset(
      "digits", "test", batch_size=128, training=False).take(3)]
  return batches[0], batches[1:]


def _wrapped(model):
  """{inner layer class name: its QuantizeConfig class name}."""
  result = {}
  for layer in model.layers:
    inner = getattr(layer, "layer", None)
    config = getattr(layer, "quantize_config", None)
    if inner is not None and config is not None:
      result[type(inner).__name__] = type(config).__name__
  return result


def _train_step(model, x):
  labels = np.arange(len(x)) % model.output_shape[-1]
  with tf.GradientTape() as tape:
    loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(
        labels, model(x, training=True)))
  grads = tape.gradient(loss, model.trainable_weights)
  missing = [w.name for w, g in zip(model.trainable_weights, grads)
             if g is None]
  assert not missing
  return grads


@pytest.mark.parametrize("name", ZOO)
def test_zoo_models_quantize_and_stay_close_at_init(name, digits):
  x, calibration = digits
  model = models.create_model(name, weights="digits")
  quantized = quantization.quantize(model)
  assert quantization.is_quantized(quantized)
  wrapped = _wrapped(quantized)
  sparse = {type(l).__name__ for l in model.layers
            if isinstance(l, (layers.SparseConv2DBase, layers.SCFusion,
                              layers.KernelSequence))}
  for cls in sparse:
    assert wrapped[cls] in ("SparseConvQuantizeConfig",
                            "BlockQuantizeConfig"), wrapped
  quantization.calibrate(quantized, calibration)
  expected, actual = model(x).numpy(), quantized(x).numpy()
  # Fake-quantization error, with tfmot's initial activation ranges
  # ([-6, 6] until fine-tuning moves them): same class for almost all
  # digits, probabilities within a few percent on average.
  assert np.mean(expected.argmax(1) == actual.argmax(1)) >= 0.97
  assert np.mean(np.abs(expected - actual)) < 0.03
  assert not np.array_equal(expected, actual)  # it does quantize
  _train_step(quantized, x[:16])


def _layer_zoo_model():
  """A small model of the layer classes no digits model has alone."""
  inputs = keras.Input((8, 8, 8))
  x = layers.SparseComplementaryConv2D(8, 3, mode="cw_sc")(inputs)
  x = layers.SparseComplementaryConv2D(8, 3, mode="seq_plus")(x)
  x = layers.GroupConv2D(8, 1, groups=2, shuffle=True, activation="relu")(x)
  x = layers.ChannelShuffle(4)(x)
  x = layers.PSConv2D(8, 3, kss=2, layout="channel")(x)
  x = layers.IGCV1Block(8)(x)
  x = layers.XceptionBlock(8)(x)
  x = layers.KernelSequence([{"kind": "pwgconv", "filters": 8,
                              "groups": 4}])(x)
  x = keras.layers.GlobalAveragePooling2D()(x)
  outputs = keras.layers.Dense(4, activation="softmax")(x)
  return keras.Model(inputs, outputs)


def test_every_layer_class_gets_a_config_and_trains():
  model = _layer_zoo_model()
  quantized = quantization.quantize(model)
  assert _wrapped(quantized) == {
      "SparseComplementaryConv2D": "SparseConvQuantizeConfig",
      "GroupConv2D": "SparseConvQuantizeConfig",
      "ChannelShuffle": "PassThroughQuantizeConfig",
      "PSConv2D": "SparseConvQuantizeConfig",
      "IGCV1Block": "BlockQuantizeConfig",
      "XceptionBlock": "BlockQuantizeConfig",
      "KernelSequence": "BlockQuantizeConfig",
      "GlobalAveragePooling2D": "Default8BitQuantizeConfig",
      "Dense": "Default8BitQuantizeConfig",
  }
  x = np.random.default_rng(0).normal(size=(8, 8, 8, 8)).astype("float32")
  before = [w.numpy() for w in quantized.trainable_weights]
  grads = _train_step(quantized, x)
  keras.optimizers.SGD(0.1).apply_gradients(
      zip(grads, quantized.trainable_weights))
  changed = [not np.array_equal(b, w.numpy())
             for b, w in zip(before, quantized.trainable_weights)]
  assert all(changed)
  # Each packed kernel is fake-quantized: at most 255 levels, on the grid.
  quantization.calibrate(quantized, [x])
  for wrapper in quantized.layers:
    inner = getattr(wrapper, "layer", None)
    if isinstance(inner, layers.SparseConv2DBase):
      quantized(x)  # sets the inner kernel to its fake-quantized value
      values = np.unique(np.asarray(inner.kernel))
      assert len(values) <= 255
      step = np.min(np.diff(values))
      np.testing.assert_allclose(values / step, np.round(values / step),
                                 atol=5e-3)


@pytest.mark.single_path
def test_quantized_model_saves_and_reloads(tmp_path, digits):
  x, calibration = digits
  model = models.create_model("digits_cnn_scfusion2", weights="digits")
  quantized = quantization.calibrate(quantization.quantize(model),
                                     calibration)
  expected = quantized(x).numpy()
  # Weights only, into the same quantized architecture (what a QAT run's
  # weights.h5 is).
  quantized.save_weights(tmp_path / "q.h5")
  again = quantization.quantize(models.create_model("digits_cnn_scfusion2"))
  again.load_weights(tmp_path / "q.h5")
  np.testing.assert_allclose(again(x), expected, atol=1e-6)
  # The whole model as HDF5 (tfmot's QuantizeLayer does not reload from
  # the .keras format), loaded inside quantize_scope.
  quantized.save(tmp_path / "q.h5")
  with quantization.quantize_scope():
    loaded = keras.models.load_model(tmp_path / "q.h5")
  np.testing.assert_allclose(loaded(x), expected, atol=1e-6)


@pytest.mark.single_path
def test_keras3_models_and_double_quantization_are_refused():
  keras3 = pytest.importorskip("keras")
  if not keras3.__version__.startswith("3."):
    pytest.skip("no Keras 3 installed")
  model3 = keras3.Sequential([keras3.Input((8, 8, 1)),
                              keras3.layers.Conv2D(4, 3)])
  for call in (quantization.quantize, pruning.strip,
               lambda m: pruning.prune(m, 0.5, end_step=10)):
    with pytest.raises(keras_compat.KerasVersionError, match="tf_keras"):
      call(model3)
  quantized = quantization.quantize(models.create_model("digits_cnn"))
  with pytest.raises(ValueError, match="quantization-aware already"):
    quantization.quantize(quantized)
