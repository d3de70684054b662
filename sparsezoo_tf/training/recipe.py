"""Training recipes: YAML files in configs/classification/, read into TF
Model Garden configs (`official.modeling.hyperparams`) and overridable as
Model Garden's `--params_override`:

    model:    {name: digits_cnn_sc, kwargs: {}}
    data:     {dataset: digits, batch_size: 64, data_dir: "", image_size: 0}
    training: {epochs: 40, optimizer: sgd, learning_rate: 0.1,
               momentum: 0.9, nesterov: true, weight_decay: 5.0e-4,
               schedule: cosine, boundaries: [], decay_rate: 0.1,
               warmup_epochs: 0, label_smoothing: 0.0, seed: 0,
               mixed_precision: false, checkpoint_every_steps: 0,
               deterministic: false, initial_weights: "",
               pruning: {target_sparsity: 0.0, initial_sparsity: 0.0,
                         begin_epoch: 0, end_epoch: 0,
                         frequency_steps: 100, schedule: polynomial,
                         layers: []},
               quantization_aware: false}

Overrides are "section.key=value" pairs separated by commas (values may be
lists, `training.boundaries=[30,60,90]`, or YAML mappings), a YAML/JSON
mapping (`{model: {kwargs: {classes: 7, input_shape: [8, 8, 1]}}}`) or the
path of a YAML file. A mapping given for a section (or `model.kwargs`) is
merged into it.

Unknown sections or keys, values of the wrong type and settings that
cannot work are errors (`ConfigError`, a ValueError) naming the key.
`CheckedConfig` is the type-checked Model Garden `Config` that the recipe's
sections derive from; other tasks' configs derive from it too.
"""

import dataclasses
import typing
from typing import Any, Dict, List, Sequence, Union

import tensorflow as tf
import yaml

from official.modeling.hyperparams import base_config
from official.modeling.hyperparams import params_dict

from sparsezoo_tf.data.pipelines import DATASETS

OPTIMIZERS = ("sgd", "adam")
SCHEDULES = ("constant", "cosine", "step")
PRUNING_SCHEDULES = ("polynomial", "constant")


class ConfigError(ValueError):
  """An unknown key, or a value of the wrong type, in a config.

  Attributes:
    key: the dotted key ("training.epochs", "training.boundaries[1]").
    problem: what is wrong with it.
  """

  def __init__(self, path: Sequence[str], problem: str):
    self.path = tuple(path)
    self.key = ".".join(self.path)
    self.problem = problem
    super().__init__(f"recipe key {self.key} {problem}")

  def under(self, section: str) -> "ConfigError":
    """The same error for the key seen from the section above."""
    return ConfigError((section,) + self.path, self.problem)


def _type_name(annotation) -> str:
  if typing.get_args(annotation):  # List[int], not List
    return str(annotation).replace("typing.", "")
  return getattr(annotation, "__name__", str(annotation))


def _checked(path: Sequence[str], value: Any, annotation) -> Any:
  """`value` checked against a field's type annotation. An int is a float
  too, and so is a string that reads as one (YAML reads "1e-3" as a
  string). Raises ConfigError naming the key."""
  origin = typing.get_origin(annotation) or annotation
  args = typing.get_args(annotation)
  if origin is Union:
    if value is None and type(None) in args:
      return value
    inner = [a for a in args if a is not type(None)]
    if len(inner) == 1:
      return _checked(path, value, inner[0])
    return value
  if annotation is Any:
    return value
  if isinstance(origin, type) and issubclass(origin, params_dict.ParamsDict):
    if isinstance(value, (dict, params_dict.ParamsDict)):
      return value
    raise ConfigError(path, f"is a section: it takes a mapping of keys, got "
                      f"{value!r} ({type(value).__name__})")
  if origin is float and not isinstance(value, bool):
    if isinstance(value, int):
      return float(value)
    if isinstance(value, str):
      try:
        return float(value)
      except ValueError:
        pass
  if origin in (list, tuple) and isinstance(value, (list, tuple)):
    if not args:
      return list(value)
    last = path[-1] if path else ""
    return [_checked(tuple(path[:-1]) + (f"{last}[{i}]",), item, args[0])
            for i, item in enumerate(value)]
  valid = isinstance(value, origin) and not (
      origin is int and isinstance(value, bool))
  if not valid:
    raise ConfigError(path, f"must be {_type_name(annotation)}, got "
                      f"{value!r} ({type(value).__name__})")
  return value


@dataclasses.dataclass
class CheckedConfig(base_config.Config):
  """A Model Garden `Config` whose fields are type-checked when set (by the
  constructor, `override` or assignment) and whose unknown keys and
  ill-typed values raise `ConfigError` naming the dotted key, rather than
  Model Garden's KeyError."""

  # Whether keys other than the fields are accepted (free-form sections).
  _FREE_FORM = False

  def __setattr__(self, k, v):
    if (not self._FREE_FORM and k not in self.RESERVED_ATTR and
        k not in self._get_annotations() and k not in ("BUILDER",
                                                       "_BUILDER")):
      raise ConfigError((k,), f"is unknown; known keys here: "
                        f"{', '.join(self._known_keys())}")
    super().__setattr__(k, v)

  def _set(self, k, v):
    annotation = self._get_annotations().get(k)
    if annotation is not None:
      v = _checked((k,), v, annotation)
    try:
      super()._set(k, v)
    except TypeError as error:  # Model Garden's unsupported values
      raise ConfigError((k,), f"has an unsupported value {v!r}: "
                        f"{error}") from None

  def _known_keys(self) -> List[str]:
    return sorted(k for k in self.__dict__ if k not in self.RESERVED_ATTR)

  def _override(self, override_dict, is_strict=True):
    if isinstance(override_dict, params_dict.ParamsDict):
      override_dict = override_dict.as_dict()
    if not isinstance(override_dict, dict):
      raise ConfigError((), f"must be a mapping of keys, got "
                        f"{override_dict!r}")
    for k, v in sorted(override_dict.items()):
      if not isinstance(k, str) or k in self.RESERVED_ATTR:
        raise ConfigError((str(k),), "is not a valid key")
      if is_strict and k not in self.__dict__:
        raise ConfigError((k,), f"is unknown; known keys here: "
                          f"{', '.join(self._known_keys())}")
      section = self.__dict__.get(k)
      if isinstance(section, params_dict.ParamsDict) and isinstance(
          v, (dict, params_dict.ParamsDict)):
        try:
          super()._override({k: v}, is_strict)
        except ConfigError as error:
          raise error.under(k) from None
      else:
        super()._override({k: v}, is_strict)  # `_set` names the key


@dataclasses.dataclass
class ModelKwargs(CheckedConfig):
  """Free-form keyword arguments of the model's entry point (`classes`,
  `input_shape`, `stem_strides`, ...): any key is accepted, and a mapping
  given for it is merged into it; `create_model` checks them."""

  _FREE_FORM = True

  def __eq__(self, other):
    return (isinstance(other, ModelKwargs) and
            self.as_dict() == other.as_dict())

  def _override(self, override_dict, is_strict=True):
    del is_strict  # the model's entry point knows its arguments
    super()._override(override_dict, is_strict=False)


@dataclasses.dataclass
class ModelSection(CheckedConfig):
  """The registered model (`models.create_model(name, **kwargs)`)."""
  name: str = ""
  kwargs: ModelKwargs = dataclasses.field(default_factory=ModelKwargs)


@dataclasses.dataclass
class DataSection(CheckedConfig):
  """`data_dir` is the dataset's folder (unused for the embedded digits);
  `image_size` 0 means the model's default input size."""
  dataset: str = "digits"
  batch_size: int = 64
  data_dir: str = ""
  image_size: int = 0


@dataclasses.dataclass
class PruningSection(CheckedConfig):
  """Magnitude pruning while training (TF Model Optimization's
  `prune_low_magnitude`; `sparsezoo_tf.optimization.pruning`), on when
  `target_sparsity` > 0.

  The pruned layers' sparsity goes from `initial_sparsity` at the start of
  epoch `begin_epoch` to `target_sparsity` at the start of epoch
  `end_epoch` (0: the last epoch's end), cubically ("polynomial") or at
  once ("constant"), updating the masks every `frequency_steps` optimizer
  steps; the epochs after `end_epoch` fine-tune with the masks fixed.
  `layers` are names or shell patterns of the layers to prune (e.g.
  ["fc*"]); empty: every prunable layer (the zoo's sparse layers prune
  their existing weights). The run's weights.h5 is the stripped model's,
  which loads into the plain model, and metrics.json has its measured
  `sparsity`.
  """
  target_sparsity: float = 0.0
  initial_sparsity: float = 0.0
  begin_epoch: int = 0
  end_epoch: int = 0
  frequency_steps: int = 100
  schedule: str = "polynomial"
  layers: List[str] = dataclasses.field(default_factory=list)

  @property
  def enabled(self) -> bool:
    return self.target_sparsity > 0


@dataclasses.dataclass
class TrainingSection(CheckedConfig):
  """Optimizer, schedule and how the run is carried out.

  `boundaries` are epochs (step schedule); weight decay is applied to
  kernels only, not to BN or biases. `mixed_precision` computes in float16
  with float32 variables and a float32 softmax (Keras's "mixed_float16"
  policy, with loss scaling). `checkpoint_every_steps` is how often the
  training state is backed up for resuming an interrupted run (0: at the
  end of every epoch). `deterministic` turns on TensorFlow's op
  determinism while the run trains (bitwise repeatable runs on one
  machine, slower on GPUs; the process's previous setting is restored
  afterwards).

  `initial_weights` (a registered weights name of the model, or an .h5
  file) starts from trained weights rather than from an initialization:
  fine-tuning, pruning a trained model. `pruning` prunes while training
  (`PruningSection`). `quantization_aware` trains the model with 8-bit
  fake quantization (TF Model Optimization's `quantize_model`, with the
  zoo's `QuantizeConfig`s); the run's weights.h5 is the quantized model's
  (`build_model` rebuilds it).
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
  deterministic: bool = False
  initial_weights: str = ""
  pruning: PruningSection = dataclasses.field(default_factory=PruningSection)
  quantization_aware: bool = False


@dataclasses.dataclass
class Recipe(CheckedConfig):
  """A classification recipe: what to train (`model`), on what (`data`)
  and how (`training`), with a free-text `description` of its source.

  `as_dict()` is the recipe as plain Python values (what model_dir's
  recipe.json and metrics.json hold); `from_dict` reads it back.
  """
  model: ModelSection = dataclasses.field(default_factory=ModelSection)
  data: DataSection = dataclasses.field(default_factory=DataSection)
  training: TrainingSection = dataclasses.field(
      default_factory=TrainingSection)
  description: str = ""

  def validate(self) -> None:
    """Raises ValueError naming the key of a setting that cannot work."""
    super().validate()
    _check(self)


def _check(recipe: Recipe) -> None:
  training = recipe.training
  if not recipe.model.name:
    raise ValueError("recipe key model.name is missing: a recipe names the "
                     "registered model it trains")
  if recipe.data.dataset not in DATASETS:
    raise ValueError(f"data.dataset must be one of {DATASETS}, got "
                     f"{recipe.data.dataset!r}")
  if training.schedule == "step" and not training.boundaries:
    raise ValueError("training.schedule 'step' needs training.boundaries "
                     "(epochs)")
  if training.optimizer not in OPTIMIZERS:
    raise ValueError(f"training.optimizer must be one of {OPTIMIZERS}, got "
                     f"{training.optimizer!r}")
  if training.schedule not in SCHEDULES:
    raise ValueError(f"training.schedule must be one of {SCHEDULES}, got "
                     f"{training.schedule!r}")
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
  _check_optimization(training)
  if recipe.data.image_size < 0:
    raise ValueError(f"data.image_size must be >= 0 (0: the dataset's "
                     f"size), got {recipe.data.image_size}")


def _check_optimization(training: TrainingSection) -> None:
  pruning = training.pruning
  if not 0.0 <= pruning.target_sparsity < 1.0:
    raise ValueError(f"training.pruning.target_sparsity must be in [0, 1) "
                     f"(0: no pruning), got {pruning.target_sparsity}")
  if pruning.enabled:
    if not 0.0 <= pruning.initial_sparsity <= pruning.target_sparsity:
      raise ValueError(f"training.pruning.initial_sparsity must be in [0, "
                       f"target_sparsity], got {pruning.initial_sparsity}")
    end = pruning.end_epoch or training.epochs
    if not 0 <= pruning.begin_epoch < end <= training.epochs:
      raise ValueError(
          f"training.pruning needs 0 <= begin_epoch < end_epoch <= "
          f"training.epochs (end_epoch 0: the last epoch), got begin_epoch="
          f"{pruning.begin_epoch}, end_epoch={pruning.end_epoch}, epochs="
          f"{training.epochs}")
    if pruning.frequency_steps < 1:
      raise ValueError(f"training.pruning.frequency_steps must be >= 1, got "
                       f"{pruning.frequency_steps}")
    if pruning.schedule not in PRUNING_SCHEDULES:
      raise ValueError(f"training.pruning.schedule must be one of "
                       f"{PRUNING_SCHEDULES}, got {pruning.schedule!r}")
    if training.quantization_aware:
      raise ValueError(
          "training.pruning and training.quantization_aware together are not "
          "supported: prune in one run, then train with quantization_aware "
          "from its weights.h5 (training.initial_weights)")
  if training.quantization_aware and training.mixed_precision:
    raise ValueError("training.quantization_aware does not work with "
                     "training.mixed_precision (fake quantization is float32)")


def apply_overrides(config: params_dict.ParamsDict,
                    params_override: str) -> None:
  """Overrides `config` in place with a `--params_override` value, parsed
  by Model Garden's `params_dict.override_params_dict`.

  Args:
    config: a `Recipe` (or any `CheckedConfig`).
    params_override: "section.key=value,..." (values may be lists,
      `training.boundaries=[30,60,90]`, or YAML mappings), a YAML/JSON
      mapping, or the path of a YAML file; "" changes nothing.

  Raises:
    ConfigError: an unknown key or an ill-typed value.
    ValueError: `params_override` is none of the above.
  """
  if not params_override:
    return
  try:
    params_dict.override_params_dict(config, params_override, is_strict=True)
  except ConfigError:
    raise
  except (yaml.YAMLError, tf.errors.OpError, KeyError, TypeError,
          ValueError) as error:
    detail = str(error).strip().splitlines()[0] if str(error).strip() else (
        type(error).__name__)
    raise ValueError(
        f"override {params_override!r} is neither 'section.key=value,...' "
        f"nor a YAML/JSON mapping nor a YAML file ({detail})") from None


def from_dict(raw: Dict[str, Any], overrides: str = "") -> Recipe:
  """A validated `Recipe` from parsed YAML (or `Recipe.as_dict()`) plus
  `--params_override`-style `overrides` (see `apply_overrides`).

  Raises:
    ValueError: an unknown key, an ill-typed value or a setting that
      cannot work (the message names the key).
  """
  if not isinstance(raw, dict):
    raise ValueError(f"a recipe is a mapping of sections (model, data, "
                     f"training, description), got {type(raw).__name__}")
  recipe = Recipe()
  recipe.override(raw, is_strict=True)
  apply_overrides(recipe, overrides)
  recipe.validate()
  return recipe


def load_recipe(path: str, overrides: str = "") -> Recipe:
  """Reads a YAML recipe; `overrides` as in `from_dict`.

  Raises:
    ValueError: the file is not valid YAML (naming the line), or the
      recipe is not valid (see `from_dict`).
  """
  with open(path) as stream:
    try:
      raw = yaml.safe_load(stream)
    except yaml.YAMLError as error:
      raise ValueError(f"{path} is not valid YAML: "
                       f"{' '.join(str(error).split())}") from None
  return from_dict(raw, overrides)
