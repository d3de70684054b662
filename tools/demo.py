"""The main job: check the op, train a sparse model and its dense
baseline side by side, and print the zoo.

    make demo        (or: python tools/demo.py)

1. Small stacks of sparse convolutions of every pattern, on random input,
   through the op, the pure-TF reference and a masked dense tf.nn.conv2d:
   outputs and gradients must agree.
2. A sparse model (--model, default digits_cnn_sc) and its dense baseline,
   built by the same code, trained briefly with Keras `fit` from their
   recipes on scikit-learn's 8x8 digits: test accuracy, parameters, FLOPs
   and measured latency side by side.
3. Localization with class activation maps (paper 003 section 4.2): the
   shipped CAM weights (a scFusion model and its dense baseline) on the
   digits canvases' test split, top-1 / top-5 localization accuracy against
   the registered figures, and one picture (--pictures_dir).
4. Detection (paper 003 section 4.3, Faster R-CNN through TF Model
   Garden): the shipped digits detectors (SW-SC ResNet-18 backbone and its
   dense baseline) on the 1000 canvases of digits_detection's test split,
   COCO AP / AP50 by pycocotools against the registered figures, and one
   picture of the boxes (--pictures_dir).
5. The zoo table (tools/model_table.py without latency) of --zoo_patterns.
6. With --benchmark, the op's speed table (tools/benchmark_ops.py).
Exits 1 if a check fails (2 for a bad flag, see tools/_cli.py).
"""

import os
import sys
import tempfile

from absl import flags
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable=g-import-not-at-top,wrong-import-position
import _cli  # before TensorFlow: quiet logs, the repository on sys.path

from sparsezoo_tf import localization
from sparsezoo_tf import models
from sparsezoo_tf import ops
from sparsezoo_tf import training
from sparsezoo_tf.benchmarks import ops as op_benchmark
from sparsezoo_tf.benchmarks import zoo_table
from sparsezoo_tf.benchmarks import selfcheck
from sparsezoo_tf.data import digits_canvas
from sparsezoo_tf.localization import pictures

CONFIGS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))), "configs", "classification")
FLAGS = flags.FLAGS
# One model of each family and scheme, with its baseline (about a minute).
DEFAULT_ZOO = ["digits_*", "resnet18", "resnet18_sc", "resnet50_sc",
               "resnet32_cifar*", "resnet18_cifar_psc*", "vgg16_scfusion*",
               "igcv2_c64_d20", "xception_c35_d20", "skn_dw_pw_w72",
               "skn_pwgconv4_dw_pwgconv4_w560"]
flags.DEFINE_list("patterns", list(selfcheck.DEFAULT_PATTERNS),
                  "Schemes to check (sparsezoo_tf.schemes).")
flags.DEFINE_string("model", "digits_cnn_sc",
                    "Sparse digits model trained against its baseline.")
flags.DEFINE_integer("epochs", 8, "Training epochs of the comparison.",
                     lower_bound=1)
flags.DEFINE_list("zoo_patterns", DEFAULT_ZOO,
                  "Models of the zoo table (shell patterns; '*' for all, "
                  "several minutes); empty for none.")
flags.DEFINE_string("pictures_dir",
                    os.path.join(tempfile.gettempdir(), "sparsezoo_demo"),
                    "Where the localization and detection pictures are "
                    "written (created).")
flags.DEFINE_bool("benchmark", False, "Also print the op speed table.")
flags.DEFINE_list("benchmark_patterns", ["sw_sc", "cw_sc", "psc4"],
                  "Schemes of the speed table.")
flags.DEFINE_integer("repeats", 3, "Timed runs per benchmark case.",
                     lower_bound=1)


def format_check(rows) -> str:
  columns = ["pattern", "density", "weights", "dense weights",
             "op output error", "op gradient error", "reference output error",
             "reference gradient error", "ok"]
  lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
  for row in rows:
    cells = []
    for col in columns:
      value = row.get(col, "n/a")
      cells.append(f"{value:.2e}" if col.endswith("error") and
                   isinstance(value, float) else
                   f"{value:.3f}" if isinstance(value, float) else str(value))
    lines.append("| " + " | ".join(cells) + " |")
  return "\n".join(lines)


def _recipe(name: str) -> str:
  """Path of the digits recipe of model `name`."""
  return os.path.join(CONFIGS, f"{name}.yaml")


def _digits_models():
  """The sparse 8x8-digits models that, with their baselines, have a
  recipe."""
  return [name for name in models.list_models()
          if models.model_info(name).baseline and
          models.model_info(name).dataset == "digits" and os.path.isfile(
              _recipe(name)) and os.path.isfile(
                  _recipe(models.model_info(name).baseline))]


def _baseline(name: str) -> str:
  """The dense baseline of the sparse model `name`, which must have a
  digits recipe, as must the baseline."""
  choices = ", ".join(_digits_models())
  if name not in models.list_models():
    raise ValueError(f"--model {name} is not a registered model; pick one "
                     f"of {choices}")
  baseline = models.model_info(name).baseline
  if baseline is None:
    raise ValueError(f"--model {name} is a dense model; pick a sparse one: "
                     f"{choices}")
  if name not in _digits_models():
    raise ValueError(f"--model {name} has no digits recipe "
                     f"({os.path.relpath(_recipe(name), _cli.ROOT)}); pick "
                     f"one of {choices}")
  return baseline


def compare_with_baseline(name: str, epochs: int) -> str:
  """Trains `name` and its baseline from their recipes; a Markdown table."""
  baseline = _baseline(name)
  lines = ["| model | scheme | params | FLOPs | test top-1 | latency b8 / "
           "baseline |", "|---|---|---|---|---|---|"]
  latency = zoo_table.latency_ratio(name, baseline, batch=8)
  for model_name in (name, baseline):
    recipe = training.load_recipe(_recipe(model_name),
                                  f"training.epochs={epochs}")
    metrics = training.train(recipe, verbose=0)
    cost = zoo_table.model_cost(model_name)
    ratio = f"{latency:.2f}" if model_name == name else "1.00"
    lines.append(f"| {model_name} | {models.model_info(model_name).scheme} "
                 f"| {cost.params:,} | {cost.multiply_adds:,} | "
                 f"{metrics['top1']:.4f} | {ratio} |")
  return "\n".join(lines)


CAM_MODELS = ("digits_cam_cnn_scfusion2", "digits_cam_cnn")


def localization_part(pictures_dir: str):
  """The CAM models' localization accuracy against their registered
  figures, and the sparse one's map of the first test canvas as a PNG.

  Returns:
    (the report, the models whose accuracy differs from the registered).
  """
  canvases = digits_canvas.make_canvases("test")
  images = models.preprocess_input(canvases.images, mode="digits_canvas")
  lines = ["| model | scheme | top-1 loc | top-5 loc | registered top-1 loc |",
           "|---|---|---:|---:|---:|"]
  differ = []
  for name in CAM_MODELS:
    model = models.create_model(name, weights="digits_canvas")
    found = localization.localize(model, images, top_k=5, threshold=0.2,
                                  return_maps=True)
    accuracy = localization.localization_accuracy(
        found.classes, found.boxes, list(canvases.labels),
        list(canvases.boxes))
    registered = [e for e in models.list_weights(name)
                  if e.name == "digits_canvas"][0].metrics["top1_loc"]
    lines.append(f"| {name} | {models.model_info(name).scheme} | "
                 f"{accuracy['top1_loc']:.4f} | {accuracy['top5_loc']:.4f} | "
                 f"{registered:.4f} |")
    if abs(accuracy["top1_loc"] - registered) > 1e-9:
      differ.append(f"{name} localization")
    if name == CAM_MODELS[0]:
      picture = pictures.overlay(
          np.repeat(canvases.images[0], 3, axis=-1), found.maps[0, 0], 4,
          found.boxes[0, 0], canvases.boxes[0])
      os.makedirs(pictures_dir, exist_ok=True)
      path = os.path.join(pictures_dir, f"{name}_canvas0.png")
      with open(path, "wb") as stream:
        stream.write(pictures.encode_png(picture))
  lines.append(f"\nThe CAM of the first test canvas (class "
               f"{int(canvases.labels[0, 0])}; white: the box of the map, "
               f"magenta: the digit's): {path}")
  return "\n".join(lines), differ


DETECTORS = ("fasterrcnn_digits_resnet18_sc", "fasterrcnn_digits_resnet18")
# Registered detection metrics are reproduced to this (the same images and
# weights; only the order of float additions may differ).
DETECTION_TOLERANCE = 5e-4


def detection_part(pictures_dir: str):
  """The shipped detectors' COCO AP on the test split against their
  registered figures, and the sparse one's boxes on the first canvas.

  Returns:
    (the report, the detectors whose AP differs from the registered).
  """
  # Model Garden's vision modules load on first use: only here.
  # pylint: disable=g-import-not-at-top
  from sparsezoo_tf.data import digits_detection
  from sparsezoo_tf.detection import detectors
  from sparsezoo_tf.detection import inference
  from sparsezoo_tf.detection import metrics
  from sparsezoo_tf.detection import pictures as detection_pictures
  test = digits_detection.make_detection_set("test")
  truth = digits_detection.coco_dict(test)
  lines = ["| detector | backbone | AP | AP50 | registered AP | registered "
           "AP50 |", "|---|---|---:|---:|---:|---:|"]
  differ = []
  for name in DETECTORS:
    model = detectors.create_detector(name, weights="digits_detection")
    found = inference.detect(model, list(test.images))
    results = [detection for image_id, image_found in zip(test.image_ids,
                                                          found)
               for detection in metrics.coco_detections(
                   image_id, image_found["boxes"], image_found["scores"],
                   image_found["classes"])]
    measured = metrics.coco_metrics(truth, results)
    registered = [e for e in models.list_weights(name)
                  if e.name == "digits_detection"][0].metrics
    lines.append(f"| {name} | {model.detector_spec.backbone} | "
                 f"{measured['AP']:.4f} | {measured['AP50']:.4f} | "
                 f"{registered['AP']:.4f} | {registered['AP50']:.4f} |")
    if any(abs(measured[key] - registered[key]) > DETECTION_TOLERANCE
           for key in ("AP", "AP50")):
      differ.append(f"{name} detection")
    if name == DETECTORS[0]:
      kept = [index for index, score in enumerate(found[0]["scores"])
              if score >= 0.5]
      entries = detection_pictures.to_entries(
          {key: value[kept] for key, value in found[0].items()},
          detection_pictures.class_names(model))
      picture, _ = detection_pictures.draw(test.images[0], entries)
      os.makedirs(pictures_dir, exist_ok=True)
      path = os.path.join(pictures_dir, f"{name}_test0.png")
      picture.save(path)
  digits = ", ".join(str(int(label))
                     for label in test.labels[0, :test.num_objects[0]])
  lines.append(f"\nThe sparse detector's boxes (score >= 0.5) on the first "
               f"test canvas (digits {digits}): {path}")
  return "\n".join(lines), differ


def main(argv):
  del argv
  # Before the checks: a bad --model or --zoo_patterns fails at once.
  _baseline(FLAGS.model)
  try:
    zoo = zoo_table.select(FLAGS.zoo_patterns)
  except ValueError as error:
    raise ValueError(f"--zoo_patterns: {error}") from None
  if not FLAGS.benchmark:
    for name in ("benchmark_patterns", "repeats"):
      _cli.warn_ignored_flag(name, "it applies to --benchmark only")
  reason = ops.unavailable_reason()
  print("op library:", "loaded from " + ops.library_path() if reason is None
        else f"NOT used ({reason}); checking the reference path only")
  rows = selfcheck.check_patterns(FLAGS.patterns)
  print("\nStacks of 3 sparse 3x3 convolutions (32 channels, 16x16, stride 2 "
        "in the middle), compared with a masked dense tf.nn.conv2d:\n")
  print(format_check(rows))
  print(f"\nTraining {FLAGS.model} and its dense baseline on 8x8 digits "
        f"({FLAGS.epochs} epochs each):\n", flush=True)
  print(compare_with_baseline(FLAGS.model, FLAGS.epochs))
  print("\nLocalization with class activation maps on the 64x64 digits "
        "canvases (test split, 359 images; shipped weights):\n", flush=True)
  report, localization_failed = localization_part(FLAGS.pictures_dir)
  print(report)
  print("\nDetection: Faster R-CNN (TF Model Garden) on the 96x96 "
        "digits_detection canvases (test split, 1000 images; shipped "
        "weights):\n", flush=True)
  with _cli.quiet_native_logs():
    report, detection_failed = detection_part(FLAGS.pictures_dir)
  print(report)
  if FLAGS.zoo_patterns:
    print("\nThe zoo (FLOPs = multiply-adds at the default input size; "
          "all of it: tools/model_table.py):\n", flush=True)
    print(zoo_table.to_markdown(zoo_table.zoo_rows(zoo)))
  if FLAGS.benchmark:
    settings = op_benchmark.BenchmarkSettings(repeats=FLAGS.repeats, number=2)
    print("\nSpeed (ratios to dense tf.nn.conv2d, same run):\n", flush=True)
    table_rows = op_benchmark.run_benchmark(op_benchmark.TABLE9_SHAPES,
                                            FLAGS.benchmark_patterns,
                                            settings)
    print(op_benchmark.to_markdown(table_rows, settings))
  failed = [row["pattern"] for row in rows if not row["ok"]]
  failed += localization_failed + detection_failed
  if failed:
    print("FAILED:", ", ".join(failed))
    return _cli.RUN_FAILED
  print("All checks passed.")
  return 0


if __name__ == "__main__":
  _cli.run(main)
