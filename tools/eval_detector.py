r"""Scores object detections in the COCO results format against COCO-format
ground truth: COCO's 12 box metrics (pycocotools), or PASCAL VOC mAP. Given
a detector instead of a results file, it first runs the detector over the
dataset and writes the results file.

    # A results file, no model:
    python tools/eval_detector.py --annotations instances_val2017.json \
        --detections detections.json [--metrics_out metrics.json]
    python tools/eval_detector.py --annotations voc2007_test.json \
        --detections detections.json --metric voc07

    # A detector: a tools/train_detector.py run, or a registered detector
    # with its weights, on a COCO-format dataset or the embedded
    # digits_detection set (--split, the digits detectors only):
    python tools/eval_detector.py --model_dir runs/digits_sc --split test
    python tools/eval_detector.py --detector fasterrcnn_vgg16_scfusion8 \
        --weights voc.h5 --annotations voc2007_test.json \
        --image_dir /data/voc/images --metric voc07
    # The images from Model Garden's TFRecords of the annotation file:
    python tools/eval_detector.py --model_dir runs/coco_sc \
        --annotations instances_val2017.json \
        --records "/data/coco/records/val-*.tfrecord"

Ground truth: a COCO annotation file (images, categories, annotations with
[x, y, width, height] boxes; VOC converted to it, its difficult boxes
marked "difficult": 1 or "ignore": 1). Detections: a JSON list of
{image_id, category_id, bbox: [x, y, width, height], score}, every image
and category one of the ground truth's (`sparsezoo_tf.detection`).

Model mode (--model_dir, or --detector with --weights; not with
--detections): the detector runs on every image of --annotations, read
from --image_dir (the images' file_names are relative to it) or from
--records, or of the digits_detection split --split (train, val or test;
written once to $SPARSEZOO_HOME/data/digits_detection), with Model
Garden's inference preprocessing (`detect_coco` and `detect_records` of
`sparsezoo_tf.detection.inference`; the detector's class ids are the
category ids, detections of classes that are not categories are left
out). Its results go to --detections_out (default <model_dir, or the
current folder>/detections_<split or annotation file name>.json, written
atomically), which is then scored as a results file.

--records is a glob of Model Garden's TFRecords of --annotations'
images, as its converter (`official.vision.data.create_coco_tf_record`,
`sparsezoo_tf.detection.records.coco_to_tfrecords`) writes them: each
record's image is decoded by Model Garden's TfExampleDecoder, and its
image/source_id is the image id. The records must hold every image of
--annotations exactly once and no other (an image without a record would
score as all missed): else the tool refuses them before running the
detector. --annotations is still the ground truth (or, for test-dev, the
image information the results file is checked against).

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
without positives); in model mode also detector and weights (the file or
checkpoint loaded). Detections of no image score 0 (with a warning).

Ground truth without annotations (COCO test-dev's image information, e.g.
image_info_test-dev2017.json) cannot be scored here: the tool checks the
results file (in model mode: writes it) against its images and
categories, says where it is and how to submit it to the COCO evaluation
server, and exits with status 0.
"""

import glob
import os
import sys
from typing import Optional

from absl import flags

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable=g-import-not-at-top,wrong-import-position
import _cli  # before TensorFlow: quiet logs, the repository on sys.path
import _detector_flags

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

SPLITS = ("train", "val", "test")  # digits_detection.DETECTION_SPLITS
DATA_FLAGS = ("image_dir", "records", "split", "detections_out")
PROGRESS_MIN_IMAGES = 200  # fewer images: no progress lines
BATCH_SIZE = 8  # images per forward pass

FLAGS = flags.FLAGS
flags.DEFINE_string("annotations", None, "COCO-format ground truth (JSON).")
flags.DEFINE_string("detections", None, "Detections in the COCO results "
                    "format (JSON list); or give a detector (--model_dir, or "
                    "--detector with --weights).")
flags.DEFINE_enum("metric", "coco", list(METRICS),
                  "coco: pycocotools' 12 box metrics; voc07 / voc10: PASCAL "
                  "VOC mAP at IoU 0.5, 11-point / all-point AP.")
flags.DEFINE_string("metrics_out", None, "Also write the metrics to this "
                    "JSON file.")
flags.DEFINE_string("image_dir", None, "Model mode: the folder of "
                    "--annotations' images.")
flags.DEFINE_string("records", None, "Model mode, instead of --image_dir: "
                    "a glob of Model Garden's TFRecords of --annotations' "
                    "images (create_coco_tf_record's layout), each image "
                    "once.")
flags.DEFINE_enum("split", None, list(SPLITS), "Model mode: a split of the "
                  "embedded digits_detection set (instead of --annotations "
                  "and --image_dir or --records; the digits detectors "
                  "only).")
flags.DEFINE_string("detections_out", None, "Model mode: the results file to "
                    "write (default <model_dir or .>/detections_<split or "
                    "annotations name>.json).")
_detector_flags.define_flags()
# --helpshort lists them with this tool's own flags.
flags.adopt_module_key_flags(_detector_flags)


def _check_file_flag(name: str) -> None:
  path = FLAGS[name].value
  if os.path.isdir(path):
    raise ValueError(f"--{name} {path} is a folder; give a JSON file")
  if not os.path.isfile(path):
    raise ValueError(f"--{name} {path}: no such file")


def _check_output_file(name: str) -> None:
  out = FLAGS[name].value
  if out:
    folder = os.path.dirname(os.path.abspath(out))
    if os.path.isdir(out):
      raise ValueError(f"--{name} {out} is a folder; give a file")
    if not os.path.isdir(folder):
      raise ValueError(f"--{name} {out}: the folder {folder} does not "
                       f"exist")


def _check_results_mode() -> None:
  """Scoring a results file: --annotations and --detections, no data flag
  of model mode."""
  if not FLAGS.annotations:
    raise ValueError("Flag --annotations must have a value (the ground "
                     "truth the --detections are scored against)")
  given = [f"--{name}" for name in DATA_FLAGS if FLAGS[name].value]
  if given:
    raise ValueError(f"{', '.join(given)}: for running a detector (--model_"
                     f"dir, or --detector with --weights), not with "
                     f"--detections (a results file to score)")
  _check_file_flag("annotations")
  _check_file_flag("detections")


def _check_records() -> None:
  """--records with --annotations, neither --image_dir nor --split."""
  given = [f"--{flag}" for flag in ("image_dir", "split")
           if FLAGS[flag].value]
  if given:
    raise ValueError(f"--records {FLAGS.records} holds the images; not with "
                     f"{', '.join(given)}: give --annotations with --records "
                     f"or --image_dir, or --split alone")
  if not FLAGS.annotations:
    raise ValueError("--annotations is missing: the ground truth of the "
                     "--records' images (the file they were written from)")
  _check_file_flag("annotations")
  if "://" not in FLAGS.records and not glob.glob(FLAGS.records):
    raise ValueError(f"--records {FLAGS.records}: no file matches")


def _check_model_mode() -> Optional[str]:
  """Running a detector: the model flags and the data (--annotations with
  --image_dir or --records, or --split). Returns the detector's name when
  known."""
  name = _detector_flags.check_flags()
  if FLAGS.records:
    _check_records()
    return name
  if FLAGS.split:
    given = [f"--{flag}" for flag in ("annotations", "image_dir")
             if FLAGS[flag].value]
    if given:
      raise ValueError(f"--split {FLAGS.split} is the embedded "
                       f"digits_detection set; not with {', '.join(given)}")
    return name
  if not FLAGS.annotations or not FLAGS.image_dir:
    missing = "--image_dir" if FLAGS.annotations else "--annotations"
    raise ValueError(f"{missing} is missing: a detector runs on "
                     f"--annotations' images in --image_dir or --records, "
                     f"or on a split of the digits set (--split)")
  _check_file_flag("annotations")
  if not os.path.isdir(FLAGS.image_dir):
    raise ValueError(f"--image_dir {FLAGS.image_dir}: no such folder")
  return name


def _check_cheap_flags() -> Optional[str]:
  """Errors found before TensorFlow is imported (it takes seconds).
  Returns the detector's name in model mode, when known."""
  model = _detector_flags.model_given()
  if FLAGS.detections and model:
    raise ValueError("--detections scores an existing results file, "
                     "--model_dir / --detector / --weights run a detector "
                     "to write one: give one or the other")
  if not FLAGS.detections and not model:
    raise ValueError("Flag --detections must have a value: give a COCO "
                     "results file to score, or a detector to run "
                     "(--model_dir, or --detector with --weights)")
  name = _check_model_mode() if model else _check_results_mode()
  _check_output_file("metrics_out")
  _check_output_file("detections_out")
  return name


def _server_file_name(annotations: str) -> str:
  """The name the COCO server expects: detections_<testset>_<method>_
  results.json, the test set read from an image_info_<testset>.json."""
  stem = os.path.splitext(os.path.basename(annotations))[0]
  testset = (stem[len("image_info_"):] if stem.startswith("image_info_")
             else "test-dev2017")
  return f"detections_{testset}_<method>_results.json"


def _for_server(annotations: str, detections: str, truth, found) -> None:
  """Says that the results cannot be scored here and how to submit them."""
  for name in ("metrics_out", "metric"):
    _cli.warn_ignored_flag(name, f"{annotations} has no annotations to "
                           f"score against")
  images = len({d["image_id"] for d in found})
  print(f"{annotations} holds no ground-truth boxes (image information "
        f"only, like COCO test-dev): the detections cannot be scored here.")
  print(f"The results file for the evaluation server is "
        f"{os.path.abspath(detections)}: {len(found)} detections on "
        f"{images} of the {len(truth['images'])} images, checked against "
        f"the images and categories of {annotations}.")
  print(f"To submit it: name it {_server_file_name(annotations)}, zip it, "
        f"and upload the zip to the COCO detection evaluation server (see "
        f"{UPLOAD_PAGE}).")


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


def _default_detections_out() -> str:
  stem = FLAGS.split or os.path.splitext(os.path.basename(
      FLAGS.annotations))[0]
  return os.path.join(FLAGS.model_dir or os.getcwd(),
                      f"detections_{stem}.json")


def _progress(done: int, total: int) -> None:
  """Prints how far a long run is, every tenth of the images."""
  if total >= PROGRESS_MIN_IMAGES and (
      done == total or done * 10 // total > (done - BATCH_SIZE) * 10 //
      total):
    print(f"  {done}/{total} images", flush=True)


def _run_detector(name: Optional[str]):
  """Model mode: runs the detector (`name`, when the flags tell it) over the
  dataset and writes the results.

  Returns:
    (annotations file, results file, {"detector", "weights"}).
  """
  # pylint: disable=g-import-not-at-top
  from sparsezoo_tf import detection
  from sparsezoo_tf.detection import detectors
  from sparsezoo_tf.detection import inference
  from sparsezoo_tf.detection import records
  annotations, image_dir = FLAGS.annotations, FLAGS.image_dir
  if FLAGS.split:
    if not name or detectors.detector_spec(name).kind != "digits":
      raise ValueError(
          f"--split {FLAGS.split} is a split of the embedded "
          f"digits_detection set, for the digits detectors "
          f"({', '.join(detectors.list_detectors('fasterrcnn_digits_*'))}); "
          f"{name or 'this run'} is not one: give --annotations and "
          f"--image_dir")
    prepared = records.prepare_digits_detection()
    annotations = prepared.annotations[FLAGS.split]
    image_dir = prepared.image_dir
  elif name:
    detectors.detector_spec(name)  # an unknown name fails before loading
  out = FLAGS.detections_out or _default_detections_out()
  with _cli.quiet_native_logs():
    model = _detector_flags.load_detector()
    source = (f"images from {FLAGS.records}" if FLAGS.records
              else f"images in {image_dir}")
    print(f"Running {_detector_flags.describe(model)} on {annotations} "
          f"({source})", flush=True)
    if FLAGS.records:
      results = inference.detect_records(model, FLAGS.records, annotations,
                                         batch_size=BATCH_SIZE,
                                         progress=_progress)
    else:
      results = inference.detect_coco(model, annotations, image_dir,
                                      batch_size=BATCH_SIZE,
                                      progress=_progress)
  count = detection.write_detections(out, results)
  print(f"Wrote {out} ({count} detections)")
  spec = getattr(model, "detector_spec", None)
  return annotations, out, {"detector": spec.name if spec else None,
                            "weights": model.weights_source}


def main(argv):
  del argv
  name = _check_cheap_flags()
  _cli.initialize_tensorflow()  # importing sparsezoo_tf imports TensorFlow
  # pylint: disable=g-import-not-at-top
  from sparsezoo_tf import detection
  from sparsezoo_tf.training import runs
  model_info = {}
  if _detector_flags.model_given():
    annotations, detections, model_info = _run_detector(name)
  else:
    annotations, detections = FLAGS.annotations, FLAGS.detections
  truth = detection.read_annotations(annotations)
  found = detection.read_detections(detections, truth)
  if not detection.has_ground_truth(truth):
    _for_server(annotations, detections, truth, found)
    return 0
  if not found:
    _cli.warn(f"--detections {detections} holds no detections; every "
              f"metric is 0")
  result = {"annotations": annotations, "detections": detections,
            "metric": FLAGS.metric, "n_images": len(truth["images"]),
            "n_detections": len(found), **model_info}
  header = (f"{detections} on {annotations} "
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
