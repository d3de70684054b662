"""Where a split's examples come from, before decoding and augmentation.

A source yields, in a stable order (or shuffled):

* `ArraySource`: decoded images (uint8 [H, W, C]) and labels, from memory.
* `FileSource`: (path, label, name) of encoded image files on disk.
* `RecordSource`: (encoded image, label, name) parsed from TFRecord shards.

Encoded sources also say how to turn their payload into a uint8 image
(`load`); `sparsezoo_tf.data.decoding` does that and counts the failures.
"""

import dataclasses
import functools
from typing import Callable, Optional, Sequence, Tuple

import numpy as np
import tensorflow as tf

RECORD_SHUFFLE_BUFFER = 10_000
RECORD_CYCLE_LENGTH = 16


def decode_image(encoded: tf.Tensor) -> tf.Tensor:
  """uint8 [H, W, 3] from JPEG / PNG / GIF / BMP bytes (grayscale and
  CMYK converted to RGB; the first frame of an animation)."""
  image = tf.io.decode_image(encoded, channels=3, expand_animations=False)
  image.set_shape([None, None, 3])
  return image


@dataclasses.dataclass(frozen=True)
class ArraySource:
  """Decoded images held in memory.

  Attributes:
    images: uint8 [N, H, W, C].
    labels: int [N].
    description: what and where, for messages.
  """
  images: np.ndarray
  labels: np.ndarray
  description: str
  encoded = False

  def count(self) -> int:
    return len(self.labels)

  def examples(self, shuffle: bool, seed: Optional[int]) -> tf.data.Dataset:
    """(image uint8 [H, W, C], label int32) in array order or shuffled."""
    images = tf.convert_to_tensor(self.images, tf.uint8)
    labels = tf.convert_to_tensor(self.labels, tf.int32)
    indices = tf.data.Dataset.range(self.count())
    if shuffle:
      indices = indices.shuffle(self.count(), seed=seed,
                                reshuffle_each_iteration=True)
    return indices.map(lambda i: (tf.gather(images, i), tf.gather(labels, i)))


@dataclasses.dataclass(frozen=True)
class FileSource:
  """Encoded image files, one example each.

  Attributes:
    paths: the image files.
    labels: int [len(paths)].
    description: what and where, for messages.
  """
  paths: Tuple[str, ...]
  labels: np.ndarray
  description: str
  encoded = True

  def count(self) -> int:
    return len(self.paths)

  def examples(self, shuffle: bool, seed: Optional[int]) -> tf.data.Dataset:
    """(path, label int32, name) in listing order or shuffled."""
    dataset = tf.data.Dataset.from_tensor_slices(
        (list(self.paths), np.asarray(self.labels, np.int32)))
    if shuffle:
      dataset = dataset.shuffle(self.count(), seed=seed,
                                reshuffle_each_iteration=True)
    return dataset.map(lambda path, label: (path, label, path))

  @staticmethod
  def load(path: tf.Tensor) -> tf.Tensor:
    return decode_image(tf.io.read_file(path))


@dataclasses.dataclass(frozen=True)
class RecordSource:
  """TFRecord shards of tf.train.Example records.

  Attributes:
    files: the shards.
    parse: serialized record -> (encoded image, label int32, name within
      the shard) tensors.
    description: what and where, for messages.
    known_count: the number of records when known without reading them.
  """
  files: Tuple[str, ...]
  parse: Callable[[tf.Tensor], Tuple[tf.Tensor, tf.Tensor, tf.Tensor]]
  description: str
  known_count: Optional[int] = None
  encoded = True

  def count(self) -> int:
    if self.known_count is not None:
      return self.known_count
    return _count_records(self.files)

  def examples(self, shuffle: bool, seed: Optional[int]) -> tf.data.Dataset:
    """(encoded image, label int32, "shard:name"): shards read in turn
    (interleaved), and when shuffling, the shards in a random order and
    the records through a RECORD_SHUFFLE_BUFFER buffer."""
    files = tf.data.Dataset.from_tensor_slices(list(self.files))
    if shuffle:
      files = files.shuffle(len(self.files), seed=seed,
                            reshuffle_each_iteration=True)

    def read(path):
      def named(record):
        encoded, label, name = self.parse(record)
        return encoded, label, tf.strings.join([path, name], ":")
      return tf.data.TFRecordDataset(path).map(named)

    records = files.interleave(
        read, cycle_length=min(RECORD_CYCLE_LENGTH, len(self.files)),
        block_length=1, num_parallel_calls=tf.data.AUTOTUNE)
    if shuffle:
      records = records.shuffle(RECORD_SHUFFLE_BUFFER, seed=seed,
                                reshuffle_each_iteration=True)
    return records

  @staticmethod
  def load(encoded: tf.Tensor) -> tf.Tensor:
    return decode_image(encoded)


@functools.lru_cache(maxsize=16)
def _count_records(files: Sequence[str]) -> int:
  dataset = tf.data.TFRecordDataset(list(files))
  return int(dataset.reduce(np.int64(0), lambda count, _: count + 1))
