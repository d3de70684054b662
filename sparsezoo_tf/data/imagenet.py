"""ILSVRC-2012 (ImageNet-1k): finds the layout of `data_dir` and lists a
split.

Layouts, detected from what `data_dir` holds:

* TFRecord shards `train-*-of-*`, `validation-*-of-*` (see
  `sparsezoo_tf.data.imagenet_tfrecord`).
* Image folders: `train/<wnid>/*.JPEG`, and `val/<wnid>/*.JPEG` or a flat
  `val/*.JPEG` labelled by the devkit (see
  `sparsezoo_tf.data.imagenet_devkit`). Split "validation" is `val/`.

Class index = position of the wnid in sorted order (the order of the
`train/` subfolders; of `val/`'s, or of the devkit's, when there is no
`train/`).
"""

import os
from typing import List, Tuple

import numpy as np

from sparsezoo_tf.data import files
from sparsezoo_tf.data import imagenet_devkit
from sparsezoo_tf.data import imagenet_tfrecord
from sparsezoo_tf.data import sources

SPLITS = ("train", "validation")
_FOLDERS = {"train": "train", "validation": "val"}
EXPECTED = (
    "either the folder layout (train/<wnid>/*.JPEG; val/<wnid>/*.JPEG or "
    "val/*.JPEG with the devkit's labels) or TFRecord shards "
    "(train-00000-of-01024 ..., validation-00000-of-00128 ...)")


def layout(data_dir: str) -> str:
  """"tfrecord" or "folders", from what data_dir holds.

  Raises:
    ValueError: when data_dir holds neither.
  """
  if not os.path.isdir(data_dir):
    raise ValueError(f"ImageNet data_dir {data_dir} is not a folder; "
                     f"expected {EXPECTED}")
  if imagenet_tfrecord.has_records(data_dir):
    return "tfrecord"
  if any(os.path.isdir(os.path.join(data_dir, folder))
         for folder in _FOLDERS.values()):
    return "folders"
  raise ValueError(f"no ImageNet in {data_dir}: expected {EXPECTED}")


def classes(data_dir: str) -> List[str]:
  """The wnids of the folder layout in class-index order."""
  for folder in (_FOLDERS["train"], _FOLDERS["validation"]):
    path = os.path.join(data_dir, folder)
    if os.path.isdir(path):
      wnids = files.list_subfolders(path)
      if wnids:
        return wnids
  return imagenet_devkit.flat_val_classes(data_dir)


def _labelled(wnids: List[str], known: List[str], where: str) -> np.ndarray:
  index = {wnid: i for i, wnid in enumerate(known)}
  unknown = sorted(set(wnids) - set(index))
  if unknown:
    raise ValueError(f"{where}: {len(unknown)} classes are not among the "
                     f"{len(known)} train classes, e.g. {unknown[0]}")
  return np.array([index[wnid] for wnid in wnids], np.int32)


def _folder_split(data_dir: str, split: str) -> Tuple[List[str], np.ndarray]:
  root = os.path.join(data_dir, _FOLDERS[split])
  if not os.path.isdir(root):
    raise ValueError(f"no ImageNet {split} folder {root}: expected "
                     f"{EXPECTED}")
  known = classes(data_dir)
  subfolders = files.list_subfolders(root)
  if subfolders:
    paths, wnids = [], []
    for wnid in subfolders:
      found = files.list_images(os.path.join(root, wnid))
      paths += found
      wnids += [wnid] * len(found)
  elif split == "validation":
    paths = files.list_images(root)
    wnids = imagenet_devkit.flat_val_wnids(
        data_dir, [os.path.basename(path) for path in paths]) if paths else []
  else:
    paths, wnids = [], []
  if not paths:
    raise ValueError(f"no images in {root}: expected {EXPECTED}")
  return paths, _labelled(wnids, known, root)


def imagenet_source(split: str, data_dir: str):
  """The split ("train" or "validation") as a source of
  `sparsezoo_tf.data.sources`."""
  if split not in SPLITS:
    raise ValueError(f"unknown split {split!r} of imagenet; known: "
                     f"{', '.join(SPLITS)}")
  data_dir = os.path.expanduser(data_dir)
  if layout(data_dir) == "tfrecord":
    return imagenet_tfrecord.tfrecord_source(split, data_dir)
  paths, labels = _folder_split(data_dir, split)
  return sources.FileSource(tuple(paths), labels,
                            f"image folders in {data_dir}")
