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

A weights file given by path has no registry entry; its hash is recorded
next to it instead, in `<file>.sha256` (one `sha256sum` line, so that
`sha256sum -c weights.h5.sha256` checks it too). The trainer writes one
next to weights.h5 and the export tool next to model.keras; loading a file
by path (`weights=path`, `export.load_checkpoint`, the tools) verifies it
when the record is there, and loads it unchecked when it is not. Before
anything is loaded, the file's layers and weight shapes are compared with
the model's, so that a file of another model is an error that names the
layer and both shapes.
"""

import dataclasses
import hashlib
import os
import re
from typing import Dict, List, Optional, Sequence, Tuple

import h5py
import numpy as np
import tf_keras as keras

from sparsezoo_tf.models import weights_table
from sparsezoo_tf.models.info import WeightsEntry

HOME_ENV = "SPARSEZOO_HOME"
PACKAGE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "weights")
# Layers of a classifier's top (`include_top=True`) that a file may hold
# beyond a model built without it: the classifier, and VGG's two FC layers.
HEAD_LAYERS = ("predictions", "fc1", "fc2")
# The SHA-256 record of a weights file `f` is the file `f + RECORD_SUFFIX`.
RECORD_SUFFIX = ".sha256"
_RECORD_LINE = re.compile(r"([0-9a-fA-F]{64}) [ *](.+)")


@dataclasses.dataclass(frozen=True)
class Resolved:
  """A weights file ready to load: its path and its entry (None for a
  user's own file)."""
  path: str
  entry: Optional[WeightsEntry]


_ENTRIES: Dict[Tuple[str, str], WeightsEntry] = {}


def register_weights(entry: WeightsEntry) -> WeightsEntry:
  """Adds an entry (model, weights name) to the registry; returns it.

  Raises:
    ValueError: the pair is registered already.
  """
  key = (entry.model, entry.name)
  if key in _ENTRIES:
    raise ValueError(f"weights {entry.name!r} of {entry.model!r} are "
                     f"registered twice")
  _ENTRIES[key] = entry
  return entry


def list_weights(model: Optional[str] = None) -> List[WeightsEntry]:
  """Registered weights, of one model or of all."""
  return [e for (m, _), e in sorted(_ENTRIES.items())
          if model is None or m == model]


def weights_home() -> str:
  return os.path.expanduser(os.environ.get(HOME_ENV, "~/.sparsezoo"))


def file_sha256(path: str) -> str:
  """The SHA-256 of the file at `path`, as 64 hex digits."""
  digest = hashlib.sha256()
  with open(path, "rb") as stream:
    for chunk in iter(lambda: stream.read(1 << 20), b""):
      digest.update(chunk)
  return digest.hexdigest()


def _check_sha256(path: str, expected: str, against: str,
                  remedy: str) -> str:
  """Raises ValueError unless the file at `path` hashes to `expected`;
  returns the hash."""
  actual = file_sha256(path)
  if actual != expected.lower():
    raise ValueError(
        f"weights file {path} does not match {against}: sha256 {actual}, "
        f"expected {expected} (truncated, corrupted or another file); "
        f"nothing was loaded. {remedy}")
  return actual


def sha256_record(path: str) -> str:
  """The SHA-256 record of the file at `path`: the line `sha256sum` prints
  for it ("<hash>  <file name>"), to be written to `path + RECORD_SUFFIX`.
  """
  return f"{file_sha256(path)}  {os.path.basename(path)}\n"


def recorded_sha256(path: str) -> Optional[str]:
  """The SHA-256 recorded for the file at `path` in `path + RECORD_SUFFIX`,
  or None when there is no record.

  Raises:
    ValueError: the record is not one `sha256sum` line.
  """
  record = path + RECORD_SUFFIX
  if not os.path.isfile(record):
    return None
  with open(record, encoding="utf-8", errors="replace") as stream:
    lines = [line for line in stream.read().splitlines() if line.strip()]
  match = _RECORD_LINE.fullmatch(lines[0].strip()) if len(lines) == 1 else None
  if match is None:
    name = os.path.basename(path)
    raise ValueError(
        f"{record} is not a SHA-256 record (one line '<64 hex digits>  "
        f"{name}', as `sha256sum {name}` prints); nothing was loaded. "
        f"Rewrite it with `sha256sum {name} > {name}{RECORD_SUFFIX}` in "
        f"its folder if you trust the file, or delete it to load the file "
        f"unchecked")
  return match.group(1).lower()


def verify_recorded_sha256(path: str) -> Optional[str]:
  """Checks the file at `path` against its SHA-256 record (see
  `recorded_sha256`); returns the hash, or None when there is no record
  (nothing to check).

  Raises:
    ValueError: the file does not match its record, or the record is
      malformed; the message names the file and both hashes.
  """
  expected = recorded_sha256(path)
  if expected is None:
    return None
  record = path + RECORD_SUFFIX
  return _check_sha256(
      path, expected, f"its record {record}",
      f"Copy the file again, or write it again with the tool that made it; "
      f"delete {record} only if you trust the file as it is.")


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
  _check_sha256(path, entry.sha256, "the registry",
                f"Delete it and put the file of weights {entry.name!r} of "
                f"{entry.model} there again.")


def resolve(model: str, weights: Optional[str]) -> Optional[Resolved]:
  """`weights` (None, a registered name, or a path to an .h5 file) ->
  the checked file to load: a registered file against the registry's hash,
  a path against its SHA-256 record when it has one.

  Raises:
    ValueError: unknown name, a registered file with the wrong hash, or a
      file that does not match its record.
    FileNotFoundError: a registered file that is nowhere to be found.
  """
  if weights is None:
    return None
  if not isinstance(weights, str):
    raise ValueError(f"weights must be None, a weights name or a file path, "
                     f"got {weights!r}")
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
    verify_recorded_sha256(weights)
    return Resolved(weights, None)
  known = [e.name for e in list_weights(model)]
  raise ValueError(
      f"weights={weights!r} is neither a registered weights name of {model} "
      f"(known: {known or 'none'}) nor an existing file")


def _file_layers(path: str) -> List[Tuple[str, List[Tuple[str, Tuple]]]]:
  """The layers with weights in a Keras HDF5 weights file, in file order:
  [(layer name, [(weight name, shape), ...]), ...]."""
  def text(name):
    return name.decode() if isinstance(name, bytes) else str(name)
  try:
    with h5py.File(path, "r") as stream:
      group = stream["model_weights"] if "model_weights" in stream else stream
      layers = []
      for layer in map(text, group.attrs["layer_names"]):
        weights = [(text(name), tuple(group[layer][text(name)].shape))
                   for name in group[layer].attrs["weight_names"]]
        if weights:
          layers.append((layer, weights))
      return layers
  except (OSError, KeyError, RuntimeError) as error:  # h5py: damaged file
    raise ValueError(f"weights file {path} is not a readable Keras HDF5 "
                     f"weights file ({error}); nothing was loaded") from None


def read_layer(path: str, layer: str) -> List[np.ndarray]:
  """The weights of one layer of a Keras HDF5 weights file, in the layer's
  order (e.g. [kernel, bias]).

  Raises:
    ValueError: an unreadable file, or no such layer in it.
  """
  names = [name for name, _ in _file_layers(path)]
  if layer not in names:
    raise ValueError(f"weights file {path} has no layer {layer!r} (it has "
                     f"{names[:8]}{' ...' if len(names) > 8 else ''})")
  with h5py.File(path, "r") as stream:
    group = stream["model_weights"] if "model_weights" in stream else stream
    weights = group[layer]
    return [np.asarray(weights[name.decode() if isinstance(name, bytes)
                               else str(name)])
            for name in weights.attrs["weight_names"]]


def _model_layers(model: keras.Model) -> List[Tuple[str, List[Tuple[str,
                                                                    Tuple]]]]:
  """The model's layers with weights, as `_file_layers` lists a file's (in
  the order HDF5 weights files store them: trainable weights first)."""
  layers = []
  for layer in model.layers:
    weights = layer.trainable_weights + layer.non_trainable_weights
    if weights:
      layers.append((layer.name, [(w.name, tuple(w.shape)) for w in weights]))
  return layers


def _shapes(weights: Sequence[Tuple[str, Tuple]], most: int = 4) -> str:
  shapes = ", ".join(str(shape) for _, shape in weights[:most])
  return f"[{shapes}{', ...' if len(weights) > most else ''}]"


def _shape_mismatches(pairs: Sequence[Tuple[Tuple, Tuple]]) -> List[str]:
  """What differs between (model layer, file layer) pairs, one phrase per
  mismatching layer."""
  problems = []
  for (name, weights), (file_name, file_weights) in pairs:
    layer = (f"layer {name!r}" if name == file_name else
             f"layer {name!r} (the file's {file_name!r})")
    if len(weights) != len(file_weights):
      problems.append(
          f"{layer}: the model has {len(weights)} weights of shapes "
          f"{_shapes(weights)}, the file {len(file_weights)} of shapes "
          f"{_shapes(file_weights)}")
      continue
    for (weight, shape), (_, file_shape) in zip(weights, file_weights):
      if shape != file_shape:
        problems.append(f"{layer}: weight {weight} has shape {shape} in the "
                        f"model, {file_shape} in the file")
  return problems


def check_fits(model: keras.Model, path: str, by_name: bool) -> None:
  """Checks, before loading anything, that the Keras HDF5 weights file at
  `path` fits `model`: the same layers (by name, or in order as
  `model.load_weights(path)` reads them) with the same weight shapes.

  With `by_name`, the file may hold a classification head the model lacks
  (`include_top=False`).

  Raises:
    ValueError: naming the layers that are missing or extra, or each layer
      whose weights differ with both shapes.
  """
  in_file = _file_layers(path)
  in_model = _model_layers(model)
  what = f"weights file {path} does not fit {model.name}"
  if by_name:
    file_by_name = dict(in_file)
    missing = sorted(name for name, _ in in_model if name not in file_by_name)
    names = {name for name, _ in in_model}
    extra = sorted(name for name, _ in in_file
                   if name not in names and name not in HEAD_LAYERS)
    if missing or extra:
      raise ValueError(f"{what}: layers missing from the file: "
                       f"{missing[:8]}; layers the model lacks: {extra[:8]}")
    pairs = [(layer, (layer[0], file_by_name[layer[0]])) for layer in in_model]
  else:
    if len(in_file) != len(in_model):
      raise ValueError(
          f"{what}: the file has {len(in_file)} layers with weights, the "
          f"model {len(in_model)} (file: {[n for n, _ in in_file][:8]}, "
          f"model: {[n for n, _ in in_model][:8]})")
    pairs = list(zip(in_model, in_file))
  problems = _shape_mismatches(pairs)
  if problems:
    more = f"; and {len(problems) - 3} more" if len(problems) > 3 else ""
    raise ValueError(f"{what}: {'; '.join(problems[:3])}{more}. Nothing was "
                     f"loaded; is it the weights of another model or "
                     f"configuration (classes, width, scheme)?")


def load_into(model: keras.Model, resolved: Resolved) -> None:
  """Loads the file into `model` by layer name, strictly: every layer of
  the model that has weights must be in the file with the same shapes, and
  the file may hold nothing else but the classification head (when the
  model has none). Nothing is loaded when it does not fit.

  Raises:
    ValueError: naming the layers that do not match, and for each layer
      whose weights differ, both shapes.
  """
  check_fits(model, resolved.path, by_name=True)
  try:
    model.load_weights(resolved.path, by_name=True, skip_mismatch=False)
  except ValueError as error:
    raise ValueError(f"weights file {resolved.path} does not fit "
                     f"{model.name}: {error}") from None



for _entry in weights_table.WEIGHTS:
  register_weights(_entry)
