"""Object detection metrics: COCO's 12 box metrics (pycocotools) and PASCAL
VOC mean average precision (VOC2007's 11-point AP and VOC2010's all-point
AP), on ground truth and detections in the COCO formats.

Ground truth is a COCO annotation file (or its dict): "images" ({"id"}),
"categories" ({"id", "name"}) and "annotations" ({"id", "image_id",
"category_id", "bbox": [x, y, width, height]}, optional "area",
"iscrowd", "difficult", "ignore"). A file without annotations (COCO's
test-dev image information) has nothing to score: `has_ground_truth`.
Detections are the COCO results format: a list of {"image_id",
"category_id", "bbox": [x, y, width, height], "score"}.

Boxes are in continuous pixel coordinates: a box covers [x, x + width) x
[y, y + height), its area is width * height and IoU has no "+1". The VOC
devkit's XML boxes name their first and last pixel (1-based) and its IoU
adds 1 to widths and heights; a VOC box converted to COCO as
[xmin - 1, ymin - 1, xmax - xmin + 1, ymax - ymin + 1] (a width that
counts pixels; `sparsezoo_tf.data.voc.coco_bbox`) gets exactly the
devkit's IoU here, with any other box in the same coordinates (a
detector's continuous outputs are).

COCO metrics are pycocotools' COCOeval ("bbox"), with Model Garden's names
(`official/vision/evaluation/coco_evaluator.py`): AP, AP50, AP75, APs,
APm, APl, ARmax1, ARmax10, ARmax100, ARs, ARm, ARl. pycocotools ignores
only "iscrowd" boxes (it overwrites "ignore" with "iscrowd"), so a
difficult box counts as a positive in COCO metrics unless it is also
"iscrowd" (as `sparsezoo_tf.data.voc` writes them by default); -1 means
that no ground truth falls in the metric's range (e.g. no small objects).

VOC mAP follows the PASCAL VOC devkit (VOCevaldet), class by class:
detections sorted by score (highest first; ties keep their order in the
list) are matched to the ground-truth box of their image and class with
the highest IoU, matched or not. At IoU >= the threshold (0.5; the
MATLAB devkit's test, py-faster-rcnn's voc_eval.py takes > instead) the
detection is a true positive when that box is not yet matched, a false
positive when it is (a duplicate detection), and neither when the box is
difficult; below, a false positive. A box is difficult when "difficult",
"ignore" or "iscrowd" is true; difficult boxes are not positives. AP is
the area under the precision / recall curve: VOC2007's mean of the
highest precision at recall >= 0, 0.1, ..., 1 (`voc_ap(...,
use_07_metric=True)`), or VOC2010's area under its monotone envelope
(all points). A class without positives has no AP (None) and is left
out of the mean.
"""

import contextlib
import io
import json
import math
import numbers
import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
from pycocotools import coco as coco_lib
from pycocotools import cocoeval

from sparsezoo_tf.data import files

IOU_THRESHOLD = 0.5
MAX_DETECTIONS = 100
VOC_METRICS = ("voc07", "voc10")
# Truthy in a ground-truth annotation: the box is "difficult" for VOC mAP.
DIFFICULT_KEYS = ("difficult", "ignore", "iscrowd")

Annotations = Union[str, os.PathLike, Mapping[str, Any]]
Detections = Union[str, os.PathLike, Sequence[Mapping[str, Any]]]


def coco_metric_names(max_detections: int = MAX_DETECTIONS
                      ) -> Tuple[str, ...]:
  """The 12 COCO box metrics in pycocotools' order, with Model Garden's
  names (ARmax{max_detections} for the third recall)."""
  return ("AP", "AP50", "AP75", "APs", "APm", "APl", "ARmax1", "ARmax10",
          f"ARmax{max_detections}", "ARs", "ARm", "ARl")


COCO_METRIC_NAMES = coco_metric_names()


def _read_json(path, what: str) -> Any:
  with open(path, encoding="utf-8") as stream:
    try:
      return json.load(stream)
    except json.JSONDecodeError as error:
      raise ValueError(f"{path} is not valid JSON ({error}); it should be "
                       f"{what}") from None
    except UnicodeDecodeError:
      raise ValueError(f"{path} is not a UTF-8 JSON file; it should be "
                       f"{what}") from None


def _is_id(value) -> bool:
  return isinstance(value, (str, numbers.Integral)) and not isinstance(
      value, bool)


def _real(value) -> bool:
  return (isinstance(value, numbers.Real) and not isinstance(value, bool)
          and math.isfinite(value))


def _bbox(value, where: str) -> List[float]:
  if (not isinstance(value, (list, tuple)) or len(value) != 4 or
      not all(_real(v) for v in value)):
    raise ValueError(f"{where}: bbox must be 4 finite numbers [x, y, width, "
                     f"height], got {value!r}")
  if value[2] < 0 or value[3] < 0:
    raise ValueError(f"{where}: bbox {list(value)} has a negative width or "
                     f"height; COCO boxes are [x, y, width, height]")
  return [float(v) for v in value]


def read_annotations(annotations: Annotations) -> Dict[str, Any]:
  """Reads and checks COCO ground truth (a file or its dict).

  Args:
    annotations: the path of a COCO annotation JSON file, or its dict.

  Returns:
    A new dict with "images", "categories" (empty lists when missing) and,
    when the input has them, "annotations" (shallow copies of the input's
    entries, so that evaluation never changes them).

  Raises:
    ValueError: malformed JSON, a missing or malformed field, an
      annotation of an unknown image or category, duplicate ids.
    OSError: the file cannot be read.
  """
  where = "annotations"
  if isinstance(annotations, (str, os.PathLike)):
    where = os.fspath(annotations)
    annotations = _read_json(where, "COCO ground truth (a JSON object with "
                             "images, categories and annotations)")
  if not isinstance(annotations, Mapping):
    raise ValueError(f"{where} holds a JSON {type(annotations).__name__}, "
                     f"not COCO ground truth (an object with images, "
                     f"categories and annotations); a list is a results "
                     f"file")
  result = {}
  for key in ("images", "categories", "annotations"):
    value = annotations.get(key, [] if key != "annotations" else None)
    if value is None and key == "annotations":
      continue
    if not isinstance(value, list) or not all(
        isinstance(entry, Mapping) for entry in value):
      raise ValueError(f"{where}: {key} must be a list of objects")
    result[key] = [dict(entry) for entry in value]
  if "info" in annotations:
    result["info"] = annotations["info"]
  for key in ("images", "categories"):
    ids = [entry.get("id") for entry in result[key]]
    bad = next((i for i, value in enumerate(ids) if not _is_id(value)), None)
    if bad is not None:
      raise ValueError(f"{where}: {key}[{bad}] has no integer or string id "
                       f"(got {ids[bad]!r})")
    if len(set(ids)) != len(ids):
      raise ValueError(f"{where}: {key} has duplicate ids")
  image_ids = {entry["id"] for entry in result["images"]}
  category_ids = {entry["id"] for entry in result["categories"]}
  seen = set()
  for index, entry in enumerate(result.get("annotations", ())):
    at = f"{where}: annotations[{index}]"
    if not _is_id(entry.get("id")):
      raise ValueError(f"{at} has no integer or string id")
    if entry["id"] in seen:
      raise ValueError(f"{at}: duplicate annotation id {entry['id']!r}")
    seen.add(entry["id"])
    if entry.get("image_id") not in image_ids:
      raise ValueError(f"{at}: image_id {entry.get('image_id')!r} is not "
                       f"among the images")
    if entry.get("category_id") not in category_ids:
      raise ValueError(f"{at}: category_id {entry.get('category_id')!r} is "
                       f"not among the categories")
    entry["bbox"] = _bbox(entry.get("bbox"), at)
  return result


def has_ground_truth(annotations: Mapping[str, Any]) -> bool:
  """Whether COCO ground truth (as `read_annotations` returns it) has boxes
  to score against; COCO test-dev's image information has none."""
  return bool(annotations.get("annotations"))


def read_detections(detections: Detections,
                    annotations: Optional[Mapping[str, Any]] = None
                    ) -> List[Dict[str, Any]]:
  """Reads and checks detections in the COCO results format.

  Args:
    detections: the path of a COCO results JSON file, or its list.
    annotations: ground truth (as `read_annotations` returns it); when
      given, every image_id must be one of its images and every
      category_id one of its categories.

  Returns:
    New dicts {"image_id", "category_id", "bbox": 4 floats, "score":
    float}, in the input's order (other keys are dropped).

  Raises:
    ValueError: malformed JSON, not a list, an entry without those keys or
      with a non-finite score or malformed box, ids not in `annotations`.
    OSError: the file cannot be read.
  """
  where = "detections"
  if isinstance(detections, (str, os.PathLike)):
    where = os.fspath(detections)
    detections = _read_json(where, "COCO results (a JSON list of {image_id, "
                            "category_id, bbox, score})")
  if isinstance(detections, Mapping):
    raise ValueError(
        f"{where} holds a JSON object, not a list of detections "
        f"({{image_id, category_id, bbox, score}}); is it an annotation "
        f"file?")
  if isinstance(detections, (str, bytes)) or not isinstance(
      detections, Sequence):
    raise ValueError(f"{where} must be a list of detections, got "
                     f"{type(detections).__name__}")
  result = []
  for index, entry in enumerate(detections):
    at = f"{where}[{index}]"
    if not isinstance(entry, Mapping):
      raise ValueError(f"{at} is not an object {{image_id, category_id, "
                       f"bbox, score}}")
    missing = [key for key in ("image_id", "category_id", "bbox", "score")
               if key not in entry]
    if missing:
      raise ValueError(f"{at} has no {', '.join(missing)}; COCO box results "
                       f"are {{image_id, category_id, bbox, score}}")
    for key in ("image_id", "category_id"):
      if not _is_id(entry[key]):
        raise ValueError(f"{at}: {key} must be an integer or a string, got "
                         f"{entry[key]!r}")
    if not _real(entry["score"]):
      raise ValueError(f"{at}: score must be a finite number, got "
                       f"{entry['score']!r}")
    result.append({"image_id": _plain(entry["image_id"]),
                   "category_id": _plain(entry["category_id"]),
                   "bbox": _bbox(entry["bbox"], at),
                   "score": float(entry["score"])})
  if annotations is not None:
    _check_ids(result, annotations, where)
  return result


def _check_ids(detections, annotations, where: str) -> None:
  for key, field in (("images", "image_id"), ("categories", "category_id")):
    if key == "categories" and not annotations.get(key):
      continue  # image information without categories: nothing to check
    known = {entry["id"] for entry in annotations.get(key, ())}
    unknown = {d[field] for d in detections} - known
    if unknown:
      examples = sorted(unknown, key=str)[:5]
      raise ValueError(
          f"{where}: {len(unknown)} {field}(s) are not among the "
          f"{len(known)} {key} of the ground truth, e.g. "
          f"{', '.join(repr(e) for e in examples)}; are the detections "
          f"of another dataset or split?")


def _ground_truth(annotations: Annotations) -> Dict[str, Any]:
  truth = read_annotations(annotations)
  if not has_ground_truth(truth):
    raise ValueError("the ground truth has no annotations (image "
                     "information only, like COCO test-dev): nothing to "
                     "score the detections against")
  if not truth["categories"]:
    raise ValueError("the ground truth has no categories")
  return truth


def coco_metrics(annotations: Annotations, detections: Detections,
                 max_detections: int = MAX_DETECTIONS) -> Dict[str, float]:
  """The 12 COCO box metrics, as pycocotools' COCOeval computes them.

  pycocotools prints nothing here. Ground-truth annotations without
  "area" get width * height, and without "iscrowd" 0 (pycocotools needs
  both). Detections of no image score 0 everywhere (pycocotools' own
  `loadRes` cannot load an empty list).

  Args:
    annotations: COCO ground truth: a file or its dict.
    detections: COCO box results: a file or its list.
    max_detections: detections per image for AP and the third recall
      (COCO: 100; above 10).

  Returns:
    {name: value} for the names of `coco_metric_names(max_detections)`
    (Model Garden's), in pycocotools' order; -1 where no ground truth
    falls in the range (e.g. APs without small objects).

  Raises:
    ValueError: ground truth without annotations or categories, anything
      `read_annotations` or `read_detections` refuses (detections of
      images or categories not in the ground truth included).
  """
  if (isinstance(max_detections, bool) or
      not isinstance(max_detections, numbers.Integral) or
      max_detections <= 10):
    raise ValueError(f"max_detections must be an integer above 10 (the "
                     f"third recall after ARmax1 and ARmax10), got "
                     f"{max_detections!r}")
  truth = _ground_truth(annotations)
  found = read_detections(detections, truth)
  for entry in truth["annotations"]:
    entry.setdefault("area", entry["bbox"][2] * entry["bbox"][3])
    entry.setdefault("iscrowd", 0)
  with contextlib.redirect_stdout(io.StringIO()):
    ground_truth = coco_lib.COCO()
    ground_truth.dataset = truth
    ground_truth.createIndex()
    if found:
      results = ground_truth.loadRes(found)
    else:
      results = coco_lib.COCO()
      results.dataset = {"images": list(truth["images"]),
                         "categories": list(truth["categories"]),
                         "annotations": []}
      results.createIndex()
    evaluation = cocoeval.COCOeval(ground_truth, results, "bbox")
    evaluation.params.maxDets = [1, 10, int(max_detections)]
    evaluation.evaluate()
    evaluation.accumulate()
    evaluation.summarize()
  return {name: float(value) for name, value in
          zip(coco_metric_names(max_detections), evaluation.stats)}


def voc_ap(recall, precision, use_07_metric: bool = True) -> float:
  """Average precision of one class from its precision / recall curve.

  Args:
    recall: [N] recall after each detection, in score order.
    precision: [N] precision after each detection.
    use_07_metric: VOC2007's 11-point AP: the mean over t = 0, 0.1, ...,
      1 of the highest precision at recall >= t (0 when recall never
      reaches t). Else VOC2010's: the area under the curve made monotone
      (precision at recall r = the highest at recall >= r), summed
      where recall changes. The thresholds are the doubles nearest to
      t, so a recall of exactly 3/10 reaches t = 0.3 (py-faster-rcnn's
      np.arange thresholds are a hair above 0.3, 0.6 and 0.7).

  Returns:
    AP in [0, 1]; 0 for empty curves.

  Raises:
    ValueError: for arrays that are not 1-D of the same length, or values
      outside [0, 1].
  """
  recall = np.asarray(recall, np.float64)
  precision = np.asarray(precision, np.float64)
  if recall.ndim != 1 or recall.shape != precision.shape:
    raise ValueError(f"recall and precision must be 1-D of the same length, "
                     f"got shapes {recall.shape} and {precision.shape}")
  for name, values in (("recall", recall), ("precision", precision)):
    if not np.all((values >= 0) & (values <= 1)):
      raise ValueError(f"{name} values must be in [0, 1]")
  if use_07_metric:
    total = 0.0
    for threshold in np.arange(11) / 10.0:  # the doubles nearest t
      reached = precision[recall >= threshold]
      total += float(reached.max()) if reached.size else 0.0
    return total / 11.0
  recall = np.concatenate([[0.0], recall, [1.0]])
  # Precision made monotone: at each point, the highest from there on.
  envelope = np.maximum.accumulate(
      np.concatenate([[0.0], precision, [0.0]])[::-1])[::-1]
  steps = np.flatnonzero(recall[1:] != recall[:-1])
  return float(np.sum((recall[steps + 1] - recall[steps]) *
                      envelope[steps + 1]))


def _xyxy(bbox) -> np.ndarray:
  box = np.asarray(bbox, np.float64).reshape(-1, 4)
  return np.concatenate([box[:, :2], box[:, :2] + box[:, 2:]], axis=1)


def _ious(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
  """IoU of one (x0, y0, x1, y1) box with each of `boxes` (continuous
  coordinates, no +1; 0 for an empty union)."""
  width = np.clip(np.minimum(box[2], boxes[:, 2]) -
                  np.maximum(box[0], boxes[:, 0]), 0, None)
  height = np.clip(np.minimum(box[3], boxes[:, 3]) -
                   np.maximum(box[1], boxes[:, 1]), 0, None)
  inter = width * height
  union = ((box[2] - box[0]) * (box[3] - box[1]) +
           (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]) - inter)
  return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def _class_names(categories) -> Dict[Any, str]:
  names = {}
  for category in categories:
    name = str(category.get("name", category["id"]))
    if name in names.values():
      raise ValueError(f"two categories are named {name!r}; VOC metrics are "
                       f"reported by category name")
    names[category["id"]] = name
  return names


def _class_ap(truth: Dict[Any, Tuple[np.ndarray, np.ndarray]],
              found: List[Dict[str, Any]], iou_threshold: float,
              use_07_metric: bool) -> Tuple[Optional[float], int]:
  """(AP or None without positives, positives) of one class: `truth` maps
  an image to its (boxes [K, 4] x0 y0 x1 y1, difficult [K]) of the class,
  `found` holds the class's detections."""
  positives = int(sum(np.count_nonzero(~hard) for _, hard in truth.values()))
  matched = {image: np.zeros(len(hard), bool)
             for image, (_, hard) in truth.items()}
  order = sorted(range(len(found)), key=lambda i: -found[i]["score"])
  outcomes = []  # True: true positive; False: false positive.
  for index in order:
    detection = found[index]
    image = detection["image_id"]
    if image not in truth:
      outcomes.append(False)
      continue
    boxes, hard = truth[image]
    overlaps = _ious(_xyxy(detection["bbox"])[0], boxes)
    best = int(np.argmax(overlaps))
    if overlaps[best] < iou_threshold:
      outcomes.append(False)
    elif hard[best]:
      continue  # a difficult box: neither true nor false positive
    elif matched[image][best]:
      outcomes.append(False)  # a duplicate detection
    else:
      matched[image][best] = True
      outcomes.append(True)
  if not positives:
    return None, positives
  hits = np.asarray(outcomes, bool)
  true_positives = np.cumsum(hits)
  recall = true_positives / positives
  precision = true_positives / np.arange(1, len(hits) + 1)
  return voc_ap(recall, precision, use_07_metric), positives


def voc_map(annotations: Annotations, detections: Detections,
            iou_threshold: float = IOU_THRESHOLD,
            metric: str = "voc07") -> Dict[str, Any]:
  """PASCAL VOC mean average precision (see the module docstring for the
  devkit's rules and the box coordinates).

  Args:
    annotations: COCO ground truth: a file or its dict; boxes with a true
      "difficult", "ignore" or "iscrowd" are difficult.
    detections: COCO box results: a file or its list.
    iou_threshold: IoU a detection needs with a ground-truth box (0.5).
    metric: "voc07" (11-point AP) or "voc10" (all-point AP).

  Returns:
    {"metric", "iou_threshold", "mAP": the mean AP of the classes with
    positives, "per_class": {category name: {"category_id", "AP" (None
    without positives), "positives" (boxes not difficult), "difficult",
    "detections"}}}, classes in the ground truth's order.

  Raises:
    ValueError: an unknown metric, a threshold outside (0, 1], ground
      truth without annotations or without a box that is not difficult,
      two categories of one name, anything `read_annotations` or
      `read_detections` refuses.
  """
  if metric not in VOC_METRICS:
    raise ValueError(f"metric must be one of {', '.join(VOC_METRICS)}, got "
                     f"{metric!r}")
  if not _real(iou_threshold) or not 0.0 < iou_threshold <= 1.0:
    raise ValueError(f"iou_threshold must be in (0, 1], got "
                     f"{iou_threshold!r}")
  truth = _ground_truth(annotations)
  found = read_detections(detections, truth)
  names = _class_names(truth["categories"])
  gathered = {category: {} for category in names}
  for entry in truth["annotations"]:
    hard = any(bool(entry.get(key)) for key in DIFFICULT_KEYS)
    gathered[entry["category_id"]].setdefault(entry["image_id"], []).append(
        (entry["bbox"], hard))
  by_class = {category: [] for category in names}
  for detection in found:
    by_class[detection["category_id"]].append(detection)
  per_class = {}
  for category, name in names.items():
    truth_of_class = {
        image: (_xyxy([box for box, _ in entries]),
                np.array([hard for _, hard in entries], bool))
        for image, entries in gathered[category].items()}
    ap, positives = _class_ap(truth_of_class, by_class[category],
                              float(iou_threshold), metric == "voc07")
    difficult = sum(int(hard.sum()) for _, hard in truth_of_class.values())
    per_class[name] = {"category_id": category, "AP": ap,
                       "positives": positives, "difficult": difficult,
                       "detections": len(by_class[category])}
  scored = [entry["AP"] for entry in per_class.values()
            if entry["AP"] is not None]
  if not scored:
    raise ValueError("every ground-truth box is difficult (difficult, "
                     "ignore or iscrowd): no class has positives to score")
  return {"metric": metric, "iou_threshold": float(iou_threshold),
          "mAP": float(np.mean(scored)), "per_class": per_class}


def coco_detections(image_id, boxes, scores, classes,
                    num_detections: Optional[int] = None
                    ) -> List[Dict[str, Any]]:
  """One image's detections as COCO results.

  Args:
    image_id: the image's id in the ground truth.
    boxes: [N, 4] (ymin, xmin, ymax, xmax) in the image's pixels
      (continuous coordinates; Model Garden's `detection_boxes` after
      rescaling to the original image).
    scores: [N] confidences.
    classes: [N] category ids of the ground truth.
    num_detections: use the first this many (Model Garden pads its
      outputs); default all.

  Returns:
    [{"image_id", "category_id", "bbox": [x, y, width, height], "score"}].

  Raises:
    ValueError: shapes that do not match, or inverted or non-finite boxes.
  """
  boxes = np.asarray(boxes, np.float64).reshape(-1, 4) if np.size(
      boxes) == 0 else np.asarray(boxes, np.float64)
  scores = np.asarray(scores, np.float64).reshape(-1)
  classes = np.asarray(classes).reshape(-1)
  if boxes.ndim != 2 or boxes.shape[1] != 4 or not (
      len(boxes) == len(scores) == len(classes)):
    raise ValueError(f"boxes must be [N, 4] with N scores and classes, got "
                     f"shapes {boxes.shape}, {scores.shape} and "
                     f"{classes.shape}")
  count = len(boxes) if num_detections is None else int(num_detections)
  if not 0 <= count <= len(boxes):
    raise ValueError(f"num_detections must be in [0, {len(boxes)}], got "
                     f"{num_detections!r}")
  boxes, scores, classes = boxes[:count], scores[:count], classes[:count]
  if not (np.all(np.isfinite(boxes)) and np.all(np.isfinite(scores))):
    raise ValueError("boxes and scores must be finite")
  if np.any(boxes[:, 2] < boxes[:, 0]) or np.any(boxes[:, 3] < boxes[:, 1]):
    raise ValueError("a box has ymax < ymin or xmax < xmin; boxes are "
                     "(ymin, xmin, ymax, xmax)")
  return [{"image_id": _plain(image_id), "category_id": _plain(category),
           "bbox": [float(box[1]), float(box[0]), float(box[3] - box[1]),
                    float(box[2] - box[0])],
           "score": float(score)}
          for box, score, category in zip(boxes, scores, classes)]


def _plain(value):
  return value.item() if isinstance(value, np.generic) else value


def write_detections(path: Union[str, os.PathLike],
                     detections: Detections) -> int:
  """Writes detections as a COCO results file, atomically (a temporary
  file in the same folder, renamed), after `read_detections`' checks.

  Args:
    path: the file to write; its folder must exist.
    detections: a list of {"image_id", "category_id", "bbox", "score"}
      (numpy scalars are fine), or a results file to copy.

  Returns:
    The number of detections written.

  Raises:
    ValueError: what `read_detections` refuses.
    OSError: the folder does not exist or cannot be written.
  """
  checked = read_detections(detections)
  path = os.fspath(path)
  folder = os.path.dirname(os.path.abspath(path))
  if not os.path.isdir(folder):
    raise FileNotFoundError(2, "No such folder", folder)
  files.write_json_compact(path, checked)
  return len(checked)
