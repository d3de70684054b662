"""Training recipes: YAML files in configs/classification/, overridable
with `--params_override "training.epochs=3,data.batch_size=32"`.

    model:    {name: digits_cnn_sc, kwargs: {}}
    data:     {dataset: digits, batch_size: 64, data_dir: "", image_size: 0}
    training: {epochs: 40, optimizer: sgd, learning_rate: 0.1,
               momentum: 0.9, nesterov: true, weight_decay: 5.0e-4,
               schedule: cosine, boundaries: [], decay_rate: 0.1,
               warmup_epochs: 0, label_smoothing: 0.0, seed: 0,
               mixed_precision: false, checkpoint_every_steps: 0}

Unknown sections or keys, values of the wrong type and settings that
cannot work are errors naming the key.
"""

import dataclasses
import typing
from typing import Any, Dict, List, Optional

import yaml

from sparsezoo_tf.data.pipelines import DATASETS

OPTIMIZERS = ("sgd", "adam")
SCHEDULES = ("constant", "cosine", "step")


@dataclasses.dataclass
class ModelSection:
  name: str
  kwargs: Dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class DataSection:
  """`data_dir` is the dataset's folder (unused for the embedded digits);
  `image_size` 0 means the model's default input size."""
  dataset: str = "digits"
  batch_size: int = 64
  data_dir: str = ""
  image_size: int = 0


@dataclasses.dataclass
class TrainingSection:
  """Optimizer, schedule and how the run is carried out.

  `boundaries` are epochs (step schedule); weight decay is applied to
  kernels only, not to BN or biases. `mixed_precision` computes in float16
  with float32 variables and a float32 softmax (Keras's "mixed_float16"
  policy, with loss scaling). `checkpoint_every_steps` is how often the
  training state is backed up for resuming an interrupted run (0: at the
  end of every epoch).
  """
  epochs: int = 10
  optimizer: str = "sgd"
  learning_rate: float = 0.1
  momentum: float = 0.9
  nesterov: bool = True
  weight_decay: float = 0.0
  schedule: str = "cosine"
  boundaries: List[int] = dataclasses.field(default_factory=list)
  decay_rate: float = 0.1
  warmup_epochs: int = 0
  label_smoothing: float = 0.0
  seed: int = 0
  mixed_precision: bool = False
  checkpoint_every_steps: int = 0


@dataclasses.dataclass
class Recipe:
  model: ModelSection
  data: DataSection = dataclasses.field(default_factory=DataSection)
  training: TrainingSection = dataclasses.field(
      default_factory=TrainingSection)
  description: str = ""

  def as_dict(self) -> Dict[str, Any]:
    return dataclasses.asdict(self)


_SECTIONS = {"model": ModelSection, "data": DataSection,
             "training": TrainingSection}


def _section(name: str, values: Optional[Dict[str, Any]]):
  cls = _SECTIONS[name]
  values = dict(values or {})
  known = {f.name for f in dataclasses.fields(cls)}
  unknown = sorted(set(values) - known)
  if unknown:
    raise ValueError(f"recipe section {name!r} has unknown keys {unknown}; "
                     f"known: {sorted(known)}")
  hints = typing.get_type_hints(cls)
  for key, value in values.items():
    values[key] = _typed(f"{name}.{key}", value, hints[key])
  return cls(**values)


def _typed(key: str, value: Any, annotation) -> Any:
  """`value` checked against the field's type. An int is a float too, and
  so is a string that reads as one (YAML reads "1e-3" as a string)."""
  origin = typing.get_origin(annotation) or annotation
  args = typing.get_args(annotation)
  if origin is float and not isinstance(value, bool):
    if isinstance(value, int):
      return float(value)
    if isinstance(value, str):
      try:
        return float(value)
      except ValueError:
        pass
  if origin is list and isinstance(value, list):
    return [_typed(f"{key}[{i}]", item, args[0]) if args else item
            for i, item in enumerate(value)]
  valid = isinstance(value, origin) and not (
      origin is int and isinstance(value, bool))
  if not valid:
    expected = getattr(annotation, "__name__", str(annotation))
    raise ValueError(f"recipe key {key} must be {expected}, got "
                     f"{value!r} ({type(value).__name__})")
  return value


def _parse_override(text: str) -> Dict[str, Any]:
  overrides = {}
  for item in filter(None, (part.strip() for part in text.split(","))):
    key, sep, value = item.partition("=")
    if not sep or "." not in key:
      raise ValueError(f"override {item!r} must look like section.key=value")
    overrides[key.strip()] = yaml.safe_load(value)
  return overrides


def from_dict(raw: Dict[str, Any], overrides: str = "") -> Recipe:
  """A `Recipe` from parsed YAML plus "section.key=value,..." overrides."""
  if not isinstance(raw, dict) or "model" not in raw:
    raise ValueError("a recipe is a mapping with at least a 'model' section")
  unknown = sorted(set(raw) - set(_SECTIONS) - {"description"})
  if unknown:
    raise ValueError(f"recipe has unknown sections {unknown}")
  raw = {k: dict(v) if isinstance(v, dict) else v for k, v in raw.items()}
  for key, value in _parse_override(overrides).items():
    section, _, field = key.partition(".")
    if section not in _SECTIONS:
      raise ValueError(f"override {key!r}: unknown section {section!r}")
    raw.setdefault(section, {})[field] = value
  recipe = Recipe(model=_section("model", raw["model"]),
                  data=_section("data", raw.get("data")),
                  training=_section("training", raw.get("training")),
                  description=str(raw.get("description", "")))
  _check(recipe)
  return recipe


def _check(recipe: Recipe) -> None:
  training = recipe.training
  if recipe.data.dataset not in DATASETS:
    raise ValueError(f"data.dataset must be one of {DATASETS}, got "
                     f"{recipe.data.dataset!r}")
  if training.schedule == "step" and not training.boundaries:
    raise ValueError("training.schedule 'step' needs training.boundaries "
                     "(epochs)")
  if training.optimizer not in OPTIMIZERS:
    raise ValueError(f"training.optimizer must be one of {OPTIMIZERS}")
  if training.schedule not in SCHEDULES:
    raise ValueError(f"training.schedule must be one of {SCHEDULES}")
  if training.epochs < 1 or recipe.data.batch_size < 1:
    raise ValueError("training.epochs and data.batch_size must be >= 1")
  if training.learning_rate <= 0 or training.weight_decay < 0:
    raise ValueError("learning_rate must be > 0 and weight_decay >= 0")
  bounds = training.boundaries
  if training.schedule == "step" and (
      any(a >= b for a, b in zip(bounds, bounds[1:])) or
      bounds[0] < 1):
    raise ValueError(f"training.boundaries must be increasing epochs >= 1, "
                     f"got {training.boundaries}")
  if not 0 <= training.warmup_epochs <= training.epochs:
    raise ValueError(f"training.warmup_epochs must be in [0, epochs], got "
                     f"{training.warmup_epochs}")
  if not 0.0 <= training.label_smoothing < 1.0:
    raise ValueError(f"training.label_smoothing must be in [0, 1), got "
                     f"{training.label_smoothing}")
  if training.checkpoint_every_steps < 0:
    raise ValueError(f"training.checkpoint_every_steps must be >= 0 (0: "
                     f"every epoch), got {training.checkpoint_every_steps}")
  if recipe.data.image_size < 0:
    raise ValueError(f"data.image_size must be >= 0 (0: the dataset's "
                     f"size), got {recipe.data.image_size}")


def load_recipe(path: str, overrides: str = "") -> Recipe:
  """Reads a YAML recipe; `overrides` as in `from_dict`."""
  with open(path) as stream:
    return from_dict(yaml.safe_load(stream), overrides)
