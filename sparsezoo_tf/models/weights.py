"""The weights registry: named, hashed weight files, checked before use.

An entry says which model the weights are for, their file name and SHA-256,
the dataset and class count, the recipe in `configs/` that produced them and
the accuracy it measured. Files are looked up, in order, in the package's
`weights/` folder (small files shipped with the package), in
`$SPARSEZOO_HOME` (default `~/.sparsezoo`), and at the entry's URL when one
is configured (downloaded with `tf_keras.utils.get_file`, hash checked).
A missing, truncated or tampered file is an error naming the file and the
expected hash; nothing is loaded from it. Entries without a file (ImageNet
and CIFAR weights this project cannot train on its machines) say so.
"""

import dataclasses
import hashlib
import importlib
import os
from typing import Dict, List, Optional, Tuple

import h5py
import tf_keras as keras

HOME_ENV = "SPARSEZOO_HOME"
PACKAGE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "weights")
HEAD_LAYERS = ("predictions",)


@dataclasses.dataclass(frozen=True)
class WeightsEntry:
  """One named set of weights.

  Attributes:
    model: the registered model name.
    name: the weights name (`weights=` argument), e.g. "digits".
    file_name: the .h5 file.
    sha256: its hash; None while no file exists.
    dataset: what it was trained on.
    classes: the head's class count.
    input_shape: the input it was trained at.
    recipe: the config in `configs/` that produces it.
    metrics: measured results, e.g. {"top1": 0.97}.
    url: where to download it, or None.
  """
  model: str
  name: str
  file_name: str
  sha256: Optional[str]
  dataset: str
  classes: int
  input_shape: Tuple[int, int, int]
  recipe: str
  metrics: Dict[str, float] = dataclasses.field(default_factory=dict)
  url: Optional[str] = None

  @property
  def available(self) -> bool:
    return self.sha256 is not None


@dataclasses.dataclass(frozen=True)
class Resolved:
  """A weights file ready to load: its path and its entry (None for a
  user's own file)."""
  path: str
  entry: Optional[WeightsEntry]


_ENTRIES: Dict[Tuple[str, str], WeightsEntry] = {}


def register_weights(entry: WeightsEntry) -> WeightsEntry:
  key = (entry.model, entry.name)
  if key in _ENTRIES:
    raise ValueError(f"weights {entry.name!r} of {entry.model!r} are "
                     f"registered twice")
  _ENTRIES[key] = entry
  return entry


def list_weights(model: Optional[str] = None) -> List[WeightsEntry]:
  """Registered weights, of one model or of all."""
  _load_entries()
  return [e for (m, _), e in sorted(_ENTRIES.items())
          if model is None or m == model]


def weights_home() -> str:
  return os.path.expanduser(os.environ.get(HOME_ENV, "~/.sparsezoo"))


def file_sha256(path: str) -> str:
  digest = hashlib.sha256()
  with open(path, "rb") as stream:
    for chunk in iter(lambda: stream.read(1 << 20), b""):
      digest.update(chunk)
  return digest.hexdigest()


def _locate(entry: WeightsEntry) -> str:
  searched = [os.path.join(PACKAGE_DIR, entry.file_name),
              os.path.join(weights_home(), entry.file_name)]
  for path in searched:
    if os.path.exists(path):
      return path
  if entry.url:
    return keras.utils.get_file(entry.file_name, origin=entry.url,
                                file_hash=entry.sha256, hash_algorithm="sha256",
                                cache_dir=weights_home(), cache_subdir="")
  raise FileNotFoundError(
      f"weights {entry.name!r} of {entry.model}: file {entry.file_name} "
      f"(sha256 {entry.sha256}) not found in {' or '.join(searched)}, and "
      f"no URL is configured; put the file in ${HOME_ENV}")


def check_file(path: str, entry: WeightsEntry) -> None:
  """Raises ValueError unless the file at `path` has the entry's hash."""
  actual = file_sha256(path)
  if actual != entry.sha256:
    raise ValueError(
        f"weights file {path} does not match the registry: sha256 {actual}, "
        f"expected {entry.sha256} (truncated, corrupted or another file); "
        f"nothing was loaded")


def resolve(model: str, weights: Optional[str]) -> Optional[Resolved]:
  """`weights` (None, a registered name, or a path to an .h5 file) ->
  the checked file to load.

  Raises:
    ValueError: unknown name, or a registered file with the wrong hash.
    FileNotFoundError: a registered file that is nowhere to be found.
  """
  if weights is None:
    return None
  if not isinstance(weights, str):
    raise ValueError(f"weights must be None, a weights name or a file path, "
                     f"got {weights!r}")
  _load_entries()
  entry = _ENTRIES.get((model, weights))
  if entry is not None:
    if not entry.available:
      raise ValueError(
          f"weights {weights!r} of {model} are registered but do not exist "
          f"yet: train them with the recipe {entry.recipe} and register the "
          f"file's sha256")
    path = _locate(entry)
    check_file(path, entry)
    return Resolved(path, entry)
  if os.path.isfile(weights):
    return Resolved(weights, None)
  known = [e.name for e in list_weights(model)]
  raise ValueError(
      f"weights={weights!r} is neither a registered weights name of {model} "
      f"(known: {known or 'none'}) nor an existing file")


def _file_layers(path: str) -> List[str]:
  """Names of the layers with weights in a Keras HDF5 weights file."""
  try:
    with h5py.File(path, "r") as stream:
      group = stream["model_weights"] if "model_weights" in stream else stream
      names = [n.decode() if isinstance(n, bytes) else str(n)
               for n in group.attrs["layer_names"]]
      return [n for n in names if len(group[n].attrs["weight_names"])]
  except (OSError, KeyError) as error:
    raise ValueError(f"weights file {path} is not a readable Keras HDF5 "
                     f"weights file ({error}); nothing was loaded") from None


def load_into(model: keras.Model, resolved: Resolved) -> None:
  """Loads the file into `model` by layer name, strictly: every layer of
  the model that has weights must be in the file with the same shapes, and
  the file may hold nothing else but the classification head (when the
  model has none).

  Raises:
    ValueError: naming the layers that do not match.
  """
  in_file = {n for n in _file_layers(resolved.path)}
  with_weights = {layer.name for layer in model.layers if layer.weights}
  missing = sorted(with_weights - in_file)
  extra = sorted(in_file - with_weights - set(HEAD_LAYERS))
  if missing or extra:
    raise ValueError(
        f"weights file {resolved.path} does not fit {model.name}: layers "
        f"missing from the file: {missing[:8]}; layers the model lacks: "
        f"{extra[:8]}")
  try:
    model.load_weights(resolved.path, by_name=True, skip_mismatch=False)
  except ValueError as error:
    raise ValueError(f"weights file {resolved.path} does not fit "
                     f"{model.name}: {error}") from None


def _load_entries() -> None:
  importlib.import_module("sparsezoo_tf.models.weights_registry")
