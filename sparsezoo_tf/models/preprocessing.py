"""Input preprocessing of the zoo's models, by dataset."""

import numpy as np
import tensorflow as tf

# Per-channel mean and std of the datasets (RGB, on 0..1 pixels).
STATISTICS = {
    "imagenet": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    "cifar10": ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
    "cifar100": ((0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762)),
    "tiny_imagenet": ((0.4802, 0.4481, 0.3975), (0.2770, 0.2691, 0.2821)),
    "digits": ((0.3053,), (0.3760,)),
}
MODES = tuple(STATISTICS)
MAX_VALUE = {"digits": 16.0}


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
