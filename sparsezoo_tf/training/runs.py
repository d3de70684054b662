"""A training run's folder (`model_dir`) and its files.

    model_dir/weights.h5      the trained weights (Keras HDF5, by layer name)
    model_dir/metrics.json    evaluation, step counts and the recipe
    model_dir/recipe.json     the recipe of the run in progress
    model_dir/backup/         training state while the run is unfinished
    model_dir/logs/           TensorBoard
    model_dir/worker_<i>/     the other workers' weights.h5 and metrics.json
                              in a multi-worker run

Files are written to a temporary name and renamed, so that an interrupted
run never leaves a half-written one.
"""

import json
import os
from typing import Any, Callable, Dict

from sparsezoo_tf.training import recipe as recipe_lib

WEIGHTS = "weights.h5"
METRICS = "metrics.json"
RECIPE = "recipe.json"
BACKUP = "backup"
LOGS = "logs"


def atomic_write(path: str, write: Callable[[str], None]) -> None:
  """Calls `write(temporary_path)` in the same folder, then renames the
  file to `path`."""
  temporary = f"{path}.tmp-{os.getpid()}"
  try:
    write(temporary)
    os.replace(temporary, path)
  finally:
    if os.path.exists(temporary):
      os.remove(temporary)


def write_json(path: str, value: Any) -> None:
  """Writes `value` as indented JSON, atomically."""
  def write(temporary):
    with open(temporary, "w") as stream:
      json.dump(value, stream, indent=2, sort_keys=True)
  atomic_write(path, write)


def read_metrics(model_dir: str) -> Dict[str, Any]:
  """The metrics.json of a finished run.

  Raises:
    FileNotFoundError: `model_dir` has no finished run.
  """
  path = os.path.join(model_dir, METRICS)
  if not os.path.isfile(path):
    raise FileNotFoundError(
        f"{model_dir} holds no finished training run ({METRICS} is "
        f"missing); train with tools/train_classifier.py --model_dir "
        f"{model_dir}")
  with open(path) as stream:
    return json.load(stream)


def run_recipe(model_dir: str) -> recipe_lib.Recipe:
  """The recipe a finished run in `model_dir` was trained with."""
  metrics = read_metrics(model_dir)
  if "recipe" not in metrics:
    raise ValueError(f"{os.path.join(model_dir, METRICS)} has no recipe")
  return recipe_lib.from_dict(metrics["recipe"])


def run_weights(model_dir: str) -> str:
  """Path of the weights of a finished run in `model_dir`."""
  path = os.path.join(model_dir, WEIGHTS)
  if not os.path.isfile(path):
    raise FileNotFoundError(f"{model_dir} has no {WEIGHTS}")
  return path


def check_resumable(model_dir: str, recipe: recipe_lib.Recipe) -> bool:
  """Whether `model_dir` holds an unfinished run of this recipe (to be
  resumed). The dataset's folder may have moved in between: data.data_dir
  is not compared.

  Raises:
    ValueError: it holds an unfinished run of another recipe.
  """
  backup = os.path.join(model_dir, BACKUP)
  if not os.path.isdir(backup) or not os.listdir(backup):
    return False
  path = os.path.join(model_dir, RECIPE)
  saved = None
  if os.path.isfile(path):
    with open(path) as stream:
      saved = json.load(stream)
  if _comparable(saved) != _comparable(recipe.as_dict()):
    raise ValueError(
        f"{model_dir} holds an unfinished run of another recipe (see "
        f"{path}); resume it with that recipe, or use another model_dir "
        f"(or delete {backup} to start over)")
  return True


def _comparable(recipe_dict):
  if not isinstance(recipe_dict, dict):
    return recipe_dict
  recipe_dict = json.loads(json.dumps(recipe_dict))
  recipe_dict.get("data", {}).pop("data_dir", None)
  return recipe_dict
