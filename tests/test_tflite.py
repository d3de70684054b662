"""Tests of `sparsezoo_tf.tflite`: TFLite files of every scheme run in the
TFLite interpreter with the Keras model's outputs.

The references are independent of the converter: the Keras model's own
outputs on the pure-TF path (what the files are traced from) and, for
accuracy, the dataset's labels. TFLite conversion always traces the
reference path, so these tests do not depend on the op / reference
setting (`single_path`), except where the op is forced explicitly.
"""

import math
import os
import warnings

import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras

from sparsezoo_tf import export
from sparsezoo_tf import models
from sparsezoo_tf import ops
from sparsezoo_tf import schemes
from sparsezoo_tf import tflite
from sparsezoo_tf.benchmarks import zoo_table
from sparsezoo_tf.models import convs

pytestmark = pytest.mark.single_path

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(ROOT, "README.md")
DIGITS_MODELS = [name for name in models.list_models("digits_cnn*")
                 if any(entry.available and entry.name == "digits"
                        for entry in models.list_weights(name))]
# A concrete scheme for each registered scheme template.
SCHEME_NAMES = {
    "<design>": "pw_gconv4_pw",
    "group<groups>": "group4",
    "group<groups>_shuffle": "group4_shuffle",
    "psc<kss>": "psc2",
    "scfusion<alpha>": "scfusion4",
}
# int8 (256 calibration images): measured top-1 agreement with the Keras
# model on the 359 test images is 0.9944 to 1.0 for every digits model.
INT8_MIN_AGREEMENT = 0.98
# int8 in CI (the others under -m slow).
CI_INT8_MODELS = ("digits_cnn_sc", "digits_cnn_pwgconv_dw_pwgconv")


@pytest.fixture(scope="module")
def digits():
  """(calibration images, test images, test labels) of the digits."""
  data = tflite.RepresentativeData("digits", evaluation_examples=0)
  images, labels = tflite.evaluation_set(data)
  return tflite.calibration_images(data), images, labels


def _reference_model(name):
  """The zoo model with its digits weights, on the pure-TF path."""
  return models.create_model(name, weights="digits",
                             implementation="reference")


def _tiny_model(scheme):
  """Stem, two spatial and one 1x1 convolution of `scheme` (reference
  path), pooling and a classifier: random weights."""
  policy = convs.make_policy(scheme, implementation="reference")
  width = math.lcm(policy.channel_multiple((3, 1)), 8)
  inputs = keras.Input((8, 8, 3))
  x = keras.layers.Conv2D(width, 3, padding="same")(inputs)
  for index in range(2):
    x = policy.conv(width, 3, name=f"conv{index}")(x)
    x = keras.layers.ReLU()(x)
  x = policy.conv(width, 1, name="pointwise")(x)
  x = keras.layers.GlobalAveragePooling2D()(x)
  outputs = keras.layers.Dense(10, activation="softmax")(x)
  return keras.Model(inputs, outputs, name=f"tiny_{scheme}")


def test_every_registered_scheme_has_a_parity_case():
  registered = set(schemes.list_schemes())
  assert set(SCHEME_NAMES) <= registered
  # A new scheme must get a case here (its TFLite parity is untested).
  assert len(_scheme_cases()) == len(registered)


def _scheme_cases():
  return sorted(SCHEME_NAMES.get(name, name)
                for name in schemes.list_schemes())


@pytest.mark.parametrize("scheme", _scheme_cases())
def test_every_scheme_converts_to_builtins_with_float_parity(scheme):
  model = _tiny_model(scheme)
  if scheme != "dense":
    assert any(isinstance(getattr(layer, "implementation", None), str)
               for layer in model._flatten_layers()), scheme
  content = tflite.convert(model)
  assert tflite.non_builtin_ops(content) == []
  assert "CONV_2D" in tflite.tflite_ops(content)
  images = np.random.default_rng(1).standard_normal(
      (16, 8, 8, 3)).astype(np.float32)
  expected = model(images, training=False).numpy()
  (actual,) = tflite.run(content, images).values()
  error = np.max(np.abs(actual - expected)) / np.max(np.abs(expected))
  assert error <= tflite.FLOAT_TOLERANCE, (scheme, error)
  keras.backend.clear_session()


@pytest.mark.parametrize("name", DIGITS_MODELS)
def test_digits_models_float_parity_and_accuracy(name, digits):
  _, images, labels = digits
  model = _reference_model(name)
  content = tflite.convert(model)
  assert tflite.non_builtin_ops(content) == []
  actual = tflite.run(content, images)["predictions"]
  expected = model.predict(images, verbose=0)
  error = np.max(np.abs(actual - expected)) / np.max(np.abs(expected))
  assert error <= tflite.FLOAT_TOLERANCE, (name, error)
  assert np.array_equal(actual.argmax(-1), expected.argmax(-1))
  # The registered accuracy of the weights, reproduced by the file.
  entry = {e.name: e for e in models.list_weights(name)}["digits"]
  assert np.mean(actual.argmax(-1) == labels) == pytest.approx(
      entry.metrics["top1"], abs=0.5 / len(labels))
  parity = tflite.compare(model, content, images, labels)
  assert 0 < parity.max_relative_error <= tflite.FLOAT_TOLERANCE
  assert parity.top1_agreement == 1.0 and parity.examples == len(labels)
  keras.backend.clear_session()


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=[] if name in CI_INT8_MODELS
                 else [pytest.mark.slow]) for name in DIGITS_MODELS])
def test_digits_models_int8_agreement(name, digits):
  calibration, images, labels = digits
  model = _reference_model(name)
  content = tflite.convert(model, "int8", calibration)
  used = tflite.tflite_ops(content)
  assert tflite.non_builtin_ops(content) == []
  assert {"QUANTIZE", "DEQUANTIZE"} <= set(used)
  # int8 arithmetic inside: the convolutions' and classifier's tensors.
  details = tflite.interpreter(content).get_tensor_details()
  assert any(np.dtype(d["dtype"]) == np.int8 for d in details)
  actual = tflite.run(content, images)["predictions"]
  expected = model.predict(images, verbose=0)
  agreement = np.mean(actual.argmax(-1) == expected.argmax(-1))
  assert agreement >= INT8_MIN_AGREEMENT, (name, agreement)
  keras_accuracy = np.mean(expected.argmax(-1) == labels)
  assert np.mean(actual.argmax(-1) == labels) >= keras_accuracy - 0.02
  parity = tflite.compare(model, content, images, labels)
  assert parity.top1_agreement == pytest.approx(agreement)
  assert 0 < parity.max_relative_error < 0.5  # quantized, not broken
  keras.backend.clear_session()


def test_int8_input_and_output(digits):
  calibration, images, _ = digits
  model = _reference_model("digits_cnn")
  content = tflite.convert(model, "int8", calibration, io_dtype="int8")
  details = tflite.io_details(content)
  assert details["inputs"][0]["dtype"] == "int8"
  assert details["outputs"][0]["dtype"] == "int8"
  assert details["inputs"][0]["quantization"][0] > 0
  # `run` quantizes the float images with the file's scale.
  actual = tflite.run(content, images)["predictions"]
  expected = model.predict(images, verbose=0)
  assert np.mean(actual.argmax(-1) == expected.argmax(-1)) >= (
      INT8_MIN_AGREEMENT)


def test_fixed_batch_runs_in_padded_batches(digits):
  _, images, _ = digits
  model = _reference_model("digits_cnn")
  content = tflite.convert(model, batch_size=4)
  assert tflite.io_details(content)["inputs"][0]["shape"] == [4, 8, 8, 1]
  actual = tflite.run(content, images[:10])["predictions"]
  assert actual.shape == (10, 10)
  np.testing.assert_allclose(actual, model.predict(images[:10], verbose=0),
                             atol=1e-5)


def test_bad_arguments():
  model = _tiny_model("sc")
  with pytest.raises(ValueError, match="needs representative images"):
    tflite.convert(model, "int8")
  with pytest.raises(ValueError, match="quantization must be one of"):
    tflite.convert(model, "float16")
  with pytest.raises(ValueError, match="io_dtype='int8' needs"):
    tflite.convert(model, io_dtype="int8")
  with pytest.raises(ValueError, match="single images of rank 3"):
    tflite.convert(model, "int8", [np.zeros((8, 8), np.float32)])
  with pytest.raises(ValueError, match="needs its data_dir"):
    tflite.RepresentativeData("cifar10")
  with pytest.raises(ValueError, match="unknown split 'validation'"):
    tflite.RepresentativeData("digits", calibration_split="validation")
  with pytest.raises(ValueError, match="unknown dataset"):
    tflite.RepresentativeData("mnist")


def test_conversion_keeps_the_layers_setting():
  model = models.create_model("digits_cnn_sc")
  before = [layer.implementation for layer in model._flatten_layers()
            if isinstance(getattr(layer, "implementation", None), str)]
  assert before and set(before) == {"auto"}
  tflite.convert(model)
  after = [layer.implementation for layer in model._flatten_layers()
           if isinstance(getattr(layer, "implementation", None), str)]
  assert after == before


def test_op_path_graph_is_flagged_as_non_builtin():
  """What the converter would make of the op's graph: a custom op, which
  `non_builtin_ops` reports (`convert` never traces it)."""
  if ops.unavailable_reason() is not None:
    pytest.skip(f"op library not usable: {ops.unavailable_reason()}")
  model = models.create_model("digits_cnn_sc", implementation="op")
  module = export.serving_module(model)
  converter = tf.lite.TFLiteConverter.from_concrete_functions(
      [module.serve.get_concrete_function()], module)
  converter.allow_custom_ops = True
  content = converter.convert()
  assert tflite.non_builtin_ops(content) == ["CUSTOM:SparseZoo>SparseConv2D"]
  assert "CONV_2D" in tflite.tflite_ops(content)  # the dense stem


def test_interpreter_does_not_warn_about_deprecation():
  content = tflite.convert(_tiny_model("dense"))
  with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    tflite.run(content, np.zeros((2, 8, 8, 3), np.float32))
  assert not [w for w in caught if "deprecat" in str(w.message).lower()]


def test_quantize_aware_model_converts_without_representative_data(digits):
  quantization = pytest.importorskip(
      "sparsezoo_tf.optimization.quantization")
  calibration, images, labels = digits
  model = models.create_model("digits_cnn_sc", weights="digits")
  qat = quantization.quantize(model)
  qat = quantization.calibrate(
      qat, tf.data.Dataset.from_tensor_slices(calibration).batch(64))
  assert tflite.is_quantize_aware(qat)
  content = tflite.convert(qat, "int8")
  assert tflite.non_builtin_ops(content) == []
  assert "QUANTIZE" in tflite.tflite_ops(content)
  parity = tflite.compare(qat, content, images, labels)
  assert parity.top1_agreement >= INT8_MIN_AGREEMENT
  assert parity.tflite_top1 >= 0.95


def test_model_info_float32_bytes():
  for name in ("digits_cnn", "digits_cnn_sc"):
    info = models.model_info(name)
    params = models.create_model(name).count_params()
    assert info.params == params
    assert info.float32_bytes == 4 * params


def _readme_section(key):
  with open(README) as stream:
    content = stream.read()
  begin, end = f"<!-- {key}: begin -->\n", f"\n<!-- {key}: end -->"
  assert begin in content and end in content, (
      f"README.md has no generated table {key!r}: python "
      f"tools/model_table.py --readme {key}")
  return content.split(begin, 1)[1].split(end, 1)[0]


def _lines_by_model(table):
  return {line.split("|")[1].strip(): line
          for line in table.splitlines()[2:]}


def _check_readme_tflite_table(names):
  table = _readme_section("tflite")
  fix = "regenerate it: python tools/model_table.py --readme tflite"
  assert table.splitlines()[:2] == zoo_table.readme_table(
      "tflite", names=[]).splitlines(), fix
  lines = _lines_by_model(table)
  assert [key.split("`")[1] for key in lines] == zoo_table.readme_models(
      "tflite"), fix
  for key, line in _lines_by_model(zoo_table.readme_table(
      "tflite", names=names)).items():
    assert lines[key] == line, f"{key}: README {lines[key]!r}; {fix}"


def test_readme_tflite_table_header_models_and_a_row_are_the_tools():
  _check_readme_tflite_table(["digits_cnn"])


@pytest.mark.slow
def test_readme_tflite_table_is_what_the_tool_writes():
  _check_readme_tflite_table(zoo_table.readme_models("tflite"))


def test_quantize_aware_model_is_not_rebuilt_on_another_path():
  quantization = pytest.importorskip(
      "sparsezoo_tf.optimization.quantization")
  qat = quantization.quantize(models.create_model("digits_cnn_sc"))
  with pytest.raises(ValueError, match="quantization-aware"):
    export.serving_model(qat, "reference")
