"""The recipes in configs/classification/ and the weights names reserved
for them: every recipe loads and names a registered model, and every
registered weights entry's recipe command points at a recipe that exists
and, with its `--params_override`, trains that entry's model."""

import glob
import os
import shlex

import pytest

from sparsezoo_tf import models
from sparsezoo_tf.training import load_recipe

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
RECIPES = sorted(glob.glob(os.path.join(ROOT, "configs", "classification",
                                        "*.yaml")))
OVERRIDE_FLAG = "--params_override"


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


@pytest.mark.parametrize("path", RECIPES, ids=os.path.basename)
def test_recipe_loads_and_names_a_registered_model(path):
  recipe = load_recipe(path)
  assert recipe.model.name in models.list_models()
  assert recipe.description


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
