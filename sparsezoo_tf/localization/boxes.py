"""Boxes from class activation maps (Zhou et al., CVPR 2016, section 3).

The box of a map is the bounding box of the largest connected component of
the pixels whose value is at least `threshold` times the map's maximum
(20 % in the paper and in paper 003, appendix B).

Conventions:
  * Boxes are (ymin, xmin, ymax, xmax) in continuous pixel coordinates, as
    in TF and Model Garden: pixel (row r, col c) covers [r, r + 1) x
    [c, c + 1), so a component spanning rows r0..r1 and columns c0..c1 has
    the box (r0, c0, r1 + 1, c1 + 1), and its area is
    (ymax - ymin) * (xmax - xmin) (see `metrics.iou`).
  * Connectivity is 8 (diagonal neighbours join), as OpenCV's contours that
    Zhou et al.'s box generator uses.
  * The largest component is the one with the most pixels; between
    components of the same size, the one with the highest value wins, then
    the first in raster order.
  * A map whose maximum is not positive (all zero, say) holds no evidence:
    its box is the whole image. A constant positive map selects every pixel,
    which gives the same box.
  * `image_size=(H, W)` different from the map's size scales the box by
    (H / map rows, W / map cols): the box in the pixels of an image the map
    was stretched over.
"""

from typing import Optional, Sequence

import numpy as np
from scipy import ndimage

EIGHT_CONNECTED = np.ones((3, 3), bool)


def _check_threshold(threshold) -> float:
  if isinstance(threshold, bool) or not isinstance(
      threshold, (int, float, np.floating, np.integer)) or not (
          0.0 <= threshold <= 1.0):
    raise ValueError(f"threshold must be a fraction of the map's maximum in "
                     f"[0, 1], got {threshold!r}")
  return float(threshold)


def _scale(rows: int, cols: int, image_size: Optional[Sequence[int]]):
  """(row scale, col scale) from a rows x cols map to `image_size`."""
  if image_size is None:
    return 1.0, 1.0
  if len(image_size) != 2 or any(
      isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1
      for s in image_size):
    raise ValueError(f"image_size must be (rows, cols) of positive ints, got "
                     f"{image_size!r}")
  return image_size[0] / rows, image_size[1] / cols


def largest_component(cam, threshold: float = 0.2) -> np.ndarray:
  """The mask [H, W] of the largest 8-connected component of the pixels of
  `cam` [H, W] at or above `threshold` x its maximum (all False when the
  maximum is not positive).

  Raises:
    ValueError: for a map that is not 2-D, is empty or holds NaN / inf, or
      a threshold outside [0, 1].
  """
  threshold = _check_threshold(threshold)
  cam = np.asarray(cam, np.float64)
  if cam.ndim != 2 or cam.size == 0:
    raise ValueError(f"cam must be a non-empty [rows, cols] map, got shape "
                     f"{cam.shape}; use boxes_from_cams for a batch")
  if not np.all(np.isfinite(cam)):
    raise ValueError("cam holds NaN or inf values; a box needs finite values")
  peak = cam.max()
  if peak <= 0:
    return np.zeros(cam.shape, bool)
  labels, count = ndimage.label(cam >= threshold * peak,
                                structure=EIGHT_CONNECTED)
  index = np.arange(1, count + 1)
  sizes = ndimage.sum_labels(np.ones_like(cam), labels, index)
  peaks = ndimage.maximum(cam, labels, index)
  # lexsort sorts by its last key first; ties go to the lowest label.
  best = np.lexsort((index, -peaks, -sizes))[0]
  return labels == index[best]


def boxes_from_cam(cam, threshold: float = 0.2,
                   image_size: Optional[Sequence[int]] = None) -> np.ndarray:
  """The box of one class activation map.

  Args:
    cam: [rows, cols] map (any real values; only the positive part above
      `threshold` x max matters).
    threshold: fraction of the map's maximum a pixel needs to be kept.
    image_size: (rows, cols) of the image to give the box in; default the
      map's own size.

  Returns:
    float32 [4]: (ymin, xmin, ymax, xmax), continuous pixel coordinates (see
    the module docstring); the whole image when the map's maximum is not
    positive.

  Raises:
    ValueError: for a map that is not 2-D or not finite, a threshold
      outside [0, 1] or a bad `image_size`.
  """
  mask = largest_component(cam, threshold)
  rows, cols = mask.shape
  row_scale, col_scale = _scale(rows, cols, image_size)
  if not mask.any():
    box = np.array([0, 0, rows, cols], np.float64)
  else:
    kept_rows = np.flatnonzero(mask.any(axis=1))
    kept_cols = np.flatnonzero(mask.any(axis=0))
    box = np.array([kept_rows[0], kept_cols[0], kept_rows[-1] + 1,
                    kept_cols[-1] + 1], np.float64)
  return (box * [row_scale, col_scale, row_scale, col_scale]).astype(
      np.float32)


def boxes_from_cams(cams, threshold: float = 0.2,
                    image_size: Optional[Sequence[int]] = None) -> np.ndarray:
  """`boxes_from_cam` of every map of `cams` [..., rows, cols] (e.g. [B, H,
  W] or [B, k, H, W]); returns float32 [..., 4]."""
  cams = np.asarray(cams)
  if cams.ndim < 2:
    raise ValueError(f"cams must be [..., rows, cols] maps, got shape "
                     f"{cams.shape}")
  flat = cams.reshape((-1,) + cams.shape[-2:])
  boxes = np.stack([boxes_from_cam(cam, threshold, image_size)
                    for cam in flat]) if len(flat) else np.zeros((0, 4))
  return boxes.astype(np.float32).reshape(cams.shape[:-2] + (4,))
