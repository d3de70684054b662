"""Pruning zoo models with tfmot: the target sparsity is reached (counted
with NumPy after strip), the zoo's sparse layers prune their existing
weights only, unsupported layers are skipped with a message, and tfmot is
imported lazily without changing what tf.keras means."""

import logging
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras

from sparsezoo_tf import layers
from sparsezoo_tf import models
from sparsezoo_tf.optimization import pruning

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def _fit(model, steps=12, seed=0):
  rng = np.random.default_rng(seed)
  shape = model.input_shape[1:]
  x = rng.normal(size=(steps * 8,) + shape).astype("float32")
  y = rng.integers(0, model.output_shape[-1], size=(steps * 8,))
  model.compile(keras.optimizers.SGD(0.01), "sparse_categorical_crossentropy")
  model.fit(x, y, batch_size=8, epochs=1, verbose=0,
            callbacks=pruning.callbacks())


def _zeros(array):
  array = np.asarray(array)
  return np.count_nonzero(array == 0) / array.size


@pytest.mark.single_path
def test_dense_model_reaches_the_target_sparsity_after_strip():
  model = models.create_model("digits_cnn")
  pruned = pruning.prune(model, 0.7, end_step=8, frequency=2)
  assert pruning.is_pruned(pruned)
  _fit(pruned)
  stripped = pruning.strip(pruned)
  assert not pruning.is_pruned(stripped)
  assert isinstance(stripped, models.ZooModel)
  kernels = [l.kernel.numpy() for l in stripped.layers
             if isinstance(l, (keras.layers.Conv2D, keras.layers.Dense))]
  zeros = sum(np.count_nonzero(k == 0) for k in kernels)
  total = sum(k.size for k in kernels)
  assert zeros / total == pytest.approx(0.7, abs=0.01)
  for kernel in kernels:
    assert _zeros(kernel) == pytest.approx(0.7, abs=0.02)
  measured = pruning.sparsity(stripped)
  assert measured.zeros == zeros and measured.weights == total
  # Measured through the wrappers too (strip is applied inside).
  assert pruning.sparsity(pruned).overall == pytest.approx(measured.overall)
  # The stripped weights load into the plain model.
  plain = models.create_model("digits_cnn")
  plain.set_weights(stripped.get_weights())
  x = np.random.default_rng(1).normal(size=(4, 8, 8, 1)).astype("float32")
  np.testing.assert_allclose(plain(x), stripped(x), atol=1e-6)


def test_sparse_layers_prune_their_existing_weights_only():
  model = models.create_model("digits_cnn_sc")
  sc_layers = [l for l in model.layers
               if isinstance(l, layers.SparseComplementaryConv2D)]
  assert sc_layers and all(l.get_prunable_weights() == [l.kernel]
                           for l in sc_layers)
  absent = {l.name: l.dense_kernel().numpy() == 0 for l in sc_layers}
  pruned = pruning.prune(model, 0.5, end_step=6, frequency=2)
  _fit(pruned)
  stripped = pruning.strip(pruned)
  for layer in stripped.layers:
    if layer.name not in absent:
      continue
    packed = layer.kernel.numpy()
    assert packed.ndim == 1  # block_size (1, 1) on the packed kernel
    assert _zeros(packed) == pytest.approx(0.5, abs=0.01)
    dense = layer.dense_kernel().numpy()
    # Zeros where no weight exists, and pruned zeros only among the others.
    assert np.all(dense[absent[layer.name]] == 0)
    existing = ~absent[layer.name]
    assert np.count_nonzero(dense[existing] == 0) == np.count_nonzero(
        packed == 0)


@pytest.mark.parametrize("name", ["digits_cnn_scfusion2",
                                  "digits_cnn_pwgconv_dw_pwgconv"])
def test_block_layers_prune_all_inner_kernels(name):
  model = models.create_model(name)
  plan = pruning.pruning_plan(model)
  assert all(reason is None for reason in plan.values()), plan
  pruned = pruning.prune(model, 0.6, end_step=4, frequency=2)
  _fit(pruned, steps=6)
  stripped = pruning.strip(pruned)
  for layer in stripped.layers:
    if isinstance(layer, (layers.SCFusion, layers.KernelSequence,
                          layers.PSConv2D)):
      kernels = layer.get_prunable_weights()
      if isinstance(layer, layers.SCFusion):
        assert len(kernels) == 2
      for kernel in kernels:
        assert _zeros(kernel.numpy()) == pytest.approx(0.6, abs=0.05)


class _Opaque(keras.layers.Layer):
  """A layer with a kernel that tfmot does not know."""

  def build(self, input_shape):
    self.kernel = self.add_weight("kernel", (input_shape[-1], 4))

  def call(self, inputs):
    return tf.matmul(inputs, self.kernel)


@pytest.mark.single_path
def test_unsupported_layers_are_skipped_with_a_message(caplog):
  inputs = keras.Input((6,))
  hidden = _Opaque(name="opaque")(inputs)
  outputs = keras.layers.Dense(3, name="fc")(hidden)
  model = keras.Model(inputs, outputs)
  plan = pruning.pruning_plan(model)
  assert plan["fc"] is None
  assert "neither a layer tfmot knows" in plan["opaque"]
  with caplog.at_level(logging.WARNING):
    pruned = pruning.prune(model, 0.5, end_step=2, frequency=1)
  assert "skipping layer opaque" in caplog.text
  assert pruned.pruning_skipped == {"opaque": plan["opaque"]}
  names = [l.name for l in pruned.layers]
  assert "opaque" in names and "prune_low_magnitude_fc" in names
  # Only the named layers: the FC layers, as Deep Compression on VGG-16.
  only_fc = pruning.pruning_plan(models.create_model("digits_cnn"),
                                 ["predict*"])
  assert only_fc == {"predictions": None}
  with pytest.raises(ValueError, match=r"match no layer"):
    pruning.prune(model, 0.5, end_step=2, layers=["nothing*"])
  with pytest.raises(ValueError, match="no layer of .* can be pruned"):
    pruning.prune(model, 0.5, end_step=2, layers=["opaque"])
  with pytest.raises(ValueError, match="end_step > begin_step"):
    pruning.prune(model, 0.5)


@pytest.mark.single_path
def test_strip_returns_a_plain_model_unchanged():
  model = models.create_model("digits_cnn_sc")
  assert pruning.strip(model) is model
  assert pruning.sparsity(model).overall < 0.01


@pytest.mark.single_path
def test_tfmot_is_imported_lazily_and_keeps_tf_keras():
  code = (
      "import os, sys\n"
      "import tensorflow as tf\n"
      "import sparsezoo_tf, sparsezoo_tf.training, sparsezoo_tf.optimization\n"
      "from sparsezoo_tf.optimization import pruning\n"
      "assert 'tensorflow_model_optimization' not in sys.modules\n"
      "from sparsezoo_tf import models\n"
      "pruning.strip(models.create_model('digits_cnn'))\n"
      "assert 'tensorflow_model_optimization' not in sys.modules\n"
      "from sparsezoo_tf.optimization import quantization\n"
      "assert 'tensorflow_model_optimization' in sys.modules\n"
      "print(os.environ.get('TF_USE_LEGACY_KERAS'), tf.keras.__name__)\n")
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
  env.pop("TF_USE_LEGACY_KERAS", None)
  result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120,
                          check=False)
  assert result.returncode == 0, result.stderr[-3000:]
  assert result.stdout.split() == ["None", "keras._tf_keras.keras"]
