"""The papers' image transforms, one image at a time, on float32 pixels in
0..1 ([H, W, C]); randomness is stateless, from a [2] int seed tensor, so
that a seeded pipeline gives the same images on every run.

* CIFAR and Tiny ImageNet training: zero-pad 4 pixels, random crop back to
  the image size, random horizontal flip (`pad_crop_flip`).
* ImageNet training: random-resized crop (area 8%-100% of the image,
  aspect ratio 3/4-4/3), random horizontal flip, colour jitter of
  brightness, contrast and saturation by factors in [0.6, 1.4], applied in
  a random order (`imagenet_train`).
* ImageNet evaluation: resize the shorter side to image_size / 0.875 (256
  for 224), then take the centre image_size crop (`imagenet_eval`).
* Normalization with the dataset's per-channel mean and std
  (`sparsezoo_tf.data.statistics.STATISTICS`, `normalize`).
"""

import itertools
from typing import Sequence, Tuple

import numpy as np
import tensorflow as tf

from sparsezoo_tf.data import statistics

CIFAR_PADDING = 4
CROP_SCALE = (0.08, 1.0)
CROP_RATIO = (3 / 4, 4 / 3)
JITTER = 0.4
EVAL_CROP_FRACTION = 0.875
_GRAY_WEIGHTS = (0.2989, 0.5870, 0.1140)


def to_float(image: tf.Tensor) -> tf.Tensor:
  """uint8 pixels 0..255 to float32 0..1."""
  return tf.cast(image, tf.float32) / 255.0


def normalize(image: tf.Tensor, name: str) -> tf.Tensor:
  """(image - mean) / std per channel, for 0..1 pixels of dataset `name`."""
  if name not in statistics.STATISTICS:
    raise ValueError(f"no mean/std for dataset {name!r}; known: "
                     f"{', '.join(statistics.STATISTICS)}")
  mean, std = statistics.STATISTICS[name]
  return ((image - np.array(mean, np.float32)) /
          np.array(std, np.float32))


def split_seed(seed: tf.Tensor, num: int) -> Sequence[tf.Tensor]:
  """`num` independent [2] seeds from one."""
  return tf.unstack(tf.random.experimental.stateless_split(seed, num))


def resize(image: tf.Tensor, height, width) -> tf.Tensor:
  """Bilinear resize with antialiasing (like PIL's, torchvision's)."""
  return tf.image.resize(image, tf.stack([height, width]),
                         method="bilinear", antialias=True)


def resize_square(image: tf.Tensor, size: int) -> tf.Tensor:
  """Resizes to size x size unless the image already has that size."""
  shape = tf.shape(image)
  same = tf.logical_and(tf.equal(shape[0], size), tf.equal(shape[1], size))
  return tf.cond(same, lambda: image, lambda: resize(image, size, size))


def random_flip(image: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
  """Horizontal flip with probability 1/2."""
  return tf.image.stateless_random_flip_left_right(image, seed)


def pad_crop_flip(image: tf.Tensor, seed: tf.Tensor,
                  padding: int = CIFAR_PADDING) -> tf.Tensor:
  """Zero-pads `padding` pixels on each side, crops a random window of the
  original size, flips horizontally with probability 1/2."""
  crop_seed, flip_seed = split_seed(seed, 2)
  padded = tf.pad(image, [[padding, padding], [padding, padding], [0, 0]])
  cropped = tf.image.stateless_random_crop(padded, tf.shape(image), crop_seed)
  return random_flip(cropped, flip_seed)


def random_resized_crop(image: tf.Tensor, size: int, seed: tf.Tensor,
                        scale: Tuple[float, float] = CROP_SCALE,
                        ratio: Tuple[float, float] = CROP_RATIO) -> tf.Tensor:
  """A random window of `scale` of the area and `ratio` aspect ratio,
  resized to size x size (the whole image when 10 tries find no window)."""
  begin, window, _ = tf.image.stateless_sample_distorted_bounding_box(
      tf.shape(image), bounding_boxes=tf.constant([[[0.0, 0.0, 1.0, 1.0]]]),
      seed=seed, min_object_covered=0.0, aspect_ratio_range=ratio,
      area_range=scale, max_attempts=10, use_image_if_no_bounding_boxes=True)
  crop = tf.slice(image, begin, window)
  return resize(crop, size, size)


def _grayscale(image: tf.Tensor) -> tf.Tensor:
  return tf.reduce_sum(image * np.array(_GRAY_WEIGHTS, np.float32), axis=-1,
                       keepdims=True)


def _brightness(image, factor):
  return image * factor


def _contrast(image, factor):
  mean = tf.reduce_mean(_grayscale(image))
  return (image - mean) * factor + mean


def _saturation(image, factor):
  gray = _grayscale(image)
  return (image - gray) * factor + gray


def color_jitter(image: tf.Tensor, seed: tf.Tensor,
                 strength: float = JITTER) -> tf.Tensor:
  """Scales brightness, contrast and saturation by random factors in
  [1 - strength, 1 + strength], in a random order, clipping to 0..1 after
  each (torchvision's ColorJitter(strength, strength, strength)) on an RGB
  image."""
  factor_seed, order_seed = split_seed(seed, 2)
  factors = tf.random.stateless_uniform([3], factor_seed, 1.0 - strength,
                                        1.0 + strength)
  adjust = (_brightness, _contrast, _saturation)

  def apply(order):
    def branch():
      out = image
      for index in order:
        out = tf.clip_by_value(adjust[index](out, factors[index]), 0.0, 1.0)
      return out
    return branch

  orders = list(itertools.permutations(range(3)))
  choice = tf.random.stateless_uniform([], order_seed, 0, len(orders),
                                       dtype=tf.int32)
  return tf.switch_case(choice, [apply(order) for order in orders])


def imagenet_train(image: tf.Tensor, size: int, seed: tf.Tensor) -> tf.Tensor:
  """Random-resized crop to size x size, flip, colour jitter."""
  crop_seed, flip_seed, jitter_seed = split_seed(seed, 3)
  image = random_resized_crop(image, size, crop_seed)
  image = random_flip(image, flip_seed)
  if image.shape[-1] == 3:
    image = color_jitter(image, jitter_seed)
  return image


def eval_resize_size(size: int) -> int:
  """Shorter side before the centre crop: 256 for 224."""
  return int(round(size / EVAL_CROP_FRACTION))


def resize_shorter_side(image: tf.Tensor, size: int) -> tf.Tensor:
  """Resizes keeping the aspect ratio so that the shorter side is `size`
  (the longer one truncated, as torchvision's Resize(int))."""
  shape = tf.shape(image)
  height, width = shape[0], shape[1]
  short = tf.minimum(height, width)
  long = tf.maximum(height, width)
  new_long = (size * long) // short
  new_height = tf.where(height <= width, size, new_long)
  new_width = tf.where(height <= width, new_long, size)
  return resize(image, new_height, new_width)


def center_crop(image: tf.Tensor, size: int) -> tf.Tensor:
  """The centre size x size window (offsets rounded as torchvision's)."""
  shape = tf.shape(image)
  top = tf.cast(tf.round(tf.cast(shape[0] - size, tf.float32) / 2), tf.int32)
  left = tf.cast(tf.round(tf.cast(shape[1] - size, tf.float32) / 2),
                 tf.int32)
  return tf.slice(image, tf.stack([top, left, 0]), tf.stack([size, size, -1]))


def imagenet_eval(image: tf.Tensor, size: int) -> tf.Tensor:
  """Shorter side to size / 0.875, then the centre size x size crop."""
  return center_crop(resize_shorter_side(image, eval_resize_size(size)), size)


def small_train(image: tf.Tensor, size: int, seed: tf.Tensor) -> tf.Tensor:
  """CIFAR / Tiny ImageNet training: resize to size x size if needed, then
  pad 4, random crop, flip."""
  return pad_crop_flip(resize_square(image, size), seed)


def small_eval(image: tf.Tensor, size: int) -> tf.Tensor:
  """CIFAR / Tiny ImageNet evaluation: resize to size x size if needed."""
  return resize_square(image, size)
