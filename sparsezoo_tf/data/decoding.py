"""Decoding encoded images in parallel, skipping and counting the ones that
cannot be read or decoded.

Each example is decoded in its own one-element dataset whose errors are
ignored; when that yields nothing, a placeholder marked "bad" takes its
place. A sequential scan then counts the bad examples of the epoch, prints
a warning naming each one to stderr (the tf.data graph cannot reach Python
logging without a py_function; TensorFlow's own C++ log also gets the
decoder's error when TF_CPP_MIN_LOG_LEVEL allows warnings) and fails the
pipeline with tf.errors.InvalidArgumentError once there are more than
`max_corrupt`. The bad examples are then filtered out.
"""

import sys
from typing import Callable, Optional

import tensorflow as tf

WARNING_PREFIX = "WARNING sparsezoo_tf.data:"


def decode_counted(examples: tf.data.Dataset,
                   load: Callable[[tf.Tensor], tf.Tensor], *,
                   max_corrupt: int, description: str,
                   deterministic: Optional[bool] = None) -> tf.data.Dataset:
  """Decodes (payload, label, name) examples into (image, label).

  Args:
    examples: dataset of (payload, label, name): `load(payload)` gives the
      uint8 [H, W, C] image; `name` identifies the example in messages.
    load: payload -> image; any error it raises marks the example bad.
    max_corrupt: how many bad examples one iteration (epoch) may skip.
    description: the dataset and split, for messages.
    deterministic: keep the input order (None: the dataset's option).

  Returns:
    tf.data.Dataset of (image uint8 [H, W, C], label).
  """
  def decode_one(payload, label, name):
    good = tf.data.Dataset.from_tensors((payload, label, name)).map(
        lambda p, l, n: (load(p), l, n, True)).ignore_errors(log_warning=True)
    channels = good.element_spec[0].shape[-1]
    placeholder = tf.zeros([1, 1, channels or 3], good.element_spec[0].dtype)
    bad = tf.data.Dataset.from_tensors((placeholder, label, name, False))
    return good.concatenate(bad).take(1)

  decoded = examples.interleave(
      decode_one, cycle_length=tf.data.AUTOTUNE, block_length=1,
      num_parallel_calls=tf.data.AUTOTUNE, deterministic=deterministic)

  def count(bad_so_far, example):
    image, label, name, ok = example
    bad_so_far += tf.cast(tf.logical_not(ok), tf.int64)

    def warn():
      message = tf.strings.join([
          WARNING_PREFIX, " skipped unreadable image ", name, " (",
          tf.strings.as_string(bad_so_far), f" of at most {max_corrupt} "
          f"allowed in one epoch of {description})"])
      with tf.control_dependencies(
          [tf.print(message, output_stream=sys.stderr)]):
        return tf.constant(True)

    warned = tf.cond(ok, lambda: tf.constant(False), warn)
    check = tf.debugging.Assert(
        bad_so_far <= max_corrupt,
        [f"too many unreadable images in {description}: more than "
         f"max_corrupt={max_corrupt}; the last one:", name])
    with tf.control_dependencies([warned, check]):
      ok = tf.identity(ok)
    return bad_so_far, (image, label, ok)

  counted = decoded.scan(tf.constant(0, tf.int64), count)
  return counted.filter(lambda image, label, ok: ok).map(
      lambda image, label, ok: (image, label))
