"""ILSVRC localization metrics: IoU, top-k localization accuracy and the
"GT-known" accuracy (Zhou et al., CVPR 2016; paper 003, Tables 6 and 10).

Boxes are (ymin, xmin, ymax, xmax) in continuous pixel coordinates, the
convention of TF and Model Garden: the area of a box is
(ymax - ymin) * (xmax - xmin), with no "+1". ILSVRC's XML boxes name the
first and last pixel they cover (its devkit adds 1 to widths and heights):
give them here as (ymin, xmin, ymax + 1, xmax + 1) in 0-based pixels to
get the devkit's IoU.

An image counts as localized at top-k when one of its first k guesses has a
class of one of its ground-truth boxes and an IoU of at least 0.5 with a
ground-truth box of that class (any of them, when there are several).
"""

from typing import Dict, Optional, Sequence

import numpy as np

IOU_THRESHOLD = 0.5


def _boxes(value, name: str) -> np.ndarray:
  boxes = np.asarray(value, np.float64)
  if boxes.ndim < 1 or boxes.shape[-1] != 4:
    raise ValueError(f"{name} must hold (ymin, xmin, ymax, xmax) boxes in "
                     f"its last axis, got shape {boxes.shape}")
  if not np.all(np.isfinite(boxes)):
    raise ValueError(f"{name} holds NaN or inf coordinates")
  if np.any(boxes[..., 2] < boxes[..., 0]) or np.any(
      boxes[..., 3] < boxes[..., 1]):
    raise ValueError(f"{name} has a box with ymax < ymin or xmax < xmin; "
                     f"boxes are (ymin, xmin, ymax, xmax)")
  return boxes


def iou(box, boxes) -> np.ndarray:
  """Intersection over union of `box` [4] with each of `boxes` [..., 4].

  Continuous coordinates (see the module docstring); a pair whose union is
  empty (two zero-area boxes) has IoU 0.

  Returns:
    float64 [...] (a 0-d array for `boxes` [4]).

  Raises:
    ValueError: for arrays without 4 coordinates in their last axis,
      non-finite values or inverted boxes.
  """
  box = _boxes(box, "box")
  if box.shape != (4,):
    raise ValueError(f"box must be one box [4], got shape {box.shape}; "
                     f"compare several with a loop or broadcast boxes")
  boxes = _boxes(boxes, "boxes")
  height = np.clip(np.minimum(box[2], boxes[..., 2]) -
                   np.maximum(box[0], boxes[..., 0]), 0, None)
  width = np.clip(np.minimum(box[3], boxes[..., 3]) -
                  np.maximum(box[1], boxes[..., 1]), 0, None)
  inter = height * width
  area = (box[2] - box[0]) * (box[3] - box[1])
  areas = (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])
  union = area + areas - inter
  return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def _ground_truth(gt_labels, gt_boxes, images: int):
  """[(labels [K_i], boxes [K_i, 4])] per image; a scalar label applies to
  all of an image's boxes."""
  if len(gt_labels) != images or len(gt_boxes) != images:
    raise ValueError(f"gt_labels and gt_boxes need one entry per image "
                     f"({images}), got {len(gt_labels)} and {len(gt_boxes)}")
  truth = []
  for index, (labels, boxes) in enumerate(zip(gt_labels, gt_boxes)):
    boxes = _boxes(np.reshape(boxes, (-1, 4)) if np.size(boxes) == 0 else
                   boxes, f"gt_boxes[{index}]")
    if boxes.ndim != 2:
      raise ValueError(f"gt_boxes[{index}] must be [K, 4], got shape "
                       f"{boxes.shape}")
    labels = np.asarray(labels)
    if labels.ndim == 0:
      labels = np.full(len(boxes), labels)
    if labels.shape != (len(boxes),):
      raise ValueError(f"gt_labels[{index}] must be one label or one per "
                       f"box ({len(boxes)}), got shape {labels.shape}")
    truth.append((labels.astype(np.int64), boxes))
  return truth


def _hit(label: int, box: np.ndarray, labels: np.ndarray, boxes: np.ndarray,
         iou_threshold: float) -> bool:
  same = labels == label
  return bool(same.any() and np.any(iou(box, boxes[same]) >= iou_threshold))


def _check_iou_threshold(iou_threshold) -> float:
  if not 0.0 < iou_threshold <= 1.0:
    raise ValueError(f"iou_threshold must be in (0, 1], got "
                     f"{iou_threshold!r}")
  return float(iou_threshold)


def localization_accuracy(pred_classes, pred_boxes, gt_labels, gt_boxes,
                          top_k: Sequence[int] = (1, 5),
                          iou_threshold: float = IOU_THRESHOLD
                          ) -> Dict[str, float]:
  """Top-k ILSVRC localization accuracy and error.

  Args:
    pred_classes: int [N, k] guesses per image, best first.
    pred_boxes: [N, k, 4] the box of each guess.
    gt_labels: one entry per image: the label of each of its boxes [K_i],
      or one label for all of them.
    gt_boxes: one [K_i, 4] array per image.
    top_k: the k to report; each at most the guesses per image.
    iou_threshold: IoU a box needs with a ground-truth box (0.5).

  Returns:
    {"top{k}_loc": accuracy, "top{k}_loc_error": 1 - accuracy,
     "top{k}_cls": classification accuracy (the class alone)} for each k.

  Raises:
    ValueError: for shapes that do not match, k larger than the guesses or
      an IoU threshold outside (0, 1].
  """
  iou_threshold = _check_iou_threshold(iou_threshold)
  pred_classes = np.asarray(pred_classes)
  if pred_classes.ndim != 2:
    raise ValueError(f"pred_classes must be [images, guesses], got shape "
                     f"{pred_classes.shape}")
  pred_boxes = _boxes(pred_boxes, "pred_boxes")
  if pred_boxes.shape != pred_classes.shape + (4,):
    raise ValueError(f"pred_boxes must be {pred_classes.shape + (4,)} (one "
                     f"box per guess), got {pred_boxes.shape}")
  images, guesses = pred_classes.shape
  top_k = tuple(top_k)
  for k in top_k:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not (
        1 <= k <= guesses):
      raise ValueError(f"top_k values must be ints in [1, {guesses}] (the "
                       f"guesses per image), got {top_k}")
  if images == 0:
    raise ValueError("localization_accuracy needs at least one image")
  truth = _ground_truth(gt_labels, gt_boxes, images)
  located = np.zeros((images, guesses), bool)
  classified = np.zeros((images, guesses), bool)
  for i, (labels, boxes) in enumerate(truth):
    for j in range(guesses):
      classified[i, j] = np.any(labels == pred_classes[i, j])
      located[i, j] = _hit(pred_classes[i, j], pred_boxes[i, j], labels,
                           boxes, iou_threshold)
  result = {}
  for k in top_k:
    accuracy = float(np.mean(located[:, :k].any(axis=1)))
    result[f"top{k}_loc"] = accuracy
    result[f"top{k}_loc_error"] = 1.0 - accuracy
    result[f"top{k}_cls"] = float(np.mean(classified[:, :k].any(axis=1)))
  return result


def gt_known_accuracy(gt_class_boxes, gt_labels, gt_boxes,
                      classes: Optional[Sequence[int]] = None,
                      iou_threshold: float = IOU_THRESHOLD) -> float:
  """"GT-known" localization accuracy: the class is given, only the box is
  judged.

  Args:
    gt_class_boxes: [N, 4] the box from each image's map of its true class.
    gt_labels, gt_boxes: the ground truth, as in `localization_accuracy`.
    classes: the true class whose map gave each box [N]; needed only for
      images whose boxes have several labels (default: the image's label).
    iou_threshold: IoU needed with a ground-truth box of that class (0.5).

  Returns:
    The fraction of images whose box has IoU >= `iou_threshold` with one
    of their ground-truth boxes of the class.

  Raises:
    ValueError: for shapes that do not match, or an image with boxes of
      several labels and no `classes`.
  """
  iou_threshold = _check_iou_threshold(iou_threshold)
  gt_class_boxes = _boxes(gt_class_boxes, "gt_class_boxes")
  if gt_class_boxes.ndim != 2 or len(gt_class_boxes) == 0:
    raise ValueError(f"gt_class_boxes must be [images, 4] with at least one "
                     f"image, got shape {gt_class_boxes.shape}")
  images = len(gt_class_boxes)
  truth = _ground_truth(gt_labels, gt_boxes, images)
  if classes is not None:
    classes = np.asarray(classes)
    if classes.shape != (images,):
      raise ValueError(f"classes must be one class per image ({images}), "
                       f"got shape {classes.shape}")
  hits = 0
  for i, (labels, boxes) in enumerate(truth):
    if classes is not None:
      label = classes[i]
    else:
      distinct = np.unique(labels)
      if len(distinct) != 1:
        raise ValueError(f"image {i} has boxes of labels {distinct.tolist()}; "
                         f"pass classes= to say which class its box is for")
      label = distinct[0]
    hits += _hit(label, gt_class_boxes[i], labels, boxes, iou_threshold)
  return hits / images
