r"""Scores object detections in the COCO results format against COCO-format
ground truth: COCO's 12 box metrics (pycocotools), or PASCAL VOC mAP.

    # A results file, no model:
    python tools/eval_detector.py --annotations instances_val2017.json \
        --detections detections.json [--metrics_out metrics.json]
    python tools/eval_detector.py --annotations voc2007_test.json \
        --detections detections.json --metric voc07

Ground truth: a COCO annotation file (images, categories, annotations with
[x, y, width, height] boxes; VOC converted to it, its difficult boxes
marked "difficult": 1 or "ignore": 1). Detections: a JSON list of
{image_id, category_id, bbox: [x, y, width, height], score}, every image
and category one of the ground truth's (`sparsezoo_tf.detection`).

--metric:
  * coco (the default): AP, AP50, AP75, APs, APm, APl, ARmax1, ARmax10,
    ARmax100, ARs, ARm, ARl, as pycocotools' COCOeval computes them (Model
    Garden's names); -1 where no ground truth falls in the range.
  * voc07: the PASCAL VOC devkit's AP at IoU >= 0.5 per class (11-point,
    VOC2007), difficult boxes ignored, duplicates false positives, and
    the mean over the classes with positives.
  * voc10: the same with all-point AP (VOC2010 and later).

Prints a table; --metrics_out also writes the metrics as JSON (atomically):
annotations, detections, metric, n_images, n_detections, and either the
12 COCO metrics or mAP, iou_threshold and per_class ({class: {AP,
positives, difficult, detections, category_id}}, AP null for a class
without positives). Detections of no image score 0 (with a warning).

Ground truth without annotations (COCO test-dev's image information, e.g.
image_info_test-dev2017.json) cannot be scored here: the tool checks the
results file against its images and categories, says where it is and how
to submit it to the COCO evaluation server, and exits with status 0.

Running a detector (a trained run's folder or registered weights) over a
dataset to write the results file comes with the zoo's Faster R-CNN
detectors (issue 13); this tool then gains its model flags.
"""

import os
import sys

from absl import flags

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable=g-import-not-at-top,wrong-import-position
import _cli  # before TensorFlow: quiet logs, the repository on sys.path

METRICS = ("coco", "voc07", "voc10")
UPLOAD_PAGE = "https://cocodataset.org/#upload"
# What each COCO metric averages (pycocotools' summary).
COCO_DESCRIPTIONS = {
    "AP": "AP  IoU=0.50:0.95 area=all    maxDets=100",
    "AP50": "AP  IoU=0.50      area=all    maxDets=100",
    "AP75": "AP  IoU=0.75      area=all    maxDets=100",
    "APs": "AP  IoU=0.50:0.95 area=small  maxDets=100",
    "APm": "AP  IoU=0.50:0.95 area=medium maxDets=100",
    "APl": "AP  IoU=0.50:0.95 area=large  maxDets=100",
    "ARmax1": "AR  IoU=0.50:0.95 area=all    maxDets=1",
    "ARmax10": "AR  IoU=0.50:0.95 area=all    maxDets=10",
    "ARmax100": "AR  IoU=0.50:0.95 area=all    maxDets=100",
    "ARs": "AR  IoU=0.50:0.95 area=small  maxDets=100",
    "ARm": "AR  IoU=0.50:0.95 area=medium maxDets=100",
    "ARl": "AR  IoU=0.50:0.95 area=large  maxDets=100",
}

FLAGS = flags.FLAGS
flags.DEFINE_string("annotations", None, "COCO-format ground truth (JSON).")
flags.DEFINE_string("detections", None, "Detections in the COCO results "
                    "format (JSON list).")
flags.DEFINE_enum("metric", "coco", list(METRICS),
                  "coco: pycocotools' 12 box metrics; voc07 / voc10: PASCAL "
                  "VOC mAP at IoU 0.5, 11-point / all-point AP.")
flags.DEFINE_string("metrics_out", None, "Also write the metrics to this "
                    "JSON file.")
flags.mark_flags_as_required(["annotations", "detections"])


def _check_cheap_flags() -> None:
  """Errors found before TensorFlow is imported (it takes seconds)."""
  for name in ("annotations", "detections"):
    path = FLAGS[name].value
    if os.path.isdir(path):
      raise ValueError(f"--{name} {path} is a folder; give a JSON file")
    if not os.path.isfile(path):
      raise ValueError(f"--{name} {path}: no such file")
  out = FLAGS.metrics_out
  if out:
    folder = os.path.dirname(os.path.abspath(out))
    if os.path.isdir(out):
      raise ValueError(f"--metrics_out {out} is a folder; give a file")
    if not os.path.isdir(folder):
      raise ValueError(f"--metrics_out {out}: the folder {folder} does not "
                       f"exist")


def _server_file_name(annotations: str) -> str:
  """The name the COCO server expects: detections_<testset>_<method>_
  results.json, the test set read from an image_info_<testset>.json."""
  stem = os.path.splitext(os.path.basename(annotations))[0]
  testset = (stem[len("image_info_"):] if stem.startswith("image_info_")
             else "test-dev2017")
  return f"detections_{testset}_<method>_results.json"


def _for_server(truth, found) -> None:
  """Says that the results cannot be scored here and how to submit them."""
  for name in ("metrics_out", "metric"):
    _cli.warn_ignored_flag(name, f"{FLAGS.annotations} has no annotations "
                           f"to score against")
  images = len({d["image_id"] for d in found})
  print(f"{FLAGS.annotations} holds no ground-truth boxes (image "
        f"information only, like COCO test-dev): the detections cannot be "
        f"scored here.")
  print(f"The results file for the evaluation server is "
        f"{os.path.abspath(FLAGS.detections)}: {len(found)} detections on "
        f"{images} of the {len(truth['images'])} images, checked against "
        f"the images and categories of {FLAGS.annotations}.")
  print(f"To submit it: name it {_server_file_name(FLAGS.annotations)}, "
        f"zip it, and upload the zip to the COCO detection evaluation "
        f"server (see {UPLOAD_PAGE}).")


def _coco_table(metrics) -> str:
  lines = [f"  {name:<9} {metrics[name]:7.4f}  "
           f"{COCO_DESCRIPTIONS.get(name, '')}".rstrip()
           for name in metrics]
  return "\n".join(lines)


def _voc_table(result) -> str:
  per_class = result["per_class"]
  width = max([len("mean")] + [len(name) for name in per_class])
  lines = [f"  {'class':<{width}}      AP  positives  difficult  "
           f"detections"]
  for name, entry in per_class.items():
    ap = "     -" if entry["AP"] is None else f"{entry['AP']:.4f}"
    lines.append(f"  {name:<{width}}  {ap:>6}  {entry['positives']:9d}  "
                 f"{entry['difficult']:9d}  {entry['detections']:10d}")
  scored = sum(entry["AP"] is not None for entry in per_class.values())
  lines.append(f"  {'mean':<{width}}  {result['mAP']:.4f}  ({scored} of "
               f"{len(per_class)} classes have positives)")
  return "\n".join(lines)


def main(argv):
  del argv
  _check_cheap_flags()
  _cli.initialize_tensorflow()  # importing sparsezoo_tf imports TensorFlow
  # pylint: disable=g-import-not-at-top
  from sparsezoo_tf import detection
  from sparsezoo_tf.training import runs
  truth = detection.read_annotations(FLAGS.annotations)
  found = detection.read_detections(FLAGS.detections, truth)
  if not detection.has_ground_truth(truth):
    _for_server(truth, found)
    return 0
  if not found:
    _cli.warn(f"--detections {FLAGS.detections} holds no detections; every "
              f"metric is 0")
  result = {"annotations": FLAGS.annotations,
            "detections": FLAGS.detections, "metric": FLAGS.metric,
            "n_images": len(truth["images"]), "n_detections": len(found)}
  header = (f"{FLAGS.detections} on {FLAGS.annotations} "
            f"({len(truth['images'])} images, {len(found)} detections)")
  if FLAGS.metric == "coco":
    metrics = detection.coco_metrics(truth, found)
    result.update(metrics)
    print(f"COCO box metrics of {header}:")
    print(_coco_table(metrics))
  else:
    voc = detection.voc_map(truth, found, metric=FLAGS.metric)
    result.update(mAP=voc["mAP"], iou_threshold=voc["iou_threshold"],
                  per_class=voc["per_class"])
    print(f"{FLAGS.metric.upper()} mAP at IoU >= {voc['iou_threshold']:g} "
          f"of {header}:")
    print(_voc_table(voc))
  if FLAGS.metrics_out:
    runs.write_json(FLAGS.metrics_out, result)
    print(f"Wrote {FLAGS.metrics_out}")
  return 0


if __name__ == "__main__":
  _cli.run(main)
