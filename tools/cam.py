r"""Pictures of class activation maps (CAM; Zhou et al., CVPR 2016): each
image blended with the map of each of its top-k classes as a heat map,
with the box CAM localization finds (paper 003, section 4.2, Fig. 8).

    # Digits canvases of the test split (the default: 0,1,2,3):
    python tools/cam.py --model digits_cam_cnn \
        --weights /tmp/digits_cam_cnn/weights.h5 --output_dir /tmp/cams \
        [--canvas_indices 0,5,9] [--top_k 3]
    # Image files (or a folder of them), and the maps of each part of the
    # last scFusion module:
    python tools/cam.py --model_dir /tmp/digits_cam_cnn_scfusion2 \
        --images digit.png,more_digits/ --components --output_dir /tmp/cams

The model must end in global average pooling and one Dense layer (the
zoo's GAP models); weights come from --weights (a registered weights name
or an .h5 file) or --model_dir (a finished training run).

Inputs. --canvas_indices picks canvases of the digits_canvas test split
(64x64, one digit each; for models taking 64x64x1 inputs), drawn with
their ground-truth box. --images takes PNG / JPEG files (a folder: its
image files) and prepares them as the model's evaluation does: decoded to
0..1 (without alpha); colour converted to grayscale (0.2989 R + 0.587 G +
0.114 B) for 1-channel models, grayscale repeated for 3-channel ones; for
ImageNet models (preprocessing "imagenet") the evaluation crop (shorter
side to size / 0.875, centre size x size crop), otherwise a bilinear
(antialiased) resize to the model's input size; normalized
with the mean and std of the weights' dataset (the run's, or the
registered weights'), else of the model's preprocessing mode
(`models.model_info(...).preprocessing`). The digits models saw light
digits on a black background.

Pictures (PNG, the model's input upscaled --scale times, default the
integer that brings its larger side closest to, at most, 256 pixels: 4
for 64x64): the input (grayscale or RGB) blended half and half with the
map, its positive part divided by its maximum, in a jet colour map (dark
blue 0 .. dark red 1); the predicted box drawn 2 pixels wide (1 at
--scale 1), inside its pixels, in white, and a canvas's ground-truth box in
magenta under it. The box of a map is the largest 8-connected region at or
above --threshold x its maximum.

--output_dir receives, for each image <name> (a file's name without its
extension, or canvas_<index>):
  <name>_top<rank>_<class>.png  the map of the rank-th guess;
  <name>_component_<part>.png   with --components (scFusion models only):
      the map of the top-1 class when only that part of the model's last
      SCFusion layer (w_even, w_odd, fusion_add, fusion_inverse) reaches
      its fusion (`localization.scfusion_component_maps`);
  index.json                    the files, classes, scores and boxes
      ((ymin, xmin, ymax, xmax) in pixel edges of the model's input).
Everything is written to a temporary sibling folder, renamed at the end: a
failed run leaves nothing. An existing non-empty --output_dir is refused
unless --overwrite, which replaces it.
"""

import json
import os
import shutil
import sys
import tempfile

from absl import flags

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable=g-import-not-at-top,wrong-import-position
import _cli  # before TensorFlow: quiet logs, the repository on sys.path

DEFAULT_CANVASES = ("0", "1", "2", "3")
CANVAS_SPLIT = "test"
PICTURE_SIDE = 256

FLAGS = flags.FLAGS
_cli.define_model_flags()
flags.DEFINE_list("images", None, "Image files (PNG, JPEG) or folders of "
                  "them.")
flags.DEFINE_list("canvas_indices", None,
                  "Indices of digits_canvas test canvases (default "
                  f"{','.join(DEFAULT_CANVASES)} without --images).")
flags.DEFINE_integer("top_k", 1, "Classes per image, one picture each.",
                     lower_bound=1)
flags.DEFINE_float("threshold", 0.2, "Fraction of a map's maximum a pixel "
                   "needs to be in the box.", lower_bound=0.0,
                   upper_bound=1.0)
flags.DEFINE_integer("scale", None, "Integer upscaling of the pictures "
                     f"(default: up to {PICTURE_SIDE} pixels, 4 for 64x64).",
                     lower_bound=1, upper_bound=64)
flags.DEFINE_bool("components", False, "Also the map of each part of the "
                  "last SCFusion layer (scFusion models).")
flags.DEFINE_integer("batch_size", 32, "Images per forward pass.",
                     lower_bound=1)
flags.DEFINE_string("output_dir", None, "Folder of the pictures (created).",
                    required=True)
flags.DEFINE_bool("overwrite", False,
                  "Replace an existing non-empty --output_dir.")
flags.register_multi_flags_validator(
    ["images", "canvas_indices"],
    lambda values: not (values["images"] and values["canvas_indices"]),
    "give --images or --canvas_indices, not both")


def _canvas_indices():
  """The canvases to draw (--canvas_indices, or the default without
  --images), as ints; None with --images."""
  if FLAGS.images:
    return None
  indices = []
  for text in FLAGS.canvas_indices or DEFAULT_CANVASES:
    if not text.strip().isdigit():
      raise ValueError(f"--canvas_indices takes non-negative integers, got "
                       f"{text!r}")
    indices.append(int(text))
  return indices


def _check_cheap_flags() -> None:
  """Errors found before TensorFlow is imported (it takes seconds)."""
  _cli.check_model_dir_flag()
  _canvas_indices()
  for path in FLAGS.images or ():
    if not os.path.exists(path):
      raise ValueError(f"--images: no file or folder {path}")
  _cli.check_output_folder("output_dir", FLAGS.output_dir, FLAGS.overwrite)


def _check_model(model, name) -> None:
  """The head, and with --components the SCFusion layer, before the
  weights are read."""
  # pylint: disable=g-import-not-at-top
  from sparsezoo_tf import layers
  from sparsezoo_tf import localization
  from sparsezoo_tf import models
  localization.cam_head(model)
  if FLAGS.components and not any(isinstance(layer, layers.SCFusion)
                                  for layer in model.layers):
    scfusion_models = ", ".join(models.list_models("*scfusion*_gap") +
                                models.list_models("digits_cam_cnn_scf*"))
    raise ValueError(f"--components: {name} has no SCFusion layer; the "
                     f"component maps need an scFusion model (e.g. "
                     f"{scfusion_models})")


def _load_model():
  """(model, its name, weights as given, their SHA-256, the preprocessing
  mode)."""
  # pylint: disable=g-import-not-at-top
  from sparsezoo_tf import models
  model, name, weights, _, sha256, dataset = _cli.load_evaluated_model(
      _check_model)
  return model, name, weights, sha256, (
      dataset or models.model_info(name).preprocessing)


def _canvas_inputs(model, name, indices):
  """[(name, picture uint8 [H, W, 3], input, extra index.json fields)]."""
  # pylint: disable=g-import-not-at-top
  import numpy as np
  from sparsezoo_tf import data
  from sparsezoo_tf import models
  from sparsezoo_tf.data import digits_canvas
  size = digits_canvas.CANVAS_SIZE
  expected = tuple(model.inputs[0].shape[1:])
  if any(want is not None and want != got
         for want, got in zip(expected, (size, size, 1))):
    raise ValueError(f"--canvas_indices: the digits canvases are {size}x"
                     f"{size}x1; {name} takes inputs of shape {expected}; "
                     f"give it --images")
  count = digits_canvas.num_canvases(CANVAS_SPLIT)
  wrong = [i for i in indices if i >= count]
  if wrong:
    raise ValueError(f"--canvas_indices {wrong}: the digits_canvas "
                     f"{CANVAS_SPLIT} split has {count} canvases (0 to "
                     f"{count - 1})")
  canvases = data.make_canvases(CANVAS_SPLIT, count=max(indices) + 1)
  inputs = models.preprocess_input(canvases.images, mode="digits_canvas")
  return [(f"canvas_{i}", np.repeat(canvases.images[i], 3, axis=-1),
           inputs[i], {"source": f"digits_canvas {CANVAS_SPLIT} {i}",
                       "label": int(canvases.labels[i, 0]),
                       "ground_truth_boxes": canvases.boxes[i].tolist()})
          for i in indices]


def _image_paths():
  """The files of --images (a folder: its image files, sorted)."""
  from sparsezoo_tf.data import files  # pylint: disable=g-import-not-at-top
  paths = []
  for path in FLAGS.images:
    if os.path.isdir(path):
      found = files.list_images(path)
      if not found:
        extensions = ", ".join(files.IMAGE_EXTENSIONS)
        raise ValueError(f"--images: no image files ({extensions}) in the "
                         f"folder {path}")
      paths += found
    else:
      paths.append(path)
  names = {}
  for path in paths:
    stem = os.path.splitext(os.path.basename(path))[0]
    if stem in names:
      raise ValueError(f"--images: {names[stem]} and {path} would both be "
                       f"pictured as {stem}_*.png; rename one")
    names[stem] = path
  return names


def _file_inputs(model, mode):
  """As `_canvas_inputs`, for --images."""
  # pylint: disable=g-import-not-at-top
  import numpy as np
  import tensorflow as tf
  from sparsezoo_tf.data import augment
  rows, cols, channels = model.inputs[0].shape[1:]
  inputs = []
  for name, path in _image_paths().items():
    try:
      image = tf.io.decode_image(tf.io.read_file(path),
                                 expand_animations=False)
    except tf.errors.InvalidArgumentError:
      raise ValueError(f"--images: {path} is not an image TensorFlow can "
                       f"decode (PNG, JPEG, GIF, BMP)") from None
    if image.shape[-1] in (2, 4):
      image = image[..., :-1]
    pixels = augment.to_float(image)
    if channels == 1 and pixels.shape[-1] == 3:
      pixels = tf.image.rgb_to_grayscale(pixels)
    elif channels == 3 and pixels.shape[-1] == 1:
      pixels = tf.image.grayscale_to_rgb(pixels)
    if mode == "imagenet":
      pixels = augment.imagenet_eval(pixels, rows)
    elif tuple(pixels.shape[:2]) != (rows, cols):
      pixels = augment.resize(pixels, rows, cols)
    pixels = tf.clip_by_value(pixels, 0.0, 1.0)
    picture = np.round(pixels.numpy() * 255).astype(np.uint8)
    inputs.append((name, np.broadcast_to(picture, (rows, cols, 3)).copy(),
                   augment.normalize(pixels, mode).numpy(),
                   {"source": path}))
  return inputs


def _write_png(folder: str, name: str, picture) -> str:
  # pylint: disable=g-import-not-at-top
  from sparsezoo_tf.localization import pictures
  with open(os.path.join(folder, name), "wb") as stream:
    stream.write(pictures.encode_png(picture))
  return name


def _draw(folder, model, inputs, scale):
  """Writes the pictures into `folder`; returns index.json's "images"."""
  # pylint: disable=g-import-not-at-top
  import numpy as np
  from sparsezoo_tf import localization
  from sparsezoo_tf.localization import pictures
  batch = np.stack([x for _, _, x, _ in inputs])
  found = localization.class_activation_maps(
      model, batch, top_k=FLAGS.top_k, batch_size=FLAGS.batch_size)
  boxes = localization.boxes_from_cams(found.maps, FLAGS.threshold)
  parts = None
  if FLAGS.components:
    parts = localization.scfusion_component_maps(
        model, batch, class_ids=found.classes[:, 0],
        batch_size=FLAGS.batch_size)
    part_boxes = localization.boxes_from_cams(parts.maps, FLAGS.threshold)
  images = []
  for i, (name, picture, _, extra) in enumerate(inputs):
    truth = extra.get("ground_truth_boxes", ())
    record = dict(name=name, **extra, predictions=[])
    for rank in range(FLAGS.top_k):
      label = int(found.classes[i, rank])
      file_name = _write_png(
          folder, f"{name}_top{rank + 1}_{label}.png",
          pictures.overlay(picture, found.maps[i, rank], scale,
                           boxes[i, rank], truth))
      record["predictions"].append({
          "rank": rank + 1, "class": label,
          "score": float(found.scores[i, rank]),
          "box": boxes[i, rank].tolist(), "file": file_name})
    if parts is not None:
      maps = []
      for j, part in enumerate(parts.names):
        file_name = _write_png(
            folder, f"{name}_component_{part}.png",
            pictures.overlay(picture, parts.maps[i, j], scale,
                             part_boxes[i, j], truth))
        maps.append({"component": part, "box": part_boxes[i, j].tolist(),
                     "file": file_name})
      record["components"] = {"layer": parts.layer,
                              "class": int(parts.classes[i]), "maps": maps}
    images.append(record)
  return images


def main(argv):
  del argv
  _check_cheap_flags()
  _cli.initialize_tensorflow()
  # pylint: disable=g-import-not-at-top
  from sparsezoo_tf.data import files as data_files
  from sparsezoo_tf.localization import pictures
  model, name, weights, sha256, mode = _load_model()
  indices = _canvas_indices()
  if indices is None:
    inputs = _file_inputs(model, mode)
  else:
    inputs = _canvas_inputs(model, name, indices)
    mode = "digits_canvas"
  shape = [int(side) for side in model.inputs[0].shape[1:]]
  scale = FLAGS.scale or max(1, PICTURE_SIDE // max(shape[:2]))
  output = FLAGS.output_dir
  temporary = tempfile.mkdtemp(prefix=f".{os.path.basename(output)}.",
                               dir=os.path.dirname(os.path.abspath(output)))
  try:
    images = _draw(temporary, model, inputs, scale)
    index = {
        "model": name, "weights": weights, "weights_sha256": sha256,
        "input_shape": shape, "preprocessing": mode, "top_k": FLAGS.top_k,
        "threshold": FLAGS.threshold, "scale": scale,
        "box_format": "(ymin, xmin, ymax, xmax), pixel edges of the "
                      "model's input (times scale in the pictures)",
        "colours": {"predicted_box": list(pictures.PREDICTED_COLOUR),
                    "ground_truth_box": list(pictures.GROUND_TRUTH_COLOUR)},
        "images": images,
        "files": sorted(os.listdir(temporary))}
    with open(os.path.join(temporary, "index.json"), "w") as stream:
      json.dump(index, stream, indent=2)
      stream.write("\n")
    data_files.publish_folder(temporary, output)
  except BaseException:
    shutil.rmtree(temporary, ignore_errors=True)
    raise
  for record in images:
    guesses = ", ".join(
        f"class {p['class']} ({p['score']:.3f}) box "
        f"{[round(v, 1) for v in p['box']]}" for p in record["predictions"])
    print(f"{record['name']}: {guesses}")
  written, count = len(index["files"]), len(images)
  print(f"{name}: {written} picture{'s' * (written != 1)} of {count} "
        f"image{'s' * (count != 1)} and index.json written to {output}")


if __name__ == "__main__":
  _cli.run(main)
