"""The recipe's learning-rate schedule and optimizer."""

import pytest

from sparsezoo_tf.training import optimization
from sparsezoo_tf.training.recipe import TrainingSection

STEPS = 10  # per epoch


def _rate(training, step):
  return float(optimization.EpochSchedule(training, STEPS)(step))


def test_warmup_then_cosine_to_zero():
  t = TrainingSection(epochs=5, learning_rate=0.4, schedule="cosine",
                      warmup_epochs=1)
  assert _rate(t, 0) == pytest.approx(0.4 / STEPS)
  assert _rate(t, STEPS - 1) == pytest.approx(0.4)
  assert _rate(t, STEPS) == pytest.approx(0.4)
  assert _rate(t, 3 * STEPS) == pytest.approx(0.2)  # half-way after warm-up
  assert _rate(t, 5 * STEPS) == pytest.approx(0.0, abs=1e-7)


def test_step_decay_at_epoch_boundaries():
  t = TrainingSection(epochs=6, learning_rate=0.1, schedule="step",
                      boundaries=[2, 4], decay_rate=0.2)
  assert _rate(t, 2 * STEPS - 1) == pytest.approx(0.1)
  assert _rate(t, 2 * STEPS) == pytest.approx(0.02)
  assert _rate(t, 4 * STEPS) == pytest.approx(0.004)


def test_weight_decay_skips_batch_norm_and_biases():
  t = TrainingSection(weight_decay=1e-4)
  optimizer = optimization.make_optimizer(t, STEPS)
  assert optimizer.nesterov and optimizer.momentum == 0.9
  # pylint: disable=protected-access
  excluded = optimizer._exclude_from_weight_decay_names
  assert set(optimization.NO_DECAY) <= set(excluded)
  adam = optimization.make_optimizer(
      TrainingSection(optimizer="adam", weight_decay=0.0), STEPS)
  assert adam.weight_decay is None
