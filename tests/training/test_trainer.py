"""The trainer in-process: strategies, mixed precision, the guard against
resuming another recipe's run, and the model it builds."""

import json
import math
import os
import sys

import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras

from sparsezoo_tf import data
from sparsezoo_tf import training
from sparsezoo_tf.training import recipe as recipe_lib
from sparsezoo_tf.training import runs

import tool_runner

# Training mechanics, not the convolution path: the op path only (see the
# Makefile).
pytestmark = pytest.mark.single_path

SC_RECIPE = os.path.join(tool_runner.CONFIGS, "digits_cnn_sc.yaml")
# One epoch in global batches of 256: 6 steps.
SHORT = "training.epochs=1,data.batch_size=256"


def test_default_and_mirrored_strategies_train_the_same_model(tmp_path):
  recipe = training.load_recipe(SC_RECIPE, SHORT)
  default = training.train(recipe, str(tmp_path / "default"), verbose=0)
  mirrored_strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
  mirrored = training.train(recipe, str(tmp_path / "mirrored"), verbose=0,
                            strategy=mirrored_strategy)
  assert (default["strategy"], mirrored["strategy"]) == ("default",
                                                         "mirrored")
  assert default["steps"] == mirrored["steps"] == 6
  assert mirrored["loss"] == pytest.approx(default["loss"], rel=1e-5)
  assert mirrored["top1"] == default["top1"]
  first = tool_runner.weight_arrays(tmp_path / "default" / "weights.h5")
  second = tool_runner.weight_arrays(tmp_path / "mirrored" / "weights.h5")
  assert first.keys() == second.keys()
  for name, value in first.items():
    np.testing.assert_allclose(second[name], value, rtol=1e-5, atol=1e-7,
                               err_msg=name)
  # The mirrored run's weights are a plain model's: they load by name.
  model, _ = training.load_trained(str(tmp_path / "mirrored"))
  assert model.count_params() > 0


def test_mixed_precision_trains_with_a_finite_loss(tmp_path):
  recipe = training.load_recipe(
      SC_RECIPE, SHORT + ",training.mixed_precision=true")
  metrics = training.train(recipe, str(tmp_path), verbose=0)
  assert metrics["mixed_precision"] is True
  assert math.isfinite(metrics["loss"]) and metrics["steps"] == 6
  assert keras.mixed_precision.global_policy().name == "float32"
  model, loaded = training.load_trained(str(tmp_path))  # float32 again
  assert loaded.training.mixed_precision
  assert all(w.dtype == tf.float32 for w in model.weights)


def test_mixed_precision_model_computes_in_float16_with_a_float32_softmax():
  recipe = training.load_recipe(SC_RECIPE)
  keras.mixed_precision.set_global_policy("mixed_float16")
  try:
    model = training.build_model(recipe)
  finally:
    keras.mixed_precision.set_global_policy("float32")
  assert model.get_layer("stem_conv").compute_dtype == "float16"
  assert model.get_layer("predictions").activation is keras.activations.linear
  assert model.layers[-1].compute_dtype == "float32"
  scores = model(np.zeros((2, 8, 8, 1), np.float32))
  assert scores.dtype == tf.float32
  np.testing.assert_allclose(np.sum(scores, axis=-1), 1.0, rtol=1e-5)


def test_a_model_dir_with_another_recipes_unfinished_run_is_refused(
    tmp_path):
  (tmp_path / runs.BACKUP / "chief").mkdir(parents=True)
  (tmp_path / runs.BACKUP / "chief" / "checkpoint").write_text("x")
  other = training.load_recipe(SC_RECIPE, "training.epochs=7")
  (tmp_path / runs.RECIPE).write_text(json.dumps(other.as_dict()))
  with pytest.raises(ValueError, match="unfinished run of another recipe"):
    training.train(training.load_recipe(SC_RECIPE), str(tmp_path))
  # The same recipe with the dataset in another folder resumes.
  assert runs.check_resumable(str(tmp_path), training.load_recipe(
      SC_RECIPE, "training.epochs=7,data.data_dir=/elsewhere"))
  # So does one saved before `training.deterministic` existed, and one
  # resumed with op determinism switched: how ops run, not what is trained.
  saved = other.as_dict()
  del saved["training"]["deterministic"]
  (tmp_path / runs.RECIPE).write_text(json.dumps(saved))
  for deterministic in ("true", "false"):
    assert runs.check_resumable(str(tmp_path), training.load_recipe(
        SC_RECIPE, f"training.epochs=7,training.deterministic={deterministic}"))


def test_a_head_with_the_wrong_classes_is_an_error():
  recipe = training.load_recipe(SC_RECIPE, "model.kwargs={classes: 7}")
  with pytest.raises(ValueError, match="outputs 7 classes but digits has 10"):
    training.build_model(recipe)


def test_load_trained_needs_a_finished_run(tmp_path):
  with pytest.raises(FileNotFoundError, match="no finished training run"):
    training.load_trained(str(tmp_path))


def test_label_smoothing_trains(tmp_path):
  recipe = training.load_recipe(SC_RECIPE,
                                SHORT + ",training.label_smoothing=0.1")
  metrics = training.train(recipe, str(tmp_path), verbose=0)
  assert math.isfinite(metrics["loss"]) and metrics["steps"] == 6


def _data_writers():
  sys.path.insert(0, os.path.join(tool_runner.ROOT, "tests", "data"))
  import data_writers  # pylint: disable=g-import-not-at-top
  return data_writers


@pytest.mark.parametrize("dataset, size, train, evaluated, kwargs", [
    # 5 batches of 2 images, a test batch of 3 (a known length, as digits).
    pytest.param("cifar10", 32, 10, 3, {}, marks=pytest.mark.slow),
    # Image folders: 3 classes of 2 images (an unknown length: unreadable
    # files are skipped); paper 002's stride-2 stem.
    ("tiny_imagenet", 64, 6, 4, {"stem_strides": 2}),
])
def test_trains_on_a_dataset_of_files(tmp_path, dataset, size, train,
                                      evaluated, kwargs):
  writers = _data_writers()
  if dataset == "cifar10":
    _, data_dir = writers.write_cifar(str(tmp_path / "data"), "cifar10")
  else:
    data_dir, _ = writers.tiny_imagenet(str(tmp_path / "data"))
  info = data.dataset_info(dataset)
  recipe = recipe_lib.from_dict({
      "model": {"name": "igcv2_c64_d8",
                "kwargs": {"classes": info.num_classes,
                           "input_shape": [size, size, 3], **kwargs}},
      "data": {"dataset": dataset, "batch_size": 4, "data_dir": data_dir},
      "training": {"epochs": 2, "learning_rate": 0.01}})
  metrics = training.train(recipe, str(tmp_path / "run"), verbose=0)
  steps_per_epoch = math.ceil(train / 4)
  assert metrics["steps_per_epoch"] == steps_per_epoch
  assert metrics["steps"] == 2 * steps_per_epoch
  assert metrics["examples"] == evaluated
  assert metrics["split"] == info.splits[-1]
  assert math.isfinite(metrics["loss"])
  model, _ = training.load_trained(str(tmp_path / "run"))
  assert model.input_shape == (None, size, size, 3)
