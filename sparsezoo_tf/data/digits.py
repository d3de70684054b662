"""scikit-learn's 8x8 handwritten digits: the small real dataset that ships
with a package, used for the zoo's trained weights and the demo.

1797 grayscale images, 10 classes, pixels 0..16. The split is fixed:
a stratified 80 / 20 train / test split drawn with seed 0.
"""

import functools
from typing import Optional, Tuple

import numpy as np
import tensorflow as tf

from sparsezoo_tf.data import augment
from sparsezoo_tf.data import statistics

DIGITS_SPLITS = ("train", "test")
_TEST_FRACTION = 0.2
_SPLIT_SEED = 0


@functools.lru_cache(maxsize=1)
def _split_indices() -> Tuple[np.ndarray, np.ndarray]:
  from sklearn import datasets  # pylint: disable=g-import-not-at-top
  labels = datasets.load_digits().target
  rng = np.random.default_rng(_SPLIT_SEED)
  train, test = [], []
  for digit in range(10):
    members = rng.permutation(np.flatnonzero(labels == digit))
    cut = int(round(len(members) * _TEST_FRACTION))
    test.append(members[:cut])
    train.append(members[cut:])
  return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def digits_arrays(split: str) -> Tuple[np.ndarray, np.ndarray]:
  """(images [N, 8, 8, 1] float32 with raw 0..16 pixels, labels [N] int32)
  of the "train" (1438) or "test" (359) split."""
  if split not in DIGITS_SPLITS:
    raise ValueError(f"split must be one of {DIGITS_SPLITS}, got {split!r}")
  from sklearn import datasets  # pylint: disable=g-import-not-at-top
  digits = datasets.load_digits()
  index = _split_indices()[DIGITS_SPLITS.index(split)]
  images = digits.images[index].astype(np.float32)[..., None]
  return images, digits.target[index].astype(np.int32)


def digits_dataset(split: str, batch_size: int, training: bool = False,
                   seed: Optional[int] = None,
                   drop_remainder: bool = False) -> tf.data.Dataset:
  """Batched, preprocessed (normalized) digits; shuffled with random
  one-pixel shifts when `training` (the augmentation of the small recipes).

  Args:
    split: "train" or "test".
    batch_size: examples per batch.
    training: shuffle (a new order each iteration) and shift.
    seed: seed of the shuffling and shifts.
    drop_remainder: drop the last, smaller batch.

  Returns:
    tf.data.Dataset of (images float32 [B, 8, 8, 1], labels int32 [B]).
  """
  images, labels = digits_arrays(split)
  images = augment.normalize(
      images / np.float32(statistics.MAX_VALUE["digits"]), "digits")
  dataset = tf.data.Dataset.from_tensor_slices((images, labels))
  if training:
    dataset = dataset.shuffle(len(labels), seed=seed,
                              reshuffle_each_iteration=True)
    # Stateless shifts seeded per example: the same seed, the same epochs.
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
    dataset = tf.data.Dataset.zip((dataset, seeds)).map(
        _random_shift, num_parallel_calls=tf.data.AUTOTUNE)
  return dataset.batch(batch_size, drop_remainder=drop_remainder).prefetch(
      tf.data.AUTOTUNE)


def _random_shift(example, random):
  """Shifts the digit by up to one pixel, filling with blank paper."""
  image, label = example
  mean, std = statistics.STATISTICS["digits"]
  blank = -mean[0] / std[0]
  padded = tf.pad(image, [[1, 1], [1, 1], [0, 0]], constant_values=blank)
  seed = tf.stack([random, tf.constant(0, tf.int64)])
  return tf.image.stateless_random_crop(padded, tf.shape(image), seed), label
