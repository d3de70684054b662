"""COCO-format detection sets as Model Garden's TFRecords, and the embedded
digits_detection set ready to train on.

Model Garden's detection tasks read TFRecords of `tf.train.Example`s in
the layout of its own converter, `official/vision/data/create_coco_tf_record.py`;
`coco_to_tfrecords` runs that converter (in a child process: it defines
absl flags of its own) on a COCO annotation file and its image folder.

`prepare_digits_detection()` writes the embedded set once, under
`$SPARSEZOO_HOME/data/digits_detection` (default `~/.sparsezoo`), as

    images/<image_id>.png, annotations/<split>.json   (COCO, `write_coco`)
    records/<split>-0000i-of-0000N.tfrecord            (Model Garden's)

for the splits train, val and test, atomically (a temporary sibling folder
renamed at the end), and returns the paths; the digits experiments
(`sparsezoo_tf.detection.experiments`) read them.
"""

import dataclasses
import glob
import os
import shutil
import subprocess
import sys
import tempfile
from typing import Dict, Optional

from sparsezoo_tf.data import digits_detection
from sparsezoo_tf.data import files
from sparsezoo_tf.models import weights as zoo_weights

CONVERTER = "official.vision.data.create_coco_tf_record"
DATA_SUBDIR = "data"
RECORDS_SUBDIR = "records"
# Shards of each digits split (Model Garden's reader interleaves files).
DIGITS_SHARDS = {"train": 4, "val": 1, "test": 1}


def data_home() -> str:
  """Where prepared datasets live: `$SPARSEZOO_HOME/data`."""
  return os.path.join(zoo_weights.weights_home(), DATA_SUBDIR)


def coco_to_tfrecords(annotations: str, image_dir: str, output_prefix: str,
                      num_shards: int = 1,
                      with_annotations: bool = True) -> str:
  """Converts a COCO annotation file and its images to TFRecords with Model
  Garden's converter.

  Args:
    annotations: a COCO-format JSON (instances, or test-dev image info).
    image_dir: the folder the images' `file_name`s are relative to.
    output_prefix: the records are `<output_prefix>-0000i-of-0000N.tfrecord`.
    num_shards: N.
    with_annotations: False for an image information file without boxes
      (COCO test-dev's `image_info_test-dev2017.json`): records of the
      images only, for inference.

  Returns:
    The glob pattern of the records written (Model Garden's `input_path`).

  Raises:
    FileNotFoundError: a missing annotation file or image folder.
    RuntimeError: the converter failed (its last error lines).
  """
  if not os.path.isfile(annotations):
    raise FileNotFoundError(f"no COCO annotation file {annotations}")
  if not os.path.isdir(image_dir):
    raise FileNotFoundError(f"no image folder {image_dir}")
  source = "object_annotations_file" if with_annotations else (
      "image_info_file")
  command = [sys.executable, "-m", CONVERTER, f"--image_dir={image_dir}",
             f"--{source}={annotations}",
             f"--output_file_prefix={output_prefix}",
             f"--num_shards={int(num_shards)}", "--num_processes=0"]
  result = subprocess.run(command, capture_output=True, text=True,
                          check=False)
  if result.returncode:
    errors = [line for line in result.stderr.splitlines()
              if "Error" in line or "error" in line][-5:]
    raise RuntimeError(f"Model Garden's COCO converter failed on "
                       f"{annotations} (exit {result.returncode}): "
                       f"{' | '.join(errors) or result.stderr[-1000:]}")
  return f"{output_prefix}-*-of-{int(num_shards):05d}.tfrecord"


@dataclasses.dataclass(frozen=True)
class PreparedSet:
  """A detection set on disk.

  Attributes:
    root: its folder.
    image_dir: the images' folder.
    annotations: {split: COCO annotation file}.
    records: {split: glob pattern of its TFRecords}.
  """
  root: str
  image_dir: str
  annotations: Dict[str, str]
  records: Dict[str, str]


def digits_detection_paths(root: Optional[str] = None) -> PreparedSet:
  """The paths of the prepared digits_detection set (whether or not it is
  there yet); `root` defaults to `data_home()/digits_detection`."""
  root = root or os.path.join(data_home(), digits_detection.DATASET_NAME)
  splits = digits_detection.DETECTION_SPLITS
  return PreparedSet(
      root=root, image_dir=os.path.join(root, "images"),
      annotations={split: os.path.join(root, "annotations", f"{split}.json")
                   for split in splits},
      records={split: os.path.join(
          root, RECORDS_SUBDIR,
          f"{split}-*-of-{DIGITS_SHARDS[split]:05d}.tfrecord")
               for split in splits})


def _is_complete(prepared: PreparedSet) -> bool:
  return all(os.path.isfile(path) for path in prepared.annotations.values()
             ) and all(len(glob.glob(pattern)) == DIGITS_SHARDS[split]
                       for split, pattern in prepared.records.items())


def prepare_digits_detection(root: Optional[str] = None,
                             verbose: bool = True) -> PreparedSet:
  """The digits_detection set as COCO files and TFRecords, written once.

  A complete set at `root` is used as it is; otherwise the full set
  (6000 / 1000 / 1000 images, `digits_detection.write_coco`'s defaults) and
  its records are written to a temporary sibling folder that replaces
  `root` when done, so an interrupted call leaves nothing half-written.

  Args:
    root: the folder; default `data_home()/digits_detection`.
    verbose: print what is written.

  Returns:
    Its `PreparedSet`.
  """
  prepared = digits_detection_paths(root)
  if _is_complete(prepared):
    return prepared
  parent = os.path.dirname(os.path.abspath(prepared.root))
  os.makedirs(parent, exist_ok=True)
  temporary = tempfile.mkdtemp(prefix=".digits_detection.partial-",
                               dir=parent)
  try:
    staged = digits_detection_paths(os.path.join(temporary, "set"))
    if verbose:
      print(f"Writing the digits_detection set to {prepared.root} "
            f"(once; about 25 s)", flush=True)
    digits_detection.write_coco(staged.root)
    os.makedirs(os.path.join(staged.root, RECORDS_SUBDIR))
    for split in digits_detection.DETECTION_SPLITS:
      coco_to_tfrecords(
          staged.annotations[split], staged.image_dir,
          os.path.join(staged.root, RECORDS_SUBDIR, split),
          DIGITS_SHARDS[split])
    files.publish_folder(staged.root, prepared.root)
  finally:
    shutil.rmtree(temporary, ignore_errors=True)
  return prepared
