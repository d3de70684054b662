r"""Runs a detector on image files and draws what it finds.

    python tools/detect.py --model_dir runs/digits_sc \
        --images canvas.png --images more_images/ --output_dir found
    python tools/detect.py --detector fasterrcnn_digits_resnet18_sc \
        --weights detector.h5 --images a.png,b.jpg --output_dir found \
        --score_threshold 0.3

The detector: the folder of a tools/train_detector.py run (--model_dir:
its detector.h5, or its latest checkpoint while it trains), or a
registered detector with its weights (--detector, --weights: a registered
weights name or an .h5 file). It runs with Model Garden's inference
preprocessing (`sparsezoo_tf.detection.inference.detect`).

--images: image files and folders (their image files, not their
subfolders), repeated or comma-separated; read with PIL, greyscale and
palette images as RGB. Every image is held in memory.

--output_dir receives, written to a temporary sibling folder renamed at
the end (an existing non-empty folder is replaced only with --overwrite):
  * detections.json: {image path as given: [{"box": [xmin, ymin, xmax,
    ymax], "score", "class_id", "class_name"}, ...]}, boxes in the image's
    pixels (continuous coordinates: a box covers [xmin, xmax) x [ymin,
    ymax); to 1/100 pixel), by score (4 decimals), those scoring at least
    --score_threshold (0.5); one detection per line.
  * <image name>.png per image: the image with its boxes and "class_name
    score" labels, enlarged (nearest neighbour, a whole factor) so that its
    shorter side is at least 384 pixels and labels stay readable. Names
    that repeat get -2, -3, ... in the order of --images.

Class names (class_id is the detector's class index, Model Garden's COCO
category id): --labels, a COCO annotation file (its categories' names by
id) or a text file with one name per line (line 1 is class 1: the
background, class 0, is not listed); else "0".."9" for the digits
detectors; else "class N".
"""

import json
import os
import shutil
import sys
import tempfile
from typing import Dict, List, Tuple

from absl import flags

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable=g-import-not-at-top,wrong-import-position
import _cli  # before TensorFlow: quiet logs, the repository on sys.path
import _detector_flags

DETECTIONS = "detections.json"

FLAGS = flags.FLAGS
flags.DEFINE_multi_string("images", None, "Image files and folders "
                          "(repeated or comma-separated).")
flags.DEFINE_string("output_dir", None, "Folder for detections.json and the "
                    "drawn images.")
flags.DEFINE_bool("overwrite", False, "Replace a non-empty --output_dir.")
flags.DEFINE_float("score_threshold", 0.5, "Keep detections scoring at "
                   "least this.", lower_bound=0.0, upper_bound=1.0)
flags.DEFINE_string("labels", None, "Class names: a COCO annotation file "
                    "(its categories) or a text file, one name per line "
                    "from class 1.")
_detector_flags.define_flags()
# --helpshort lists them with this tool's own flags.
flags.adopt_module_key_flags(_detector_flags)


def _given_paths() -> List[str]:
  """The paths --images names (repeated or comma-separated), checked to
  exist (before TensorFlow is imported)."""
  given = []
  for value in FLAGS.images or []:
    given += [value] if os.path.exists(value) else [
        part for part in value.split(",") if part]
  if not given:
    raise ValueError("Flag --images must have a value: image files or "
                     "folders")
  for path in given:
    if not os.path.exists(path):
      raise ValueError(f"--images {path}: no such file or folder")
  return given


def _image_paths(given: List[str]) -> List[str]:
  """The image files of --images' files and folders, in order, each once.

  Raises:
    ValueError: a folder without image files.
  """
  # pylint: disable=g-import-not-at-top
  from sparsezoo_tf.data import files
  paths, seen = [], set()
  for path in given:
    found = files.list_images(path) if os.path.isdir(path) else [path]
    if not found:
      raise ValueError(f"--images {path}: the folder has no image files "
                       f"({', '.join(files.IMAGE_EXTENSIONS)})")
    for name in found:
      key = os.path.realpath(name)
      if key not in seen:
        seen.add(key)
        paths.append(name)
  return paths


def _check_cheap_flags() -> List[str]:
  """Errors found before TensorFlow is imported; returns --images' paths."""
  if not FLAGS.output_dir:
    raise ValueError("Flag --output_dir must have a value")
  _cli.check_output_folder("output_dir", FLAGS.output_dir, FLAGS.overwrite)
  if FLAGS.labels and not os.path.isfile(FLAGS.labels):
    raise ValueError(f"--labels {FLAGS.labels}: no such file")
  given = _given_paths()
  _detector_flags.check_flags()
  return given


def _read_labels(path: str) -> Dict[int, str]:
  """{class id: name} of --labels (COCO JSON, or one name per line)."""
  # pylint: disable=g-import-not-at-top
  from sparsezoo_tf import detection
  with open(path, encoding="utf-8") as stream:
    text = stream.read()
  if path.lower().endswith(".json"):
    truth = detection.read_annotations(path)
    if not truth["categories"]:
      raise ValueError(f"--labels {path} has no categories to name the "
                       f"classes by")
    return {entry["id"]: str(entry.get("name", entry["id"]))
            for entry in truth["categories"]}
  names = [line.strip() for line in text.splitlines()]
  while names and not names[-1]:
    names.pop()
  if not names:
    raise ValueError(f"--labels {path} is empty; give one class name per "
                     f"line, from class 1")
  if "" in names:
    raise ValueError(f"--labels {path}: line {names.index('') + 1} is "
                     f"empty; give one class name per line, from class 1")
  return {i + 1: name for i, name in enumerate(names)}


def _class_names(model) -> Dict[int, str]:
  """--labels, else the names the detector knows (the digits')."""
  # pylint: disable-next=g-import-not-at-top
  from sparsezoo_tf.detection import pictures
  if FLAGS.labels:
    names = _read_labels(FLAGS.labels)
    classes = int(model.detector_config.num_classes) - 1
    unnamed = [c for c in range(1, classes + 1) if c not in names]
    if unnamed:
      _cli.warn(f"--labels {FLAGS.labels} names {classes - len(unnamed)} of "
                f"the detector's {classes} classes; the others are shown as "
                f"'class N'")
    return names
  return pictures.class_names(model)


def _output_names(paths: List[str]) -> List[str]:
  """<name>.png per image, repeated names numbered -2, -3, ..."""
  names, used = [], set()
  for path in paths:
    stem = os.path.splitext(os.path.basename(path))[0]
    name, count = f"{stem}.png", 1
    while name in used:
      count += 1
      name = f"{stem}-{count}.png"
    used.add(name)
    names.append(name)
  return names


def _json_text(result: Dict[str, List[dict]]) -> str:
  """detections.json's text: one line per detection."""
  lines = []
  for path, entries in result.items():
    body = ",\n    ".join(json.dumps(entry) for entry in entries)
    lines.append(f"  {json.dumps(path)}: " +
                 (f"[\n    {body}\n  ]" if entries else "[]"))
  return "{\n" + ",\n".join(lines) + "\n}\n"


def _write(paths: List[str], images, found, names: Dict[int, str]
           ) -> Tuple[int, int]:
  """Writes --output_dir atomically; returns (detections, images with
  one)."""
  # pylint: disable=g-import-not-at-top
  from sparsezoo_tf.data import files
  from sparsezoo_tf.detection import pictures
  output = FLAGS.output_dir
  parent = os.path.dirname(os.path.abspath(output))
  staging = tempfile.mkdtemp(prefix=f".{os.path.basename(output)}.partial-",
                             dir=parent)
  try:
    result = {}
    for path, name, image, image_found in zip(
        paths, _output_names(paths), images, found):
      entries = pictures.to_entries(image_found, names)
      result[path] = entries
      canvas, _ = pictures.draw(image, entries)
      canvas.save(os.path.join(staging, name))
    with open(os.path.join(staging, DETECTIONS), "w",
              encoding="utf-8") as stream:
      stream.write(_json_text(result))
    files.publish_folder(staging, output)
  except BaseException:
    shutil.rmtree(staging, ignore_errors=True)
    raise
  total = sum(len(entries) for entries in result.values())
  return total, sum(bool(entries) for entries in result.values())


def main(argv):
  del argv
  given = _check_cheap_flags()
  _cli.initialize_tensorflow()  # importing sparsezoo_tf imports TensorFlow
  # pylint: disable=g-import-not-at-top
  from sparsezoo_tf.detection import inference
  paths = _image_paths(given)
  images = [inference.read_image(path) for path in paths]
  with _cli.quiet_native_logs():
    model = _detector_flags.load_detector()
    names = _class_names(model)
    print(f"Running {_detector_flags.describe(model)} on {len(paths)} "
          f"image(s)", flush=True)
    found = inference.detect(model, images,
                             score_threshold=FLAGS.score_threshold)
  total, with_any = _write(paths, images, found, names)
  print(f"Wrote {FLAGS.output_dir}: {DETECTIONS} ({total} detections "
        f"scoring >= {FLAGS.score_threshold:g} on {with_any} of "
        f"{len(paths)} images) and {len(paths)} drawn image(s)")
  return 0


if __name__ == "__main__":
  _cli.run(main)
