"""ILSVRC-2012 read back from tiny folder and TFRecord layouts."""

import os

import numpy as np
import pytest
import tensorflow as tf

from sparsezoo_tf import data
from sparsezoo_tf.data import imagenet

import data_checks
import data_writers

# Data pipelines do not depend on the op path: run once.
pytestmark = pytest.mark.single_path


def _read(data_dir, split, training=False, **kwargs):
  kwargs.setdefault("image_size", 6)
  return data_checks.collect(data.make_dataset(
      "imagenet", split, batch_size=4, training=training,
      data_dir=str(data_dir), **kwargs))


@pytest.mark.parametrize("val", ["folders", "devkit", "txt"])
def test_folder_layout(tmp_path, val):
  expected = data_writers.imagenet_folders(str(tmp_path), val=val)
  assert imagenet.layout(str(tmp_path)) == "folders"
  assert imagenet.classes(str(tmp_path)) == list(data_writers.SORTED_WNIDS)
  for split in ("train", "validation"):
    images, labels = _read(tmp_path, split)
    assert images.shape == (len(expected[split]), 6, 6, 3)
    assert images.dtype == np.float32 and labels.dtype == np.int32
    np.testing.assert_array_equal(labels, expected[split])
    data_checks.assert_colours(images, labels, data_writers.class_colour,
                               "imagenet")
    assert data.num_examples("imagenet", split, str(tmp_path)) == len(
        expected[split])


def test_flat_validation_without_labels_says_what_it_needs(tmp_path):
  data_writers.imagenet_folders(str(tmp_path), val="devkit")
  os.remove(os.path.join(tmp_path, "ILSVRC2012_devkit_t12", "data",
                         "meta.mat"))
  with pytest.raises(ValueError, match="val_labels.txt.*"
                     "ILSVRC2012_validation_ground_truth.txt.*meta.mat"):
    data.num_examples("imagenet", "validation", str(tmp_path))


def test_validation_class_missing_from_train_is_an_error(tmp_path):
  data_writers.imagenet_folders(str(tmp_path), val="folders")
  data_writers.write_jpeg(
      os.path.join(tmp_path, "val", "n09999999", "x.JPEG"),
      data_writers.colour_image([0, 0, 0]))
  with pytest.raises(ValueError, match="not among the 3 train classes"):
    data.num_examples("imagenet", "validation", str(tmp_path))


def test_tfrecord_layout_labels_are_one_based(tmp_path):
  # Records hold 1-based labels; the pipeline gives 0-based ones.
  records = {"train": [1, 2, 3, 1, 3], "validation": [3, 2, 1]}
  data_writers.imagenet_tfrecords(str(tmp_path), records)
  assert imagenet.layout(str(tmp_path)) == "tfrecord"
  for split, expected in records.items():
    assert data.num_examples("imagenet", split, str(tmp_path)) == len(
        expected)
    images, labels = _read(tmp_path, split)
    assert images.shape == (len(expected), 6, 6, 3)
    # Records went round-robin into two shards, read back in turn.
    shard0 = [label - 1 for label in expected[0::2]]
    shard1 = [label - 1 for label in expected[1::2]]
    woven = [label for pair in zip(shard0, shard1) for label in pair]
    np.testing.assert_array_equal(labels, woven + shard0[len(shard1):])
    data_checks.assert_colours(images, labels, data_writers.class_colour,
                               "imagenet")


def test_tfrecord_label_zero_is_rejected(tmp_path):
  data_writers.imagenet_tfrecords(str(tmp_path), {"validation": [0, 1]})
  with pytest.raises(tf.errors.InvalidArgumentError, match="1-based"):
    _read(tmp_path, "validation")


def test_tfrecord_layout_without_the_split(tmp_path):
  data_writers.imagenet_tfrecords(str(tmp_path), {"train": [1, 2]})
  with pytest.raises(ValueError, match="validation-00000-of-NNNNN"):
    data.num_examples("imagenet", "validation", str(tmp_path))


@pytest.mark.parametrize("setup", ["empty", "other files", "not a folder"])
def test_unknown_layout_says_what_was_expected(tmp_path, setup):
  data_dir = tmp_path / "imagenet"
  if setup == "not a folder":
    data_dir.write_text("x")
  else:
    data_dir.mkdir()
    if setup == "other files":
      (data_dir / "images").mkdir()
      (data_dir / "labels.csv").write_text("a,1\n")
  with pytest.raises(ValueError) as error:
    data.make_dataset("imagenet", "train", batch_size=2, training=True,
                      data_dir=str(data_dir))
  message = str(error.value)
  assert "train/<wnid>/*.JPEG" in message
  assert "train-00000-of-01024" in message


def test_eval_crop_keeps_the_centre(tmp_path):
  # A JPEG with blue 8-pixel strips at both ends of its long side, red in
  # between: resize to 9 then the centre 8x8 crop must be all red.
  image = np.zeros((40, 56, 3), np.uint8)
  image[..., 0] = 255
  image[:, :8] = [0, 0, 255]
  image[:, -8:] = [0, 0, 255]
  for split, folder in (("train", "train"), ("validation", "val")):
    data_writers.write_jpeg(os.path.join(tmp_path, folder, "n01", "a.JPEG"),
                            image)
  images, _ = _read(tmp_path, "validation", image_size=8)
  values = data_checks.pixels(images, "imagenet")
  np.testing.assert_allclose(values, np.broadcast_to([255, 0, 0],
                                                     values.shape), atol=8)


def test_training_is_augmented_and_seeded(tmp_path):
  rng = np.random.default_rng(0)
  for wnid in ("n01", "n02"):
    for i in range(3):
      data_writers.write_jpeg(
          os.path.join(tmp_path, "train", wnid, f"{i}.JPEG"),
          rng.integers(0, 256, (10, 12, 3), dtype=np.uint8))

  def epochs(seed):
    dataset = data.make_dataset("imagenet", "train", batch_size=4,
                                training=True, data_dir=str(tmp_path),
                                image_size=6, seed=seed)
    return [data_checks.collect(dataset) for _ in range(2)]

  first, again, other = epochs(1), epochs(1), epochs(2)
  for (images, labels), (images2, labels2) in zip(first, again):
    assert images.shape == (6, 6, 6, 3) and labels.dtype == np.int32
    np.testing.assert_array_equal(images, images2)
    np.testing.assert_array_equal(labels, labels2)
  assert sorted(first[0][1].tolist()) == [0, 0, 0, 1, 1, 1]
  assert not np.array_equal(first[0][0], first[1][0])
  assert not np.array_equal(first[0][0], other[0][0])
  # The evaluation images are not augmented: the same on every pass.
  eval_images, _ = _read(tmp_path, "train")
  np.testing.assert_array_equal(eval_images, _read(tmp_path, "train")[0])
  dropped = data.make_dataset("imagenet", "train", batch_size=4,
                              training=True, data_dir=str(tmp_path),
                              image_size=6, drop_remainder=True)
  assert [len(y) for _, y in dropped] == [4]
