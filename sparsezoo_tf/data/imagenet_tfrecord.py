"""ILSVRC-2012 as TFRecord shards in the layout of the Inception / TF Model
Garden conversion script (build_imagenet_data.py):

    data_dir/train-00000-of-01024 ... train-01023-of-01024
    data_dir/validation-00000-of-00128 ... validation-00127-of-00128

Each record is a tf.train.Example with `image/encoded` (the JPEG bytes),
`image/class/label` and optionally `image/filename`.

Label convention: `image/class/label` is 1-based, 1..1000, the position of
the wnid in sorted wnid order plus one; 0 is reserved for a "background"
class (why Model Garden's ImageNet configs have num_classes=1001 and its
legacy ResNet input subtracts one). This module subtracts one, giving the
same 0-based sorted-wnid class index as the folder layout; a label outside
1..1000 fails the pipeline with an error naming this convention.
"""

import glob
import os
import re
from typing import Tuple

import tensorflow as tf

from sparsezoo_tf.data import sources

NUM_CLASSES = 1000
SHARD_PREFIX = {"train": "train", "validation": "validation"}
# Sizes of the full splits, used when all the standard shards are present.
_FULL = {"train": (1024, 1_281_167), "validation": (128, 50_000)}
_SHARD = re.compile(r"-(\d+)-of-(\d+)$")


def shards(data_dir: str, split: str) -> Tuple[str, ...]:
  """Sorted shard files of a split ("train" or "validation")."""
  pattern = os.path.join(glob.escape(data_dir),
                         f"{SHARD_PREFIX[split]}-*-of-*")
  return tuple(sorted(path for path in glob.glob(pattern)
                      if _SHARD.search(path) and os.path.isfile(path)))


def has_records(data_dir: str) -> bool:
  """Whether data_dir holds shards of either split."""
  return any(shards(data_dir, split) for split in SHARD_PREFIX)


def _known_count(split: str, files: Tuple[str, ...]):
  num_shards, num_examples = _FULL[split]
  totals = {int(_SHARD.search(path).group(2)) for path in files}
  if totals == {num_shards} and len(files) == num_shards:
    return num_examples
  return None


def parse(record: tf.Tensor) -> Tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
  """(encoded image, 0-based label int32, image/filename) of a record."""
  features = tf.io.parse_single_example(record, {
      "image/encoded": tf.io.FixedLenFeature([], tf.string),
      "image/class/label": tf.io.FixedLenFeature([], tf.int64),
      "image/filename": tf.io.FixedLenFeature([], tf.string,
                                              default_value=""),
  })
  label = features["image/class/label"]
  check = tf.debugging.Assert(
      tf.logical_and(label >= 1, label <= NUM_CLASSES),
      [f"ImageNet TFRecord image/class/label must be 1-based, in "
       f"1..{NUM_CLASSES} (0 is the background class of the Inception "
       "layout); got", label, "for", features["image/filename"]])
  with tf.control_dependencies([check]):
    label = tf.cast(label - 1, tf.int32)
  return features["image/encoded"], label, features["image/filename"]


def tfrecord_source(split: str, data_dir: str) -> sources.RecordSource:
  """The split as a `sources.RecordSource`."""
  files = shards(data_dir, split)
  if not files:
    raise ValueError(
        f"no ImageNet {split} TFRecords in {data_dir}: expected shards "
        f"named {SHARD_PREFIX[split]}-00000-of-NNNNN ...")
  return sources.RecordSource(files, parse, f"TFRecords in {data_dir}",
                              known_count=_known_count(split, files))
