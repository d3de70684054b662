"""The recipe schema: what it accepts, what it refuses and why; overrides
as `--params_override` passes them (Model Garden's syntax)."""

import json
import os

import pytest
import yaml

from official.modeling.hyperparams import base_config

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
  recipe = recipe_lib.from_dict({"model": {"name": "m"}})
  assert recipe.training.mixed_precision is False
  assert recipe.training.checkpoint_every_steps == 0
  assert recipe.training.deterministic is False


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
    ({"model": {"name": "m"}, "trainig": {}},
     "recipe key trainig is unknown; known keys here: data, description, "
     "model, training$"),
    ({"model": {"name": "m"}, "training": {"epoch": 3}},
     "recipe key training.epoch is unknown; known keys here: boundaries, "),
    ({"model": {"name": "m", "args": {}}},
     "recipe key model.args is unknown; known keys here: kwargs, name$"),
    ({"data": {}}, "recipe key model.name is missing"),
    ({"model": {"name": "m"}, "data": {"dataset": "mnist"}},
     "data.dataset must be one of"),
    ({"model": {"name": "m"}, "training": 3},
     "recipe key training is a section: it takes a mapping of keys, got 3"),
    ({"model": {"name": "m", "kwargs": None}},
     "recipe key model.kwargs is a section"),
    (["model"], "a recipe is a mapping of sections"),
])
def test_unknown_sections_keys_and_datasets_are_refused(raw, message):
  with pytest.raises(ValueError, match=message):
    recipe_lib.from_dict(raw)


@pytest.mark.parametrize("override, message", [
    ("training.mixed=true", "recipe key training.mixed is unknown; known "
     "keys here: .*, mixed_precision, "),
    ("train.epochs=3", "recipe key train is unknown; known keys here: data, "
     "description, model, training$"),
    ("epochs=3", "recipe key epochs is unknown"),
    ("{training: {epochs: 3, warmup: 1}}",
     "recipe key training.warmup is unknown"),
    ("not an override", "override 'not an override' is neither "
     "'section.key=value,...' nor a YAML/JSON mapping nor a YAML file"),
])
def test_unknown_override_keys_are_refused(override, message):
  with pytest.raises(recipe_lib.ConfigError if "recipe key" in message
                     else ValueError, match=message):
    recipe_lib.load_recipe(SC_RECIPE, override)


@pytest.mark.parametrize("override, message", [
    ("training.epochs='30'", "recipe key training.epochs must be int, got "
     "'30' \\(str\\)$"),
    ("training.epochs=2.5", "recipe key training.epochs must be int, got 2.5 "
     "\\(float\\)$"),
    ("training.nesterov=1", "recipe key training.nesterov must be bool"),
    ("training.boundaries=[10,'x']",
     "recipe key training.boundaries\\[1\\] must be int, got 'x'"),
    ("training.boundaries=7", "recipe key training.boundaries must be "
     "List\\[int\\], got 7 \\(int\\)"),
    ("training.learning_rate=fast",
     "recipe key training.learning_rate must be float, got 'fast'"),
    ("{data: {batch_size: [64]}}",
     "recipe key data.batch_size must be int, got \\[64\\]"),
    ("model.name=[a]", "recipe key model.name must be str"),
    ("training=3", "recipe key training is a section"),
])
def test_ill_typed_override_values_are_refused_naming_the_key(override,
                                                              message):
  with pytest.raises(recipe_lib.ConfigError, match=message):
    recipe_lib.load_recipe(SC_RECIPE, override)


def test_list_boundaries_override_as_the_training_tool_passes_it():
  # The tool passes --params_override verbatim to load_recipe.
  recipe = recipe_lib.load_recipe(
      os.path.join(tool_runner.CONFIGS, "paper000_imagenet.yaml"),
      "training.boundaries=[30,60,90],training.epochs=100")
  assert recipe.training.boundaries == [30, 60, 90]
  assert recipe.training.epochs == 100
  assert recipe.training.schedule == "step"  # the rest is the recipe's
  assert recipe.training.learning_rate == 0.1


def test_nested_and_yaml_overrides():
  nested = recipe_lib.load_recipe(
      SC_RECIPE, "model.kwargs.classes=10,training.warmup_epochs=2")
  assert nested.model.kwargs.as_dict() == {"classes": 10}
  assert nested.training.warmup_epochs == 2
  as_yaml = recipe_lib.load_recipe(
      SC_RECIPE, "{model: {kwargs: {classes: 10, input_shape: [8, 8, 1]}}, "
      "training: {boundaries: [5, 9], schedule: step}}")
  assert as_yaml.model.kwargs.as_dict() == {"classes": 10,
                                            "input_shape": [8, 8, 1]}
  assert as_yaml.training.boundaries == [5, 9]
  assert as_yaml.training.epochs == 30  # merged, not replaced
  as_json = recipe_lib.load_recipe(
      SC_RECIPE, '{"data": {"batch_size": 32}, "description": "x, y"}')
  assert (as_json.data.batch_size, as_json.description) == (32, "x, y")
  mapping_value = recipe_lib.load_recipe(SC_RECIPE,
                                         "model.kwargs={classes: 10}")
  assert mapping_value.model.kwargs.as_dict() == {"classes": 10}


def test_an_override_file(tmp_path):
  path = tmp_path / "override.yaml"
  path.write_text("training:\n  epochs: 4\n  boundaries: [1, 3]\n")
  recipe = recipe_lib.load_recipe(SC_RECIPE, str(path))
  assert (recipe.training.epochs, recipe.training.boundaries) == (4, [1, 3])


def test_the_recipe_is_a_model_garden_config_tree():
  recipe = recipe_lib.load_recipe(SC_RECIPE)
  for section in (recipe, recipe.model, recipe.model.kwargs, recipe.data,
                  recipe.training):
    assert isinstance(section, base_config.Config)
    assert isinstance(section, recipe_lib.CheckedConfig)
  # Model Garden's own reading of the file gives the same recipe.
  from_yaml = recipe_lib.Recipe.from_yaml(SC_RECIPE)
  from_yaml.validate()
  assert from_yaml.as_dict() == recipe.as_dict()
  assert recipe.replace(training={"epochs": 3}).training.epochs == 3


def test_as_dict_round_trips_through_json():
  recipe = recipe_lib.load_recipe(
      os.path.join(tool_runner.CONFIGS, "paper002_tiny_imagenet.yaml"),
      "training.boundaries=[30,60,90],data.data_dir=/data/tiny")
  raw = json.loads(json.dumps(recipe.as_dict()))
  assert raw == recipe.as_dict()
  assert raw["model"]["kwargs"]["input_shape"] == [64, 64, 3]
  again = recipe_lib.from_dict(raw)
  assert again.as_dict() == raw
  assert again == recipe
  again.model.kwargs.stem_strides = 1
  assert again != recipe


def test_assignment_is_checked_too():
  recipe = recipe_lib.load_recipe(SC_RECIPE)
  recipe.data.data_dir = "/data/digits"  # what the tool's --data_dir does
  assert recipe.as_dict()["data"]["data_dir"] == "/data/digits"
  with pytest.raises(recipe_lib.ConfigError,
                     match="recipe key data_dir must be str, got 3"):
    recipe.data.data_dir = 3
  with pytest.raises(recipe_lib.ConfigError,
                     match="recipe key data_dr is unknown"):
    recipe.data.data_dr = "/data"
  with pytest.raises(recipe_lib.ConfigError,
                     match="recipe key epochs must be int"):
    recipe_lib.TrainingSection(epochs="3")


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
    ({"deterministic": "true"}, "training.deterministic must be bool"),
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


def test_a_recipe_that_is_not_yaml_names_the_file_and_line(tmp_path):
  path = tmp_path / "bad.yaml"
  path.write_text("model: {name: digits_cnn_sc}\ndata: [\n")
  with pytest.raises(ValueError, match=f"{path} is not valid YAML: .*line"):
    recipe_lib.load_recipe(str(path))
