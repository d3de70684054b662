"""A training run's folder (`model_dir`) and its files.

    model_dir/weights.h5      the trained weights (Keras HDF5, by layer name)
    model_dir/metrics.json    evaluation, step counts and the recipe
    model_dir/recipe.json     the recipe of the run in progress
    model_dir/backup/         training state while the run is unfinished
    model_dir/logs/           TensorBoard
    model_dir/worker_<i>/     the other workers' weights.h5 and metrics.json
                              in a multi-worker run

Files are written to a temporary name and renamed, so that an interrupted
run never leaves a half-written one; a run that fails before its first
backup leaves model_dir as it found it (`removed_on_early_failure`), and
a finished run is only replaced on request (`check_not_finished`).
"""

import contextlib
import json
import os
import shutil
from typing import Any, Callable, Dict, Iterator, Set

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


def write_text(path: str, text: str) -> None:
  """Writes `text` to `path`, atomically."""
  def write(temporary):
    with open(temporary, "w") as stream:
      stream.write(text)
  atomic_write(path, write)


def write_json(path: str, value: Any) -> None:
  """Writes `value` as indented JSON, atomically."""
  def write(temporary):
    with open(temporary, "w") as stream:
      json.dump(value, stream, indent=2, sort_keys=True)
  atomic_write(path, write)


def read_metrics(model_dir: str) -> Dict[str, Any]:
  """The metrics.json of a finished run.

  Raises:
    NotADirectoryError: `model_dir` is a file.
    FileNotFoundError: `model_dir` has no finished run.
  """
  if os.path.isfile(model_dir):
    raise NotADirectoryError(
        f"{model_dir} is a file, not the folder of a training run (the "
        f"folder that holds its {WEIGHTS} and {METRICS})")
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


def check_model_dir(model_dir: str) -> None:
  """Raises NotADirectoryError when `model_dir` exists and is not a
  folder."""
  if os.path.exists(model_dir) and not os.path.isdir(model_dir):
    raise NotADirectoryError(
        f"model_dir {model_dir} is a file; give the path of a folder (it is "
        f"created when missing)")


def check_not_finished(model_dir: str) -> None:
  """Raises FileExistsError when `model_dir` holds a finished run (its
  weights.h5 or metrics.json, and no backup), which training into it
  would replace. An unfinished run (with a backup) passes: it is resumed.
  """
  outputs = [name for name in (WEIGHTS, METRICS)
             if os.path.isfile(os.path.join(model_dir, name))]
  if not outputs or has_backup(model_dir):
    return
  run = "a finished training run"
  try:
    with open(os.path.join(model_dir, METRICS)) as stream:
      metrics = json.load(stream)
    run += (f" of {metrics['recipe']['model']['name']} (top-1 "
            f"{metrics['top1']:.4f} on {metrics['dataset']} "
            f"{metrics['split']})")
  except (OSError, ValueError, KeyError, TypeError):
    run += f" ({', '.join(outputs)})"
  raise FileExistsError(
      f"model_dir {model_dir} holds {run}, which this run would replace; "
      f"train into another model_dir, or pass --overwrite (overwrite=True "
      f"in Python) to replace it")


def has_backup(model_dir: str) -> bool:
  """Whether model_dir/backup holds a file (a run to resume)."""
  return any(files for _, _, files in os.walk(os.path.join(model_dir,
                                                           BACKUP)))


def _contents(folder: str) -> Set[str]:
  """Paths of everything under `folder` (relative to it)."""
  paths = set()
  for parent, folders, files in os.walk(folder):
    for name in folders + files:
      paths.add(os.path.relpath(os.path.join(parent, name), folder))
  return paths


@contextlib.contextmanager
def removed_on_early_failure(model_dir: str) -> Iterator[None]:
  """Undoes what the block wrote to `model_dir` when it raises (or is
  interrupted) before model_dir/backup holds a file: removes the folder
  when the block created it, else the files and folders it added, and puts
  back the recipe.json that was there. A run with a backup is left as it
  is, to be resumed."""
  existed = os.path.isdir(model_dir)
  before = _contents(model_dir) if existed else set()
  recipe_path = os.path.join(model_dir, RECIPE)
  recipe_text = None
  if os.path.isfile(recipe_path):
    with open(recipe_path) as stream:
      recipe_text = stream.read()
  try:
    yield
  except BaseException:
    if os.path.isdir(model_dir) and not has_backup(model_dir):
      if not existed:
        shutil.rmtree(model_dir, ignore_errors=True)
      else:
        for path in sorted(_contents(model_dir) - before, reverse=True):
          path = os.path.join(model_dir, path)
          if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
          elif os.path.lexists(path):
            os.remove(path)
        if recipe_text is not None:
          write_text(recipe_path, recipe_text)
    raise


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
  try:
    # With every key: a run saved before a key existed has its default.
    recipe_dict = recipe_lib.from_dict(recipe_dict).as_dict()
  except ValueError:
    pass
  recipe_dict = json.loads(json.dumps(recipe_dict))
  recipe_dict.get("data", {}).pop("data_dir", None)
  # How the ops run, not what is trained (and absent from runs started
  # before the key existed).
  recipe_dict.get("training", {}).pop("deterministic", None)
  return recipe_dict
