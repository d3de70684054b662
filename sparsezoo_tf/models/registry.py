"""The model registry: `register_model`, `list_models`, `create_model`,
`model_info` (timm's conventions).

Every public model is a function in its family's module, decorated with
`register_model(...)`: the decorator records the model's `ModelInfo` (the
facts given to it, the description from the docstring's first paragraph,
and the paper rows that `paper_rows.ROWS` holds under the function's name),
so that the zoo's tests can check every model against its table rows.
"""

import dataclasses
import difflib
import fnmatch
import re
import sys
from typing import Callable, Dict, List, Optional, Tuple

import tf_keras as keras

from sparsezoo_tf import schemes
from sparsezoo_tf.models.info import ModelInfo
from sparsezoo_tf.models.info import PaperRow  # noqa: F401  (re-exported)
from sparsezoo_tf.models.paper_rows import ROWS


@dataclasses.dataclass(frozen=True)
class _Entry:
  builder: Callable[..., keras.Model]
  info: ModelInfo


_REGISTRY: Dict[str, _Entry] = {}


def register_model(*, family: str, dataset: str,
                   input_shape: Tuple[int, int, int], classes: int,
                   preprocessing: str, scheme: str = "dense",
                   baseline: Optional[str] = None):
  """Decorator registering a model's entry point under its function name.

      @register_model(family="resnet", scheme="sc", dataset="imagenet",
                      input_shape=(224, 224, 3), classes=1000,
                      preprocessing="imagenet", baseline="resnet50")
      def resnet50_sc(weights=None, **kwargs):
        \"\"\"ResNet-50-sc ...\"\"\"

  Args:
    family, dataset, input_shape, classes, preprocessing, baseline: as in
      `ModelInfo`.
    scheme: a name `sparsezoo_tf.schemes.get_scheme` knows.

  Returns:
    The decorator; it returns the function unchanged and adds its name to
    its module's `__all__` (for the package's families,
    `sparsezoo_tf.models` star-imports them: `models.resnet50_sc`).

  Raises:
    ValueError: a name registered twice, an unknown scheme, or a function
      without a docstring.
  """
  schemes.get_scheme(scheme)

  def decorate(builder: Callable[..., keras.Model]):
    name = builder.__name__
    if name in _REGISTRY:
      raise ValueError(f"model {name!r} is registered twice")
    if not (builder.__doc__ or "").strip():
      raise ValueError(f"entry point {name} needs a docstring (its first "
                       f"paragraph is the model's description)")
    summary = builder.__doc__.strip().split("\n\n")[0]
    description = " ".join(summary.split()).rstrip(".")
    info = ModelInfo(name=name, family=family, scheme=scheme,
                     dataset=dataset, input_shape=tuple(input_shape),
                     classes=classes, preprocessing=preprocessing,
                     rows=ROWS.get(name, ()), baseline=baseline,
                     description=description)
    _REGISTRY[name] = _Entry(builder, info)
    module = sys.modules.get(builder.__module__)
    if module is not None:
      exported = module.__dict__.setdefault("__all__", [])
      if name not in exported:
        exported.append(name)
    return builder
  return decorate


def unregister_model(name: str) -> None:
  """Removes a registered model (for tests that register throwaway ones)."""
  _REGISTRY.pop(name, None)


def _entry(name: str) -> _Entry:
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

  Raises:
    ValueError: a scheme that is not registered (`sparsezoo_tf.schemes`).
  """
  if scheme is not None:
    scheme = schemes.get_scheme(scheme).name
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
    ValueError: an unknown model (with the nearest names), an argument its
      entry point does not take, or one it fixes (the scheme of a model,
      its depth, ...: what makes it this model).
  """
  entry = _entry(name)
  where = f"help({entry.builder.__module__}.{name})"
  try:
    return entry.builder(**kwargs)
  except TypeError as error:
    unexpected = re.search(r"unexpected keyword argument '(\w+)'", str(error))
    if unexpected is not None:
      raise ValueError(f"{name} takes no argument {unexpected.group(1)!r}; "
                       f"{where} lists its arguments") from None
    fixed = re.search(r"multiple values for (?:keyword )?argument '(\w+)'",
                      str(error))
    if fixed is not None:
      raise ValueError(f"{name} fixes its argument {fixed.group(1)!r} (it is "
                       f"what makes the model {name}); {where} lists the "
                       f"arguments it takes") from None
    raise

