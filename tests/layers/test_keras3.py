"""Keras 3 objects meeting the package, and zoo files loaded without it."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras

from sparsezoo_tf import export
from sparsezoo_tf import keras_compat
from sparsezoo_tf import layers
from sparsezoo_tf import models

pytestmark = pytest.mark.single_path  # nothing here depends on the op path

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def _keras3():
  """Keras 3 as TensorFlow 2.16+ exposes it (`tf.keras`)."""
  keras3 = tf.keras
  if keras_compat.is_keras3(keras3.Input((2,))):
    return keras3
  pytest.skip("tf.keras is not Keras 3 here (TF_USE_LEGACY_KERAS set?)")


def _assert_one_message(error_info):
  assert isinstance(error_info.value, keras_compat.KerasVersionError)
  assert keras_compat.KERAS3_MESSAGE in str(error_info.value)


@pytest.mark.parametrize("make_layer", [
    lambda: layers.SparseComplementaryConv2D(8, 3, mode="sw_sc"),
    lambda: layers.PSConv2D(8, 3, kss=4, seed=0),
    lambda: layers.ChannelShuffle(2),
    lambda: layers.SCFusion(8, 3, alpha=2),
    lambda: layers.IGCV2Block(8, branch_channels=2, num_group_convs=3),
], ids=["sc", "psconv", "shuffle", "scfusion", "igcv2"])
def test_layer_called_on_keras3_tensor(make_layer):
  keras3 = _keras3()
  with pytest.raises(keras_compat.KerasVersionError) as error_info:
    make_layer()(keras3.Input((8, 8, 8)))
  _assert_one_message(error_info)
  assert "is a Keras 3 KerasTensor" in str(error_info.value)


def test_layer_added_first_to_keras3_sequential():
  keras3 = _keras3()
  with pytest.raises(keras_compat.KerasVersionError) as error_info:
    keras3.Sequential([layers.SparseComplementaryConv2D(8, 3, name="sc")])
  _assert_one_message(error_info)
  assert "'sc'" in str(error_info.value)


def test_layer_added_later_to_keras3_sequential_gets_keras3_error():
  # Raised inside Keras 3 (an isinstance check), out of the package's reach;
  # README's "Which Keras" says so.
  keras3 = _keras3()
  model = keras3.Sequential([keras3.Input((8, 8, 4))])
  with pytest.raises(ValueError, match="Only instances of `keras.Layer`"):
    model.add(layers.SparseComplementaryConv2D(8, 3))


def test_keras3_input_tensor_to_zoo_model():
  keras3 = _keras3()
  with pytest.raises(keras_compat.KerasVersionError) as error_info:
    models.digits_cnn_sc(input_tensor=keras3.Input((8, 8, 1)))
  _assert_one_message(error_info)
  assert "input_tensor" in str(error_info.value)


def test_zoo_model_called_on_keras3_tensor():
  keras3 = _keras3()
  model = models.digits_cnn_sc()
  with pytest.raises(keras_compat.KerasVersionError) as error_info:
    model(keras3.Input((8, 8, 1)))
  _assert_one_message(error_info)


def test_keras3_training_objects_given_to_a_zoo_model():
  keras3 = _keras3()
  model = models.digits_cnn_sc()
  calls = [
      lambda: model.compile(optimizer=keras3.optimizers.Adam(),
                            loss="sparse_categorical_crossentropy"),
      lambda: model.compile(optimizer="adam", loss="mse",
                            metrics=[keras3.metrics.MeanAbsoluteError()]),
  ]
  images, labels = np.zeros((2, 8, 8, 1), np.float32), np.zeros((2,))
  callbacks = [keras3.callbacks.EarlyStopping(monitor="loss")]
  calls += [
      lambda: model.fit(images, labels, callbacks=callbacks, verbose=0),
      lambda: model.evaluate(images, labels, callbacks=callbacks, verbose=0),
      lambda: model.predict(images, callbacks=callbacks, verbose=0),
  ]
  for call in calls:
    with pytest.raises(keras_compat.KerasVersionError) as error_info:
      call()
    _assert_one_message(error_info)
  # tf_keras's own objects still work.
  model.compile(optimizer=keras.optimizers.Adam(), loss="mse")
  model.fit(images, labels, verbose=0,
            callbacks=[keras.callbacks.EarlyStopping(monitor="loss")])


def test_keras3_load_model_of_zoo_file(tmp_path):
  keras3 = _keras3()
  path = str(tmp_path / "digits.keras")
  models.digits_cnn_sc().save(path)
  with pytest.raises(keras_compat.KerasVersionError) as error_info:
    keras3.models.load_model(path)
  _assert_one_message(error_info)
  assert "'digits_cnn_sc'" in str(error_info.value)


def test_load_keras_model_of_keras3_file(tmp_path):
  keras3 = _keras3()
  path = str(tmp_path / "keras3.keras")
  keras3.Sequential([keras3.Input((4,)), keras3.layers.Dense(2)]).save(path)
  with pytest.raises(keras_compat.KerasVersionError) as error_info:
    export.load_keras_model(path)
  _assert_one_message(error_info)
  assert "written by Keras 3." in str(error_info.value)


def test_tf_keras_objects_still_work():
  assert not keras_compat.is_keras3(keras.Input((8, 8, 4)))
  assert not keras_compat.is_keras3(tf.zeros([1]))
  assert not keras_compat.is_keras3(np.zeros([1]))
  model = keras.Sequential([keras.Input((8, 8, 4)),
                            layers.SparseComplementaryConv2D(8, 3)])
  first = keras.Sequential([layers.SparseComplementaryConv2D(
      8, 3, input_shape=(8, 8, 4))])
  assert model.output_shape == first.output_shape == (None, 8, 8, 8)
  zoo = models.digits_cnn_sc(input_tensor=keras.Input((8, 8, 1)))
  assert isinstance(zoo, models.ZooModel)


def _same_model(expected, actual):
  assert type(actual) is type(expected)
  assert len(actual.weights) == len(expected.weights)
  for want, got in zip(expected.get_weights(), actual.get_weights()):
    np.testing.assert_array_equal(got, want)
  images = np.random.default_rng(0).standard_normal(
      (2, 8, 8, 1)).astype(np.float32)
  np.testing.assert_allclose(actual(images), expected(images), rtol=1e-6,
                             atol=1e-6)


@pytest.mark.parametrize("compiled", [False, True])
def test_load_keras_model_matches_tf_keras(tmp_path, compiled):
  model = models.digits_cnn_sc()
  if compiled:  # a compiled file goes through tf_keras's own loader
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
  path = str(tmp_path / "digits.keras")
  model.save(path)
  loaded = export.load_keras_model(path)
  _same_model(model, loaded)
  reference = keras.models.load_model(path)
  _same_model(reference, loaded)
  assert [w.name for w in loaded.weights] == [w.name for w in
                                              reference.weights]
  assert (loaded.optimizer is not None) == compiled


_NO_IMPORT = textwrap.dedent("""
    import json, os, sys
    if sys.argv[1] == "uninstalled":
      sys.modules["sparsezoo_tf"] = None  # import fails: not installed
    import numpy as np
    import tf_keras
    results = {}
    for name in sys.argv[2:]:
      try:
        model = tf_keras.models.load_model(name)
        images = np.load(name + ".npy")
        results[name] = ["loaded", type(model).__name__,
                         float(np.max(np.abs(model(images) -
                                             np.load(name + ".out.npy"))))]
      except Exception as error:  # pylint: disable=broad-except
        results[name] = ["error", type(error).__name__, str(error)[:400]]
    print("RESULTS " + json.dumps(results))
""")


@pytest.fixture(scope="module")
def saved_files(tmp_path_factory):
  """A zoo model and a user model holding sparsezoo layers, as .keras and
  .h5, each with an input and its outputs."""
  directory = tmp_path_factory.mktemp("files")
  inputs = keras.Input((8, 8, 4))
  user = keras.Model(
      inputs, layers.SparseComplementaryConv2D(8, 3, mode="cw_sc")(inputs),
      name="user")
  files = {}
  rng = np.random.default_rng(0)
  for key, model, shape in (("zoo", models.digits_cnn_sc(), (2, 8, 8, 1)),
                            ("user", user, (2, 8, 8, 4))):
    images = rng.standard_normal(shape).astype(np.float32)
    for ext in ("keras", "h5"):
      path = str(directory / f"{key}.{ext}")
      model.save(path)
      np.save(path + ".npy", images)
      np.save(path + ".out.npy", model(images).numpy())
      files[f"{key}.{ext}"] = path
  return files


def _load_without_import(mode, files):
  environment = dict(os.environ, PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL="3")
  result = subprocess.run([sys.executable, "-c", _NO_IMPORT, mode, *files],
                          capture_output=True, text=True, env=environment,
                          cwd=ROOT, timeout=300, check=False)
  lines = [line for line in result.stdout.splitlines()
           if line.startswith("RESULTS ")]
  assert lines, result.stderr[-2000:]
  return json.loads(lines[-1][len("RESULTS "):])


def test_files_load_without_import_when_installed(saved_files):
  results = _load_without_import("installed", [saved_files["zoo.keras"]])
  status, class_name, difference = results[saved_files["zoo.keras"]]
  assert (status, class_name) == ("loaded", "sparsezoo_tf>ZooModel")
  assert difference < 1e-5


def test_files_without_the_package_name_it(saved_files):
  results = _load_without_import("uninstalled", list(saved_files.values()))
  for key in ("zoo.keras", "zoo.h5", "user.keras", "user.h5"):
    assert results[saved_files[key]][0] == "error", key
  # A zoo .keras names the package's module it needs.
  assert "sparsezoo_tf.models.common cannot be imported" in (
      results[saved_files["zoo.keras"]][2])
  # .h5: the registered name of the first class tf_keras cannot find.
  assert "Unknown layer: 'sparsezoo_tf>ZooModel'" in (
      results[saved_files["zoo.h5"]][2])
  assert "'sparsezoo_tf>SparseComplementaryConv2D'" in (
      results[saved_files["user.h5"]][2])
  # tf_keras's quirk for an unregistered layer in a .keras file (README's
  # "Which Keras" says to import sparsezoo_tf first).
  assert results[saved_files["user.keras"]][1:] == [
      "TypeError", "'str' object is not callable"]
