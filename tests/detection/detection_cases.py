"""Ground truth and detections for the detection metric tests, and
pycocotools' own evaluation of them (independent of
sparsezoo_tf.detection)."""

import contextlib
import copy
import io
import json

import numpy as np
from pycocotools import coco
from pycocotools import cocoeval

# Category ids need not be 1..K.
CATEGORIES = [{"id": 1, "name": "cat"}, {"id": 3, "name": "dog"},
              {"id": 7, "name": "bird"}]
IMAGE_SIDE = 200
# Box sides of COCO's area ranges (small < 32^2 <= medium < 96^2 <= large).
SIDES = {"small": (6, 28), "medium": (36, 90), "large": (100, 180)}


def synthetic_coco(seed: int = 0, images: int = 6):
  """(ground truth dict, detections list): boxes of every size range and
  category, one crowd box; detections that find most boxes (jittered),
  some twice, plus false ones, with random scores."""
  rng = np.random.default_rng(seed)
  truth = {"images": [{"id": 100 + i, "width": IMAGE_SIDE,
                       "height": IMAGE_SIDE, "file_name": f"{i}.jpg"}
                      for i in range(images)],
           "categories": copy.deepcopy(CATEGORIES), "annotations": []}
  found = []
  for image in truth["images"]:
    for _ in range(int(rng.integers(2, 6))):
      low, high = SIDES[rng.choice(list(SIDES))]
      width, height = rng.uniform(low, high, 2).round(1)
      x, y = rng.uniform(0, IMAGE_SIDE - np.array([width, height])).round(1)
      category = CATEGORIES[int(rng.integers(len(CATEGORIES)))]["id"]
      box = [float(x), float(y), float(width), float(height)]
      truth["annotations"].append({
          "id": len(truth["annotations"]) + 1, "image_id": image["id"],
          "category_id": category, "bbox": box,
          "area": float(width * height), "iscrowd": 0})
      for _ in range(int(rng.choice([0, 1, 1, 1, 2]))):
        jitter = rng.normal(0, 0.08, 4) * [width, height, width, height]
        found.append({"image_id": image["id"], "category_id": category,
                      "bbox": [float(v) for v in np.round(
                          np.maximum(np.add(box, jitter), 0.5), 2)],
                      "score": round(float(rng.uniform(0.05, 1)), 4)})
    for _ in range(int(rng.integers(0, 4))):  # false detections
      x, y = rng.uniform(0, 150, 2).round(1)
      found.append({"image_id": image["id"],
                    "category_id": CATEGORIES[int(rng.integers(3))]["id"],
                    "bbox": [float(x), float(y), 30.0, 40.0],
                    "score": round(float(rng.uniform(0, 0.6)), 4)})
  truth["annotations"][0]["iscrowd"] = 1
  return truth, found


def write(path, value) -> str:
  path.write_text(json.dumps(value))
  return str(path)


def pycocotools_stats(truth_path: str, results_path: str,
                      max_dets=(1, 10, 100)):
  """pycocotools' COCOeval "bbox" stats of two files, its own way."""
  with contextlib.redirect_stdout(io.StringIO()):
    ground_truth = coco.COCO(truth_path)
    results = ground_truth.loadRes(results_path)
    evaluation = cocoeval.COCOeval(ground_truth, results, "bbox")
    evaluation.params.maxDets = list(max_dets)
    evaluation.evaluate()
    evaluation.accumulate()
    evaluation.summarize()
  return [float(value) for value in evaluation.stats]


def voc_case():
  """One class ("a", id 1) with 4 positives on 2 images and 5 detections,
  and a class ("b", id 2) without positives but with a detection.

  Detections by score, their outcome, and the curve (tp/fp running sums):
    0.9 image 1 on box A1 exactly        TP  recall 1/4 precision 1/1
    0.8 image 1 on A1 again (IoU 0.82)   FP  (a duplicate)   1/4    1/2
    0.7 image 2 on box B1                TP                  2/4    2/3
    0.6 image 2 far from any box         FP                  2/4    2/4
    0.5 image 1 on box A2                TP                  3/4    3/5
  Box B2 is never found.

  VOC07 (11 points): t = 0, 0.1, 0.2 -> max precision at recall >= t is 1;
  t = 0.3, 0.4, 0.5 -> 2/3; t = 0.6, 0.7 -> 3/5; t = 0.8, 0.9, 1 -> 0:
  AP = (3 * 1 + 3 * 2/3 + 2 * 3/5) / 11 = 6.2 / 11.
  VOC10 (all points): the envelope is 1 up to recall 1/4, 2/3 up to 2/4,
  3/5 up to 3/4: AP = 1/4 * 1 + 1/4 * 2/3 + 1/4 * 3/5 = 17/30.
  """
  truth = {"images": [{"id": 1}, {"id": 2}],
           "categories": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}],
           "annotations": [
               {"id": 1, "image_id": 1, "category_id": 1,
                "bbox": [0, 0, 10, 10]},     # A1
               {"id": 2, "image_id": 1, "category_id": 1,
                "bbox": [20, 20, 10, 10]},   # A2
               {"id": 3, "image_id": 2, "category_id": 1,
                "bbox": [0, 0, 10, 10]},     # B1
               {"id": 4, "image_id": 2, "category_id": 1,
                "bbox": [50, 50, 10, 10]},   # B2
           ]}
  found = [
      {"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10],
       "score": 0.9},
      {"image_id": 1, "category_id": 1, "bbox": [1, 0, 10, 10],
       "score": 0.8},
      {"image_id": 2, "category_id": 1, "bbox": [0, 0, 10, 10],
       "score": 0.7},
      {"image_id": 2, "category_id": 1, "bbox": [80, 80, 5, 5],
       "score": 0.6},
      {"image_id": 1, "category_id": 1, "bbox": [20, 20, 10, 10],
       "score": 0.5},
      {"image_id": 2, "category_id": 2, "bbox": [0, 0, 10, 10],
       "score": 0.4},
  ]
  return truth, found


VOC07_AP = 6.2 / 11
VOC10_AP = 17 / 30
