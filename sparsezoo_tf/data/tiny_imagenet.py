"""Tiny ImageNet (the 200-class, 64x64 `tiny-imagenet-200` of CS231n) from
its folder layout:

    tiny-imagenet-200/wnids.txt                  the 200 class wnids
    tiny-imagenet-200/train/<wnid>/images/*.JPEG 500 per class
    tiny-imagenet-200/val/images/*.JPEG          10 000
    tiny-imagenet-200/val/val_annotations.txt    "<file>\\t<wnid>\\t<box>"

`data_dir` is the `tiny-imagenet-200` folder or the folder containing it.
Split "validation" is `val/` (the `test/` images have no labels). Class
index = position of the wnid in sorted order (as an image-folder loader
on `train/` numbers them), not the order of `wnids.txt`.
"""

import os
from typing import List, Tuple

import numpy as np

from sparsezoo_tf.data import files
from sparsezoo_tf.data import sources

FOLDER = "tiny-imagenet-200"
_EXPECTED = (f"{FOLDER}/ (or its parent) with wnids.txt, "
             "train/<wnid>/images/*.JPEG, val/images/*.JPEG and "
             "val/val_annotations.txt")


def _root(data_dir: str) -> str:
  path = os.path.expanduser(data_dir)
  for root in (path, os.path.join(path, FOLDER)):
    if os.path.isfile(os.path.join(root, "wnids.txt")):
      return root
  raise ValueError(f"no Tiny ImageNet in {data_dir}: expected {_EXPECTED}")


def tiny_imagenet_classes(data_dir: str) -> List[str]:
  """The wnids in class-index order (sorted)."""
  with open(os.path.join(_root(data_dir), "wnids.txt")) as f:
    wnids = [line.strip() for line in f if line.strip()]
  if len(set(wnids)) != len(wnids):
    raise ValueError(f"{data_dir}: wnids.txt lists a wnid twice")
  return sorted(wnids)


def _train(root: str, classes: List[str]) -> Tuple[List[str], List[int]]:
  paths, labels = [], []
  for index, wnid in enumerate(classes):
    folder = os.path.join(root, "train", wnid, "images")
    if not os.path.isdir(folder):
      raise ValueError(f"{folder} is missing: expected {_EXPECTED}")
    found = files.list_images(folder)
    paths += found
    labels += [index] * len(found)
  return paths, labels


def _validation(root: str,
                classes: List[str]) -> Tuple[List[str], List[int]]:
  annotations = os.path.join(root, "val", "val_annotations.txt")
  if not os.path.isfile(annotations):
    raise ValueError(f"{annotations} is missing: expected {_EXPECTED}")
  index = {wnid: i for i, wnid in enumerate(classes)}
  paths, labels = [], []
  with open(annotations) as f:
    for number, line in enumerate(f, 1):
      fields = line.split()
      if not fields:
        continue
      if len(fields) < 2 or fields[1] not in index:
        raise ValueError(f"{annotations} line {number}: expected "
                         f"'<file> <wnid> ...' with a wnid of wnids.txt, "
                         f"got {line.strip()!r}")
      paths.append(os.path.join(root, "val", "images", fields[0]))
      labels.append(index[fields[1]])
  return paths, labels


def tiny_imagenet_source(split: str, data_dir: str) -> sources.FileSource:
  """The split ("train" or "validation") as a `sources.FileSource`."""
  root = _root(data_dir)
  classes = tiny_imagenet_classes(data_dir)
  if split == "train":
    paths, labels = _train(root, classes)
  elif split == "validation":
    paths, labels = _validation(root, classes)
  else:
    raise ValueError(f"unknown split {split!r} of tiny_imagenet; known: "
                     "train, validation")
  if not paths:
    raise ValueError(f"no {split} images in {root}: expected {_EXPECTED}")
  return sources.FileSource(tuple(paths), np.asarray(labels, np.int32), root)
