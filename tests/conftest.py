"""Shared test fixtures."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # pylint: disable=g-import-not-at-top
import pytest  # pylint: disable=g-import-not-at-top
import tensorflow as tf  # pylint: disable=g-import-not-at-top

from sparsezoo_tf import ops  # pylint: disable=g-import-not-at-top
from sparsezoo_tf.ops import loader  # pylint: disable=g-import-not-at-top


def pytest_report_header(config):
  del config
  reason = ops.unavailable_reason()
  return ("sparsezoo_tf op library: " +
          ("loaded" if reason is None else f"NOT used ({reason})"))


@pytest.fixture
def rng():
  return np.random.default_rng(1234)


@pytest.fixture
def require_op():
  """Skips a test that needs the compiled op when it cannot be used."""
  reason = ops.unavailable_reason()
  if reason is not None:
    pytest.skip(f"op library not usable: {reason}")
  return ops.load_library()


@pytest.fixture
def fresh_loader(monkeypatch):
  """A loader that has not tried to load anything yet."""
  monkeypatch.setattr(loader, "_state",
                      {"attempted": False, "module": None, "reason": None})
  monkeypatch.delenv(loader.FORCE_REFERENCE_ENV, raising=False)
  return monkeypatch


def masked_dense_conv(x, packed, plan, strides, padding):
  """The independent reference: tf.nn.conv2d on the dense kernel whose
  missing weights are zero, built with TF ops so that it is differentiable
  in the packed weights."""
  kernel = tf.reshape(
      tf.scatter_nd(plan.packed_index[:, None], packed, [plan.dense_size]),
      plan.dense_shape)
  return tf.nn.conv2d(x, kernel, strides, padding)
