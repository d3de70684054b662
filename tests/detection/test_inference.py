"""sparsezoo_tf.detection.inference: a random digits detector's boxes
brought back to the original image against a hand-made preprocessing and
scale, greyscale against RGB, batches against single images, COCO results
against `detect`, those of Model Garden's TFRecords against those of the
image files, run folders (detector.h5 and Orbit checkpoints) round
trips, and the refusals."""

import os

import numpy as np
import pytest
import tensorflow as tf

from official.core import exp_factory
from official.core import train_utils
from official.vision.ops import anchor as anchor_ops

from sparsezoo_tf.data import digits_detection
from sparsezoo_tf.detection import detectors
from sparsezoo_tf.detection import experiments  # registers the experiments
from sparsezoo_tf.detection import inference
from sparsezoo_tf.detection import records

pytestmark = pytest.mark.single_path  # plumbing; the op tests cover paths

NAME = "fasterrcnn_digits_resnet18"
SIZE = detectors.DIGITS_INPUT  # 96
# ImageNet's mean and standard deviation of RGB in [0, 1] (Model Garden's
# MEAN_NORM / STDDEV_NORM), written out here.
MEAN = np.array([0.485, 0.456, 0.406])
STD = np.array([0.229, 0.224, 0.225])
# Every class scores about 1 / 11 at random: keep them all.
OVERRIDES = {"detection_generator": {"pre_nms_score_threshold": 0.0}}


@pytest.fixture(name="model", scope="module")
def _model():
  tf.keras.utils.set_random_seed(3)
  return detectors.create_detector(NAME, overrides=OVERRIDES)


@pytest.fixture(name="digits", scope="module")
def _digits():
  """Three 96x96 greyscale canvases of the test split, [3, 96, 96, 1]."""
  return digits_detection.make_detection_set("test", 3).images


def _reference(model, image, scaled_size):
  """The model's detections of one image preprocessed by hand: normalized,
  resized bilinearly to `scaled_size`, zero-padded to 96x96 and called with
  the image shape 96x96 (Model Garden's `image_info[1]`: the input size,
  padding included); the boxes divided by scaled / original size and
  clipped to the image."""
  height, width = image.shape[:2]
  normalized = ((image.astype(np.float32) / np.float32(255) -
                 MEAN.astype(np.float32)) / STD.astype(np.float32))
  resized = tf.image.resize(normalized[None], scaled_size)
  padded = tf.pad(resized, [[0, 0], [0, SIZE - scaled_size[0]],
                            [0, SIZE - scaled_size[1]], [0, 0]])
  config = model.detector_config
  anchors = anchor_ops.Anchor(
      config.min_level, config.max_level, config.anchor.num_scales,
      config.anchor.aspect_ratios, config.anchor.anchor_size,
      [SIZE, SIZE]).multilevel_boxes
  anchors = {level: boxes[None] for level, boxes in anchors.items()}
  outputs = model(padded, tf.constant([[SIZE, SIZE]], tf.float32), anchors,
                  training=False)
  count = int(outputs["num_detections"][0])
  scale = np.tile(np.array(scaled_size, np.float64) / [height, width], 2)
  boxes = outputs["detection_boxes"][0, :count].numpy() / scale
  return (np.clip(boxes, 0, [height, width, height, width]),
          outputs["detection_scores"][0, :count].numpy(),
          outputs["detection_classes"][0, :count].numpy())


def test_boxes_come_back_in_the_original_pixels(model):
  # 48x80 fits 96x96 at 96 / 80 = 1.2: 57.6 -> 58 rows, 96 columns, so the
  # rows' scale is 58 / 48 and the columns' 1.2.
  image = np.random.default_rng(0).integers(0, 256, (48, 80, 3), np.uint8)
  found = inference.detect(model, [image])[0]
  boxes, scores, classes = _reference(model, image, [58, 96])
  assert len(scores) > 0
  np.testing.assert_allclose(found["scores"], scores, rtol=1e-5, atol=1e-6)
  np.testing.assert_array_equal(found["classes"], classes)
  np.testing.assert_allclose(found["boxes"], boxes, rtol=1e-5, atol=1e-3)
  assert found["boxes"].dtype == np.float32
  assert found["classes"].dtype == np.int32
  assert np.all(found["boxes"][:, 2:] <= [48, 80])
  assert np.all(found["boxes"][:, :2] >= 0)
  assert np.all(found["classes"] >= 1) and np.all(found["classes"] < 11)
  assert np.all(np.diff(found["scores"]) <= 0)


def test_grey_rgb_batches_and_threshold_agree(model, digits):
  grey = list(digits[:2]) + [digits[2, 10:70, 5:95]]  # one of 60x90
  rgb = [np.repeat(image, 3, axis=-1) for image in grey]
  flat = [image[..., 0] for image in grey]
  by_rgb = inference.detect(model, rgb, batch_size=2)
  for other in (inference.detect(model, grey, batch_size=2),
                inference.detect(model, flat, batch_size=2)):
    for a, b in zip(by_rgb, other):
      for key in ("boxes", "scores", "classes"):
        np.testing.assert_array_equal(a[key], b[key])
  single = inference.detect(model, rgb[2:], batch_size=8)[0]
  for key in ("boxes", "scores"):
    np.testing.assert_allclose(single[key], by_rgb[2][key], rtol=1e-4,
                               atol=1e-3)
  scores = by_rgb[0]["scores"]
  threshold = float(scores[len(scores) // 2])
  kept = inference.detect(model, rgb[:1], score_threshold=threshold)[0]
  keep = scores >= threshold
  assert 0 < keep.sum() < len(scores)
  np.testing.assert_array_equal(kept["scores"], scores[keep])
  np.testing.assert_array_equal(kept["boxes"], by_rgb[0]["boxes"][keep])


def test_compiled_batches_equal_eager_ones(model, digits, monkeypatch):
  images = list(digits)
  eager = inference.detect(model, images, batch_size=2)
  monkeypatch.setattr(inference, "COMPILE_MIN_BATCHES", 0)
  compiled = inference.detect(model, images, batch_size=2)
  for a, b in zip(eager, compiled):
    np.testing.assert_allclose(a["boxes"], b["boxes"], rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(a["scores"], b["scores"], rtol=1e-4,
                               atol=1e-5)


def test_detect_coco_is_detect_in_coco_boxes(model, tmp_path):
  root = str(tmp_path / "set")
  digits_detection.write_coco(root, ("test",), limit=3)
  annotations = os.path.join(root, "annotations", "test.json")
  image_dir = os.path.join(root, "images")
  results = inference.detect_coco(model, annotations, image_dir,
                                  batch_size=2)
  truth = inference.metrics.read_annotations(annotations)
  expected = []
  for entry in truth["images"]:
    image = inference.read_image(os.path.join(image_dir, entry["file_name"]))
    found = inference.detect(model, [image])[0]
    for (ymin, xmin, ymax, xmax), score, label in zip(
        found["boxes"], found["scores"], found["classes"]):
      expected.append((entry["id"], int(label), xmin, ymin, xmax - xmin,
                       ymax - ymin, score))
  assert len(results) == len(expected) > 0
  for result, want in zip(results, expected):
    assert (result["image_id"], result["category_id"]) == want[:2]
    np.testing.assert_allclose(result["bbox"], want[2:6], atol=1e-3)
    assert result["score"] == pytest.approx(want[6], abs=1e-5)

  bad = dict(truth, categories=truth["categories"] + [
      {"id": 12, "name": "x"}])
  with pytest.raises(ValueError, match=r"category ids \[12\] are not classes"):
    inference.detect_coco(model, bad, image_dir)
  missing = dict(truth, images=truth["images"] + [
      {"id": 9, "file_name": "nowhere.png", "height": 96, "width": 96}])
  with pytest.raises(FileNotFoundError, match="nowhere.png: no such file"):
    inference.detect_coco(model, missing, image_dir)
  first = truth["images"][0]
  resized = {"images": [dict(first, height=95)],
             "categories": truth["categories"]}
  with pytest.raises(ValueError, match="is 96x96 pixels but"):
    inference.detect_coco(model, resized, image_dir)


def _example(source_id: bytes, encoded: bytes) -> bytes:
  """A serialized tf.train.Example of an encoded image and its source_id
  (Model Garden's feature names)."""
  def feature(value):
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))
  return tf.train.Example(features=tf.train.Features(feature={
      "image/encoded": feature(encoded), "image/source_id": feature(
          source_id)})).SerializeToString()


def _only(truth, images):
  """`truth` with these of its images only, and their boxes."""
  ids = {entry["id"] for entry in images}
  return dict(truth, images=images, annotations=[
      entry for entry in truth["annotations"] if entry["image_id"] in ids])


def test_detect_records_is_detect_coco_on_the_records(model, tmp_path):
  root = str(tmp_path / "set")
  digits_detection.write_coco(root, ("test",), limit=3)
  annotations = os.path.join(root, "annotations", "test.json")
  image_dir = os.path.join(root, "images")
  pattern = records.coco_to_tfrecords(annotations, image_dir,
                                      str(tmp_path / "records" / "test"),
                                      num_shards=2)
  truth = inference.metrics.read_annotations(annotations)
  calls = []
  results = inference.detect_records(
      model, pattern, annotations, batch_size=2,
      progress=lambda *done: calls.append(done))
  expected = inference.detect_coco(model, annotations, image_dir)
  assert calls == [(2, 3), (3, 3)]
  assert len(results) == len(expected) > 0
  assert [r["image_id"] for r in results] == [e["image_id"] for e in expected]
  for result, want in zip(results, expected):
    assert result["category_id"] == want["category_id"]
    np.testing.assert_allclose(result["bbox"], want["bbox"], atol=1e-3)
    assert result["score"] == pytest.approx(want["score"], abs=1e-5)

  images = truth["images"]
  with pytest.raises(ValueError, match=r"category ids \[12\] are not classes"):
    inference.detect_records(model, pattern, dict(
        truth, categories=truth["categories"] + [{"id": 12, "name": "x"}]))
  with pytest.raises(ValueError, match=(
      r"1 of the 4 images of the annotations have no record \(ids \[9\]\)")):
    inference.detect_records(model, pattern, dict(truth, images=images + [
        {"id": 9, "file_name": "nowhere.png", "height": 96, "width": 96}]))
  with pytest.raises(ValueError, match=(
      rf"image ids \(source_id\) \[{images[0]['id']}\] are not images of")):
    inference.detect_records(model, pattern, _only(truth, images[1:]))
  with pytest.raises(ValueError, match="is 96x96 pixels but"):
    inference.detect_records(model, pattern, dict(truth, images=[
        dict(images[0], height=95)] + images[1:]))
  with pytest.raises(FileNotFoundError, match="no TFRecord file matches"):
    inference.detect_records(model, str(tmp_path / "none-*"), truth)
  with pytest.raises(ValueError, match="not TFRecords of tf.train.Examples"):
    inference.detect_records(model, annotations, truth)
  first = sorted(tf.io.gfile.glob(pattern))[0]
  copy = str(tmp_path / "records" / "copy.tfrecord")
  tf.io.gfile.copy(first, copy)
  with pytest.raises(ValueError, match="are in more than one record"):
    inference.detect_records(model, str(tmp_path / "records" / "*"), truth)
  png = tf.io.encode_png(np.zeros((96, 96, 3), np.uint8)).numpy()
  with tf.io.TFRecordWriter(str(tmp_path / "odd.tfrecord")) as writer:
    writer.write(_example(b"img-1", png))
  with pytest.raises(ValueError, match="record 0 has image/source_id "
                     "b'img-1', not an integer image id"):
    inference.detect_records(model, str(tmp_path / "odd.tfrecord"), truth)
  with tf.io.TFRecordWriter(str(tmp_path / "broken.tfrecord")) as writer:
    writer.write(_example(str(images[0]["id"]).encode(), b"not a png"))
  with pytest.raises(ValueError, match="cannot be decoded"):
    inference.detect_records(model, str(tmp_path / "broken.tfrecord"),
                             _only(truth, images[:1]))


def _run_folder(path) -> str:
  """A run folder as tools/train_detector.py starts it (params.yaml)."""
  os.makedirs(path)
  params = exp_factory.get_exp_config(NAME)
  params.task.model.override(OVERRIDES)
  train_utils.serialize_config(params, str(path))
  return str(path)


def _assert_same_weights(a, b):
  assert len(a.weights) == len(b.weights)
  for x, y in zip(a.weights, b.weights):
    np.testing.assert_array_equal(x.numpy(), y.numpy())


def test_run_folders_round_trip(model, digits, tmp_path):
  images = list(digits[:1])
  expected = inference.detect(model, images)[0]
  run = _run_folder(tmp_path / "run")
  with pytest.raises(FileNotFoundError, match="neither detector.h5"):
    inference.load_detector(run)
  tf.train.CheckpointManager(tf.train.Checkpoint(model=model), run,
                             max_to_keep=1, checkpoint_name="ckpt").save(7)
  from_checkpoint = inference.load_detector(run)
  assert from_checkpoint.weights_source == os.path.join(run, "ckpt-7")
  weights = os.path.join(run, "detector.h5")
  detectors.save_detector_weights(model, weights)
  from_h5 = inference.load_detector(run, detector=NAME)
  assert from_h5.weights_source == weights
  assert from_h5.detector_spec.name == NAME
  by_name = inference.load_detector(detector=NAME, weights=weights)
  for loaded in (from_checkpoint, from_h5):
    _assert_same_weights(model, loaded)
    found = inference.detect(loaded, images)[0]
    for key in ("boxes", "scores", "classes"):
      np.testing.assert_array_equal(found[key], expected[key])
  _assert_same_weights(model, by_name)  # its generator is the default one


def test_refusals(model, tmp_path):
  with pytest.raises(ValueError, match="give model_dir"):
    inference.load_detector()
  with pytest.raises(ValueError, match="not both"):
    inference.load_detector(str(tmp_path), weights="x.h5")
  with pytest.raises(FileNotFoundError):
    inference.load_detector(str(tmp_path / "missing"))
  with pytest.raises(ValueError, match="has no params.yaml"):
    inference.load_detector(str(tmp_path))
  run = _run_folder(tmp_path / "run")
  with pytest.raises(ValueError, match="but .* trained " + NAME):
    inference.load_detector(run, detector=NAME + "_sc")
  (tmp_path / "other").mkdir()
  (tmp_path / "other" / "params.yaml").write_text("task:\n  model: {x: 1}\n")
  with pytest.raises(ValueError, match="not the config of a Faster R-CNN"):
    inference.load_detector(str(tmp_path / "other"))
  image = np.zeros((8, 8, 3), np.uint8)
  with pytest.raises(ValueError, match="dtype float32"):
    inference.detect(model, [image.astype(np.float32)])
  with pytest.raises(ValueError, match=r"shape \(8, 8, 4\)"):
    inference.detect(model, [np.zeros((8, 8, 4), np.uint8)])
  with pytest.raises(ValueError, match="score_threshold"):
    inference.detect(model, [image], score_threshold=2)
  with pytest.raises(ValueError, match="batch_size"):
    inference.detect(model, [image], batch_size=0)
  with pytest.raises(ValueError, match="no detector_config"):
    inference.detect(object(), [image])
  (tmp_path / "broken.png").write_bytes(b"not a png")
  with pytest.raises(ValueError, match="not an image PIL can read"):
    inference.read_image(str(tmp_path / "broken.png"))
