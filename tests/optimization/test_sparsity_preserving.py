"""Fine-tuning with `PreserveSparsity`: zero weights stay exactly zero
while the others train (paper 003, section 4.3)."""

import numpy as np
import pytest
import tf_keras as keras

from sparsezoo_tf import layers
from sparsezoo_tf import models
from sparsezoo_tf.optimization import pruning
from sparsezoo_tf.optimization import PreserveSparsity


def _data(model, count=48, seed=0):
  rng = np.random.default_rng(seed)
  x = rng.normal(size=(count,) + model.input_shape[1:]).astype("float32")
  y = rng.integers(0, model.output_shape[-1], size=(count,))
  return x, y


def _zero_out(model, fraction, seed=0):
  """Zeros `fraction` of every prunable kernel at random positions."""
  rng = np.random.default_rng(seed)
  for layer in model.layers:
    for variable in pruning.kernel_weights(layer):
      value = variable.numpy()
      value[rng.random(value.shape) < fraction] = 0
      variable.assign(value)


def test_zeros_stay_zero_while_the_other_weights_train():
  model = models.create_model("digits_cnn_sc")
  _zero_out(model, 0.5)
  before = {v.name: v.numpy() for l in model.layers
            for v in pruning.kernel_weights(l)}
  model.compile(keras.optimizers.SGD(0.05, momentum=0.9, weight_decay=1e-3),
                "sparse_categorical_crossentropy")
  keep = PreserveSparsity()
  x, y = _data(model)
  model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[keep])
  assert len(keep.variables) == len(before)
  for layer in model.layers:
    for variable in pruning.kernel_weights(layer):
      after, old = variable.numpy(), before[variable.name]
      assert np.all(after[old == 0] == 0), variable.name
      assert np.mean(after[old != 0] != old[old != 0]) > 0.9, variable.name
  # A sparse layer keeps its pre-defined zeros as well (dense view).
  sc = next(l for l in model.layers
            if isinstance(l, layers.SparseComplementaryConv2D))
  assert np.mean(sc.dense_kernel().numpy() == 0) > 0.5


@pytest.mark.single_path
def test_without_the_callback_zeros_fill_in():
  # The check above can fail: plain fitting changes the zeros.
  model = models.create_model("digits_cnn")
  _zero_out(model, 0.5)
  model.compile(keras.optimizers.SGD(0.05, momentum=0.9),
                "sparse_categorical_crossentropy")
  x, y = _data(model)
  model.fit(x, y, batch_size=8, epochs=1, verbose=0)
  assert pruning.sparsity(model).overall < 0.1


@pytest.mark.single_path
def test_only_the_named_layers_and_bad_arguments():
  model = models.create_model("digits_cnn")
  _zero_out(model, 0.5)
  model.compile(keras.optimizers.SGD(0.05),
                "sparse_categorical_crossentropy")
  x, y = _data(model, 16)
  model.fit(x, y, batch_size=8, epochs=1, verbose=0,
            callbacks=[PreserveSparsity(layers="predictions")])
  sparsity = pruning.sparsity(model).layers
  assert sparsity["predictions"] == pytest.approx(0.5, abs=0.1)
  assert sparsity["stem_conv"] < 0.1
  with pytest.raises(ValueError, match="'kernels' or 'trainable'"):
    PreserveSparsity(weights="biases")
  with pytest.raises(ValueError, match="no weights"):
    model.fit(x, y, epochs=1, verbose=0,
              callbacks=[PreserveSparsity(layers=["nothing"])])
