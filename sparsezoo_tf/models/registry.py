"""The model registry: `register_model`, `list_models`, `create_model`,
`model_info` (timm's conventions).

Entry points are plain functions returning a `tf_keras` model; they are
registered with what the papers say about them (`ModelInfo`), so that the
zoo's tests can check every model against its table row.
"""

import dataclasses
import difflib
import fnmatch
import importlib
import re
from typing import Callable, Dict, List, Optional, Tuple

import tf_keras as keras


PARAMS_COUNTED = ("all", "convolutions")


@dataclasses.dataclass(frozen=True)
class PaperRow:
  """One row of a paper's table.

  Attributes:
    paper: the seed file's number ("000" ... "004", see shared/seeds).
    table: e.g. "Table 10".
    row: the row's label as printed.
    params: parameters in the table (absolute count).
    flops: multiply-adds in the table (absolute count), or None when the
      table gives none.
    note: how the row was read, where that needed a decision.
    mismatch: why this row cannot be matched (the table test expects it to
      fail, and fails if it passes); empty when it must match.
    params_counted: what the paper's parameter column counts: "all"
      trainable parameters, or "convolutions" only (no BN, no classifier).
    params_unit: the precision the table prints parameters with (e.g. 1e3
      for "0.056 M"); a count that rounds to the printed value matches.
  """
  paper: str
  table: str
  row: str
  params: Optional[float] = None
  flops: Optional[float] = None
  note: str = ""
  mismatch: str = ""
  params_counted: str = "all"
  params_unit: float = 0.0

  def __post_init__(self):
    if self.params_counted not in PARAMS_COUNTED:
      raise ValueError(f"params_counted must be one of {PARAMS_COUNTED}, "
                       f"got {self.params_counted!r}")
    if self.params_unit < 0:
      raise ValueError(f"params_unit must be >= 0, got {self.params_unit!r}")


@dataclasses.dataclass(frozen=True)
class ModelInfo:
  """What the zoo knows about a model.

  Attributes:
    name: the registered name.
    family: "resnet", "vgg", "densenet", "igc", "sparse_kernel", ...
    scheme: "dense", "sc", "sc_seq", "sc_comb", "scfusion<a>", "psc<k>",
      "igcv2", ... (the sparse pattern of its convolutions).
    dataset: the dataset its architecture is for ("imagenet", "cifar10",
      "cifar100", "tiny_imagenet").
    input_shape: default input (rows, cols, channels).
    classes: default number of classes.
    preprocessing: name of the preprocessing (`sparsezoo_tf.models.
      preprocess_input` modes).
    rows: the paper rows this model reproduces (params / FLOPs checked by
      the tests).
    baseline: name of the dense model built by the same code, or None for
      a dense model.
    description: one line.
  """
  name: str
  family: str
  scheme: str
  dataset: str
  input_shape: Tuple[int, int, int]
  classes: int
  preprocessing: str
  rows: Tuple[PaperRow, ...] = ()
  baseline: Optional[str] = None
  description: str = ""


@dataclasses.dataclass(frozen=True)
class _Entry:
  builder: Callable[..., keras.Model]
  info: ModelInfo


_REGISTRY: Dict[str, _Entry] = {}


def register_model(info: ModelInfo):
  """Decorator registering `builder` under `info.name`.

  Raises:
    ValueError: when the name is taken.
  """
  def decorate(builder):
    if info.name in _REGISTRY:
      raise ValueError(f"model {info.name!r} is registered twice")
    _REGISTRY[info.name] = _Entry(builder, info)
    return builder
  return decorate


def _entry(name: str) -> _Entry:
  _load_families()
  if not isinstance(name, str) or name not in _REGISTRY:
    close = difflib.get_close_matches(str(name), list(_REGISTRY), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise ValueError(f"unknown model {name!r}{hint} (list_models() shows "
                     f"all {len(_REGISTRY)})")
  return _REGISTRY[name]


def list_models(pattern: str = "*", scheme: Optional[str] = None,
                paper: Optional[str] = None) -> List[str]:
  """Registered model names matching a shell pattern ("resnet*", "*_sc"),
  sorted; optionally only one scheme or the models with rows of one paper.
  """
  _load_families()
  names = []
  for name, entry in _REGISTRY.items():
    if not fnmatch.fnmatchcase(name, pattern):
      continue
    if scheme is not None and entry.info.scheme != scheme:
      continue
    if paper is not None and not any(r.paper == paper
                                     for r in entry.info.rows):
      continue
    names.append(name)
  return sorted(names)


def model_info(name: str) -> ModelInfo:
  """The `ModelInfo` of a registered model."""
  return _entry(name).info


def create_model(name: str, **kwargs) -> keras.Model:
  """Builds a registered model; keyword arguments go to its entry point
  (`weights`, `include_top`, `input_shape`, `classes`, `pooling`, scheme
  knobs such as `width` or `implementation`, ...).

  Raises:
    ValueError: an unknown model (with the nearest names), or an argument
      its entry point does not take.
  """
  entry = _entry(name)
  try:
    return entry.builder(**kwargs)
  except TypeError as error:
    unexpected = re.search(r"unexpected keyword argument '(\w+)'", str(error))
    if unexpected is None:
      raise
    raise ValueError(f"{name} takes no argument {unexpected.group(1)!r}; "
                     f"help(sparsezoo_tf.models.{name}) lists its "
                     f"arguments") from None


def _load_families() -> None:
  """Imports the family modules, which register their models."""
  importlib.import_module("sparsezoo_tf.models.families")
