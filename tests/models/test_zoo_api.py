"""The zoo's Keras Applications / timm API on the small digits models."""

import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras

from sparsezoo_tf import layers
from sparsezoo_tf import models


def test_list_models_filters_by_pattern_scheme_and_paper():
  assert "digits_cnn_sc" in models.list_models("digits*")
  assert models.list_models("digits_cnn_sc*") == [
      "digits_cnn_sc", "digits_cnn_sc_comb", "digits_cnn_scfusion2"]
  assert models.list_models("digits*", scheme="psc4") == ["digits_cnn_psc4"]
  assert models.list_models("no_such_model*") == []


def test_entry_points_are_attributes_of_the_package():
  model = models.digits_cnn_sc(classes=3)
  assert model.output_shape == (None, 3)
  assert "digits_cnn_sc" in dir(models)
  with pytest.raises(AttributeError,
                     match="has no attribute 'digits_cnn_nope'"):
    getattr(models, "digits_cnn_nope")


def test_unknown_model_suggests_close_names():
  with pytest.raises(ValueError, match="unknown model 'digits_cnn_s'.*"
                     "did you mean digits_cnn_sc"):
    models.create_model("digits_cnn_s")


def test_model_info_names_the_dense_baseline():
  info = models.model_info("digits_cnn_psc4")
  assert info.baseline == "digits_cnn" and info.input_shape == (8, 8, 1)
  assert models.model_info(info.baseline).scheme == "dense"


def test_sparse_model_and_baseline_differ_only_in_convolution_types():
  sparse = models.create_model("digits_cnn_sc")
  dense = models.create_model("digits_cnn")
  assert [l.name for l in sparse.layers[1:]] == [
      l.name for l in dense.layers[1:]]
  kinds = {type(l).__name__ for l in sparse.layers} - {
      type(l).__name__ for l in dense.layers}
  assert kinds == {"SparseComplementaryConv2D"}
  assert sum(isinstance(l, layers.SparseComplementaryConv2D)
             for l in sparse.layers) == 4


@pytest.mark.parametrize("pooling,shape", [(None, (None, 4, 4, 64)),
                                           ("avg", (None, 64)),
                                           ("max", (None, 64))])
def test_include_top_false_and_pooling(pooling, shape):
  model = models.digits_cnn_sc(include_top=False, pooling=pooling)
  assert model.output_shape == shape


def test_features_only_gives_endpoints_by_level():
  model = models.digits_cnn_igcv2(features_only=True, input_shape=(16, 16, 1))
  assert {k: v[1:] for k, v in model.output_shape.items()} == {
      "1": (16, 16, 32), "2": (16, 16, 32), "3": (8, 8, 64)}


def test_input_tensor_is_used():
  tensor = keras.Input((12, 12, 1))
  model = models.digits_cnn(input_tensor=tensor, classes=4)
  assert model.inputs[0] is tensor
  out = model(np.zeros((2, 12, 12, 1), np.float32))
  assert out.shape == (2, 4)
  np.testing.assert_allclose(out.numpy().sum(-1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("kwargs,error,message", [
    (dict(pooling="sum"), ValueError, "pooling must be one of"),
    (dict(classes=0), ValueError, "classes must be a positive int"),
    (dict(input_shape=(8, 8, 3)), ValueError, "takes 1 input channels"),
    (dict(input_shape=(2, 2, 1)), ValueError, "at least 4"),
    (dict(classifier_activation="nope"), ValueError, "nope"),
    (dict(weights="imagenet"), ValueError, "neither a registered weights"),
    (dict(widht=2), ValueError, "takes no argument .widht."),
])
def test_bad_arguments_say_what_is_wrong(kwargs, error, message):
  with pytest.raises(error, match=message):
    models.create_model("digits_cnn_sc", **kwargs)


def test_weights_from_a_file_path_round_trip(tmp_path):
  source = models.digits_cnn_psc4()
  path = str(tmp_path / "w.h5")
  source.save_weights(path, save_format="h5")
  loaded = models.digits_cnn_psc4(weights=path)
  x = np.random.default_rng(0).standard_normal((3, 8, 8, 1)).astype(
      np.float32)
  np.testing.assert_allclose(loaded(x), source(x), rtol=1e-5, atol=1e-6)
  headless = models.digits_cnn_psc4(weights=path, include_top=False,
                                    pooling="avg")
  np.testing.assert_allclose(
      headless(x), keras.Model(source.input,
                               source.get_layer("avg_pool").output)(x),
      rtol=1e-5, atol=1e-6)


def test_weights_of_another_architecture_fail_loudly(tmp_path):
  path = str(tmp_path / "w.h5")
  models.digits_cnn().save_weights(path, save_format="h5")
  with pytest.raises(ValueError, match="does not fit"):
    models.digits_cnn_sc(weights=path)


def test_models_train_with_fit():
  model = models.digits_cnn_scfusion2(classes=3)
  model.compile("sgd", "sparse_categorical_crossentropy")
  x = np.random.default_rng(1).standard_normal((8, 8, 8, 1)).astype(
      np.float32)
  history = model.fit(x, np.arange(8) % 3, epochs=1, verbose=0)
  assert np.isfinite(history.history["loss"][0])
  assert tf.reduce_all(tf.math.is_finite(model(x)))


def test_preprocess_input_returns_the_kind_it_was_given():
  pixels = np.array([[[[0.0], [16.0]]]], np.float32)  # digits: 0..16
  mean, std = 0.3053, 0.3760  # scikit-learn digits, on 0..1 pixels
  expected = (pixels / 16.0 - mean) / std
  from_numpy = models.preprocess_input(pixels, mode="digits")
  from_list = models.preprocess_input(pixels.tolist(), mode="digits")
  from_tensor = models.preprocess_input(tf.constant(pixels), mode="digits")
  assert isinstance(from_numpy, np.ndarray)
  assert isinstance(from_list, np.ndarray)
  assert tf.is_tensor(from_tensor)
  for result in (from_numpy, from_list, from_tensor.numpy()):
    assert result.dtype == np.float32
    np.testing.assert_allclose(result, expected, rtol=1e-6)


def test_list_models_refuses_an_unknown_scheme():
  with pytest.raises(ValueError, match="unknown scheme 'psconv4'"):
    models.list_models(scheme="psconv4")


@pytest.mark.parametrize("name, kwargs, fixed", [
    ("digits_cnn", dict(scheme="sc"), "scheme"),
    ("digits_cnn_sc", dict(scheme="psc4"), "scheme"),
    ("digits_cam_cnn", dict(stage_strides=2), "stage_strides"),
])
def test_an_argument_the_entry_point_fixes_is_refused(name, kwargs, fixed):
  with pytest.raises(ValueError, match=f"{name} fixes its argument "
                     f"'{fixed}'"):
    models.create_model(name, **kwargs)
