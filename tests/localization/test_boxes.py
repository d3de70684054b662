"""boxes_from_cam against a flood fill written here (not scipy's labels)."""

import collections

import numpy as np
import pytest

from sparsezoo_tf.localization import boxes_from_cam
from sparsezoo_tf.localization import boxes_from_cams
from sparsezoo_tf.localization import largest_component

pytestmark = pytest.mark.single_path  # NumPy only, no convolution


def flood_fill_box(cam, threshold):
  """The box of the largest 8-connected region at or above threshold * max:
  most pixels, then highest value, then first found in raster order."""
  rows, cols = cam.shape
  peak = cam.max()
  if peak <= 0:
    return np.array([0, 0, rows, cols], np.float32)
  keep = cam >= threshold * peak
  seen = np.zeros_like(keep)
  best_key, best_pixels = None, None
  for r in range(rows):
    for c in range(cols):
      if not keep[r, c] or seen[r, c]:
        continue
      seen[r, c] = True
      queue, pixels = collections.deque([(r, c)]), []
      while queue:
        y, x = queue.popleft()
        pixels.append((y, x))
        for dy in (-1, 0, 1):
          for dx in (-1, 0, 1):
            ny, nx = y + dy, x + dx
            if (0 <= ny < rows and 0 <= nx < cols and keep[ny, nx] and
                not seen[ny, nx]):
              seen[ny, nx] = True
              queue.append((ny, nx))
      key = (len(pixels), max(cam[p] for p in pixels))
      if best_key is None or key > best_key:
        best_key, best_pixels = key, pixels
  ys = [p[0] for p in best_pixels]
  xs = [p[1] for p in best_pixels]
  return np.array([min(ys), min(xs), max(ys) + 1, max(xs) + 1], np.float32)


def blob_map(rng, rows=20, cols=24, blobs=4):
  """Gaussian blobs of different sizes and heights, plus a little noise."""
  y, x = np.mgrid[0:rows, 0:cols]
  cam = 0.05 * rng.standard_normal((rows, cols))
  for _ in range(blobs):
    cy, cx = rng.uniform(0, rows), rng.uniform(0, cols)
    sigma, height = rng.uniform(0.7, 4.0), rng.uniform(0.3, 1.0)
    cam += height * np.exp(-((y - cy)**2 + (x - cx)**2) / (2 * sigma**2))
  return cam.astype(np.float32)


@pytest.mark.parametrize("threshold", [0.0, 0.2, 0.5, 0.8, 1.0])
def test_blob_maps_match_the_flood_fill(threshold):
  rng = np.random.default_rng(11)
  for _ in range(12):
    cam = blob_map(rng)
    np.testing.assert_array_equal(boxes_from_cam(cam, threshold),
                                  flood_fill_box(cam, threshold))


def test_the_largest_component_wins_not_the_highest():
  cam = np.zeros((12, 10), np.float32)
  cam[1:4, 1:4] = 1.0   # 9 pixels, the maximum
  cam[6:10, 2:7] = 0.5  # 20 pixels
  np.testing.assert_array_equal(boxes_from_cam(cam, 0.2), [6, 2, 10, 7])
  # Above 60 % of the maximum only the small square is left.
  np.testing.assert_array_equal(boxes_from_cam(cam, 0.6), [1, 1, 4, 4])
  assert largest_component(cam, 0.2).sum() == 20


def test_diagonal_neighbours_join():
  cam = np.zeros((6, 6), np.float32)
  cam[0:2, 0:2] = 1.0
  cam[2:5, 2:5] = 1.0   # touches the first square at one corner
  cam[0, 5] = 1.0
  np.testing.assert_array_equal(boxes_from_cam(cam), [0, 0, 5, 5])


def test_equal_sizes_go_to_the_higher_peak():
  cam = np.zeros((5, 9), np.float32)
  cam[1:3, 0:2] = 0.6
  cam[1:3, 6:8] = 0.6
  cam[2, 7] = 0.9
  np.testing.assert_array_equal(boxes_from_cam(cam), [1, 6, 3, 8])


def test_the_threshold_keeps_values_equal_to_it():
  cam = np.zeros((4, 8), np.float32)
  cam[1, 1] = 1.0
  cam[1, 3] = 0.25   # exactly 25 %: kept
  cam[1, 5] = 0.5
  cam[1, 6] = 0.5
  cam[2, 4] = 0.2499  # bridges 3 and 5 only if kept
  np.testing.assert_array_equal(boxes_from_cam(cam, 0.25), [1, 5, 2, 7])
  np.testing.assert_array_equal(boxes_from_cam(cam, 0.2), [1, 3, 3, 7])
  np.testing.assert_array_equal(boxes_from_cam(cam, 1.0), [1, 1, 2, 2])


def test_maps_without_a_positive_maximum_give_the_whole_image():
  for cam in (np.zeros((5, 7)), -np.ones((5, 7)), np.full((5, 7), 3.0)):
    np.testing.assert_array_equal(boxes_from_cam(cam), [0, 0, 5, 7])
  np.testing.assert_array_equal(
      boxes_from_cam(np.zeros((5, 7)), image_size=(10, 21)), [0, 0, 10, 21])


def test_negative_values_are_never_kept():
  cam = -np.ones((5, 5), np.float32)
  cam[2, 2] = 1.0
  np.testing.assert_array_equal(boxes_from_cam(cam, 0.0), [2, 2, 3, 3])


def test_boxes_scale_to_another_image_size():
  rng = np.random.default_rng(3)
  for _ in range(5):
    cam = blob_map(rng, rows=8, cols=10)
    expected = flood_fill_box(cam, 0.2) * np.array([2, 3, 2, 3])
    np.testing.assert_allclose(boxes_from_cam(cam, 0.2, image_size=(16, 30)),
                               expected)
  cam = np.zeros((4, 4), np.float32)
  cam[1:3, 2] = 1.0
  np.testing.assert_allclose(boxes_from_cam(cam, image_size=(10, 6)),
                             [2.5, 3.0, 7.5, 4.5])


def test_batched_boxes_match_one_at_a_time():
  rng = np.random.default_rng(5)
  cams = np.stack([blob_map(rng, 9, 11) for _ in range(6)]).reshape(
      2, 3, 9, 11)
  boxes = boxes_from_cams(cams, 0.3, image_size=(18, 11))
  assert boxes.shape == (2, 3, 4)
  for i in range(2):
    for j in range(3):
      expected = flood_fill_box(cams[i, j], 0.3) * np.array([2, 1, 2, 1])
      np.testing.assert_allclose(boxes[i, j], expected)


@pytest.mark.parametrize("cam,kwargs,message", [
    (np.ones((4, 4)), {"threshold": 1.5}, "threshold"),
    (np.ones((4, 4)), {"threshold": -0.1}, "threshold"),
    (np.ones(4), {}, "rows, cols"),
    (np.zeros((0, 3)), {}, "rows, cols"),
    (np.array([[1.0, np.nan]]), {}, "NaN"),
    (np.ones((4, 4)), {"image_size": (4,)}, "image_size"),
    (np.ones((4, 4)), {"image_size": (0, 4)}, "image_size"),
])
def test_bad_input_is_refused(cam, kwargs, message):
  with pytest.raises(ValueError, match=message):
    boxes_from_cam(cam, **kwargs)
