"""Input preprocessing of the zoo's models, by dataset (the statistics are
`sparsezoo_tf.data.statistics`)."""

import numpy as np
import tensorflow as tf

from sparsezoo_tf.data.statistics import MAX_VALUE
from sparsezoo_tf.data.statistics import MODES
from sparsezoo_tf.data.statistics import STATISTICS


def preprocess_input(images, mode: str = "imagenet"):
  """Scales raw pixels (0..255, or 0..16 for scikit-learn's digits) to 0..1
  and normalizes each channel with the dataset's mean and std.

  Args:
    images: [..., channels] array or tensor.
    mode: one of MODES.

  Returns:
    float32 values of the same shape: a NumPy array for a NumPy array or
    list (as Keras Applications' `preprocess_input` returns), a tensor for
    a tensor.
  """
  if mode not in STATISTICS:
    raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
  mean, std = STATISTICS[mode]
  scale = np.float32(MAX_VALUE.get(mode, 255.0))
  if tf.is_tensor(images):
    images = tf.cast(images, tf.float32) / scale
  else:
    images = np.asarray(images, np.float32) / scale
  channels = images.shape[-1]
  if channels is not None and channels != len(mean):
    raise ValueError(f"{mode} preprocessing expects {len(mean)} channels, "
                     f"got {channels}")
  return (images - np.array(mean, np.float32)) / np.array(std, np.float32)
