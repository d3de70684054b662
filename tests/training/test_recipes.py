"""The recipes in configs/classification/ and the weights names reserved
for them: every recipe loads and names a registered model, and every
registered weights entry's recipe command points at a recipe that exists
and, with its `--params_override`, trains that entry's model."""

import glob
import json
import os
import shlex

import pytest

from sparsezoo_tf import models
from sparsezoo_tf.training import load_recipe
from sparsezoo_tf.training import recipe as recipe_lib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
RECIPES = sorted(glob.glob(os.path.join(ROOT, "configs", "classification",
                                        "*.yaml")))
OVERRIDE_FLAG = "--params_override"
# How each task folder of configs/ is read; a folder not listed here fails
# test_every_config_in_configs_loads until its loader is added.
LOADERS = {"classification": load_recipe}
CONFIGS = sorted(glob.glob(os.path.join(ROOT, "configs", "**", "*.yaml"),
                           recursive=True))


def _parse_command(command):
  """`path [--params_override model.name=X]` -> (path, override text,
  the model name the override sets or None)."""
  parts = shlex.split(command)
  path, rest = parts[0], parts[1:]
  if not rest:
    return path, "", None
  assert len(rest) == 2 and rest[0] == OVERRIDE_FLAG, command
  key, sep, value = rest[1].partition("=")
  assert sep and key == "model.name" and value, command
  return path, rest[1], value


def test_recipes_exist():
  names = {os.path.basename(path) for path in RECIPES}
  assert {"paper000_imagenet.yaml", "paper000_cifar10.yaml",
          "paper001_imagenet.yaml", "paper002_cifar100.yaml",
          "paper003_imagenet_vgg16.yaml", "paper004_cifar10.yaml",
          "paper004_tiny_imagenet.yaml"} <= names


@pytest.mark.parametrize(
    "path", CONFIGS, ids=lambda p: os.path.relpath(p, ROOT))
def test_every_config_in_configs_loads(path):
  task = os.path.relpath(path, os.path.join(ROOT, "configs")).split(
      os.sep)[0]
  assert task in LOADERS, f"no loader for configs/{task}/: add it to LOADERS"
  LOADERS[task](path)


@pytest.mark.parametrize("path", RECIPES, ids=os.path.basename)
def test_recipe_loads_and_names_a_registered_model(path):
  recipe = load_recipe(path)
  assert recipe.model.name in models.list_models()
  assert recipe.description
  # What model_dir's recipe.json holds reads back as the same recipe.
  saved = json.loads(json.dumps(recipe.as_dict()))
  assert recipe_lib.from_dict(saved).as_dict() == saved
  # Op determinism only where the shipped weights need it.
  assert recipe.training.deterministic == os.path.basename(
      path).startswith("digits_")


@pytest.mark.parametrize("name, expected", [
    ("paper000_imagenet.yaml", {
        "model": {"name": "resnet50_sc", "kwargs": {"classes": 1000}},
        "data": {"dataset": "imagenet", "batch_size": 256, "data_dir": "",
                 "image_size": 0},
        "training": {"epochs": 110, "optimizer": "sgd",
                     "learning_rate": 0.1, "momentum": 0.9,
                     "nesterov": True, "weight_decay": 1e-4,
                     "schedule": "step",
                     "boundaries": [30, 60, 85, 95, 105],
                     "decay_rate": 0.1, "warmup_epochs": 0,
                     "label_smoothing": 0.0, "seed": 0,
                     "mixed_precision": False, "checkpoint_every_steps": 0,
                     "deterministic": False}}),
    ("paper002_tiny_imagenet.yaml", {
        "model": {"kwargs": {"classes": 200, "stem_strides": 2,
                             "input_shape": [64, 64, 3]}},
        "data": {"dataset": "tiny_imagenet"}}),
    ("digits_cnn_sc.yaml", {
        "model": {"name": "digits_cnn_sc", "kwargs": {}},
        "data": {"dataset": "digits", "batch_size": 64},
        "training": {"epochs": 30, "learning_rate": 0.05,
                     "weight_decay": 1e-4, "schedule": "cosine",
                     "boundaries": [], "warmup_epochs": 1,
                     "deterministic": True}}),
])
def test_recipes_keep_their_values(name, expected):
  actual = load_recipe(os.path.join(ROOT, "configs", "classification",
                                    name)).as_dict()
  for section, values in expected.items():
    for key, value in values.items():
      assert actual[section][key] == value, f"{section}.{key}"
      assert type(actual[section][key]) is type(value), f"{section}.{key}"


RESERVED = [e for e in models.list_weights() if not e.available]


def test_papers_weights_are_reserved():
  reserved = {(e.model, e.name) for e in RESERVED}
  assert {("resnet50_sc", "imagenet"), ("densenet121_sc", "imagenet"),
          ("resnet110_cifar_sc", "cifar100"), ("vgg16_scfusion8", "imagenet"),
          ("resnet34_scfusion8", "imagenet"), ("vgg16_tiny_psc2",
                                               "tiny_imagenet"),
          ("igcv2star_c416_d20", "cifar10"),
          ("skn_pwgconv4_dw_pwgconv4_w560", "imagenet")} <= reserved
  assert not any(e.model.startswith("skn_standard") for e in RESERVED)


@pytest.mark.parametrize("entry", RESERVED, ids=lambda e: f"{e.model}-{e.name}")
def test_reserved_weights_name_an_existing_recipe_for_their_model(entry):
  path, override, override_model = _parse_command(entry.recipe)
  assert os.path.isfile(os.path.join(ROOT, path)), entry.recipe
  recipe = load_recipe(os.path.join(ROOT, path), override)
  if override_model is not None:
    assert override_model in models.list_models(), entry.recipe
    assert override_model != load_recipe(os.path.join(ROOT, path)).model.name
  assert recipe.model.name == entry.model
  assert recipe.model.name in models.list_models()
  assert recipe.data.dataset == entry.dataset
  assert recipe.model.kwargs.get("classes", entry.classes) == entry.classes
  assert entry.file_name == f"{entry.model}-{entry.name}.h5"
