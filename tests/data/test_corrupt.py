"""Unreadable image files: counted, skipped with a warning, and fatal past
the limit."""

import os

import numpy as np
import pytest
import tensorflow as tf

from sparsezoo_tf import data

import data_checks
import data_writers

# Data pipelines do not depend on the op path: run once.
pytestmark = pytest.mark.single_path


def _corrupt_folders(root):
  """ImageNet folders with 6 good train images and 2 bad ones."""
  data_writers.imagenet_folders(root, val=None)
  garbage = os.path.join(root, "train", "n01000001", "garbage.JPEG")
  with open(garbage, "wb") as f:
    f.write(b"this is not an image")
  good = data_writers.jpeg_bytes(data_writers.colour_image([9, 9, 9]))
  truncated = os.path.join(root, "train", "n03000002", "truncated.JPEG")
  with open(truncated, "wb") as f:
    f.write(good[:len(good) // 2])
  return garbage, truncated


def _read(data_dir, training, max_corrupt):
  return data_checks.collect(data.make_dataset(
      "imagenet", "train", batch_size=3, training=training, seed=0,
      data_dir=str(data_dir), image_size=6, max_corrupt=max_corrupt))


@pytest.mark.parametrize("training", [False, True])
def test_skipped_with_a_warning_each(tmp_path, capfd, training):
  bad = _corrupt_folders(str(tmp_path))
  assert data.num_examples("imagenet", "train", str(tmp_path)) == 8
  images, labels = _read(tmp_path, training, max_corrupt=2)
  assert len(labels) == 6
  assert sorted(labels.tolist()) == [0, 0, 1, 1, 2, 2]
  if not training:  # The order of the good ones is kept.
    np.testing.assert_array_equal(labels, [0, 0, 1, 1, 2, 2])
    data_checks.assert_colours(images, labels, data_writers.class_colour,
                               "imagenet")
  warnings = [line for line in capfd.readouterr().err.splitlines()
              if "sparsezoo_tf.data" in line]
  assert len(warnings) == 2, warnings
  for path in bad:
    assert sum(path in line for line in warnings) == 1
  assert sorted(line.split("(")[1].split()[0] for line in warnings) == [
      "1", "2"]


def test_counted_again_each_epoch(tmp_path, capfd):
  _corrupt_folders(str(tmp_path))
  dataset = data.make_dataset("imagenet", "train", batch_size=8,
                              training=True, data_dir=str(tmp_path),
                              image_size=6, max_corrupt=2)
  for _ in range(3):  # 2 per epoch: within the limit every epoch.
    assert len(data_checks.collect(dataset)[1]) == 6
  warnings = [line for line in capfd.readouterr().err.splitlines()
              if "sparsezoo_tf.data" in line]
  assert len(warnings) == 6


@pytest.mark.parametrize("max_corrupt", [0, 1])
def test_fails_past_the_limit(tmp_path, max_corrupt):
  _corrupt_folders(str(tmp_path))
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match=f"too many unreadable images in imagenet train.*"
                     f"max_corrupt={max_corrupt}"):
    _read(tmp_path, False, max_corrupt)


def test_default_limit(tmp_path):
  _corrupt_folders(str(tmp_path))
  assert data.DEFAULT_MAX_CORRUPT == 100
  assert len(_read(tmp_path, False, None)[1]) == 6


def test_corrupt_records_are_counted_too(tmp_path, capfd):
  data_writers.imagenet_tfrecords(str(tmp_path), {"train": [1, 2, 3]},
                                  num_shards=1)
  with tf.io.TFRecordWriter(
      os.path.join(tmp_path, "train-00001-of-00002")) as writer:
    writer.write(data_writers.example(b"\xff\xd8garbage", 2, b"bad.JPEG"))
  os.rename(os.path.join(tmp_path, "train-00000-of-00001"),
            os.path.join(tmp_path, "train-00000-of-00002"))
  images, labels = _read(tmp_path, True, 1)
  assert sorted(labels.tolist()) == [0, 1, 2]
  assert images.shape == (3, 6, 6, 3)
  err = capfd.readouterr().err
  assert "train-00001-of-00002:bad.JPEG" in err
  with pytest.raises(tf.errors.InvalidArgumentError, match="bad.JPEG"):
    _read(tmp_path, True, 0)
