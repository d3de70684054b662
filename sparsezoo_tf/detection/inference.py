"""Runs the zoo's Faster R-CNN detectors on images: a trained run's
detector (or a registered detector with its weights), Model Garden's
inference preprocessing, and detections in the original images' pixels.

    from sparsezoo_tf.detection import inference

    model = inference.load_detector(model_dir="runs/digits_sc")
    # or: inference.load_detector(detector="fasterrcnn_digits_resnet18_sc",
    #                             weights="runs/digits_sc/detector.h5")
    found = inference.detect(model, [image])  # uint8 HxWx3 (or HxWx1)
    found[0]["boxes"], found[0]["scores"], found[0]["classes"]
    results = inference.detect_coco(model, "annotations/test.json",
                                    "images")  # COCO results, every image
    # or the same images read from Model Garden's TFRecords of the file:
    results = inference.detect_records(model, "records/test-*.tfrecord",
                                       "annotations/test.json")

Preprocessing is Model Garden's own, as its Mask R-CNN parser evaluates
and its `DetectionModule` serves (`official/vision/dataloaders/
maskrcnn_input.py`, `official/vision/serving/detection.py`): the uint8
image normalized with ImageNet's mean and standard deviation
(`preprocess_ops.normalize_image`), scaled with its aspect ratio kept to
fit the detector's input size and padded at the bottom and right to a
multiple of the largest stride (`resize_and_crop_image`), anchors from
`anchor.build_anchor_generator` at the padded size, and the model called
with `image_info[1]` as the image shape (the input size, padding included:
its detection generator clips boxes to it). Greyscale images are
replicated to three channels (as Model Garden's TFRecord decoder does).

Boxes come back as (ymin, xmin, ymax, xmax) in the original image's
continuous pixel coordinates: the model's boxes divided by the scale of
each axis (`image_info[2]`: scaled size / original size; Model Garden's COCO
evaluator does the same), then clipped to the image (a box may reach into
the padding). Classes are the model's
class indices (1..num_classes - 1; 0, the background, is never reported),
which are the COCO category ids in Model Garden's convention (digits: class
c + 1 is the digit c).

A run folder is what `tools/train_detector.py` writes: params.yaml (Model
Garden's serialized experiment config, whose task is a
`experiments.FasterRCNNTask`), Orbit checkpoints `ckpt-N` and, when
training has ended, detector.h5.
"""

import itertools
import os
from typing import (Any, Callable, Dict, Iterable, List, Mapping, Optional,
                    Sequence, Tuple, Union)

import numpy as np
from PIL import Image
import tensorflow as tf
import tf_keras as keras
import yaml

from official.core import config_definitions as cfg
from official.modeling.hyperparams import params_dict
from official.vision.dataloaders import tf_example_decoder
from official.vision.ops import anchor
from official.vision.ops import preprocess_ops

from sparsezoo_tf.detection import detectors
from sparsezoo_tf.detection import experiments
from sparsezoo_tf.detection import metrics

RUN_CONFIG = "params.yaml"  # Model Garden's train_utils.serialize_config
RUN_WEIGHTS = "detector.h5"  # tools/train_detector.py's final weights
# More batches than this are run compiled (tf.function): tracing Model
# Garden's detector costs about as much as this many eager batches on a CPU.
COMPILE_MIN_BATCHES = 16

Detection = Dict[str, np.ndarray]


def _run_config(model_dir: str) -> cfg.ExperimentConfig:
  """The experiment config of a run folder, its task a `FasterRCNNTask`."""
  if not os.path.exists(model_dir):
    raise FileNotFoundError(2, "No such folder", model_dir)
  if not os.path.isdir(model_dir):
    raise ValueError(f"{model_dir} is a file; give the folder of a "
                     f"tools/train_detector.py run")
  path = os.path.join(model_dir, RUN_CONFIG)
  if not os.path.isfile(path):
    raise ValueError(f"{model_dir} is not a tools/train_detector.py run: it "
                     f"has no {RUN_CONFIG} (the run writes it when training "
                     f"starts)")
  try:
    values = params_dict.read_yaml_to_params_dict(path).as_dict()
  except yaml.YAMLError as error:
    raise ValueError(f"{path} is not valid YAML ({error})") from None
  if not isinstance(values.get("task"), dict) or not isinstance(
      values["task"].get("model"), dict):
    raise ValueError(f"{path} has no task.model: it is not the config of a "
                     f"detector's run")
  params = cfg.ExperimentConfig(task=experiments.FasterRCNNTask())
  try:
    params.override(values, is_strict=True)
  except (KeyError, ValueError, TypeError, AttributeError) as error:
    raise ValueError(f"{path} is not the config of a Faster R-CNN run of the "
                     f"zoo (tools/train_detector.py): {error}") from None
  return params


def anchor_boxes(config: detectors.FasterRCNN, padded_size: Sequence[int],
                 batch_size: int) -> Dict[str, tf.Tensor]:
  """Model Garden's anchors of every level ({level: [batch, height, width,
  anchors x 4]}) for a batch of images of `padded_size` (the detector's
  `anchor_boxes` argument)."""
  boxes = anchor.build_anchor_generator(
      min_level=config.min_level, max_level=config.max_level,
      num_scales=config.anchor.num_scales,
      aspect_ratios=config.anchor.aspect_ratios,
      anchor_size=config.anchor.anchor_size)(image_size=list(padded_size))
  return {level: tf.tile(level_boxes[None], [batch_size, 1, 1, 1])
          for level, level_boxes in boxes.items()}


def _padded_size(config: detectors.FasterRCNN) -> List[int]:
  """The input size padded to a multiple of the largest stride (Model
  Garden's parser)."""
  return preprocess_ops.compute_padded_size(
      [int(s) for s in config.input_size[:2]], 2**config.max_level)


def _restore_checkpoint(model: keras.Model, checkpoint: str,
                        config_path: str) -> None:
  """Restores the model of an Orbit checkpoint (Model Garden's trainer
  saves `tf.train.Checkpoint(model=..., optimizer=..., ...)`)."""
  status = tf.train.Checkpoint(model=model).restore(checkpoint)
  try:
    status.expect_partial().assert_existing_objects_matched()
  except AssertionError as error:
    raise ValueError(f"checkpoint {checkpoint} does not fit the detector of "
                     f"{config_path} ({str(error)[:300]})") from None


def load_detector(model_dir: Optional[str] = None,
                  detector: Optional[str] = None,
                  weights: Optional[str] = None) -> keras.Model:
  """A detector with its trained weights loaded.

  Args:
    model_dir: a `tools/train_detector.py` run folder: the detector its
      params.yaml describes, with detector.h5, or, while the run has not
      finished, its latest checkpoint.
    detector: a registered detector (`detectors.list_detectors()`); with
      `model_dir`, it must be the run's.
    weights: with `detector` (not `model_dir`): a registered weights name
      of the detector or an HDF5 file `detectors.save_detector_weights`
      wrote.

  Returns:
    The `MaskRCNNModel`, with `detector_config` (its `FasterRCNN` config),
    `detector_spec` (its `DetectorSpec`, None for a run of a hand-made
    config) and `weights_source` (the file or checkpoint loaded) attached.

  Raises:
    ValueError: neither or both of `model_dir` and `weights`, `detector`
      without weights, a folder that is not a run, another detector than
      the run's, weights that do not fit.
    FileNotFoundError: a missing folder, or a run with neither weights nor
      a checkpoint.
  """
  if model_dir and weights:
    raise ValueError("give model_dir (a run's weights) or weights (with "
                     "detector), not both")
  if not model_dir:
    if not detector or not weights:
      raise ValueError("give model_dir (a tools/train_detector.py run), or "
                       "detector and weights")
    model = detectors.create_detector(detector)
    model.weights_source = detectors.load_detector_weights(model, detector,
                                                           weights)
    return model
  params = _run_config(model_dir)
  params_path = os.path.join(model_dir, RUN_CONFIG)
  name = params.task.detector
  if detector and name and detector != name:
    raise ValueError(f"detector {detector} but {model_dir} trained {name}")
  spec = None
  if name:
    spec = detectors.detector_spec(name)
  elif detector:
    spec = detectors.detector_spec(detector)
  path = os.path.join(model_dir, RUN_WEIGHTS)
  checkpoint = None
  if not os.path.isfile(path):
    checkpoint = tf.train.latest_checkpoint(model_dir)
    if checkpoint is None:
      raise FileNotFoundError(
          f"{model_dir} has neither {RUN_WEIGHTS} (written when training "
          f"ends) nor a checkpoint (ckpt-N, written every "
          f"trainer.checkpoint_interval steps): nothing to load yet")
  model = detectors.build_detector(params.task.model)
  model.detector_spec = spec
  if checkpoint is None:
    model.weights_source = detectors.load_detector_weights(
        model, name or "detector", path)
  else:
    _restore_checkpoint(model, checkpoint, params_path)
    model.weights_source = checkpoint
  return model


def read_image(path: str) -> np.ndarray:
  """An image file as a uint8 [height, width, 3] array (PIL; greyscale and
  palette images converted to RGB, alpha dropped; EXIF orientation not
  applied, as TensorFlow's decoders and COCO's boxes do not).

  Raises:
    FileNotFoundError: no such file.
    ValueError: a file PIL cannot read as an image.
  """
  if not os.path.isfile(path):
    raise FileNotFoundError(2, "No such file", path)
  try:
    with Image.open(path) as image:
      return np.asarray(image.convert("RGB"), np.uint8)
  except (OSError, SyntaxError, ValueError) as error:
    raise ValueError(f"{path} is not an image PIL can read "
                     f"({error})") from None


def _check_image(image, index: int) -> np.ndarray:
  image = np.asarray(image)
  if image.dtype != np.uint8:
    raise ValueError(f"images[{index}] has dtype {image.dtype}; give uint8 "
                     f"pixels (0..255)")
  if image.ndim == 2:
    image = image[..., None]
  if image.ndim != 3 or image.shape[-1] not in (1, 3) or min(
      image.shape[:2]) < 1:
    raise ValueError(f"images[{index}] has shape {image.shape}; give "
                     f"[height, width, 3] (RGB) or [height, width(, 1)] "
                     f"(greyscale)")
  return image


class _Runner:
  """Model Garden's preprocessing and the forward pass of batches of a
  fixed size (a shorter last batch is padded), eager or compiled.

  Compiling (`tf.function`) traces Model Garden's detector once, which
  takes as long as a few dozen eager batches on a CPU; `detect`,
  `detect_coco` and `detect_records` compile when there are more batches
  than `COMPILE_MIN_BATCHES`.
  """

  def __init__(self, model: keras.Model, batch_size: int, compiled: bool):
    config = getattr(model, "detector_config", None)
    if config is None:
      raise ValueError("the model has no detector_config: build it with "
                       "detectors.create_detector / build_detector or "
                       "inference.load_detector")
    self.batch_size = batch_size
    self._size = [int(s) for s in config.input_size[:2]]
    self._padded = _padded_size(config)
    anchors = anchor_boxes(config, self._padded, batch_size)

    def forward(images, image_shape):
      outputs = model(images, image_shape, anchors, training=False)
      return {key: outputs[key] for key in (
          "detection_boxes", "detection_scores", "detection_classes",
          "num_detections")}

    self._forward = tf.function(forward) if compiled else forward

  def _preprocess(self, image: np.ndarray):
    image = tf.convert_to_tensor(image)
    if image.shape[-1] == 1:
      image = tf.image.grayscale_to_rgb(image)
    image = preprocess_ops.normalize_image(image)  # uint8 -> [0, 1] -> std
    return preprocess_ops.resize_and_crop_image(
        image, self._size, padded_size=self._padded, aug_scale_min=1.0,
        aug_scale_max=1.0)

  def run(self, images: Sequence[np.ndarray],
          score_threshold: float) -> List[Detection]:
    """Detections of at most `batch_size` checked images."""
    prepared = [self._preprocess(image) for image in images]
    prepared += [prepared[-1]] * (self.batch_size - len(prepared))
    batch = tf.stack([image for image, _ in prepared])
    info = tf.stack([image_info for _, image_info in prepared]).numpy()
    outputs = self._forward(batch, tf.constant(info[:, 1, :]))
    outputs = {key: value.numpy() for key, value in outputs.items()}
    found = []
    for i, image in enumerate(images):
      count = int(outputs["num_detections"][i])
      scale = np.tile(info[i, 2], 2)  # (y, x, y, x)
      height, width = image.shape[:2]
      boxes = outputs["detection_boxes"][i, :count] / scale
      boxes = np.clip(boxes, 0.0, [height, width, height, width])
      scores = outputs["detection_scores"][i, :count]
      keep = scores >= score_threshold
      found.append({
          "boxes": boxes[keep].astype(np.float32),
          "scores": scores[keep].astype(np.float32),
          "classes": outputs["detection_classes"][i, :count][keep].astype(
              np.int32)})
    return found


def _check_batch_size(batch_size) -> int:
  if isinstance(batch_size, bool) or not isinstance(
      batch_size, (int, np.integer)) or batch_size < 1:
    raise ValueError(f"batch_size must be a positive integer, got "
                     f"{batch_size!r}")
  return int(batch_size)


def _runner(model: keras.Model, batch_size: int, count: int) -> _Runner:
  """A runner for `count` images: batches of `batch_size` (at most
  `count`), compiled when there are many."""
  batch = min(batch_size, count)
  return _Runner(model, batch, -(-count // batch) > COMPILE_MIN_BATCHES)


def _check_threshold(score_threshold) -> float:
  if not isinstance(score_threshold, (int, float, np.floating)) or not (
      0.0 <= score_threshold <= 1.0):
    raise ValueError(f"score_threshold must be in [0, 1], got "
                     f"{score_threshold!r}")
  return float(score_threshold)


def detect(model: keras.Model, images: Sequence[np.ndarray],
           score_threshold: float = 0.0,
           batch_size: int = 8) -> List[Detection]:
  """Runs a detector on images of any sizes.

  Args:
    model: a detector of `load_detector`, `detectors.create_detector` or
      `detectors.build_detector` (it needs `detector_config`).
    images: uint8 arrays [height, width, 3] (RGB) or [height, width, 1] /
      [height, width] (greyscale, replicated to RGB).
    score_threshold: keep detections scoring at least this (the model's
      own `detection_generator.pre_nms_score_threshold` applies first).
    batch_size: images per forward pass.

  Returns:
    One dict per image: "boxes" float32 [N, 4] (ymin, xmin, ymax, xmax) in
    the image's pixels, clipped to it; "scores" float32 [N], highest
    first; "classes" int32 [N], the model's class indices (1..num_classes
    - 1). Model Garden's padding detections are removed.

  Raises:
    ValueError: an image that is not uint8 [height, width(, 1 or 3)], a
      model without `detector_config`, a bad threshold or batch size.
  """
  threshold = _check_threshold(score_threshold)
  batch_size = _check_batch_size(batch_size)
  if isinstance(images, np.ndarray) and images.ndim < 4:
    raise ValueError(f"images must be a sequence of images (or a [batch, "
                     f"height, width, channels] array), got one array of "
                     f"shape {images.shape}: for one image pass [image]")
  checked = [_check_image(image, i) for i, image in enumerate(images)]
  if not checked:
    return []
  runner = _runner(model, batch_size, len(checked))
  found = []
  for start in range(0, len(checked), runner.batch_size):
    found += runner.run(checked[start:start + runner.batch_size], threshold)
  return found


def _num_classes(model: keras.Model) -> int:
  return int(model.detector_config.num_classes)


def _annotations(annotations) -> Tuple[Dict[str, Any], str]:
  """The checked annotations and how to name them in errors."""
  where = (os.fspath(annotations) if isinstance(annotations, (str, os.PathLike))
           else "the annotations")
  return metrics.read_annotations(annotations), where


def _categories(model: keras.Model, truth: Mapping[str, Any],
                where: str) -> set:
  """The category ids of `truth`, every one a class of the detector."""
  detectable = set(range(1, _num_classes(model)))
  categories = {entry["id"] for entry in truth["categories"]}
  foreign = sorted((c for c in categories if c not in detectable), key=str)
  if foreign:
    raise ValueError(
        f"{where}: category ids {foreign[:5]} are not classes of the "
        f"detector (1..{_num_classes(model) - 1}): are the annotations of "
        f"another dataset than the detector's?")
  return categories


def _check_size(image: np.ndarray, entry: Mapping[str, Any], source: str,
                where: str) -> np.ndarray:
  """`image`, when its size is the one its image entry gives (if any)."""
  expected = (entry.get("height"), entry.get("width"))
  if None not in expected and tuple(image.shape[:2]) != expected:
    raise ValueError(
        f"{source} is {image.shape[0]}x{image.shape[1]} pixels but {where} "
        f"gives {expected[0]}x{expected[1]} (height x width) for image "
        f"{entry['id']!r}: its boxes would not fit")
  return image


def _detect_entries(model: keras.Model,
                    images: Iterable[Tuple[Mapping[str, Any], np.ndarray]],
                    count: int, categories: set, batch_size: int,
                    threshold: float,
                    progress: Optional[Callable[[int, int], None]]
                    ) -> List[Dict[str, Any]]:
  """COCO results of `count` (image entry, image) pairs, read as the
  batches need them; detections of classes that are not `categories` (when
  there are any) left out."""
  if not count:
    return []
  runner = _runner(model, batch_size, count)
  images = iter(images)
  results = []
  for start in range(0, count, runner.batch_size):
    batch = list(itertools.islice(images, runner.batch_size))
    found = runner.run([image for _, image in batch], threshold)
    for (entry, _), detections in zip(batch, found):
      keep = np.isin(detections["classes"], list(categories)) if (
          categories) else np.ones(len(detections["classes"]), bool)
      results += metrics.coco_detections(
          entry["id"], detections["boxes"][keep],
          detections["scores"][keep], detections["classes"][keep])
    if progress is not None:
      progress(start + len(batch), count)
  return results


def detect_coco(model: keras.Model,
                annotations: Union[str, os.PathLike, Mapping[str, Any]],
                image_dir: str, batch_size: int = 8,
                score_threshold: float = 0.0,
                progress: Optional[Callable[[int, int], None]] = None
                ) -> List[Dict[str, Any]]:
  """Runs a detector on every image of a COCO annotation file.

  Args:
    model: as for `detect`.
    annotations: a COCO annotation file or its dict (instances, or image
      information only, like COCO test-dev); its images' `file_name`s are
      relative to `image_dir`.
    image_dir: the images' folder.
    batch_size: images per forward pass.
    score_threshold: as for `detect`.
    progress: called with (images done, images in all) after each batch.

  Returns:
    COCO results ({"image_id", "category_id", "bbox": [x, y, width,
    height], "score"}), images in the file's order, each image's by score.
    The model's class indices are the category ids; detections of a class
    that is not among the file's categories (Model Garden's 91 COCO
    classes include 11 unused ids) are left out.

  Raises:
    ValueError: malformed annotations, a category the detector cannot
      detect (ids outside 1..num_classes - 1: another dataset), an image
      whose size is not the one the file gives, an unreadable image.
    FileNotFoundError: the folder, or an image of the file, is missing.
  """
  truth, where = _annotations(annotations)
  threshold = _check_threshold(score_threshold)
  batch_size = _check_batch_size(batch_size)
  categories = _categories(model, truth, where)
  if not os.path.isdir(image_dir):
    raise FileNotFoundError(2, "No such folder", image_dir)
  paths = []
  for index, entry in enumerate(truth["images"]):
    name = entry.get("file_name")
    if not isinstance(name, str) or not name:
      raise ValueError(f"{where}: images[{index}] has no file_name")
    path = os.path.join(image_dir, name)
    if not os.path.isfile(path):
      raise FileNotFoundError(
          f"{path}: no such file (image {entry['id']!r} of {where}; are the "
          f"images in another folder than {image_dir}?)")
    paths.append(path)
  images = ((entry, _check_size(read_image(path), entry, path, where))
            for entry, path in zip(truth["images"], paths))
  return _detect_entries(model, images, len(paths), categories, batch_size,
                         threshold, progress)


def _record_files(pattern: str) -> List[str]:
  files = sorted(tf.io.gfile.glob(pattern))
  if not files:
    raise FileNotFoundError(f"{pattern}: no TFRecord file matches")
  return files


def _record_image_ids(files: Sequence[str], pattern: str) -> List[int]:
  """The image ids of the records (int(image/source_id)), in order, read
  without decoding the images."""
  feature = {"image/source_id": tf.io.FixedLenFeature((), tf.string, b"")}
  dataset = tf.data.TFRecordDataset(files).batch(256).map(
      lambda serialized: tf.io.parse_example(serialized, feature)[
          "image/source_id"])
  try:
    source_ids = [value for batch in dataset.as_numpy_iterator()
                  for value in batch]
  except tf.errors.OpError as error:
    raise ValueError(f"{pattern}: not TFRecords of tf.train.Examples with "
                     f"an image/source_id ({error.message[:200]})") from None
  ids = []
  for index, source_id in enumerate(source_ids):
    try:
      ids.append(int(source_id.decode()))
    except (UnicodeDecodeError, ValueError):
      raise ValueError(
          f"{pattern}: record {index} has image/source_id {source_id!r}, not "
          f"an integer image id (Model Garden's converter writes the COCO "
          f"image id)") from None
  return ids


def _record_images(files: Sequence[str],
                   pattern: str) -> Iterable[np.ndarray]:
  """The records' images, decoded by Model Garden's `TfExampleDecoder`
  (uint8 [height, width, 3])."""
  decoder = tf_example_decoder.TfExampleDecoder()
  dataset = tf.data.TFRecordDataset(files).map(
      lambda serialized: decoder.decode(serialized)["image"]).prefetch(2)
  try:
    yield from dataset.as_numpy_iterator()
  except tf.errors.OpError as error:
    raise ValueError(f"{pattern}: a record's image cannot be decoded "
                     f"({error.message[:200]})") from None


def _check_record_ids(ids: Sequence[int], truth: Mapping[str, Any],
                      pattern: str, where: str) -> None:
  """The records hold every image of `truth`, once, and no other."""
  known = {entry["id"] for entry in truth["images"]}
  foreign = sorted({i for i in ids if i not in known})
  if foreign:
    raise ValueError(
        f"{pattern}: the records' image ids (source_id) {foreign[:5]} are "
        f"not images of {where}: are they the records of another annotation "
        f"file?")
  seen, repeated = set(), set()
  for image_id in ids:
    (repeated if image_id in seen else seen).add(image_id)
  if repeated:
    raise ValueError(f"{pattern}: images {sorted(repeated)[:5]} are in more "
                     f"than one record")
  missing = [entry["id"] for entry in truth["images"]
             if entry["id"] not in seen]
  if missing:
    raise ValueError(
        f"{pattern}: {len(missing)} of the {len(known)} images of {where} "
        f"have no record (ids {missing[:5]}): are they the records of a "
        f"subset? Every image is scored, so give the records of all of "
        f"them, or annotations of the recorded images only")


def detect_records(model: keras.Model, pattern: Union[str, os.PathLike],
                   annotations: Union[str, os.PathLike, Mapping[str, Any]],
                   batch_size: int = 8, score_threshold: float = 0.0,
                   progress: Optional[Callable[[int, int], None]] = None
                   ) -> List[Dict[str, Any]]:
  """Runs a detector on the images of Model Garden's TFRecords, as COCO
  results for the annotation file they were written from.

  The records are `tf.train.Example`s as Model Garden's converter writes
  them (`official.vision.data.create_coco_tf_record`,
  `records.coco_to_tfrecords`); Model Garden's `TfExampleDecoder` decodes
  their images (greyscale replicated to RGB), and the image id of each is
  int(image/source_id). A first pass reads the ids alone, so that records
  that do not match the annotations are refused before the detector runs.

  Args:
    model: as for `detect`.
    pattern: a glob of the TFRecord files (Model Garden's `input_path`;
      `tf.io.gfile.glob`).
    annotations: as for `detect_coco` (its images need no `file_name`):
      the records hold each of its images exactly once, and no other.
    batch_size: images per forward pass.
    score_threshold: as for `detect`.
    progress: called with (images done, images in all) after each batch.

  Returns:
    COCO results as `detect_coco`'s (images in the annotation file's
    order, each image's by score; detections of non-categories left out).

  Raises:
    ValueError: malformed annotations or records, a category the detector
      cannot detect, a record whose image is not one of the annotations',
      an image in several records, an image of the annotations without a
      record (it would be scored as all missed), an image whose size is not
      the one the annotations give.
    FileNotFoundError: no file matches `pattern`.
  """
  truth, where = _annotations(annotations)
  threshold = _check_threshold(score_threshold)
  batch_size = _check_batch_size(batch_size)
  categories = _categories(model, truth, where)
  pattern = os.fspath(pattern)
  files = _record_files(pattern)
  ids = _record_image_ids(files, pattern)
  _check_record_ids(ids, truth, pattern, where)
  entries = {entry["id"]: entry for entry in truth["images"]}
  images = ((entries[image_id], _check_size(
      image, entries[image_id], f"{pattern} (record {index})", where))
            for index, (image_id, image) in enumerate(
                zip(ids, _record_images(files, pattern))))
  results = _detect_entries(model, images, len(ids), categories, batch_size,
                            threshold, progress)
  order = {entry["id"]: index for index, entry in enumerate(truth["images"])}
  return sorted(results, key=lambda result: order[result["image_id"]])
