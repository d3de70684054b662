"""The recipe's optimizer and learning-rate schedule.

The learning rate follows the recipe's schedule per step (linear warm-up,
then constant, cosine or step decay at epoch boundaries); weight decay is
the optimizer's, on kernels only (BN parameters and biases are excluded).
"""

import math

import tensorflow as tf
import tf_keras as keras

from sparsezoo_tf.training.recipe import TrainingSection

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
            **self.training.as_dict()}


def make_optimizer(training: TrainingSection,
                   steps_per_epoch: int) -> keras.optimizers.Optimizer:
  """SGD (momentum, Nesterov) or Adam on the recipe's schedule, with
  decoupled weight decay on kernels only.

  Create it under the strategy's scope, as the model.
  """
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
