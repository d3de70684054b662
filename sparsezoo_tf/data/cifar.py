"""CIFAR-10 and CIFAR-100 from the python-pickle archives of
https://www.cs.toronto.edu/~kriz/cifar.html.

`data_dir` may be the extracted folder (`cifar-10-batches-py`,
`cifar-100-python`), the folder that contains it, the `.tar.gz` archive
(`cifar-10-python.tar.gz`, `cifar-100-python.tar.gz`, read in place,
without extracting it), or the folder that contains the archive.

CIFAR-10: `data_batch_1` .. `data_batch_5` (train), `test_batch`, labels
under b"labels". CIFAR-100: `train`, `test`, the 100 fine labels under
b"fine_labels". Each batch's b"data" is uint8 [N, 3072]: the red, green and
blue 32x32 planes of each image, row by row.

The pickles are read with an unpickler that only builds plain containers
and numpy arrays, so that a tampered file cannot run code.
"""

import dataclasses
import functools
import io
import os
import pickle
import tarfile
from typing import Dict, Tuple

import numpy as np

from sparsezoo_tf.data import sources


@dataclasses.dataclass(frozen=True)
class _Layout:
  folder: str
  archive: str
  members: Dict[str, Tuple[str, ...]]
  label_key: bytes
  num_classes: int


_LAYOUTS = {
    "cifar10": _Layout(
        "cifar-10-batches-py", "cifar-10-python.tar.gz",
        {"train": tuple(f"data_batch_{i}" for i in range(1, 6)),
         "test": ("test_batch",)},
        b"labels", 10),
    "cifar100": _Layout(
        "cifar-100-python", "cifar-100-python.tar.gz",
        {"train": ("train",), "test": ("test",)}, b"fine_labels", 100),
}
_SIDE = 32

# The globals a CIFAR pickle may name: numpy's array reconstruction (and
# the latin-1 text-to-bytes step of pickles written by Python 3).
_ALLOWED_GLOBALS = {
    ("_codecs", "encode"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
}


class _ArrayUnpickler(pickle.Unpickler):

  def find_class(self, module, name):
    if (module, name) in _ALLOWED_GLOBALS:
      return super().find_class(module, name)
    raise pickle.UnpicklingError(
        f"refusing to load {module}.{name} from a CIFAR pickle (only numpy "
        "arrays and plain containers are expected)")


def _unpickle(data: bytes, where: str) -> dict:
  try:
    batch = _ArrayUnpickler(io.BytesIO(data), encoding="bytes").load()
  except Exception as error:  # pylint: disable=broad-except
    raise ValueError(f"{where} is not a readable CIFAR pickle: {error}") \
        from error
  if not isinstance(batch, dict):
    raise ValueError(f"{where} is not a CIFAR batch (a dict), got "
                     f"{type(batch).__name__}")
  return batch


def _expected(layout: _Layout) -> str:
  members = ", ".join(sum(layout.members.values(), ()))
  return (f"{layout.folder}/ (with {members}), a folder containing it, or "
          f"{layout.archive}")


def _locate(layout: _Layout, data_dir: str) -> Tuple[str, str]:
  """("folder" or "archive", path)."""
  path = os.path.expanduser(data_dir)
  if os.path.isfile(path):
    if tarfile.is_tarfile(path):
      return "archive", path
    raise ValueError(f"{data_dir} is a file but not a tar archive; expected "
                     f"{_expected(layout)}")
  first = layout.members["test"][0]
  for folder in (path, os.path.join(path, layout.folder)):
    if os.path.isfile(os.path.join(folder, first)):
      return "folder", folder
  archive = os.path.join(path, layout.archive)
  if os.path.isfile(archive):
    return "archive", archive
  raise ValueError(f"no CIFAR data in {data_dir}: expected {_expected(layout)}")


def _read_members(kind: str, path: str, layout: _Layout,
                  names: Tuple[str, ...]) -> Dict[str, bytes]:
  if kind == "folder":
    contents = {}
    for name in names:
      member = os.path.join(path, name)
      if not os.path.isfile(member):
        raise ValueError(f"{member} is missing: expected {_expected(layout)}")
      with open(member, "rb") as f:
        contents[name] = f.read()
    return contents
  wanted = {f"{layout.folder}/{name}": name for name in names}
  contents = {}
  with tarfile.open(path, "r:*") as archive:
    for member in archive:
      name = wanted.get(member.name.lstrip("./"))
      if name is not None and member.isfile():
        contents[name] = archive.extractfile(member).read()
  missing = [member for member, name in wanted.items() if name not in contents]
  if missing:
    raise ValueError(f"{path} lacks {', '.join(missing)}: expected the "
                     f"archive {layout.archive} holding {layout.folder}/")
  return contents


def _decode_batch(batch: dict, layout: _Layout, where: str):
  for key in (b"data", layout.label_key):
    if key not in batch:
      raise ValueError(f"{where} has no {key!r} entry (keys: "
                       f"{sorted(batch)}); is it the right CIFAR variant?")
  data = np.asarray(batch[b"data"], np.uint8)
  labels = np.asarray(batch[layout.label_key], np.int64)
  if data.ndim != 2 or data.shape[1] != 3 * _SIDE * _SIDE:
    raise ValueError(f"{where}: b'data' should be [N, 3072], got "
                     f"{list(data.shape)}")
  if len(labels) != len(data):
    raise ValueError(f"{where}: {len(data)} images but {len(labels)} labels")
  if labels.size and (labels.min() < 0 or labels.max() >= layout.num_classes):
    raise ValueError(f"{where}: labels outside 0..{layout.num_classes - 1}")
  images = data.reshape(-1, 3, _SIDE, _SIDE).transpose(0, 2, 3, 1)
  return images, labels.astype(np.int32)


@functools.lru_cache(maxsize=4)
def _load(name: str, split: str, kind: str, path: str,
          mtime: float) -> Tuple[np.ndarray, np.ndarray]:
  del mtime  # Part of the cache key only.
  layout = _LAYOUTS[name]
  names = layout.members[split]
  contents = _read_members(kind, path, layout, names)
  images, labels = [], []
  for member in names:
    where = f"{path}:{member}" if kind == "archive" else \
        os.path.join(path, member)
    batch_images, batch_labels = _decode_batch(
        _unpickle(contents[member], where), layout, where)
    images.append(batch_images)
    labels.append(batch_labels)
  return np.concatenate(images), np.concatenate(labels)


def cifar_arrays(name: str, split: str,
                 data_dir: str) -> Tuple[np.ndarray, np.ndarray]:
  """(images uint8 [N, 32, 32, 3], labels int32 [N]) of a split.

  Args:
    name: "cifar10" or "cifar100".
    split: "train" or "test".
    data_dir: see the module docstring.

  Returns:
    The split's images and labels, in the files' order.
  """
  if name not in _LAYOUTS:
    raise ValueError(f"unknown CIFAR dataset {name!r}; known: "
                     f"{', '.join(_LAYOUTS)}")
  layout = _LAYOUTS[name]
  if split not in layout.members:
    raise ValueError(f"unknown split {split!r} of {name}; known: "
                     f"{', '.join(layout.members)}")
  kind, path = _locate(layout, data_dir)
  path = os.path.abspath(path)
  return _load(name, split, kind, path, os.path.getmtime(path))


def cifar_source(name: str, split: str, data_dir: str) -> sources.ArraySource:
  """The split as an in-memory `sources.ArraySource`."""
  images, labels = cifar_arrays(name, split, data_dir)
  return sources.ArraySource(images, labels, data_dir)
