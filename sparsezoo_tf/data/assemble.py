"""Builds a split's tf.data pipeline from its source: shuffle, decode
(counting unreadable images), augment or evaluation transform, normalize,
batch, prefetch."""

from typing import Optional

import tensorflow as tf

from sparsezoo_tf.data import augment
from sparsezoo_tf.data import decoding


def _transforms(name: str, image_size: int):
  """(train(image, seed), eval(image)) for 0..1 float images."""
  if name == "imagenet":
    return (lambda image, seed: augment.imagenet_train(image, image_size,
                                                       seed),
            lambda image: augment.imagenet_eval(image, image_size))
  return (lambda image, seed: augment.small_train(image, image_size, seed),
          lambda image: augment.small_eval(image, image_size))


def build(source, info, *, split: str, batch_size: int, training: bool,
          image_size: int, seed: Optional[int], drop_remainder: bool,
          max_corrupt: int) -> tf.data.Dataset:
  """The batched (images float32 [B, S, S, C], labels int32 [B]) pipeline.

  Args:
    source: a `sparsezoo_tf.data.sources` source of the split.
    info: the dataset's `DatasetInfo`.
    split: the split name, for messages.
    batch_size: examples per batch.
    training: shuffle and augment (otherwise the evaluation transform).
    image_size: output side S.
    seed: seed of the shuffling and the augmentation, or None.
    drop_remainder: drop the last, smaller batch.
    max_corrupt: unreadable images one epoch may skip.

  Returns:
    tf.data.Dataset, one epoch per iteration.
  """
  deterministic = seed is not None or not training
  examples = source.examples(shuffle=training, seed=seed)
  if source.encoded:
    examples = decoding.decode_counted(
        examples, source.load, max_corrupt=max_corrupt,
        description=f"{info.name} {split} ({source.description})")
  train_fn, eval_fn = _transforms(info.name, image_size)
  size = image_size

  def finish(image, label):
    image = augment.normalize(image, info.name)
    image.set_shape([size, size, info.channels])
    return image, tf.cast(label, tf.int32)

  if training:
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
    examples = tf.data.Dataset.zip((examples, seeds)).map(
        lambda example, r: finish(
            train_fn(augment.to_float(example[0]),
                     tf.stack([r, tf.constant(0, tf.int64)])), example[1]),
        num_parallel_calls=tf.data.AUTOTUNE)
  else:
    examples = examples.map(
        lambda image, label: finish(eval_fn(augment.to_float(image)), label),
        num_parallel_calls=tf.data.AUTOTUNE)
  dataset = examples.batch(batch_size, drop_remainder=drop_remainder)
  dataset = dataset.prefetch(tf.data.AUTOTUNE)
  options = tf.data.Options()
  options.deterministic = deterministic
  return dataset.with_options(options)
