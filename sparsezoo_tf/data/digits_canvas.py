"""Digits on a canvas: scikit-learn's real 8x8 handwritten digits, enlarged
and pasted on a blank square canvas, with their bounding boxes, for object
localization (CAM) and detection.

Each canvas holds `digits_per_canvas` digits of one split of
`sparsezoo_tf.data.digits` (train canvases only take train digits, test
canvases only test digits). A digit is resized bilinearly (half-pixel
centres, as `tf.image.resize`) from 8x8 to a random side in
[min_size, max_size], scaled from 0..16 to 0..255 and rounded, cropped to
its non-zero pixels and pasted at a random position, fully inside the
canvas, on a zero background; the digits of one canvas have
non-overlapping boxes. Everything is a function of the split, the seed and
the parameters: the same call gives bit-identical arrays in any process,
and canvas i does not depend on `count`.

Box convention, shared with `sparsezoo_tf.data.imagenet_localization`:
(ymin, xmin, ymax, xmax) in pixel-edge coordinates, half-open: a box
covers the pixel rows ymin <= row < ymax and columns xmin <= column < xmax,
so its height is ymax - ymin and its area (ymax - ymin) * (xmax - xmin).
The box of a digit is tight: every non-zero pixel of the digit lies inside
it, and each of its four edges touches one.

`canvas_dataset` feeds classification training with one digit per canvas,
normalized with the "digits_canvas" statistics, which are the 8x8 digits'
own: a canvas pixel p (0..255) becomes the same value as an 8x8 pixel
p * 16 / 255 (0..16) of the "digits" pipeline.
"""

import dataclasses
import functools
from typing import Optional

import numpy as np
import tensorflow as tf

from sparsezoo_tf.data import augment
from sparsezoo_tf.data import digits
from sparsezoo_tf.data import statistics

CANVAS_SPLITS = digits.DIGITS_SPLITS
CANVAS_SIZE = 64
MIN_DIGIT_SIZE = 16
MAX_DIGIT_SIZE = 40
CANVAS_SEED = 0
# Random positions tried for one digit, then whole canvases (fresh sizes).
POSITION_TRIES = 100
CANVAS_TRIES = 100
_DIGIT_SIDE = 8
_DIGIT_MAX = statistics.MAX_VALUE["digits"]


def _split_indices(split: str) -> np.ndarray:
  """Indices in scikit-learn's `load_digits()` of the split's digits, in
  the order of `digits.digits_arrays(split)`."""
  # pylint: disable-next=protected-access
  return digits._split_indices()[CANVAS_SPLITS.index(split)]


@dataclasses.dataclass(frozen=True, eq=False)
class CanvasSet:
  """Canvases with their digits; the arrays are read-only.

  Attributes:
    images: uint8 [N, S, S, 1], pixels 0..255 on a zero background.
    labels: int32 [N, D], the class (0..9) of each digit.
    boxes: float32 [N, D, 4], (ymin, xmin, ymax, xmax) tight half-open
      pixel boxes of the digits (see the module docstring).
    source_indices: int32 [N, D], each digit's index in scikit-learn's
      `load_digits()` (an index of the canvas split's digits).
    sizes: int32 [N, D], the side the 8x8 digit was resized to before it
      was cropped to its box.
    split: "train" or "test".
    canvas_size: S.
  """
  images: np.ndarray
  labels: np.ndarray
  boxes: np.ndarray
  source_indices: np.ndarray
  sizes: np.ndarray
  split: str
  canvas_size: int

  def __len__(self) -> int:
    return len(self.images)


def resize_bilinear(image: np.ndarray, size: int) -> np.ndarray:
  """Bilinear resize of a [H, W] image to [size, size] with half-pixel
  centres and edge clamping (`tf.image.resize`'s "bilinear" without
  antialiasing), in float64 elementwise NumPy: the same bits everywhere."""
  image = np.asarray(image, np.float64)

  def taps(length):
    position = (np.arange(size) + 0.5) * (length / size) - 0.5
    position = np.clip(position, 0.0, length - 1)
    low = np.floor(position).astype(np.int64)
    high = np.minimum(low + 1, length - 1)
    return low, high, position - low

  low, high, frac = taps(image.shape[0])
  rows = image[low] * (1.0 - frac)[:, None] + image[high] * frac[:, None]
  low, high, frac = taps(image.shape[1])
  return rows[:, low] * (1.0 - frac) + rows[:, high] * frac


def _digit_patch(digit: np.ndarray, size: int) -> np.ndarray:
  """The digit resized to size x size, on 0..255, cropped to its non-zero
  pixels."""
  resized = resize_bilinear(digit, size) * (255.0 / _DIGIT_MAX)
  patch = np.clip(np.round(resized), 0, 255).astype(np.uint8)
  rows = np.flatnonzero(patch.any(axis=1))
  columns = np.flatnonzero(patch.any(axis=0))
  return patch[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1]


def _overlaps(box, boxes) -> bool:
  top, left, bottom, right = box
  return any(top < b and t < bottom and left < r and l < right
             for t, l, b, r in boxes)


def place_patches(patches, canvas_size: int, rng: np.random.Generator,
                  fits=lambda box, boxes: not _overlaps(box, boxes)):
  """(top, left, bottom, right) boxes of the patches, each drawn uniformly
  until `fits(box, boxes placed so far)` (default: no overlap), or None
  when a patch finds no place in POSITION_TRIES tries."""
  boxes = []
  for patch in patches:
    height, width = patch.shape
    for _ in range(POSITION_TRIES):
      top = int(rng.integers(0, canvas_size - height + 1))
      left = int(rng.integers(0, canvas_size - width + 1))
      box = (top, left, top + height, left + width)
      if fits(box, boxes):
        boxes.append(box)
        break
    else:
      return None
  return boxes


def _check_arguments(split, count, canvas_size, digits_per_canvas, min_size,
                     max_size, seed):
  if split not in CANVAS_SPLITS:
    raise ValueError(f"split must be one of {CANVAS_SPLITS}, got {split!r}")
  if count is not None and count < 1:
    raise ValueError(f"count must be >= 1 (or None for one canvas per "
                     f"digit of the split), got {count}")
  if digits_per_canvas < 1:
    raise ValueError(f"digits_per_canvas must be >= 1, got "
                     f"{digits_per_canvas}")
  if min_size < _DIGIT_SIDE or min_size > max_size:
    raise ValueError(f"digit sizes must satisfy {_DIGIT_SIDE} <= min_size "
                     f"<= max_size; got min_size={min_size}, "
                     f"max_size={max_size}")
  if max_size > canvas_size:
    raise ValueError(f"max_size={max_size} is larger than the canvas "
                     f"(canvas_size={canvas_size}): a digit must fit "
                     f"inside; lower max_size or raise canvas_size")
  if seed < 0:
    raise ValueError(f"seed must be >= 0, got {seed}")


def make_canvases(split: str, count: Optional[int] = None,
                  canvas_size: int = CANVAS_SIZE, digits_per_canvas: int = 1,
                  min_size: int = MIN_DIGIT_SIZE,
                  max_size: int = MAX_DIGIT_SIZE,
                  seed: int = CANVAS_SEED) -> CanvasSet:
  """Canvases of digits of one split (see the module docstring).

  Canvas i's first digit is the split's digit i (cycling when `count` is
  larger than the split); its other digits are drawn at random from the
  split. Results are cached: the returned arrays are read-only.

  Args:
    split: "train" or "test" (the split of `sparsezoo_tf.data.digits`).
    count: number of canvases; None for one per digit of the split.
    canvas_size: side S of the square canvases.
    digits_per_canvas: digits D on each canvas.
    min_size: smallest side of a resized digit (>= 8).
    max_size: largest side of a resized digit (<= canvas_size).
    seed: seed of the sizes, positions and extra digits (>= 0).

  Returns:
    A CanvasSet of N = count canvases.

  Raises:
    ValueError: for a bad argument, or digits that cannot be placed
      without overlapping.
  """
  _check_arguments(split, count, canvas_size, digits_per_canvas, min_size,
                   max_size, seed)
  return _make_canvases(split, count, canvas_size, digits_per_canvas,
                        min_size, max_size, seed)


@functools.lru_cache(maxsize=8)
def _make_canvases(split, count, canvas_size, digits_per_canvas, min_size,
                   max_size, seed) -> CanvasSet:
  """`make_canvases` after its checks."""
  source, source_labels = digits.digits_arrays(split)
  source = source[..., 0]
  global_indices = _split_indices(split)
  num_sources = len(source_labels)
  count = num_sources if count is None else count
  shape = (count, digits_per_canvas)
  images = np.zeros((count, canvas_size, canvas_size, 1), np.uint8)
  boxes = np.zeros(shape + (4,), np.float32)
  chosen = np.zeros(shape, np.int64)
  sizes = np.zeros(shape, np.int32)
  key = (seed, CANVAS_SPLITS.index(split), canvas_size, digits_per_canvas,
         min_size, max_size)
  for i in range(count):
    rng = np.random.default_rng(key + (i,))
    for _ in range(CANVAS_TRIES):
      picks = np.concatenate([
          [i % num_sources],
          rng.integers(0, num_sources, digits_per_canvas - 1)])
      sides = rng.integers(min_size, max_size + 1, digits_per_canvas)
      patches = [_digit_patch(source[p], int(s))
                 for p, s in zip(picks, sides)]
      placed = place_patches(patches, canvas_size, rng)
      if placed is not None:
        break
    else:
      raise ValueError(
          f"cannot place {digits_per_canvas} digits of sides {min_size}.."
          f"{max_size} without overlap on a {canvas_size}x{canvas_size} "
          f"canvas (canvas {i} of split {split!r}, {CANVAS_TRIES} tries of "
          f"{POSITION_TRIES} positions per digit); use fewer "
          f"digits_per_canvas, a smaller max_size or a larger canvas_size")
    for j, (patch, box) in enumerate(zip(patches, placed)):
      top, left, bottom, right = box
      images[i, top:bottom, left:right, 0] = patch
      boxes[i, j] = box
    chosen[i], sizes[i] = picks, sides
  canvases = CanvasSet(
      images=images, labels=source_labels[chosen].astype(np.int32),
      boxes=boxes, source_indices=global_indices[chosen].astype(np.int32),
      sizes=sizes, split=split, canvas_size=canvas_size)
  for array in (canvases.images, canvases.labels, canvases.boxes,
                canvases.source_indices, canvases.sizes):
    array.setflags(write=False)
  return canvases


def num_canvases(split: str) -> int:
  """Canvases in an epoch of `canvas_dataset` (one per digit of the
  split)."""
  if split not in CANVAS_SPLITS:
    raise ValueError(f"split must be one of {CANVAS_SPLITS}, got {split!r}")
  return len(_split_indices(split))


def canvas_dataset(split: str, batch_size: int, training: bool = False,
                   seed: Optional[int] = None,
                   canvas_size: int = CANVAS_SIZE,
                   drop_remainder: bool = False) -> tf.data.Dataset:
  """Batched, normalized one-digit canvases for classification.

  The canvases are always `make_canvases(split, canvas_size=canvas_size)`
  (generated with CANVAS_SEED): the training seed does not change the
  data, so that every run sees, and is evaluated on, the same canvases.

  Args:
    split: "train" or "test".
    batch_size: examples per batch.
    training: shuffle (a new order each iteration).
    seed: seed of the shuffling; None for fresh randomness.
    canvas_size: side of the canvases (>= MAX_DIGIT_SIZE).
    drop_remainder: drop the last, smaller batch.

  Returns:
    tf.data.Dataset of (images float32 [B, S, S, 1] normalized with the
    "digits_canvas" statistics, labels int32 [B]).
  """
  if batch_size < 1:
    raise ValueError(f"batch_size must be positive, got {batch_size}")
  if canvas_size < MAX_DIGIT_SIZE:
    raise ValueError(f"digits_canvas images (canvas_size, make_dataset's "
                     f"image_size) must be at least {MAX_DIGIT_SIZE}x"
                     f"{MAX_DIGIT_SIZE}, the largest digit; got "
                     f"{canvas_size}")
  canvases = make_canvases(split, canvas_size=canvas_size)
  images = augment.normalize(
      canvases.images.astype(np.float32) / np.float32(255.0),
      "digits_canvas")
  labels = canvases.labels[:, 0]
  dataset = tf.data.Dataset.from_tensor_slices((images, labels))
  if training:
    dataset = dataset.shuffle(len(labels), seed=seed,
                              reshuffle_each_iteration=True)
  return dataset.batch(batch_size, drop_remainder=drop_remainder).prefetch(
      tf.data.AUTOTUNE)
