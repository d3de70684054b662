"""sparsezoo_tf.detection.records: COCO files to Model Garden's TFRecords
(annotated sets and test-dev style image information), and the embedded
set prepared once, atomically."""

import functools
import json
import os

import numpy as np
import pytest
import tensorflow as tf

from official.vision.dataloaders import tf_example_decoder

from sparsezoo_tf.data import digits_detection
from sparsezoo_tf.detection import records

pytestmark = pytest.mark.single_path  # data plumbing

IMAGES = 4


def _decoded(pattern):
  decoder = tf_example_decoder.TfExampleDecoder()
  return [decoder.decode(tf.constant(record)) for record in
          tf.data.TFRecordDataset(sorted(tf.io.gfile.glob(pattern)))
          .as_numpy_iterator()]


@pytest.fixture(name="small_set")
def _small_set(tmp_path):
  root = tmp_path / "set"
  digits_detection.write_coco(str(root), ("test",), limit=IMAGES)
  return root


def test_annotated_set_and_image_information_only(small_set, tmp_path):
  annotations = small_set / "annotations" / "test.json"
  pattern = records.coco_to_tfrecords(
      str(annotations), str(small_set / "images"),
      str(tmp_path / "records" / "test"), num_shards=2)
  assert len(tf.io.gfile.glob(pattern)) == 2
  truth = json.loads(annotations.read_text())
  decoded = _decoded(pattern)
  assert len(decoded) == IMAGES
  boxes = {}
  for annotation in truth["annotations"]:
    boxes.setdefault(annotation["image_id"], []).append(
        annotation["category_id"])
  for example in decoded:
    image_id = int(example["source_id"].numpy())
    assert sorted(example["groundtruth_classes"].numpy().tolist()) == sorted(
        boxes[image_id])

  info = {key: value for key, value in truth.items()
          if key != "annotations"}
  info_file = tmp_path / "image_info_test.json"
  info_file.write_text(json.dumps(info))
  pattern = records.coco_to_tfrecords(
      str(info_file), str(small_set / "images"),
      str(tmp_path / "records" / "info"), with_annotations=False)
  decoded = _decoded(pattern)
  assert len(decoded) == IMAGES
  assert all(example["groundtruth_boxes"].shape[0] == 0
             for example in decoded)


def test_missing_inputs_are_named(small_set, tmp_path):
  with pytest.raises(FileNotFoundError, match="no COCO annotation file"):
    records.coco_to_tfrecords(str(tmp_path / "nope.json"),
                              str(small_set / "images"), str(tmp_path / "r"))
  with pytest.raises(FileNotFoundError, match="no image folder"):
    records.coco_to_tfrecords(
        str(small_set / "annotations" / "test.json"),
        str(tmp_path / "no_images"), str(tmp_path / "r"))


def test_prepared_once_and_atomically(monkeypatch, tmp_path):
  monkeypatch.setattr(digits_detection, "write_coco", functools.partial(
      digits_detection.write_coco, limit=IMAGES))
  root = tmp_path / "data" / "digits_detection"

  # A failure half way leaves neither the set nor a partial folder.
  def failing(*args, **kwargs):
    raise RuntimeError("converter failed")
  real = records.coco_to_tfrecords
  monkeypatch.setattr(records, "coco_to_tfrecords", failing)
  with pytest.raises(RuntimeError, match="converter failed"):
    records.prepare_digits_detection(str(root), verbose=False)
  assert os.listdir(tmp_path / "data") == []

  monkeypatch.setattr(records, "coco_to_tfrecords", real)
  prepared = records.prepare_digits_detection(str(root), verbose=False)
  assert prepared == records.digits_detection_paths(str(root))
  for split, pattern in prepared.records.items():
    assert len(tf.io.gfile.glob(pattern)) == records.DIGITS_SHARDS[split]
    assert os.path.isfile(prepared.annotations[split])
  stamp = os.stat(prepared.annotations["train"]).st_mtime_ns

  # Complete: used as it is.
  monkeypatch.setattr(records, "coco_to_tfrecords", failing)
  assert records.prepare_digits_detection(str(root), verbose=False) == (
      prepared)
  assert os.stat(prepared.annotations["train"]).st_mtime_ns == stamp
  images = _decoded(prepared.records["val"])[0]["image"].numpy()
  assert images.shape == (96, 96, 3) and np.ptp(images) > 0
