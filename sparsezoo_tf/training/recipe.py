"""Training recipes: YAML files in configs/classification/, overridable
with `--params_override "training.epochs=3,data.batch_size=32"`.

    model:    {name: digits_cnn_sc, kwargs: {}}
    data:     {dataset: digits, batch_size: 64}
    training: {epochs: 40, optimizer: sgd, learning_rate: 0.1,
               momentum: 0.9, nesterov: true, weight_decay: 5.0e-4,
               schedule: cosine, boundaries: [], decay_rate: 0.1,
               warmup_epochs: 0, label_smoothing: 0.0, seed: 0}
"""

import dataclasses
from typing import Any, Dict, List, Optional

import yaml

OPTIMIZERS = ("sgd", "adam")
SCHEDULES = ("constant", "cosine", "step")
DATASETS = ("digits", "imagenet", "cifar10", "cifar100", "tiny_imagenet")
# The datasets `train` has a pipeline for; the others are recipes waiting
# for their pipelines (the papers' settings, kept with the weights names
# they will produce).
TRAINABLE_DATASETS = ("digits",)


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
  """Optimizer and schedule. `boundaries` are epochs (step schedule);
  weight decay is applied to kernels only, not to BN or biases."""
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
  return cls(**values)


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


def load_recipe(path: str, overrides: str = "") -> Recipe:
  """Reads a YAML recipe; `overrides` as in `from_dict`."""
  with open(path) as stream:
    return from_dict(yaml.safe_load(stream), overrides)
