"""`evaluate` (exact top-1 / top-5 counts) and tools/eval_classifier.py."""

import json

import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras

from sparsezoo_tf import evaluation
from sparsezoo_tf import models
from sparsezoo_tf import training

import tool_runner


def _scores_model(classes):
  """A model whose input is its scores."""
  inputs = keras.Input((classes,))
  return keras.Model(inputs, keras.layers.Activation("linear")(inputs))


def _dataset(scores, labels, batch_size):
  return tf.data.Dataset.from_tensor_slices(
      (np.asarray(scores, np.float32), np.asarray(labels, np.int32))).batch(
          batch_size)


def test_counts_top1_and_top5_over_uneven_batches():
  rng = np.random.default_rng(0)
  scores = rng.permutation(np.tile(np.arange(10.0), (23, 1)).T).T  # [23, 10]
  ranks = np.argsort(-scores, axis=1)
  # Example i's label is the class of rank i % 10.
  labels = ranks[np.arange(23), np.arange(23) % 10]
  result = evaluation.evaluate(_scores_model(10), _dataset(scores, labels, 4))
  assert result["examples"] == 23
  assert result["top1"] == 3 / 23        # ranks 0 at i = 0, 10, 20
  assert result["top5"] == 13 / 23       # ranks 0..4


def test_ties_go_to_the_lower_class_as_argmax():
  scores = [[1.0, 1.0, 0.0], [0.0, 2.0, 2.0]]
  result = evaluation.evaluate(_scores_model(3),
                               _dataset(scores, [0, 2], 2))
  assert result["top1"] == 0.5
  assert result["top5"] == 1.0  # k is the class count when below 5


def test_one_hot_labels_and_empty_datasets_are_refused():
  one_hot = tf.data.Dataset.from_tensor_slices(
      (np.zeros((2, 3), np.float32), np.eye(3, dtype=np.float32)[:2])).batch(2)
  with pytest.raises(ValueError, match="integer labels"):
    evaluation.evaluate(_scores_model(3), one_hot)
  with pytest.raises(ValueError, match="empty"):
    evaluation.evaluate(_scores_model(3),
                        _dataset(np.zeros((0, 3)), np.zeros(0), 2))


def test_evaluate_digits_counts_the_shipped_weights_registered_accuracy():
  entry = next(e for e in models.list_weights("digits_cnn_sc")
               if e.name == "digits")
  model = models.create_model("digits_cnn_sc", weights="digits")
  assert training.evaluate_digits(model) == entry.metrics["top1"]


def test_eval_tool_on_registered_weights_gives_their_registered_accuracy():
  entry = next(e for e in models.list_weights("digits_cnn_psc4")
               if e.name == "digits")
  output = tool_runner.run([
      tool_runner.PYTHON, tool_runner.EVAL, "--model", "digits_cnn_psc4",
      "--weights", "digits", "--verbose", "0"]).stdout
  result = json.loads(output.strip().splitlines()[-1])
  assert (result["dataset"], result["split"]) == ("digits", "test")
  assert result["top1"] == entry.metrics["top1"]
  assert result["examples"] == 359
