"""digits_detection: an object detection dataset that ships, generated from
scikit-learn's real 8x8 handwritten digits, in COCO format.

The generator is the dataset's definition: a seed and the parameters below
give the same canvases, boxes and files, byte for byte.

Canvases. Each image is a square canvas (96x96 by default) with a zero
background holding 1..`max_digits` digits (uniformly many). A digit is
resized bilinearly from 8x8 to a random square side in
[`min_size`, `max_size`] (half-pixel centres, as `tf.image.resize`: the
rendering of `sparsezoo_tf.data.digits_canvas`), scaled from 0..16 to
0..255, rounded, cropped to its ink (its non-zero pixels) and pasted at a
random position fully inside the canvas. Overlapping digits combine by
their maximum (light ink on a dark background). Positions are drawn by
rejection sampling: a digit is placed only where its box has an IoU of at
most `max_iou` with each box already placed, and neither box has more than
`max_cover` of its area inside the other (so that no small digit hides
inside a large one: a small box inside a large one has a small IoU);
`POSITION_TRIES` positions per digit, then up to `CANVAS_TRIES` fresh
draws of the sizes before a ValueError.

Boxes are tight around the ink: every non-zero pixel of a digit lies inside
its box and each of the box's four edges touches one. In memory they are
(ymin, xmin, ymax, xmax) in pixel-edge coordinates, half-open (rows
ymin <= row < ymax), as in `digits_canvas`; in COCO they are
[x, y, width, height] = [xmin, ymin, xmax - xmin, ymax - ymin], integers.

Splits. scikit-learn's 1797 digits are split once, independently of the
seed: "test" takes the digits of the "test" split of
`sparsezoo_tf.data.digits` (359), so that a backbone pretrained on the
"digits" train split never saw them; the "digits" train split (1438) is
divided, stratified by class with a fixed seed, into "val" (20 % of each
class, 287) and "train" (1151). A canvas only holds digits of its split:
no digit image is in two splits. Canvas i's first digit is the split's
digit i (cycling), so that every digit of a split appears; its other
digits are drawn at random from the split. Canvas i depends only on the
seed, the split, the parameters and i: a split of `count` images is the
first `count` images of any longer one.

Images are stored as 8-bit greyscale PNG (half the size of RGB for the same
pixels): Model Garden's decoder (`tf_example_decoder`,
`tf.io.decode_image(..., channels=3)`) replicates them to the 3 channels
its detectors take; in memory, `tf.image.grayscale_to_rgb` does the same.
PNGs are encoded with TensorFlow's `tf.io.encode_png` (the zlib and libpng
built into the pinned TensorFlow), so the bytes do not depend on the
system's zlib.

Layout written by `write_coco` (ready for Model Garden's
`official/vision/data/create_coco_tf_record.py` with
`--image_dir=<dir>/images --object_annotations_file=<dir>/annotations/
<split>.json`):

    <output_dir>/images/<image_id>.png      image ids: 1000001.. (train),
                                             2000001.. (val), 3000001..
                                             (test), unique in the folder
    <output_dir>/annotations/<split>.json   info, licenses, categories,
                                             images, annotations

Categories "0".."9" have COCO ids 1..10 (class c is category c + 1).
Annotations carry, besides the COCO fields, `digit_index` (the digit's
index in `sklearn.datasets.load_digits()`) and `digit_size` (the side it
was resized to before cropping).
"""

import dataclasses
import functools
import json
import os
import shutil
import tempfile
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np
import tensorflow as tf

from sparsezoo_tf.data import digits
from sparsezoo_tf.data import digits_canvas
from sparsezoo_tf.data import files

DATASET_NAME = "digits_detection"
DETECTION_SPLITS = ("train", "val", "test")
# Images per split of the dataset (its definition, with the defaults below).
NUM_IMAGES = {"train": 6000, "val": 1000, "test": 1000}
CANVAS_SIZE = 96
MIN_DIGIT_SIZE = 16
MAX_DIGIT_SIZE = 40
MAX_DIGITS = 4
MAX_IOU = 0.1
MAX_COVER = 0.25
SEED = 0
NUM_CLASSES = 10
# Random positions tried for one digit, then whole canvases (fresh sizes).
POSITION_TRIES = digits_canvas.POSITION_TRIES
CANVAS_TRIES = 100
# COCO image id of image i of split k: IMAGE_ID_STRIDE * (k + 1) + i + 1.
IMAGE_ID_STRIDE = 1_000_000
MAX_IMAGES = IMAGE_ID_STRIDE - 1
VAL_FRACTION = 0.2
PNG_COMPRESSION = 9
_VAL_SPLIT_SEED = 0
_DIGIT_SIDE = 8
_DIGIT_MAX = 16.0
# Separates this generator's random streams from other users of the seed.
_STREAM = 0x646574  # "det"
_LICENSE = {"id": 1, "name": "CC BY 4.0",
            "url": "https://creativecommons.org/licenses/by/4.0/"}


@dataclasses.dataclass(frozen=True, eq=False)
class DetectionSet:
  """Canvases of one split with their digits; the arrays are read-only.

  Canvas i holds `num_objects[i]` digits, in the first rows of the
  per-digit arrays; the other rows are padding.

  Attributes:
    images: uint8 [N, S, S, 1], pixels 0..255 on a zero background.
    boxes: float32 [N, D, 4], (ymin, xmin, ymax, xmax) tight half-open
      pixel boxes (module docstring); zeros in padding rows.
    labels: int32 [N, D], the class (0..9) of each digit; -1 in padding.
    num_objects: int32 [N], digits on each canvas (1..D).
    source_indices: int32 [N, D], each digit's index in scikit-learn's
      `load_digits()`; -1 in padding.
    sizes: int32 [N, D], the side each 8x8 digit was resized to before it
      was cropped to its ink; 0 in padding.
    image_ids: int64 [N], COCO image ids.
    split: "train", "val" or "test".
    parameters: the generator's parameters (canvas_size, min_size,
      max_size, max_digits, max_iou, max_cover, seed).
  """
  images: np.ndarray
  boxes: np.ndarray
  labels: np.ndarray
  num_objects: np.ndarray
  source_indices: np.ndarray
  sizes: np.ndarray
  image_ids: np.ndarray
  split: str
  parameters: Dict[str, Any]

  def __len__(self) -> int:
    return len(self.images)

  @property
  def canvas_size(self) -> int:
    return int(self.images.shape[1])


class SplitCounts(NamedTuple):
  """What `write_coco` wrote for one split."""
  images: int
  objects: int


def _check_split(split: str) -> None:
  if split not in DETECTION_SPLITS:
    raise ValueError(f"unknown split {split!r} of {DATASET_NAME}; known "
                     f"splits: {', '.join(DETECTION_SPLITS)}")


@functools.lru_cache(maxsize=1)
def _all_source_indices() -> Dict[str, np.ndarray]:
  # pylint: disable-next=protected-access
  train, test = digits._split_indices()
  from sklearn import datasets  # pylint: disable=g-import-not-at-top
  labels = datasets.load_digits().target
  rng = np.random.default_rng(_VAL_SPLIT_SEED)
  val = []
  for digit in range(NUM_CLASSES):
    members = rng.permutation(train[labels[train] == digit])
    val.append(members[:int(round(len(members) * VAL_FRACTION))])
  val = np.sort(np.concatenate(val))
  indices = {"train": np.setdiff1d(train, val), "val": val, "test": test}
  for array in indices.values():
    array.setflags(write=False)
  return indices


def source_indices(split: str) -> np.ndarray:
  """The digits a split's canvases draw from.

  Args:
    split: "train", "val" or "test".

  Returns:
    Sorted int64 indices in scikit-learn's `load_digits()` (read-only);
    the three splits are disjoint and cover all 1797 digits.
  """
  _check_split(split)
  return _all_source_indices()[split]


def num_images(split: str) -> int:
  """Images of a split of the dataset (NUM_IMAGES)."""
  _check_split(split)
  return NUM_IMAGES[split]


def image_id(split: str, index: int) -> int:
  """The COCO image id (and PNG file stem) of image `index` of a split."""
  _check_split(split)
  return IMAGE_ID_STRIDE * (DETECTION_SPLITS.index(split) + 1) + index + 1


def _check_parameters(canvas_size, min_size, max_size, max_digits, max_iou,
                      max_cover, seed) -> None:
  if min_size < _DIGIT_SIDE or min_size > max_size:
    raise ValueError(f"digit sizes must satisfy {_DIGIT_SIDE} <= min_size "
                     f"<= max_size; got min_size={min_size}, "
                     f"max_size={max_size}")
  if max_size > canvas_size:
    raise ValueError(f"canvas_size={canvas_size} is too small for digits "
                     f"of up to max_size={max_size} pixels: a digit must "
                     f"fit inside the canvas; raise canvas_size to at "
                     f"least {max_size} or lower max_size")
  if max_digits < 1:
    raise ValueError(f"max_digits must be >= 1, got {max_digits}")
  for name, value in (("max_iou", max_iou), ("max_cover", max_cover)):
    if not 0.0 <= value <= 1.0:
      raise ValueError(f"{name} must be in [0, 1], got {value}")
  if seed < 0:
    raise ValueError(f"seed must be >= 0, got {seed}")


def _check_count(count: Optional[int]) -> None:
  if count is not None and not 1 <= count <= MAX_IMAGES:
    raise ValueError(f"count must be in [1, {MAX_IMAGES}] (or None for the "
                     f"split's NUM_IMAGES), got {count}")


def _digit_patch(digit: np.ndarray, size: int) -> np.ndarray:
  """The 8x8 digit resized to size x size on 0..255, cropped to its ink."""
  resized = digits_canvas.resize_bilinear(digit, size) * (255.0 / _DIGIT_MAX)
  patch = np.clip(np.round(resized), 0, 255).astype(np.uint8)
  rows = np.flatnonzero(patch.any(axis=1))
  columns = np.flatnonzero(patch.any(axis=0))
  return patch[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1]


def _compatible(box, boxes, max_iou: float, max_cover: float) -> bool:
  """Whether `box` respects the overlap bounds with every one of `boxes`
  ((top, left, bottom, right) integers)."""
  top, left, bottom, right = box
  area = (bottom - top) * (right - left)
  for t, l, b, r in boxes:
    height = min(bottom, b) - max(top, t)
    width = min(right, r) - max(left, l)
    if height <= 0 or width <= 0:
      continue
    inter = height * width
    other = (b - t) * (r - l)
    if (inter > max_iou * (area + other - inter) or
        inter > max_cover * min(area, other)):
      return False
  return True


def make_detection_set(split: str, count: Optional[int] = None, *,
                       canvas_size: int = CANVAS_SIZE,
                       min_size: int = MIN_DIGIT_SIZE,
                       max_size: int = MAX_DIGIT_SIZE,
                       max_digits: int = MAX_DIGITS,
                       max_iou: float = MAX_IOU,
                       max_cover: float = MAX_COVER,
                       seed: int = SEED) -> DetectionSet:
  """The canvases of one split, in memory (see the module docstring).

  Results are cached: the returned arrays are read-only.

  Args:
    split: "train", "val" or "test".
    count: number of canvases; None for NUM_IMAGES[split]. Canvas i does
      not depend on count.
    canvas_size: side S of the square canvases.
    min_size: smallest side of a resized digit (>= 8).
    max_size: largest side of a resized digit (<= canvas_size).
    max_digits: most digits D on a canvas (each canvas has 1..D).
    max_iou: largest IoU between two boxes of a canvas.
    max_cover: largest fraction of a box's area inside another box.
    seed: seed of the canvases (>= 0); the split of the digits into
      train / val / test does not depend on it.

  Returns:
    A DetectionSet of `count` canvases.

  Raises:
    ValueError: for a bad argument, or digits that cannot be placed within
      the overlap bounds.
  """
  _check_split(split)
  _check_count(count)
  _check_parameters(canvas_size, min_size, max_size, max_digits, max_iou,
                    max_cover, seed)
  return _make_detection_set(
      split, NUM_IMAGES[split] if count is None else count, canvas_size,
      min_size, max_size, max_digits, float(max_iou), float(max_cover),
      seed)


@functools.lru_cache(maxsize=4)
def _make_detection_set(split, count, canvas_size, min_size, max_size,
                        max_digits, max_iou, max_cover,
                        seed) -> DetectionSet:
  """`make_detection_set` after its checks."""
  from sklearn import datasets  # pylint: disable=g-import-not-at-top
  everything = datasets.load_digits()
  sources = source_indices(split)
  num_sources = len(sources)
  shape = (count, max_digits)
  images = np.zeros((count, canvas_size, canvas_size, 1), np.uint8)
  boxes = np.zeros(shape + (4,), np.float32)
  chosen = np.full(shape, -1, np.int64)
  sizes = np.zeros(shape, np.int32)
  num_objects = np.zeros(count, np.int32)
  split_code = DETECTION_SPLITS.index(split)
  for i in range(count):
    rng = np.random.default_rng([_STREAM, seed, split_code, i])
    number = int(rng.integers(1, max_digits + 1))
    picks = sources[np.concatenate([
        [i % num_sources], rng.integers(0, num_sources, number - 1)])]
    for _ in range(CANVAS_TRIES):
      sides = rng.integers(min_size, max_size + 1, number)
      patches = [_digit_patch(everything.images[p], int(s))
                 for p, s in zip(picks, sides)]
      placed = digits_canvas.place_patches(
          patches, canvas_size, rng,
          lambda box, boxes: _compatible(box, boxes, max_iou, max_cover))
      if placed is not None:
        break
    else:
      raise ValueError(
          f"cannot place {number} digits of sides {min_size}..{max_size} "
          f"with max_iou={max_iou} and max_cover={max_cover} on a "
          f"{canvas_size}x{canvas_size} canvas (canvas {i} of split "
          f"{split!r}, {CANVAS_TRIES} tries of {POSITION_TRIES} positions "
          f"per digit); use a larger canvas_size, smaller digits, fewer "
          f"max_digits or looser overlap bounds")
    canvas = images[i, :, :, 0]
    for j, (patch, box) in enumerate(zip(patches, placed)):
      top, left, bottom, right = box
      np.maximum(canvas[top:bottom, left:right], patch,
                 out=canvas[top:bottom, left:right])
      boxes[i, j] = box
    chosen[i, :number] = picks
    sizes[i, :number] = sides
    num_objects[i] = number
  labels = np.where(chosen >= 0, everything.target[np.maximum(chosen, 0)],
                    -1).astype(np.int32)
  detection_set = DetectionSet(
      images=images, boxes=boxes, labels=labels, num_objects=num_objects,
      source_indices=chosen.astype(np.int32), sizes=sizes,
      image_ids=np.asarray([image_id(split, i) for i in range(count)],
                           np.int64),
      split=split,
      parameters={"canvas_size": canvas_size, "min_size": min_size,
                  "max_size": max_size, "max_digits": max_digits,
                  "max_iou": max_iou, "max_cover": max_cover, "seed": seed})
  for array in (images, boxes, labels, num_objects, detection_set.
                source_indices, sizes, detection_set.image_ids):
    array.setflags(write=False)
  return detection_set


def categories() -> List[Dict[str, Any]]:
  """COCO categories: id c + 1, name "c", for the digits c = 0..9."""
  return [{"id": c + 1, "name": str(c), "supercategory": "digit"}
          for c in range(NUM_CLASSES)]


def coco_dict(detection_set: DetectionSet) -> Dict[str, Any]:
  """The COCO object-detection dict of a split (what `write_coco` writes
  as annotations/<split>.json).

  Args:
    detection_set: from `make_detection_set`.

  Returns:
    {"info", "licenses", "categories", "images", "annotations"}; images
    have id, file_name ("<id>.png"), width, height and license;
    annotations have id (1, 2, ... in image order), image_id, category_id
    (class + 1), bbox [x, y, width, height] and area (width * height) in
    integer pixels, iscrowd 0, digit_index and digit_size.
  """
  side = detection_set.canvas_size
  images, annotations = [], []
  for i, number in enumerate(detection_set.num_objects):
    identifier = int(detection_set.image_ids[i])
    images.append({"id": identifier, "file_name": f"{identifier}.png",
                   "width": side, "height": side, "license": 1})
    for j in range(number):
      top, left, bottom, right = (int(v) for v in detection_set.boxes[i, j])
      width, height = right - left, bottom - top
      annotations.append({
          "id": len(annotations) + 1, "image_id": identifier,
          "category_id": int(detection_set.labels[i, j]) + 1,
          "bbox": [left, top, width, height], "area": width * height,
          "iscrowd": 0,
          "digit_index": int(detection_set.source_indices[i, j]),
          "digit_size": int(detection_set.sizes[i, j])})
  info = {
      "description": (f"{DATASET_NAME}: scikit-learn's 8x8 handwritten "
                      f"digits (UCI Optical Recognition of Handwritten "
                      f"Digits) on {side}x{side} canvases, generated by "
                      f"sparsezoo_tf.data.digits_detection"),
      "split": detection_set.split,
      "version": "1.0",
      "parameters": dict(detection_set.parameters),
  }
  return {"info": info, "licenses": [dict(_LICENSE)],
          "categories": categories(), "images": images,
          "annotations": annotations}


def coco_json(detection_set: DetectionSet) -> str:
  """The text of annotations/<split>.json: `coco_dict` with sorted keys,
  compact separators and a final newline (the same bytes every time)."""
  return json.dumps(coco_dict(detection_set), sort_keys=True,
                    separators=(",", ":")) + "\n"


def encode_png(image: np.ndarray) -> bytes:
  """An 8-bit greyscale PNG of a uint8 [S, S, 1] canvas (no metadata
  chunks; the same bytes for the same pixels)."""
  return tf.io.encode_png(np.asarray(image, np.uint8),
                          compression=PNG_COMPRESSION).numpy()


def check_output_dir(output_dir: str, overwrite: bool) -> None:
  """Refuses an output folder `write_coco` would not write.

  Args:
    output_dir: the dataset folder to write.
    overwrite: whether an existing, non-empty folder may be replaced.

  Raises:
    ValueError: output_dir is a file, exists and is not empty without
      overwrite, or its parent folder does not exist.
  """
  parent = os.path.dirname(os.path.abspath(output_dir))
  if os.path.exists(output_dir) and not os.path.isdir(output_dir):
    raise ValueError(f"output_dir {output_dir} is a file; give a folder")
  if (os.path.isdir(output_dir) and os.listdir(output_dir) and
      not overwrite):
    raise ValueError(f"output_dir {output_dir} exists and is not empty; "
                     f"overwrite (--overwrite) replaces it")
  if not os.path.isdir(parent):
    raise ValueError(f"output_dir {output_dir}: the folder {parent} does "
                     f"not exist")


def _write_split(folder: str, detection_set: DetectionSet) -> None:
  for identifier, image in zip(detection_set.image_ids,
                               detection_set.images):
    with open(os.path.join(folder, "images", f"{identifier}.png"),
              "wb") as stream:
      stream.write(encode_png(image))
  path = os.path.join(folder, "annotations", f"{detection_set.split}.json")
  with open(path, "w", encoding="utf-8", newline="\n") as stream:
    stream.write(coco_json(detection_set))


def write_coco(output_dir: str,
               splits: Sequence[str] = DETECTION_SPLITS, *,
               limit: Optional[int] = None, overwrite: bool = False,
               canvas_size: int = CANVAS_SIZE,
               min_size: int = MIN_DIGIT_SIZE,
               max_size: int = MAX_DIGIT_SIZE,
               max_digits: int = MAX_DIGITS, max_iou: float = MAX_IOU,
               max_cover: float = MAX_COVER,
               seed: int = SEED) -> Dict[str, SplitCounts]:
  """Writes splits of the dataset as COCO JSON + PNG images, atomically.

  Everything is written to a temporary sibling folder, renamed to
  `output_dir` at the end: a failed call leaves nothing behind (and an
  existing folder as it was). The files are the same bytes for the same
  arguments (module docstring for the layout).

  Args:
    output_dir: the dataset folder; its parent must exist.
    splits: some of DETECTION_SPLITS.
    limit: at most this many images per split (the first ones of each
      full split); None for NUM_IMAGES.
    overwrite: replace an existing non-empty output_dir.
    canvas_size, min_size, max_size, max_digits, max_iou, max_cover, seed:
      the generator's parameters (`make_detection_set`).

  Returns:
    {split: SplitCounts(images, objects)} in the order of `splits`.

  Raises:
    ValueError: for a bad argument or output_dir (`check_output_dir`), or
      digits that cannot be placed.
  """
  splits = tuple(splits)
  if not splits:
    raise ValueError(f"no splits to write; give some of "
                     f"{', '.join(DETECTION_SPLITS)}")
  for split in splits:
    _check_split(split)
  if len(set(splits)) != len(splits):
    raise ValueError(f"splits {', '.join(splits)}: a split is repeated")
  if limit is not None and limit < 1:
    raise ValueError(f"limit must be >= 1 (or None for all the images), "
                     f"got {limit}")
  _check_parameters(canvas_size, min_size, max_size, max_digits, max_iou,
                    max_cover, seed)
  check_output_dir(output_dir, overwrite)
  parameters = dict(canvas_size=canvas_size, min_size=min_size,
                    max_size=max_size, max_digits=max_digits,
                    max_iou=max_iou, max_cover=max_cover, seed=seed)
  temporary = tempfile.mkdtemp(
      prefix=f".{os.path.basename(os.path.abspath(output_dir))}.tmp.",
      dir=os.path.dirname(os.path.abspath(output_dir)))
  try:
    os.mkdir(os.path.join(temporary, "images"))
    os.mkdir(os.path.join(temporary, "annotations"))
    counts = {}
    for split in splits:
      count = NUM_IMAGES[split] if limit is None else min(
          limit, NUM_IMAGES[split])
      detection_set = make_detection_set(split, count, **parameters)
      _write_split(temporary, detection_set)
      counts[split] = SplitCounts(len(detection_set),
                                  int(detection_set.num_objects.sum()))
    files.publish_folder(temporary, output_dir)
  except BaseException:
    shutil.rmtree(temporary, ignore_errors=True)
    raise
  return counts


def read_split(dataset_dir: str, split: str
               ) -> Tuple[Dict[str, Any], Dict[int, np.ndarray]]:
  """Reads back a split that `write_coco` wrote.

  Args:
    dataset_dir: the folder given to `write_coco`.
    split: one of the splits written there.

  Returns:
    (the COCO dict, {image id: uint8 [S, S, 1] pixels}).
  """
  _check_split(split)
  with open(os.path.join(dataset_dir, "annotations", f"{split}.json"),
            encoding="utf-8") as stream:
    coco = json.load(stream)
  pixels = {}
  for image in coco["images"]:
    with open(os.path.join(dataset_dir, "images", image["file_name"]),
              "rb") as stream:
      pixels[image["id"]] = tf.io.decode_png(stream.read(),
                                             channels=1).numpy()
  return coco, pixels
