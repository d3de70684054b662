r"""Weakly supervised localization accuracy of a zoo classifier with class
activation maps (CAM; Zhou et al., CVPR 2016), as paper 003 evaluates its
scFusion GAP models (section 4.2, Tables 6 and 10).

    # The digits canvases (sparsezoo_tf.data.digits_canvas), test split:
    python tools/eval_localization.py --model digits_cam_cnn \
        --weights /tmp/digits_cam_cnn/weights.h5 [--limit 100]
    python tools/eval_localization.py --model_dir /tmp/digits_cam_cnn
    # ILSVRC-2012 validation, with the devkit's boxes or Kaggle's CSV:
    python tools/eval_localization.py --model vgg16_scfusion4_gap \
        --weights /path/vgg16_scfusion4_gap.h5 --dataset imagenet \
        --data_dir /data/imagenet \
        --ground_truth /data/ILSVRC2012_bbox_val_v3 \
        --output /tmp/vgg16_scfusion4_gap_loc.json

The model must end in global average pooling and one Dense layer (the
zoo's GAP models; for VGG-16 its `_gap` variants); weights come from
--weights (a registered weights name or an .h5 file) or --model_dir (a
finished training run). Each image gets the model's --top_k classes, and
each class the box of its map (`sparsezoo_tf.localization`): the largest
8-connected region at or above --threshold x the map's maximum. An image
is localized at top-k when one of its first k guesses has the class of a
ground-truth box and IoU >= 0.5 with one of them; GT-known accuracy takes
the box of the map of the image's true class instead.

Data:
  * digits_canvas (the default; --split test): one digit per 64x64
    canvas, normalized as the classification pipeline does; the model
    takes 64x64x1 inputs.
  * imagenet (--split validation): the images of --data_dir (the layouts
    `sparsezoo_tf.data.imagenet` reads) through the evaluation transform
    of tools/eval_classifier.py (shorter side to size / 0.875, centre
    crop to the model's input size, normalization), and the boxes of
    --ground_truth (the devkit's XML folder or LOC_val_solution.csv)
    mapped onto that crop (`data.eval_crop_boxes`); boxes of an image
    whose XML gives another size than the file's are scaled to it first.
    Every evaluated image needs an entry in the ground truth, whose
    objects must have the class --data_dir gives the image.
--limit evaluates the first N images only.

Prints a summary and, on the last line, the result as JSON (also written
to --output, atomically): model, weights (as given), weights_file,
weights_sha256, dataset, split (data_dir and ground_truth for imagenet),
n_images, image_size, top_k, threshold, iou_threshold, top{k}_loc,
top{k}_loc_error and top{k}_cls (classification on the same images) for
k = 1 and --top_k, and gt_known_loc.
"""

import json
import os
import sys

from absl import flags

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable=g-import-not-at-top,wrong-import-position
import _cli  # before TensorFlow: quiet logs, the repository on sys.path

DATASETS = ("digits_canvas", "imagenet")
IOU_THRESHOLD = 0.5

FLAGS = flags.FLAGS
_cli.define_model_flags()
flags.DEFINE_enum("dataset", None, list(DATASETS),
                  "Localization dataset (default: the run's or the "
                  "registered weights' when it is one of these, else "
                  "digits_canvas).")
flags.DEFINE_string("data_dir", None, "ImageNet's folder (imagenet; default "
                    "the run's).")
flags.DEFINE_string("ground_truth", None,
                    "ILSVRC boxes (imagenet): the bbox XML folder, or "
                    "LOC_val_solution.csv.")
flags.DEFINE_string("split", None, "Split (default: test for "
                    "digits_canvas, validation for imagenet).")
flags.DEFINE_integer("top_k", 5, "Guesses per image.", lower_bound=1)
flags.DEFINE_float("threshold", 0.2, "Fraction of a map's maximum a pixel "
                   "needs to be in the box.", lower_bound=0.0,
                   upper_bound=1.0)
flags.DEFINE_integer("batch_size", 100, "Images per forward pass.",
                     lower_bound=1)
flags.DEFINE_integer("limit", None, "Evaluate the first N images only.",
                     lower_bound=1)
flags.DEFINE_string("output", None, "Also write the JSON result to this "
                    "file.")


def _check_cheap_flags() -> None:
  """Errors found before TensorFlow is imported (it takes seconds)."""
  _cli.check_model_dir_flag()
  if FLAGS.output:
    folder = os.path.dirname(os.path.abspath(FLAGS.output))
    if os.path.isdir(FLAGS.output):
      raise ValueError(f"--output {FLAGS.output} is a folder; give a file")
    if not os.path.isdir(folder):
      raise ValueError(f"--output {FLAGS.output}: the folder {folder} does "
                       f"not exist")


def _load_model():
  """(model, its name, weights as given, weights file, its SHA-256,
  {dataset, data_dir} defaults). The head is checked before the weights
  are loaded."""
  # pylint: disable=g-import-not-at-top
  from sparsezoo_tf import localization
  from sparsezoo_tf import models
  model, name, weights, path, sha256, dataset = _cli.load_evaluated_model(
      lambda model, _: localization.cam_head(model))
  data_dir = ""
  if FLAGS.model_dir:
    # pylint: disable=g-import-not-at-top
    from sparsezoo_tf.training import runs
    data_dir = runs.run_recipe(FLAGS.model_dir).data.data_dir
  defaults = {"dataset": dataset or models.model_info(name).dataset,
              "data_dir": data_dir}
  return model, name, weights, path, sha256, defaults


class _Results:
  """The guesses and the ground truth of the images seen so far."""

  def __init__(self, model, top_k: int, threshold: float):
    from sparsezoo_tf import localization  # pylint: disable=g-import-not-at-top
    self._model = model
    self._head = localization.cam_head(model)
    self._top_k = top_k
    self._threshold = threshold
    self.classes, self.boxes, self.true_boxes = [], [], []
    self.labels, self.gt_labels, self.gt_boxes = [], [], []

  def add(self, images, labels, gt_labels, gt_boxes) -> None:
    """Localizes a batch of preprocessed images; `labels` [B] are their
    classes, `gt_labels` / `gt_boxes` their ground truth (one entry per
    image, boxes in the images' pixels)."""
    from sparsezoo_tf import localization  # pylint: disable=g-import-not-at-top
    found = localization.class_activation_maps(
        self._model, images, top_k=self._top_k, return_features=True)
    self.classes.extend(found.classes)
    self.boxes.extend(localization.boxes_from_cams(found.maps,
                                                   self._threshold))
    true_maps = localization.maps_of_classes(
        self._head, found.feature_maps, labels, images.shape[1:3])
    self.true_boxes.extend(localization.boxes_from_cams(true_maps,
                                                        self._threshold))
    self.labels.extend(labels)
    self.gt_labels.extend(gt_labels)
    self.gt_boxes.extend(gt_boxes)

  def metrics(self):
    import numpy as np  # pylint: disable=g-import-not-at-top
    from sparsezoo_tf import localization  # pylint: disable=g-import-not-at-top
    if not self.classes:
      raise ValueError("no image to evaluate")
    top_k = sorted({1, self._top_k})
    result = localization.localization_accuracy(
        np.stack(self.classes), np.stack(self.boxes), self.gt_labels,
        self.gt_boxes, top_k=top_k, iou_threshold=IOU_THRESHOLD)
    result["gt_known_loc"] = localization.gt_known_accuracy(
        np.stack(self.true_boxes), self.gt_labels, self.gt_boxes,
        classes=np.asarray(self.labels), iou_threshold=IOU_THRESHOLD)
    result["n_images"] = len(self.classes)
    return result


def _check_input(model, name: str, shape, dataset: str) -> None:
  expected = tuple(model.inputs[0].shape[1:])
  if any(want is not None and want != got
         for want, got in zip(expected, shape)):
    raise ValueError(
        f"{dataset} images are {'x'.join(str(s) for s in shape)}; {name} "
        f"takes inputs of shape {expected}")


def _digits_canvas(model, name, split, results) -> None:
  # pylint: disable=g-import-not-at-top
  from sparsezoo_tf import data
  from sparsezoo_tf import models
  from sparsezoo_tf.data import digits_canvas
  size = digits_canvas.CANVAS_SIZE
  _check_input(model, name, (size, size, 1), "digits_canvas")
  count = digits_canvas.num_canvases(split)
  if FLAGS.limit:
    count = min(count, FLAGS.limit)
  canvases = data.make_canvases(split, count=count)
  images = models.preprocess_input(canvases.images, mode="digits_canvas")
  for start in range(0, count, FLAGS.batch_size):
    stop = min(start + FLAGS.batch_size, count)
    results.add(images[start:stop], canvases.labels[start:stop, 0],
                list(canvases.labels[start:stop]),
                list(canvases.boxes[start:stop]))


def _class_order(data_dir: str):
  """The wnids of the class indices of --data_dir: its class folders or
  devkit, else, for TFRecord shards (labels 1..1000 in sorted-wnid order),
  the ground truth's synsets when they are the 1000 classes."""
  # pylint: disable=g-import-not-at-top
  from sparsezoo_tf import data
  from sparsezoo_tf.data import imagenet
  from sparsezoo_tf.data import imagenet_tfrecord
  try:
    return imagenet.classes(data_dir)
  except (ValueError, OSError) as error:
    problem = _cli.error_message(error)
  if imagenet.layout(data_dir) == "tfrecord":
    truth = data.read_ground_truth(FLAGS.ground_truth)
    wnids = sorted({w for image in truth.values() for w in image.synsets})
    if len(wnids) == imagenet_tfrecord.NUM_CLASSES:
      return wnids
    problem = (f"its TFRecords number 1..{imagenet_tfrecord.NUM_CLASSES} "
               f"the sorted wnids, and --ground_truth has {len(wnids)}")
  raise ValueError(
      f"cannot tell the wnids of the classes of {data_dir}, which give the "
      f"ground truth's class indices: {problem}")


def _image_id(name: bytes, records: bool) -> str:
  """The ground truth's key of an example: its file name without the
  extension."""
  text = name.decode("utf-8", errors="replace")
  if records:
    text = text.rpartition(":")[2]
  return os.path.splitext(os.path.basename(text))[0]


def _imagenet(model, name, split, data_dir, results) -> None:
  # pylint: disable=g-import-not-at-top
  import numpy as np
  import tensorflow as tf
  from sparsezoo_tf import data
  from sparsezoo_tf.data import augment
  from sparsezoo_tf.data import imagenet
  from sparsezoo_tf.data import sources
  shape = tuple(model.inputs[0].shape[1:])
  if shape[-1] != 3 or shape[0] != shape[1]:
    raise ValueError(f"imagenet images are RGB and cropped square; {name} "
                     f"takes inputs of shape {shape}")
  size = shape[0] or data.dataset_info("imagenet").image_size
  if not FLAGS.ground_truth:
    raise ValueError("--dataset imagenet needs --ground_truth: the folder "
                     "of ILSVRC2012_bbox_val_v3's XML files, or Kaggle's "
                     "LOC_val_solution.csv")
  wnids = _class_order(data_dir)
  outputs = model.outputs[0].shape[-1]
  if len(wnids) > outputs:
    raise ValueError(f"{data_dir} has {len(wnids)} classes; {name} outputs "
                     f"{outputs}")
  truth = data.read_ground_truth(FLAGS.ground_truth, wnids)
  source = imagenet.imagenet_source(split, data_dir)
  records = not isinstance(source, sources.FileSource)
  where = f"--ground_truth {FLAGS.ground_truth}"
  if not records:
    paths = source.paths[:FLAGS.limit]
    missing = [p for p in paths
               if _image_id(p.encode(), False) not in truth]
    if missing:
      raise ValueError(
          f"{where} has no boxes for {len(missing)} of the {len(paths)} "
          f"images to evaluate, e.g. {missing[0]} (image id "
          f"{_image_id(missing[0].encode(), False)}); give the ground truth "
          f"of {data_dir}'s {split} split")
  examples = source.examples(shuffle=False, seed=None)
  if FLAGS.limit:
    examples = examples.take(FLAGS.limit)

  def prepare(payload, label, example_name):
    image = source.load(payload)
    pixels = augment.normalize(
        augment.imagenet_eval(augment.to_float(image), size), "imagenet")
    pixels.set_shape([size, size, 3])
    return pixels, label, example_name, tf.shape(image)[:2]

  batches = examples.map(prepare, num_parallel_calls=tf.data.AUTOTUNE,
                         deterministic=True).batch(FLAGS.batch_size)
  iterator = iter(batches.prefetch(tf.data.AUTOTUNE))
  while True:
    try:
      images, labels, names, sides = next(iterator)
    except StopIteration:
      break
    except tf.errors.InvalidArgumentError as error:
      raise ValueError(f"reading ImageNet {split} in {data_dir}: "
                       f"{_cli.error_message(error)}") from None
    labels = labels.numpy()
    gt_labels, gt_boxes = [], []
    for label, example_name, (height, width) in zip(
        labels, names.numpy(), sides.numpy()):
      image_id = _image_id(example_name, records)
      boxes = truth.get(image_id)
      if boxes is None:
        raise ValueError(f"{where} has no boxes for image {image_id} of "
                         f"{data_dir}; give the ground truth of its {split} "
                         f"split")
      if label not in boxes.labels:
        raise ValueError(
            f"{where}: image {image_id} has objects of "
            f"{sorted(set(boxes.synsets))}, but {data_dir} gives it class "
            f"{wnids[label]}; is it the ground truth of another split?")
      original = boxes.boxes
      if boxes.height and boxes.width and (boxes.height, boxes.width) != (
          height, width):
        original = original * np.array(
            [height / boxes.height, width / boxes.width] * 2, np.float32)
      gt_labels.append(boxes.labels)
      gt_boxes.append(data.eval_crop_boxes(original, int(height), int(width),
                                           size))
    results.add(images, labels, gt_labels, gt_boxes)


def main(argv):
  del argv
  _check_cheap_flags()
  _cli.initialize_tensorflow()
  from sparsezoo_tf import data  # pylint: disable=g-import-not-at-top
  model, name, weights, path, sha256, defaults = _load_model()
  dataset = FLAGS.dataset or (defaults["dataset"]
                              if defaults["dataset"] in DATASETS
                              else DATASETS[0])
  info = data.dataset_info(dataset)
  split = FLAGS.split or ("validation" if dataset == "imagenet" else "test")
  if split not in info.splits:
    raise ValueError(f"unknown split {split!r} of {dataset}; known splits: "
                     f"{', '.join(info.splits)}")
  results = _Results(model, FLAGS.top_k, FLAGS.threshold)
  result = {"model": name, "weights": weights, "weights_file": path,
            "weights_sha256": sha256, "dataset": dataset, "split": split,
            "top_k": FLAGS.top_k, "threshold": FLAGS.threshold,
            "iou_threshold": IOU_THRESHOLD}
  if dataset == "imagenet":
    data_dir = FLAGS.data_dir or defaults["data_dir"]
    if not data_dir:
      raise ValueError("--dataset imagenet needs --data_dir: the ILSVRC-2012 "
                       "folder (train/ and val/, or TFRecord shards)")
    _imagenet(model, name, split, data_dir, results)
    result.update(data_dir=data_dir, ground_truth=FLAGS.ground_truth)
  else:
    for flag in ("data_dir", "ground_truth"):
      _cli.warn_ignored_flag(flag, f"{dataset} needs no files")
    _digits_canvas(model, name, split, results)
  result.update(results.metrics())
  result["image_size"] = int(model.inputs[0].shape[1] or
                             info.image_size)
  tops = sorted({1, FLAGS.top_k})
  summary = ", ".join(
      f"top-{k} loc {result[f'top{k}_loc']:.4f} (error "
      f"{result[f'top{k}_loc_error']:.4f}), top-{k} cls "
      f"{result[f'top{k}_cls']:.4f}" for k in tops)
  print(f"{name} on {dataset} {split}: {summary}, GT-known loc "
        f"{result['gt_known_loc']:.4f} ({result['n_images']} images, "
        f"threshold {FLAGS.threshold:g})")
  if FLAGS.output:
    # pylint: disable-next=g-import-not-at-top
    from sparsezoo_tf.training import runs
    runs.write_json(FLAGS.output, result)
  print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
  _cli.run(main)
