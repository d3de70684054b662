"""tools/eval_localization.py and tools/cam.py as a user runs them: their
numbers against the localization library called directly on the same
images, their pictures and index.json, and their refusals (one paragraph,
exit status 2, nothing written).

The models are untrained: weights files of randomly initialized zoo
models, written once per module."""

import json
import os
import sys

import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "training"))

# pylint: disable=g-import-not-at-top,wrong-import-position
import tool_runner
from sparsezoo_tf import data
from sparsezoo_tf import localization
from sparsezoo_tf import models
from sparsezoo_tf.models import weights as weights_lib

pytestmark = pytest.mark.single_path  # the tools' plumbing, not the op

WHITE = (255, 255, 255)
MAGENTA = (255, 0, 255)
WNIDS = ("n01000001", "n02000003", "n03000002")
# (height, width) of the fake ILSVRC validation images.
IMAGE_SIDES = ((40, 60), (64, 48), (50, 50), (45, 80), (70, 40), (36, 52))


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
  """{model: .h5 file of its random initialization}."""
  folder = tmp_path_factory.mktemp("weights")
  paths = {}
  for name in ("digits_cam_cnn", "digits_cam_cnn_scfusion2",
               "resnet32_cifar"):
    keras.utils.set_random_seed(0)
    paths[name] = str(folder / f"{name}.h5")
    models.create_model(name).save_weights(paths[name])
  return paths


def _run(tool, *flags):
  result = tool_runner.run_tool(tool, *flags)
  assert result.returncode == 0, result.stderr[-3000:]
  assert not tool_runner.nonblank_lines(result.stderr), result.stderr[-3000:]
  return result


def _expected_accuracy(model, images, labels, gt_boxes, top_k, threshold):
  """The localization library on the images, without the tools: top-1 /
  top-k localization and classification, and GT-known accuracy from the
  maps of all the classes."""
  found = localization.localize(model, images, top_k=top_k,
                                threshold=threshold)
  expected = localization.localization_accuracy(
      found.classes, found.boxes, labels, gt_boxes, top_k=sorted({1, top_k}))
  every = localization.class_activation_maps(
      model, images, top_k=model.output_shape[-1])
  rank = np.argmax(every.classes == np.asarray(labels)[:, None], axis=1)
  true_maps = every.maps[np.arange(len(labels)), rank]
  expected["gt_known_loc"] = localization.gt_known_accuracy(
      localization.boxes_from_cams(true_maps, threshold), labels, gt_boxes)
  return expected


def test_eval_localization_on_canvases_matches_the_library(tmp_path,
                                                           weights):
  path = weights["digits_cam_cnn"]
  output = tmp_path / "loc.json"
  result = _run("eval_localization", "--model", "digits_cam_cnn",
                "--weights", path, "--limit", "16", "--output", str(output))
  written = json.loads(output.read_text())
  assert json.loads(tool_runner.nonblank_lines(result.stdout)[-1]) == written
  assert written["n_images"] == 16
  assert (written["model"], written["weights"], written["dataset"],
          written["split"], written["threshold"], written["top_k"]) == (
              "digits_cam_cnn", path, "digits_canvas", "test", 0.2, 5)
  assert written["weights_sha256"] == weights_lib.file_sha256(path)
  keys = ["top1_loc", "top5_loc", "top1_cls", "top5_cls", "gt_known_loc"]
  for key in keys + ["top1_loc_error", "top5_loc_error"]:
    assert 0.0 <= written[key] <= 1.0, key
  assert written["top1_loc_error"] == 1.0 - written["top1_loc"]
  assert written["top1_loc"] <= written["top5_loc"] <= written["top5_cls"]
  assert not [p for p in tmp_path.iterdir() if p.name != "loc.json"]

  canvases = data.make_canvases("test", count=16)
  model = models.create_model("digits_cam_cnn", weights=path)
  images = models.preprocess_input(canvases.images, mode="digits_canvas")
  expected = _expected_accuracy(model, images, canvases.labels[:, 0],
                                canvases.boxes, 5, 0.2)
  assert {key: written[key] for key in keys} == {
      key: expected[key] for key in keys}


def _fake_imagenet(root):
  """A flat val/ of ILSVRC-named JPEGs of IMAGE_SIDES with val_labels.txt
  and their devkit-style XML boxes in bbox/; returns the images' (labels,
  original boxes)."""
  rng = np.random.default_rng(0)
  (root / "val").mkdir(parents=True)
  (root / "bbox").mkdir()
  labels, boxes, lines = [], [], []
  for number, (height, width) in enumerate(IMAGE_SIDES, 1):
    name = f"ILSVRC2012_val_{number:08d}"
    image = np.full((height, width, 3), 40, np.uint8)
    # Large boxes (a random CAM's box overlaps some), one small one.
    top, left = int(rng.integers(0, height // 4)), int(rng.integers(
        0, width // 4))
    bottom = height - 1 if number % 3 else top + height // 3
    right = width - 1 - int(rng.integers(0, width // 4))
    image[top:bottom + 1, left:right + 1] = 200
    (root / "val" / f"{name}.JPEG").write_bytes(
        tf.io.encode_jpeg(image, quality=95).numpy())
    label = number % len(WNIDS)
    wnid = WNIDS[label]
    lines.append(f"{name}.JPEG {wnid}")
    (root / "bbox" / f"{name}.xml").write_text(
        f"<annotation><filename>{name}</filename><size><width>{width}"
        f"</width><height>{height}</height></size><object><name>{wnid}"
        f"</name><bndbox><xmin>{left}</xmin><ymin>{top}</ymin><xmax>{right}"
        f"</xmax><ymax>{bottom}</ymax></bndbox></object></annotation>")
    labels.append(label)
    boxes.append([[top, left, bottom + 1, right + 1]])
  (root / "val_labels.txt").write_text("\n".join(lines) + "\n")
  return labels, np.array(boxes, np.float32)


def test_eval_localization_on_imagenet_uses_the_eval_crop(tmp_path,
                                                          weights):
  labels, boxes = _fake_imagenet(tmp_path / "imagenet")
  root = str(tmp_path / "imagenet")
  path = weights["resnet32_cifar"]  # GAP + dense, 32x32 RGB: a small stand-in
  common = ["--model", "resnet32_cifar", "--weights", path, "--dataset",
            "imagenet", "--data_dir", root, "--top_k", "10",
            "--batch_size", "4"]
  found = json.loads(tool_runner.nonblank_lines(_run(
      "eval_localization", *common, "--ground_truth",
      os.path.join(root, "bbox")).stdout)[-1])
  keys = ["top1_loc", "top10_loc", "top1_cls", "top10_cls", "gt_known_loc"]
  assert (found["n_images"], found["image_size"]) == (len(IMAGE_SIDES), 32)

  # eval_classifier's pipeline, and the boxes mapped onto its crop.
  images = np.concatenate([batch for batch, _ in data.make_dataset(
      "imagenet", "validation", batch_size=8, training=False, data_dir=root,
      image_size=32)])
  crop_boxes = [data.eval_crop_boxes(box, height, width, 32)
                for box, (height, width) in zip(boxes, IMAGE_SIDES)]
  model = models.create_model("resnet32_cifar", weights=path)
  expected = _expected_accuracy(model, images, labels, crop_boxes, 10, 0.2)
  assert {k: found[k] for k in keys} == {k: expected[k] for k in keys}
  assert expected["top10_loc"] > 0  # the boxes matter

  (tmp_path / "imagenet" / "bbox" / "ILSVRC2012_val_00000004.xml").unlink()
  missing = tool_runner.run_tool(
      "eval_localization", *common, "--ground_truth",
      os.path.join(root, "bbox"))
  tool_runner.assert_one_paragraph_error(
      missing, "eval_localization",
      f"--ground_truth {root}/bbox has no boxes for 1 of the 6 images to "
      f"evaluate, e.g. {root}/val/ILSVRC2012_val_00000004.JPEG")


def _corners(box, scale, side):
  """The pixels at the corners of `box` drawn on a side x side picture."""
  top, left = (int(np.clip(np.floor(v * scale), 0, side - 1))
               for v in box[:2])
  bottom, right = (int(np.clip(np.ceil(v * scale) - 1, 0, side - 1))
                   for v in box[2:])
  return [(top, left), (top, right), (bottom, left), (bottom, right)]


def _picture(folder, name):
  return tf.io.decode_png((folder / name).read_bytes()).numpy()


def test_cam_draws_canvases_and_scfusion_components(tmp_path, weights):
  output = tmp_path / "cams"
  result = _run("cam", "--model", "digits_cam_cnn_scfusion2", "--weights",
                weights["digits_cam_cnn_scfusion2"], "--output_dir",
                str(output), "--canvas_indices", "0,5", "--top_k", "2",
                "--components")
  assert tool_runner.nonblank_lines(result.stdout)[-1] == (
      f"digits_cam_cnn_scfusion2: 12 pictures of 2 images and index.json "
      f"written to {output}")  # 2 x (2 guesses + 4 parts)
  index = json.loads((output / "index.json").read_text())
  assert (index["scale"], index["top_k"], index["input_shape"]) == (
      4, 2, [64, 64, 1])
  assert [image["name"] for image in index["images"]] == ["canvas_0",
                                                          "canvas_5"]
  canvases = data.make_canvases("test", count=6)
  expected_files = set()
  for image, i in zip(index["images"], (0, 5)):
    assert image["label"] == canvases.labels[i, 0]
    assert image["ground_truth_boxes"] == canvases.boxes[i].tolist()
    assert [p["rank"] for p in image["predictions"]] == [1, 2]
    scores = [p["score"] for p in image["predictions"]]
    assert scores == sorted(scores, reverse=True)
    for guess in image["predictions"]:
      assert guess["file"] == (f"canvas_{i}_top{guess['rank']}_"
                               f"{guess['class']}.png")
      picture = _picture(output, guess["file"])
      assert picture.shape == (256, 256, 3)
      for row, col in _corners(guess["box"], 4, 256):
        assert tuple(picture[row, col]) == WHITE, (guess, row, col)
      for row, col in _corners(image["ground_truth_boxes"][0], 4, 256):
        assert tuple(picture[row, col]) in (MAGENTA, WHITE)
      expected_files.add(guess["file"])
    parts = image["components"]
    assert parts["class"] == image["predictions"][0]["class"]
    assert [m["component"] for m in parts["maps"]] == [
        "w_even", "w_odd", "fusion_add", "fusion_inverse"]
    for part in parts["maps"]:
      assert part["file"] == f"canvas_{i}_component_{part['component']}.png"
      picture = _picture(output, part["file"])
      for row, col in _corners(part["box"], 4, 256):
        assert tuple(picture[row, col]) == WHITE
      expected_files.add(part["file"])
  assert len(expected_files) == 12
  assert sorted(index["files"]) == sorted(expected_files)
  assert sorted(os.listdir(output)) == sorted(expected_files | {
      "index.json"})
  assert os.listdir(tmp_path) == ["cams"]  # no temporary folder left


def test_cam_prepares_image_files_and_overwrites(tmp_path, weights):
  canvas = data.make_canvases("test", count=1).images[0]
  (tmp_path / "images").mkdir()
  (tmp_path / "images" / "digit.png").write_bytes(
      tf.io.encode_png(canvas).numpy())
  (tmp_path / "images" / "notes.txt").write_text("not an image")
  colour = np.zeros((40, 80, 3), np.uint8)
  colour[5:20, 10:50] = (250, 120, 30)
  (tmp_path / "wide.jpg").write_bytes(tf.io.encode_jpeg(colour).numpy())
  output = tmp_path / "cams"
  output.mkdir()
  (output / "stale.png").write_bytes(b"")
  _run("cam", "--model", "digits_cam_cnn", "--weights",
       weights["digits_cam_cnn"], "--output_dir", str(output), "--images",
       f"{tmp_path / 'images'},{tmp_path / 'wide.jpg'}", "--scale", "2",
       "--overwrite")
  index = json.loads((output / "index.json").read_text())
  assert [image["name"] for image in index["images"]] == ["digit", "wide"]
  assert "ground_truth_boxes" not in index["images"][0]
  assert sorted(os.listdir(output)) == sorted(
      ["index.json"] + index["files"])
  for image in index["images"]:
    picture = _picture(output, image["predictions"][0]["file"])
    assert picture.shape == (128, 128, 3)
  # A canvas saved as PNG gets the canvas's own map (same pixels, same
  # preprocessing), grayscale for the 1-channel model.
  from_file = index["images"][0]["predictions"][0]
  model = models.create_model("digits_cam_cnn",
                              weights=weights["digits_cam_cnn"])
  found = localization.localize(
      model, models.preprocess_input(canvas[None], mode="digits_canvas"),
      top_k=1)
  assert from_file["class"] == found.classes[0, 0]
  assert from_file["box"] == found.boxes[0, 0].tolist()
  assert sorted(os.listdir(tmp_path)) == ["cams", "images", "wide.jpg"]


@pytest.mark.parametrize("tool, flags, fragment", [
    ("eval_localization", ["--model", "no_such_model", "--weights",
                           "{digits_cam_cnn}"],
     "unknown model 'no_such_model'"),
    ("eval_localization", ["--model", "digits_cam_cnn", "--weights",
                           "{digits_cam_cnn}", "--threshold", "1.5"],
     "flag --threshold=1.5: 1.5 is not a number in the range [0.0, 1.0]"),
    ("eval_localization", ["--model", "vgg16_cifar", "--weights",
                           "{digits_cam_cnn}"],
     "class activation maps need a model whose head is a "
     "GlobalAveragePooling2D followed by one Dense layer"),
    ("eval_localization", ["--model", "digits_cam_cnn", "--weights",
                           "{digits_cam_cnn}", "--dataset", "imagenet",
                           "--data_dir", "{tmp}"],
     "imagenet images are RGB and cropped square; digits_cam_cnn takes "
     "inputs of shape (64, 64, 1)"),
    ("eval_localization", ["--model", "digits_cam_cnn", "--weights",
                           "{digits_cam_cnn}", "--output",
                           "{tmp}/missing/loc.json"],
     "--output {tmp}/missing/loc.json: the folder {tmp}/missing does not "
     "exist"),
    ("cam", ["--model", "no_such_model", "--weights", "{digits_cam_cnn}",
             "--output_dir", "{tmp}/out"], "unknown model 'no_such_model'"),
    ("cam", ["--model", "digits_cam_cnn", "--weights", "{digits_cam_cnn}",
             "--output_dir", "{tmp}/out", "--images", "{tmp}/missing.png"],
     "--images: no file or folder {tmp}/missing.png"),
    ("cam", ["--model", "digits_cam_cnn", "--weights", "{digits_cam_cnn}",
             "--output_dir", "{tmp}/out", "--threshold", "1.5"],
     "flag --threshold=1.5: 1.5 is not a number in the range [0.0, 1.0]"),
    ("cam", ["--model", "vgg16_cifar", "--weights", "{digits_cam_cnn}",
             "--output_dir", "{tmp}/out", "--images", "{readme}"],
     "vgg16_cifar has fc2 (Dense) instead of a GlobalAveragePooling2D"),
    ("cam", ["--model", "digits_cam_cnn", "--weights", "{digits_cam_cnn}",
             "--output_dir", "{tmp}/out", "--components"],
     "--components: digits_cam_cnn has no SCFusion layer"),
    ("cam", ["--model", "digits_cam_cnn", "--weights", "{digits_cam_cnn}",
             "--output_dir", "{tmp}/out", "--canvas_indices", "2,359"],
     "--canvas_indices [359]: the digits_canvas test split has 359 "
     "canvases"),
    ("cam", ["--model", "digits_cam_cnn", "--weights", "{digits_cam_cnn}",
             "--output_dir", "{tmp}/out", "--images", "{readme}"],
     "--images: {readme} is not an image TensorFlow can decode"),
])
def test_bad_flag_or_input_is_one_paragraph(tmp_path, weights, tool, flags,
                                            fragment):
  paths = dict(weights, tmp=tmp_path,
               readme=os.path.join(tool_runner.ROOT, "README.md"))
  result = tool_runner.run_tool(tool, *[f.format(**paths) for f in flags])
  tool_runner.assert_one_paragraph_error(result, tool, fragment.format(**paths))
  assert not list(tmp_path.iterdir())  # nothing written


def test_cam_keeps_a_non_empty_output_dir(tmp_path, weights):
  (tmp_path / "kept.png").write_bytes(b"")
  result = tool_runner.run_tool(
      "cam", "--model", "digits_cam_cnn", "--weights",
      weights["digits_cam_cnn"], "--output_dir", str(tmp_path))
  tool_runner.assert_one_paragraph_error(
      result, "cam", f"--output_dir {tmp_path} exists and is not empty; "
      f"pass --overwrite to replace it")
  assert [path.name for path in tmp_path.iterdir()] == ["kept.png"]
