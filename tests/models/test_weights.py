"""The weights registry: lookup, hash checks, strict loading, and the
weights shipped with the package."""

import os

import numpy as np
import pytest

from sparsezoo_tf import models
from sparsezoo_tf import training
from sparsezoo_tf.models import weights as weights_lib


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


@pytest.mark.parametrize("entry", [e for e in models.list_weights()
                                   if e.available],
                         ids=lambda e: f"{e.model}-{e.name}")
def test_shipped_weights_reproduce_their_registered_accuracy(entry):
  model = models.create_model(entry.model, weights=entry.name)
  assert training.evaluate_digits(model) == pytest.approx(
      entry.metrics["top1"], abs=1e-9)


def test_one_scheme_per_shipped_model():
  schemes = {models.model_info(e.model).scheme for e in models.list_weights()
             if e.available and e.dataset == "digits"}
  assert {"dense", "sc", "sc_comb", "psc4", "scfusion2", "igcv2",
          "pwgconv_dw_pwgconv"} <= schemes
