"""TFLite formats of `sparsezoo_tf.export` and `tools/export.py`: the files,
their SHA-256 records and manifest entries, atomicity, bad input."""

import ast
import hashlib
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from sparsezoo_tf import data
from sparsezoo_tf import export
from sparsezoo_tf import models
from sparsezoo_tf import tflite

# TFLite files are always traced on the pure-TF path.
pytestmark = pytest.mark.single_path

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
TOOL = os.path.join(ROOT, "tools", "export.py")
CALIBRATION = 64


def _tool(*args, **kwargs):
  return subprocess.Popen(
      [sys.executable, TOOL, *args], stdout=subprocess.PIPE,
      stderr=subprocess.PIPE, text=True, cwd=ROOT,
      env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}, **kwargs)


@pytest.fixture(scope="module")
def tool_run(tmp_path_factory):
  """The tool end to end, started first (it overlaps the other tests)."""
  root = tmp_path_factory.mktemp("tool")
  output = root / "export"
  process = _tool("--model", "digits_cnn_igcv2", "--weights", "digits",
                  "--formats", "tflite,tflite_int8,keras",
                  "--calibration_examples", str(CALIBRATION),
                  "--output", str(output))
  yield process, output
  if process.poll() is None:
    process.kill()
    process.wait()


@pytest.fixture(scope="module")
def model():
  return models.create_model("digits_cnn_sc", weights="digits")


@pytest.fixture(scope="module")
def representative():
  return tflite.RepresentativeData("digits",
                                   calibration_examples=CALIBRATION)


@pytest.fixture(scope="module")
def exported(tmp_path_factory, model, representative):
  output = tmp_path_factory.mktemp("lib") / "export"
  paths = export.export_model(model, str(output),
                              formats="tflite,tflite_int8",
                              representative_data=representative)
  with open(paths["metadata"]) as stream:
    return paths, json.load(stream)


def _sha256(path):
  with open(path, "rb") as stream:
    return hashlib.sha256(stream.read()).hexdigest()


def test_files_records_and_manifest(exported, model):
  paths, manifest = exported
  assert sorted(paths) == ["metadata", "tflite", "tflite_int8"]
  assert sorted(os.listdir(os.path.dirname(paths["metadata"]))) == [
      "export.json", "model.tflite", "model.tflite.sha256",
      "model_int8.tflite", "model_int8.tflite.sha256"]
  assert manifest["formats"] == ["tflite", "tflite_int8"]
  assert manifest["params"] == model.count_params()
  assert manifest["float32_bytes"] == 4 * model.count_params()
  assert manifest["float32_bytes"] == models.model_info(
      "digits_cnn_sc").float32_bytes
  for name, quantization in (("tflite", "float32"), ("tflite_int8", "int8")):
    entry, path = manifest[name], paths[name]
    with open(path, "rb") as stream:
      content = stream.read()
    assert entry["file"] == os.path.basename(path)
    assert entry["bytes"] == len(content) == os.path.getsize(path)
    assert entry["sha256"] == _sha256(path)
    with open(path + ".sha256") as stream:
      assert stream.read() == f"{_sha256(path)}  {entry['file']}\n"
    assert entry["quantization"] == quantization
    assert entry["ops"] == tflite.tflite_ops(content)
    assert entry["builtin_ops_only"] and not tflite.non_builtin_ops(content)
    assert entry["io"]["inputs"][0]["dtype"] == "float32"
    assert entry["io"]["inputs"][0]["shape"] == [-1, 8, 8, 1]
    parity = entry["parity"]
    assert parity["data"] == "digits test"
    assert parity["examples"] == data.num_examples("digits", "test")
    assert parity["keras_top1"] == pytest.approx(356 / 359, abs=2 / 359)
  assert manifest["tflite"]["parity"]["max_relative_error"] <= 1e-4
  assert manifest["tflite"]["parity"]["top1_agreement"] == 1.0
  int8 = manifest["tflite_int8"]
  assert int8["parity"]["top1_agreement"] >= 0.98
  assert int8["quantize_aware"] is False
  assert int8["representative_data"]["dataset"] == "digits"
  assert int8["representative_data"]["examples_used"] == CALIBRATION
  assert int8["bytes"] < manifest["tflite"]["bytes"]
  assert "QUANTIZE" in int8["ops"] and "QUANTIZE" not in (
      manifest["tflite"]["ops"])


def test_manifest_parity_is_the_files(exported, model):
  """The manifest's numbers, recomputed from the published files."""
  paths, manifest = exported
  images, labels = tflite.evaluation_set(
      tflite.RepresentativeData("digits", evaluation_examples=0))
  expected = model.predict(images, verbose=0)
  with open(paths["tflite_int8"], "rb") as stream:
    actual = tflite.run(stream.read(), images)["predictions"]
  assert manifest["tflite_int8"]["parity"]["top1_agreement"] == (
      pytest.approx(np.mean(actual.argmax(-1) == expected.argmax(-1))))
  assert manifest["tflite_int8"]["parity"]["tflite_top1"] == (
      pytest.approx(np.mean(actual.argmax(-1) == labels)))


def test_loading_instructions_name_the_files(exported):
  paths, _ = exported
  lines = export.loading_instructions(paths["metadata"])
  assert len(lines) == 2
  assert lines[0].startswith(f"TFLite float32 {paths['tflite']}")
  assert "max relative error" in lines[0] and "builtin" in lines[0]
  assert lines[1].startswith(f"TFLite int8 {paths['tflite_int8']}")
  assert "top-1 agreement" in lines[1]


def test_int8_without_representative_data_writes_nothing(tmp_path, model):
  output = tmp_path / "out"
  with pytest.raises(ValueError, match="needs representative data"):
    export.export_model(model, str(output), formats="tflite_int8")
  with pytest.raises(ValueError, match="int8_io must be one of"):
    export.export_model(model, str(output), formats="tflite",
                        int8_io="uint8")
  # A zoo model whose dataset is read from files.
  with pytest.raises(ValueError, match="'cifar10' is read from files"):
    export.export_zoo_model("resnet32_cifar", str(output),
                            formats="tflite_int8")
  assert not output.exists() and os.listdir(tmp_path) == []


def test_float_only_without_data_checks_on_random_images(tmp_path):
  paths = export.export_zoo_model("digits_cnn", str(tmp_path / "out"),
                                  formats="tflite", dataset="digits",
                                  evaluation_examples=16)
  with open(paths["metadata"]) as stream:
    manifest = json.load(stream)
  assert manifest["tflite"]["parity"]["examples"] == 16
  assert manifest["tflite"]["parity"]["data"] == "digits test"
  model = models.create_model("digits_cnn")
  paths = export.export_model(model, str(tmp_path / "random"),
                              formats="tflite")
  with open(paths["metadata"]) as stream:
    parity = json.load(stream)["tflite"]["parity"]
  assert parity["data"] == "random normal"
  assert parity["max_relative_error"] <= 1e-4


def test_failed_parity_check_leaves_nothing(tmp_path, monkeypatch, model):
  output = tmp_path / "out"
  monkeypatch.setattr(tflite, "FLOAT_TOLERANCE", 0.0)
  with pytest.raises(RuntimeError, match="model.tflite differs from the "
                     "model"):
    export.export_model(model, str(output), formats="keras,tflite")
  assert os.listdir(tmp_path) == []


def test_failed_int8_agreement_leaves_nothing(tmp_path, monkeypatch, model,
                                              representative):
  output = tmp_path / "out"
  monkeypatch.setattr(export, "INT8_MIN_AGREEMENT", 1.01)
  with pytest.raises(RuntimeError, match="model_int8.tflite agrees"):
    export.export_model(model, str(output), formats="tflite_int8",
                        representative_data=representative)
  assert os.listdir(tmp_path) == []


def _tool_constant(tree, name):
  return ast.literal_eval(next(
      node.value for node in tree.body if isinstance(node, ast.Assign)
      and getattr(node.targets[0], "id", None) == name))


def test_tool_constants_are_the_librarys():
  with open(TOOL) as stream:
    tree = ast.parse(stream.read())
  assert _tool_constant(tree, "FORMATS") == export.FORMATS
  assert _tool_constant(tree, "DEFAULT_FORMATS") == export.DEFAULT_FORMATS
  assert _tool_constant(tree, "TFLITE_FORMATS") == export.TFLITE_FORMATS
  assert _tool_constant(tree, "DATASETS") == data.DATASETS
  assert _tool_constant(tree, "INT8_IO") == tflite.IO_DTYPES


@pytest.mark.parametrize("args,message", [
    (["--formats", "tflite,onnx"], "unknown format(s) ['onnx']"),
    (["--formats", "tflite", "--data_dir", "/nonexistent/dir"],
     "--data_dir /nonexistent/dir does not exist"),
    (["--formats", "tflite", "--dataset", "mnist"], "--dataset"),
    (["--model", "resnet32_cifar", "--formats", "tflite_int8"],
     "needs representative data"),
])
def test_tool_refuses_bad_input(tmp_path, args, message):
  argv = ["--output", str(tmp_path / "out")] + args
  if "--model" not in args:
    argv = ["--model", "digits_cnn_sc", "--weights", "digits"] + argv
  stdout, stderr = _tool(*argv).communicate(timeout=300)
  assert message in " ".join(stderr.split()), stderr[-2000:]
  assert "Traceback" not in stderr
  assert not (tmp_path / "out").exists()


def test_tool_end_to_end(tool_run):
  process, output = tool_run
  stdout, stderr = process.communicate(timeout=300)
  assert process.returncode == 0, stderr[-3000:]
  assert sorted(os.listdir(output)) == [
      "export.json", "model.keras", "model.keras.sha256", "model.tflite",
      "model.tflite.sha256", "model_int8.tflite", "model_int8.tflite.sha256"]
  assert not [name for name in os.listdir(output.parent)
              if name.startswith(".")]
  with open(output / "export.json") as stream:
    manifest = json.load(stream)
  assert manifest["registered_model"] == "digits_cnn_igcv2"
  assert manifest["tflite_int8"]["representative_data"][
      "examples_used"] == CALIBRATION
  assert manifest["tflite"]["parity"]["max_relative_error"] <= 1e-4
  assert manifest["tflite_int8"]["parity"]["top1_agreement"] >= 0.98
  assert f"TFLite float32 {output / 'model.tflite'}" in stdout
  assert f"TFLite int8 {output / 'model_int8.tflite'}" in stdout
  # The int8 file runs on its own and classifies the digits.
  images, labels = tflite.evaluation_set(
      tflite.RepresentativeData("digits", evaluation_examples=0))
  with open(output / "model_int8.tflite", "rb") as stream:
    predictions = tflite.run(stream.read(), images)["predictions"]
  assert np.mean(predictions.argmax(-1) == labels) >= 0.95
  # Flags that only TFLite formats take are reported as ignored.
  result = subprocess.run(
      [sys.executable, TOOL, "--model", "digits_cnn_sc", "--formats",
       "keras", "--calibration_examples", "8", "--output",
       str(output)], capture_output=True, text=True, timeout=120)
  assert "--calibration_examples is ignored" in result.stderr
  assert "exists and is not empty" in result.stderr
