"""The weights registry: lookup, hash checks, strict loading, the weights
shipped with the package, and weights files given by path (their SHA-256
record, their shapes)."""

import hashlib
import os
import shutil
import subprocess

import numpy as np
import pytest

from sparsezoo_tf import export
from sparsezoo_tf import models
from sparsezoo_tf import training
from sparsezoo_tf.models import weights as weights_lib

CONFIGS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "configs", "classification")


@pytest.fixture
def home(tmp_path, monkeypatch):
  monkeypatch.setenv(weights_lib.HOME_ENV, str(tmp_path))
  return tmp_path


@pytest.fixture
def saved(home):
  """A digits_cnn weights file in $SPARSEZOO_HOME and its entry."""
  path = home / "digits_cnn_test.h5"
  model = models.digits_cnn()
  model.save_weights(str(path), save_format="h5")
  entry = models.WeightsEntry(
      model="digits_cnn", name="test", file_name=path.name,
      sha256=weights_lib.file_sha256(str(path)), dataset="digits", classes=10,
      input_shape=(8, 8, 1), recipe="configs/classification/digits_cnn.yaml")
  return model, path, entry


@pytest.fixture
def registered(saved, monkeypatch):
  model, path, entry = saved
  weights_lib.list_weights()  # load the real entries first
  monkeypatch.setitem(weights_lib._ENTRIES, ("digits_cnn", "test"), entry)  # pylint: disable=protected-access
  return model, path, entry


def test_registered_weights_load_from_the_home_folder(registered):
  source, _, _ = registered
  model = models.digits_cnn(weights="test")
  x = np.random.default_rng(0).standard_normal((2, 8, 8, 1)).astype(
      np.float32)
  np.testing.assert_allclose(model(x), source(x), rtol=1e-5, atol=1e-6)


def test_truncated_file_is_refused_naming_the_expected_hash(registered):
  _, path, entry = registered
  data = path.read_bytes()
  path.write_bytes(data[:len(data) // 2])
  with pytest.raises(ValueError, match=f"expected {entry.sha256}.*nothing "
                     "was loaded"):
    models.digits_cnn(weights="test")


def test_tampered_file_is_refused(registered):
  _, path, entry = registered
  data = bytearray(path.read_bytes())
  data[-100] ^= 0xFF
  path.write_bytes(bytes(data))
  with pytest.raises(ValueError, match=entry.sha256):
    models.digits_cnn(weights="test")


def test_missing_file_names_file_hash_and_folder(registered):
  _, path, entry = registered
  os.remove(path)
  with pytest.raises(FileNotFoundError, match=f"{path.name}.*{entry.sha256}"
                     ".*SPARSEZOO_HOME"):
    models.digits_cnn(weights="test")


def test_weights_that_imply_other_classes_need_include_top_false(registered):
  with pytest.raises(ValueError, match="trained with 10 classes.*classes "
                     "must be 10 \\(got 5\\)"):
    models.digits_cnn(weights="test", classes=5)
  assert models.digits_cnn(weights="test", include_top=False,
                           classes=5).output_shape == (None, 4, 4, 64)


def test_pretrained_head_needs_softmax_or_none(registered):
  with pytest.raises(ValueError, match="classifier_activation"):
    models.digits_cnn(weights="test", classifier_activation="sigmoid")


def test_a_file_that_is_not_hdf5_is_refused(tmp_path):
  path = tmp_path / "junk.h5"
  path.write_bytes(b"not an hdf5 file")
  with pytest.raises(ValueError, match="not a readable Keras HDF5"):
    models.digits_cnn(weights=str(path))


def test_reserved_names_say_they_do_not_exist_yet(monkeypatch):
  entry = models.WeightsEntry(
      model="digits_cnn", name="imagenet_like", file_name="x.h5", sha256=None,
      dataset="imagenet", classes=10, input_shape=(8, 8, 1),
      recipe="configs/classification/x.yaml")
  weights_lib.list_weights()
  monkeypatch.setitem(weights_lib._ENTRIES,  # pylint: disable=protected-access
                      ("digits_cnn", "imagenet_like"), entry)
  with pytest.raises(ValueError, match="do not exist yet.*x.yaml"):
    models.digits_cnn(weights="imagenet_like")


def test_every_shipped_file_matches_its_hash():
  shipped = [e for e in models.list_weights() if e.available]
  assert len(shipped) >= 7
  for entry in shipped:
    path = os.path.join(weights_lib.PACKAGE_DIR, entry.file_name)
    assert weights_lib.file_sha256(path) == entry.sha256, entry.file_name


# The digits-canvas weights: tests/localization/test_shipped_cam_weights.py.
@pytest.mark.parametrize("entry", [e for e in models.list_weights()
                                   if e.available and e.dataset == "digits"],
                         ids=lambda e: f"{e.model}-{e.name}")
def test_shipped_weights_reproduce_their_registered_accuracy(entry):
  model = models.create_model(entry.model, weights=entry.name)
  assert training.evaluate_digits(model) == pytest.approx(
      entry.metrics["top1"], abs=1e-9)


def test_one_scheme_per_shipped_model():
  schemes = {models.model_info(e.model).scheme for e in models.list_weights()
             if e.available and e.dataset == "digits"}
  assert {"dense", "sc", "sc_comb", "psc4", "scfusion2", "igcv2",
          "pwgconv4_dw_pwgconv4"} <= schemes


# Weights files given by path: their SHA-256 record and their shapes.


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
  """A finished one-epoch run of the trainer (6 steps of digits_cnn_sc)."""
  recipe = training.load_recipe(
      os.path.join(CONFIGS, "digits_cnn_sc.yaml"),
      "training.epochs=1,data.batch_size=256")
  model_dir = tmp_path_factory.mktemp("run")
  metrics = training.train(recipe, str(model_dir), verbose=0)
  return model_dir, metrics


@pytest.fixture
def run_copy(trained_run, tmp_path):
  """A copy of the finished run that a test may damage."""
  model_dir, metrics = trained_run
  copy = tmp_path / "run"
  shutil.copytree(model_dir, copy)
  return copy, metrics


def _flip_bytes(path, count=2000, seed=0):
  """Flips `count` bytes in the middle half of the file (its weights)."""
  data = bytearray(path.read_bytes())
  rng = np.random.default_rng(seed)
  for index in rng.choice(np.arange(len(data) // 4, 3 * len(data) // 4),
                          count, replace=False):
    data[index] ^= 0xFF
  path.write_bytes(bytes(data))
  return hashlib.sha256(data).hexdigest()


def test_the_trainer_writes_a_sha256sum_record_of_its_weights(trained_run):
  model_dir, _ = trained_run
  weights = model_dir / "weights.h5"
  digest = hashlib.sha256(weights.read_bytes()).hexdigest()
  assert (model_dir / "weights.h5.sha256").read_text() == (
      f"{digest}  weights.h5\n")
  if shutil.which("sha256sum"):
    result = subprocess.run(["sha256sum", "-c", "weights.h5.sha256"],
                            cwd=model_dir, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0 and "weights.h5: OK" in result.stdout
  assert not [name for name in os.listdir(model_dir) if ".tmp-" in name]


def test_a_trained_file_that_matches_its_record_loads(run_copy):
  model_dir, metrics = run_copy
  model = models.digits_cnn_sc(weights=str(model_dir / "weights.h5"))
  assert training.evaluate_digits(model) == pytest.approx(metrics["top1"],
                                                          abs=1e-9)


def test_a_trained_file_with_flipped_bytes_is_refused(run_copy):
  model_dir, _ = run_copy
  weights = model_dir / "weights.h5"
  expected = weights_lib.file_sha256(str(weights))
  actual = _flip_bytes(weights)
  message = (f"weights file {weights} does not match its record "
             f"{weights}.sha256: sha256 {actual}, expected {expected}.*"
             f"nothing was loaded")
  with pytest.raises(ValueError, match=message):
    models.digits_cnn_sc(weights=str(weights))
  with pytest.raises(ValueError, match=message):  # what the eval tool loads
    training.load_trained(str(model_dir))
  model = models.digits_cnn_sc()
  before = [w.copy() for w in model.get_weights()]
  with pytest.raises(ValueError, match=message):  # the export tool's path
    export.load_checkpoint(model, str(weights))
  for value, old in zip(model.get_weights(), before):
    np.testing.assert_array_equal(value, old)


def test_a_file_without_a_record_loads_unchecked(saved, tmp_path):
  source, path, _ = saved
  assert not os.path.exists(f"{path}{weights_lib.RECORD_SUFFIX}")
  model = models.digits_cnn(weights=str(path))
  x = np.random.default_rng(1).standard_normal((2, 8, 8, 1)).astype(
      np.float32)
  np.testing.assert_allclose(model(x), source(x), rtol=1e-5, atol=1e-6)


def test_a_malformed_record_is_an_error_saying_what_to_do(saved):
  _, path, _ = saved
  record = f"{path}{weights_lib.RECORD_SUFFIX}"
  with open(record, "w") as stream:
    stream.write("not a hash\n")
  with pytest.raises(ValueError, match=f"{record} is not a SHA-256 record.*"
                     f"sha256sum {path.name} > {path.name}.sha256"):
    models.digits_cnn(weights=str(path))


def test_a_file_of_another_model_names_the_layer_and_both_shapes(tmp_path):
  sparse = models.digits_cnn_sc()
  path = str(tmp_path / "sc.h5")
  sparse.save_weights(path, save_format="h5")
  dense = models.digits_cnn()
  layer = next(layer.name for layer in dense.layers
               if layer.weights and tuple(layer.weights[0].shape) != tuple(
                   sparse.get_layer(layer.name).weights[0].shape))
  model_shape = tuple(dense.get_layer(layer).weights[0].shape)
  file_shape = tuple(sparse.get_layer(layer).weights[0].shape)
  with pytest.raises(ValueError) as info:
    models.digits_cnn(weights=path)
  assert (f"layer {layer!r}: weight {layer}/kernel:0 has shape "
          f"{model_shape} in the model, {file_shape} in the file"
          ) in str(info.value)
  assert "Nothing was loaded" in str(info.value)


def test_reserved_weights_are_for_the_models_default_input():
  for entry in models.list_weights():
    if entry.dataset == "digits_detection":  # detectors: test_shipped_...
      continue
    assert entry.input_shape == models.model_info(entry.model).input_shape, (
        entry.model)
