"""Op determinism is opt-in (`training.deterministic`) and local to the
run: on while a recipe that asks for it trains, the process's previous
setting back afterwards, also when training fails."""

import os

import pytest
from tensorflow.python.framework import config as tf_config
import tf_keras as keras

from sparsezoo_tf import training
from sparsezoo_tf.training import classifier

import tool_runner

# Training mechanics, not the convolution path: the op path only (see the
# Makefile).
pytestmark = pytest.mark.single_path

SC_RECIPE = os.path.join(tool_runner.CONFIGS, "digits_cnn_sc.yaml")
# One epoch in batches of 256: 6 steps.
SHORT = "training.epochs=1,data.batch_size=256"


@pytest.fixture
def determinism():
  """Sets the process's op determinism for a test; puts back what it was."""
  previous = tf_config.is_op_determinism_enabled()

  def set_state(enabled):
    if enabled:
      tf_config.enable_op_determinism()
    else:
      tf_config.disable_op_determinism()

  yield set_state
  set_state(previous)


class _Observer(keras.callbacks.Callback):
  """Records op determinism at every training batch."""

  def __init__(self):
    super().__init__()
    self.states = []

  def on_train_batch_end(self, batch, logs=None):
    self.states.append(tf_config.is_op_determinism_enabled())


@pytest.fixture
def observer(monkeypatch):
  observer = _Observer()
  callbacks = classifier._callbacks  # pylint: disable=protected-access

  def with_observer(*args, **kwargs):
    return callbacks(*args, **kwargs) + [observer]

  monkeypatch.setattr(classifier, "_callbacks", with_observer)
  return observer


def test_the_digits_recipes_ask_for_it():
  assert training.load_recipe(SC_RECIPE).training.deterministic


@pytest.mark.parametrize("before, deterministic", [
    (False, False), (True, False), (False, True), (True, True)])
def test_on_while_training_only_when_asked_then_restored(
    determinism, observer, before, deterministic):
  determinism(before)
  recipe = training.load_recipe(
      SC_RECIPE, f"{SHORT},training.deterministic={str(deterministic)}")
  assert recipe.training.deterministic is deterministic
  metrics = training.train(recipe, verbose=0)
  assert metrics["steps"] == 6
  assert observer.states == [before or deterministic] * 6
  assert tf_config.is_op_determinism_enabled() is before


def test_restored_when_training_fails(determinism, monkeypatch):
  determinism(False)
  seen = []
  build_model = classifier.build_model

  def failing_build_model(recipe, weights=None):
    seen.append(tf_config.is_op_determinism_enabled())
    return build_model(recipe, weights)  # raises: 7 classes for digits

  monkeypatch.setattr(classifier, "build_model", failing_build_model)
  recipe = training.load_recipe(SC_RECIPE, "model.kwargs.classes=7")
  assert recipe.training.deterministic
  with pytest.raises(ValueError, match="outputs 7 classes"):
    training.train(recipe, verbose=0)
  assert seen == [True]
  assert not tf_config.is_op_determinism_enabled()
