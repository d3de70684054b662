"""Tiny ImageNet read back from a tiny tiny-imagenet-200 folder."""

import os

import numpy as np
import pytest

from sparsezoo_tf import data
from sparsezoo_tf.data import tiny_imagenet

import data_checks
import data_writers

# Data pipelines do not depend on the op path: run once.
pytestmark = pytest.mark.single_path


@pytest.mark.parametrize("parent", [True, False])
def test_labels_follow_sorted_wnids(tmp_path, parent):
  folder, expected = data_writers.tiny_imagenet(str(tmp_path))
  data_dir = str(tmp_path) if parent else folder
  assert tiny_imagenet.tiny_imagenet_classes(data_dir) == sorted(
      data_writers.TINY_WNIDS)
  for split in ("train", "validation"):
    images, labels = data_checks.collect(data.make_dataset(
        "tiny_imagenet", split, batch_size=3, training=False,
        data_dir=data_dir, image_size=8))
    assert images.shape == (len(expected[split]), 8, 8, 3)
    assert images.dtype == np.float32 and labels.dtype == np.int32
    np.testing.assert_array_equal(labels, expected[split])
    data_checks.assert_colours(images, labels, data_writers.class_colour,
                               "tiny_imagenet")
    assert data.num_examples("tiny_imagenet", split, data_dir) == len(
        expected[split])


def test_training_is_seeded(tmp_path):
  folder, _ = data_writers.tiny_imagenet(str(tmp_path))
  rng = np.random.default_rng(0)
  for wnid in data_writers.TINY_WNIDS:  # Textured images show the crops.
    data_writers.write_jpeg(
        os.path.join(folder, "train", wnid, "images", "noise.JPEG"),
        rng.integers(0, 256, (10, 12, 3), dtype=np.uint8))

  def epoch(seed):
    return data_checks.collect(data.make_dataset(
        "tiny_imagenet", "train", batch_size=4, training=True,
        data_dir=folder, image_size=12, seed=seed))

  images, labels = epoch(0)
  assert images.shape == (9, 12, 12, 3)
  again = epoch(0)
  np.testing.assert_array_equal(images, again[0])
  np.testing.assert_array_equal(labels, again[1])
  assert not np.array_equal(images, epoch(1)[0])


def test_missing_annotations_are_named(tmp_path):
  folder, _ = data_writers.tiny_imagenet(str(tmp_path))
  os.remove(os.path.join(folder, "val", "val_annotations.txt"))
  with pytest.raises(ValueError, match="val_annotations.txt"):
    data.num_examples("tiny_imagenet", "validation", folder)


def test_unknown_wnid_in_annotations(tmp_path):
  folder, _ = data_writers.tiny_imagenet(str(tmp_path))
  with open(os.path.join(folder, "val", "val_annotations.txt"), "a") as f:
    f.write("val_9.JPEG\tn00000000\t0\t0\t1\t1\n")
  with pytest.raises(ValueError, match="line 5.*wnids.txt"):
    data.num_examples("tiny_imagenet", "validation", folder)


def test_not_tiny_imagenet_says_what_was_expected(tmp_path):
  with pytest.raises(ValueError, match="tiny-imagenet-200.*wnids.txt.*"
                     "val_annotations.txt"):
    data.make_dataset("tiny_imagenet", "train", batch_size=2, training=True,
                      data_dir=str(tmp_path))
