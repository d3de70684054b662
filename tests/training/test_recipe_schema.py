"""The recipe schema: what it accepts, what it refuses and why."""

import os

import pytest
import yaml

from sparsezoo_tf import data
from sparsezoo_tf.training import recipe as recipe_lib

import tool_runner

SC_RECIPE = os.path.join(tool_runner.CONFIGS, "digits_cnn_sc.yaml")


def _raw(**training):
  with open(SC_RECIPE) as stream:
    raw = yaml.safe_load(stream)
  raw["training"].update(training)
  return raw


def test_new_keys_default_to_the_old_behaviour():
  recipe = recipe_lib.load_recipe(SC_RECIPE)
  assert recipe.training.mixed_precision is False
  assert recipe.training.checkpoint_every_steps == 0


def test_new_keys_are_set_from_yaml_and_overrides():
  recipe = recipe_lib.load_recipe(
      SC_RECIPE, "training.mixed_precision=true,"
      "training.checkpoint_every_steps=50,data.data_dir=/data/x,"
      "data.image_size=8")
  assert recipe.training.mixed_precision is True
  assert recipe.training.checkpoint_every_steps == 50
  assert (recipe.data.data_dir, recipe.data.image_size) == ("/data/x", 8)


def test_the_recipe_knows_the_data_modules_datasets():
  assert recipe_lib.DATASETS == data.DATASETS
  for name in data.DATASETS:
    recipe_lib.from_dict({"model": {"name": "m"}, "data": {"dataset": name}})


@pytest.mark.parametrize("raw, message", [
    ({"model": {"name": "m"}, "trainig": {}}, "unknown sections"),
    ({"model": {"name": "m"}, "training": {"epoch": 3}},
     "section 'training' has unknown keys \\['epoch'\\]"),
    ({"model": {"name": "m", "args": {}}}, "unknown keys \\['args'\\]"),
    ({"data": {}}, "at least a 'model' section"),
    ({"model": {"name": "m"}, "data": {"dataset": "mnist"}},
     "data.dataset must be one of"),
])
def test_unknown_sections_keys_and_datasets_are_refused(raw, message):
  with pytest.raises(ValueError, match=message):
    recipe_lib.from_dict(raw)


def test_unknown_override_keys_are_refused():
  with pytest.raises(ValueError, match="unknown keys \\['mixed'\\]"):
    recipe_lib.load_recipe(SC_RECIPE, "training.mixed=true")
  with pytest.raises(ValueError, match="unknown section 'train'"):
    recipe_lib.load_recipe(SC_RECIPE, "train.epochs=3")
  with pytest.raises(ValueError, match="section.key=value"):
    recipe_lib.load_recipe(SC_RECIPE, "epochs=3")


@pytest.mark.parametrize("training, message", [
    ({"schedule": "step"}, "'step' needs training.boundaries"),
    ({"schedule": "step", "boundaries": [20, 10]}, "increasing epochs"),
    ({"schedule": "step", "boundaries": [0, 10]}, "increasing epochs"),
    ({"schedule": "linear"}, "schedule must be one of"),
    ({"optimizer": "rmsprop"}, "optimizer must be one of"),
    ({"epochs": 0}, "epochs and data.batch_size must be >= 1"),
    ({"learning_rate": 0}, "learning_rate must be > 0"),
    ({"weight_decay": -1e-4}, "weight_decay >= 0"),
    ({"warmup_epochs": 31}, "warmup_epochs must be in \\[0, epochs\\]"),
    ({"label_smoothing": 1.0}, "label_smoothing must be in \\[0, 1\\)"),
    ({"checkpoint_every_steps": -1}, "checkpoint_every_steps must be >= 0"),
    ({"epochs": "30"}, "training.epochs must be int, got '30'"),
    ({"epochs": 30.0}, "training.epochs must be int"),
    ({"nesterov": 1}, "training.nesterov must be bool"),
    ({"mixed_precision": "yes"}, "training.mixed_precision must be bool"),
    ({"checkpoint_every_steps": True},
     "training.checkpoint_every_steps must be int"),
    ({"learning_rate": "fast"}, "training.learning_rate must be float"),
    ({"schedule": "step", "boundaries": [10, "20"]},
     "training.boundaries\\[1\\] must be int"),
])
def test_settings_that_cannot_work_are_refused_naming_the_key(training,
                                                               message):
  with pytest.raises(ValueError, match=message):
    recipe_lib.from_dict(_raw(**training))


def test_numbers_are_read_as_floats_where_floats_are_expected():
  recipe = recipe_lib.load_recipe(
      SC_RECIPE, "training.learning_rate=1e-3,training.momentum=1")
  assert recipe.training.learning_rate == 1e-3  # YAML reads "1e-3" as text
  assert isinstance(recipe.training.momentum, float)


def test_step_boundaries_may_lie_beyond_a_shortened_run():
  recipe = recipe_lib.load_recipe(
      os.path.join(tool_runner.CONFIGS, "paper000_cifar10.yaml"),
      "training.epochs=2")
  assert recipe.training.boundaries == [91, 137]


def test_data_image_size_must_not_be_negative():
  raw = _raw()
  raw["data"]["image_size"] = -8
  with pytest.raises(ValueError, match="data.image_size must be >= 0"):
    recipe_lib.from_dict(raw)
