"""Loading the library: missing, foreign or forced away -> reference path."""

import numpy as np
import pytest
import tensorflow as tf

from conftest import masked_dense_conv
from sparsezoo_tf import ops
from sparsezoo_tf.ops import loader



def test_missing_library_warns_once_and_falls_back(fresh_loader, tmp_path):
  fresh_loader.setenv(loader.LIBRARY_ENV, str(tmp_path / "missing.so"))
  with pytest.warns(RuntimeWarning, match="does not exist"):
    assert loader.load_library() is None
  assert not ops.op_available()
  assert ops.resolve_implementation("auto") == "reference"
  with pytest.raises(RuntimeError, match="not usable: .*does not exist"):
    ops.resolve_implementation("op")
  plan = ops.spatial_sc_plan(3, 2, 2)
  x = tf.ones((1, 3, 3, 2))
  w = tf.range(plan.num_weights, dtype=tf.float32)
  np.testing.assert_allclose(ops.sparse_conv2d(x, w, plan),
                             masked_dense_conv(x, w, plan, 1, "SAME"))


def test_library_built_for_another_tensorflow(fresh_loader, tmp_path):
  fake = tmp_path / "_sparse_conv_ops.so"
  fake.write_bytes(b"\x7fELF...sparsezoo_tf:built_for_tensorflow=1.15.0;...")
  fresh_loader.setenv(loader.LIBRARY_ENV, str(fake))
  with pytest.warns(RuntimeWarning, match="built for TensorFlow 1.15.0"):
    assert loader.load_library() is None
  assert "rebuild" in loader.unavailable_reason()


def test_foreign_file_is_not_loaded(fresh_loader, tmp_path):
  fake = tmp_path / "_sparse_conv_ops.so"
  fake.write_bytes(b"not a library")
  fresh_loader.setenv(loader.LIBRARY_ENV, str(fake))
  with pytest.warns(RuntimeWarning, match="no sparsezoo_tf build information"):
    assert loader.load_library() is None


def test_force_reference_environment_variable(monkeypatch):
  monkeypatch.setenv(loader.FORCE_REFERENCE_ENV, "1")
  assert ops.resolve_implementation("auto") == "reference"
  assert ops.resolve_implementation("op") == "reference"
  assert not ops.op_available()
  monkeypatch.setenv(loader.FORCE_REFERENCE_ENV, "0")
  assert not loader.reference_forced()


def test_built_library_carries_the_running_tensorflow_version(require_op):
  del require_op
  assert loader._built_for(loader.library_path()) == tf.version.VERSION  # pylint: disable=protected-access
