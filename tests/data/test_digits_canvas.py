"""Digits on canvases: rendering against tf.image.resize, tight and
disjoint boxes, the split's digits, determinism, errors, make_dataset."""

import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from sklearn import datasets

from sparsezoo_tf import data
from sparsezoo_tf.data import digits_canvas

import data_checks

pytestmark = pytest.mark.single_path

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
DIGITS_MEAN, DIGITS_STD = 0.3053, 0.3760
FIELDS = ("images", "labels", "boxes", "source_indices", "sizes")


@pytest.fixture(scope="module")
def sklearn_digits():
  return datasets.load_digits()


def _digest(canvases):
  digest = hashlib.sha256()
  for field in FIELDS:
    digest.update(np.ascontiguousarray(getattr(canvases, field)).tobytes())
  return digest.hexdigest()


def test_one_digit_canvases_of_the_test_split(sklearn_digits):
  canvases = data.make_canvases("test")
  n = 359
  assert len(canvases) == n and canvases.split == "test"
  assert canvases.canvas_size == 64
  assert canvases.images.shape == (n, 64, 64, 1)
  assert canvases.images.dtype == np.uint8
  assert canvases.labels.shape == (n, 1) and canvases.labels.dtype == np.int32
  assert canvases.boxes.shape == (n, 1, 4)
  assert canvases.boxes.dtype == np.float32
  assert canvases.sizes.min() >= 16 and canvases.sizes.max() <= 40
  # Canvas i holds the split's digit i.
  sources = canvases.source_indices[:, 0]
  raw, labels = data.digits_arrays("test")
  np.testing.assert_array_equal(sklearn_digits.images[sources], raw[..., 0])
  np.testing.assert_array_equal(sklearn_digits.target[sources], labels)
  np.testing.assert_array_equal(canvases.labels[:, 0], labels)
  assert not canvases.images.flags.writeable


def test_train_and_test_canvases_use_disjoint_digits():
  train = data.make_canvases("train", digits_per_canvas=2, max_size=32)
  test = data.make_canvases("test", digits_per_canvas=2, max_size=32)
  assert len(train) == 1438
  train_sources = set(train.source_indices.ravel())
  test_sources = set(test.source_indices.ravel())
  assert not train_sources & test_sources
  assert train_sources <= set(data.make_canvases("train").source_indices[:, 0])
  assert test_sources <= set(data.make_canvases("test").source_indices[:, 0])


@pytest.mark.parametrize("kwargs", [
    {"split": "test", "count": 40},
    {"split": "train", "count": 40, "digits_per_canvas": 3, "max_size": 28,
     "seed": 5},
    {"split": "test", "count": 20, "canvas_size": 50, "min_size": 8,
     "max_size": 50},
])
def test_pixels_match_an_independent_rendering(sklearn_digits, kwargs):
  canvases = data.make_canvases(**kwargs)
  rendered = np.zeros(canvases.images.shape[:3])
  for i in range(len(canvases)):
    for j in range(canvases.labels.shape[1]):
      patch = data_checks.resized_digit(
          sklearn_digits.images[canvases.source_indices[i, j]],
          int(canvases.sizes[i, j]))
      top, left, bottom, right = canvases.boxes[i, j].astype(int)
      assert (bottom - top, right - left) == patch.shape
      rendered[i, top:bottom, left:right] = patch
  np.testing.assert_allclose(canvases.images[..., 0], rendered, atol=1)


@pytest.mark.parametrize("digits_per_canvas, max_size", [(1, 40), (3, 28),
                                                         (4, 24)])
def test_boxes_are_tight_inside_and_disjoint(digits_per_canvas, max_size):
  canvases = data.make_canvases("train", count=150,
                                digits_per_canvas=digits_per_canvas,
                                max_size=max_size)
  size = canvases.canvas_size
  for image, boxes in zip(canvases.images[..., 0], canvases.boxes):
    covered = np.zeros_like(image, bool)
    for top, left, bottom, right in boxes.astype(int):
      assert 0 <= top < bottom <= size and 0 <= left < right <= size
      inside = image[top:bottom, left:right]
      assert inside[0].any() and inside[-1].any()
      assert inside[:, 0].any() and inside[:, -1].any()
      assert not covered[top:bottom, left:right].any(), "boxes overlap"
      covered[top:bottom, left:right] = True
    assert not image[~covered].any(), "a non-zero pixel outside every box"


def test_same_arguments_same_canvases_and_prefixes():
  many = data.make_canvases("train", count=60, digits_per_canvas=2,
                            max_size=30, seed=7)
  few = data.make_canvases("train", count=25, digits_per_canvas=2,
                           max_size=30, seed=7)
  for field in FIELDS:
    np.testing.assert_array_equal(getattr(few, field),
                                  getattr(many, field)[:25])
  other = data.make_canvases("train", count=25, digits_per_canvas=2,
                             max_size=30, seed=8)
  assert not np.array_equal(other.boxes, few.boxes)


def test_count_cycles_the_split_with_fresh_placements():
  canvases = data.make_canvases("test", count=359 + 10)
  np.testing.assert_array_equal(canvases.source_indices[359:],
                                canvases.source_indices[:10])
  assert not np.array_equal(canvases.boxes[359:], canvases.boxes[:10])


def test_a_new_process_makes_the_same_bytes():
  kwargs = dict(count=64, digits_per_canvas=2, max_size=30, seed=3)
  script = (
      "import hashlib, numpy as np\n"
      "from sparsezoo_tf.data import digits_canvas\n"
      f"c = digits_canvas.make_canvases('train', **{kwargs!r})\n"
      "d = hashlib.sha256()\n"
      f"for f in {FIELDS!r}:\n"
      "  d.update(np.ascontiguousarray(getattr(c, f)).tobytes())\n"
      "print(d.hexdigest())\n")
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONHASHSEED="123")
  result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True,
                          timeout=120)
  expected = _digest(data.make_canvases("train", **kwargs))
  assert result.stdout.split()[-1] == expected


@pytest.mark.parametrize("kwargs, message", [
    ({"split": "validation"}, r"split must be one of \('train', 'test'\)"),
    ({"count": 0}, "count must be >= 1"),
    ({"digits_per_canvas": 0}, "digits_per_canvas must be >= 1"),
    ({"min_size": 4}, "8 <= min_size <= max_size"),
    ({"min_size": 30, "max_size": 20}, "8 <= min_size <= max_size"),
    ({"max_size": 80}, r"max_size=80 is larger than the canvas "
                       r"\(canvas_size=64\)"),
    ({"canvas_size": 32}, r"max_size=40 is larger than the canvas"),
    ({"seed": -1}, "seed must be >= 0"),
    ({"digits_per_canvas": 2, "min_size": 64, "max_size": 64},
     "cannot place 2 digits .* 64x64 canvas .* use fewer digits_per_canvas"),
    ({"digits_per_canvas": 20, "min_size": 30},
     "cannot place 20 digits"),
])
def test_bad_arguments(kwargs, message):
  kwargs = {"split": "test", "count": 3, **kwargs}
  with pytest.raises(ValueError, match=message):
    data.make_canvases(**kwargs)


def test_dataset_info_and_counts():
  assert data.dataset_info("digits_canvas") == data.DatasetInfo(
      "digits_canvas", 10, 64, 1, ("train", "test"), uses_data_dir=False)
  assert data.num_examples("digits_canvas", "train") == 1438
  assert data.num_examples("digits_canvas", "test") == 359


def test_make_dataset_batches_and_normalization():
  dataset = data.make_dataset("digits_canvas", "train", batch_size=8,
                              training=False, data_dir="ignored")
  images, labels = next(iter(dataset))
  assert images.shape == (8, 64, 64, 1) and images.dtype == tf.float32
  assert labels.shape == (8,) and labels.dtype == tf.int32
  images, labels = data_checks.collect(data.make_dataset(
      "digits_canvas", "test", batch_size=100, training=False))
  canvases = data.make_canvases("test")
  assert images.shape == (359, 64, 64, 1)
  np.testing.assert_array_equal(labels, canvases.labels[:, 0])
  np.testing.assert_allclose(
      images, (canvases.images / 255.0 - DIGITS_MEAN) / DIGITS_STD,
      atol=1e-5)
  # A canvas pixel normalizes as the 8x8 pixel it was scaled from.
  eight = data_checks.collect(data.make_dataset(
      "digits", "test", batch_size=400, training=False))[0]
  raw = data.digits_arrays("test")[0]
  np.testing.assert_allclose(images.max(), eight[raw == 16].max(), atol=1e-6)
  np.testing.assert_allclose(images.min(), eight[raw == 0].min(), atol=1e-6)


def test_training_shuffles_with_its_seed():
  def epoch(seed):
    return data_checks.collect(data.make_dataset(
        "digits_canvas", "test", batch_size=64, training=True, seed=seed))
  first, again, other = epoch(1), epoch(1), epoch(2)
  np.testing.assert_array_equal(first[1], again[1])
  np.testing.assert_array_equal(first[0], again[0])
  assert not np.array_equal(first[1], other[1])
  expected = data.make_canvases("test").labels[:, 0]
  assert not np.array_equal(first[1], expected)
  np.testing.assert_array_equal(np.sort(first[1]), np.sort(expected))


def test_make_dataset_refuses_canvases_smaller_than_a_digit():
  with pytest.raises(ValueError, match="at least 40x40.*got 32"):
    data.make_dataset("digits_canvas", "test", batch_size=8,
                      training=False, image_size=32)
  with pytest.raises(ValueError, match="batch_size"):
    digits_canvas.canvas_dataset("test", 0)
