"""Trains a zoo classifier from a `Recipe` with Keras `fit`.

The learning rate follows the recipe's schedule per step (linear warm-up,
then constant, cosine or step decay at epoch boundaries); weight decay is
the optimizer's, on kernels only (BN parameters and biases are excluded).
"""

import json
import math
import os
from typing import Any, Dict, Optional

import tensorflow as tf
import tf_keras as keras

from sparsezoo_tf import data as data_lib
from sparsezoo_tf import models
from sparsezoo_tf.training.recipe import Recipe
from sparsezoo_tf.training.recipe import TrainingSection
from sparsezoo_tf.training.recipe import TRAINABLE_DATASETS

NO_DECAY = ("gamma", "beta", "bias")


class EpochSchedule(keras.optimizers.schedules.LearningRateSchedule):
  """Warm-up, then constant / cosine / step decay, in steps."""

  def __init__(self, training: TrainingSection, steps_per_epoch: int):
    super().__init__()
    self.training = training
    self.steps_per_epoch = steps_per_epoch

  def __call__(self, step):
    t = self.training
    step = tf.cast(step, tf.float32)
    total = float(t.epochs * self.steps_per_epoch)
    warmup = float(t.warmup_epochs * self.steps_per_epoch)
    base = tf.constant(t.learning_rate, tf.float32)
    if t.schedule == "cosine":
      progress = tf.clip_by_value((step - warmup) / max(total - warmup, 1.0),
                                  0.0, 1.0)
      rate = base * 0.5 * (1.0 + tf.cos(math.pi * progress))
    elif t.schedule == "step":
      epoch = step / self.steps_per_epoch
      drops = tf.add_n([tf.cast(epoch >= b, tf.float32)
                        for b in t.boundaries] or [tf.constant(0.0)])
      rate = base * tf.pow(t.decay_rate, drops)
    else:
      rate = base
    if warmup > 0:
      rate = tf.where(step < warmup, base * (step + 1.0) / warmup, rate)
    return rate

  def get_config(self):
    return {"steps_per_epoch": self.steps_per_epoch,
            **{k: v for k, v in vars(self.training).items()}}


def make_optimizer(training: TrainingSection, steps_per_epoch: int):
  schedule = EpochSchedule(training, steps_per_epoch)
  if training.optimizer == "sgd":
    optimizer = keras.optimizers.SGD(
        schedule, momentum=training.momentum, nesterov=training.nesterov,
        weight_decay=training.weight_decay or None)
  else:
    optimizer = keras.optimizers.Adam(
        schedule, weight_decay=training.weight_decay or None)
  if training.weight_decay:
    optimizer.exclude_from_weight_decay(var_names=list(NO_DECAY))
  return optimizer


def _atomic_write(path: str, write) -> None:
  """Writes through a temporary file in the same folder, then renames, so
  that an interruption never leaves a half-written `path`."""
  temporary = f"{path}.tmp-{os.getpid()}"
  try:
    write(temporary)
    os.replace(temporary, path)
  finally:
    if os.path.exists(temporary):
      os.remove(temporary)


def evaluate_digits(model: keras.Model, batch_size: int = 256) -> float:
  """Top-1 accuracy of `model` on the digits test split."""
  correct = total = 0
  for images, labels in data_lib.digits_dataset("test", batch_size):
    predicted = tf.argmax(model(images, training=False), axis=-1)
    correct += int(tf.reduce_sum(tf.cast(
        predicted == tf.cast(labels, predicted.dtype), tf.int32)))
    total += int(labels.shape[0])
  return correct / total


def train(recipe: Recipe, model_dir: Optional[str] = None,
          verbose: int = 1) -> Dict[str, Any]:
  """Trains the recipe's model; returns {"top1", "loss", "params",
  "epochs"} and, with `model_dir`, writes weights.h5 and metrics.json
  there."""
  if recipe.data.dataset not in TRAINABLE_DATASETS:
    raise ValueError(
        f"data.dataset {recipe.data.dataset!r}: this version trains on "
        f"{TRAINABLE_DATASETS} only; the recipe records the paper's "
        f"settings for when its pipeline exists")
  t = recipe.training
  keras.utils.set_random_seed(t.seed)
  tf.config.experimental.enable_op_determinism()
  train_set = data_lib.digits_dataset("train", recipe.data.batch_size,
                                      training=True, seed=t.seed)
  steps = int(train_set.cardinality())
  model = models.create_model(recipe.model.name, weights=None,
                              **recipe.model.kwargs)
  loss = keras.losses.SparseCategoricalCrossentropy()
  if t.label_smoothing:
    loss = keras.losses.CategoricalCrossentropy(
        label_smoothing=t.label_smoothing)
    train_set = train_set.map(lambda x, y: (x, tf.one_hot(y, 10)))
  model.compile(optimizer=make_optimizer(t, steps), loss=loss)
  history = model.fit(train_set, epochs=t.epochs, verbose=verbose)
  metrics = {"top1": evaluate_digits(model),
             "loss": float(history.history["loss"][-1]),
             "params": int(sum(int(tf.size(w)) for w in
                               model.trainable_weights)),
             "epochs": t.epochs}
  if model_dir:
    os.makedirs(model_dir, exist_ok=True)
    _atomic_write(os.path.join(model_dir, "weights.h5"),
                  lambda p: model.save_weights(p, save_format="h5"))
    _atomic_write(os.path.join(model_dir, "metrics.json"),
                  lambda p: _dump_json(p, {**metrics,
                                           "recipe": recipe.as_dict()}))
  return metrics


def _dump_json(path: str, value) -> None:
  with open(path, "w") as stream:
    json.dump(value, stream, indent=2, sort_keys=True)
