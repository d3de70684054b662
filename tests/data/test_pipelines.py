"""The public contract of sparsezoo_tf.data.pipelines."""

import numpy as np
import pytest
import tensorflow as tf

from sparsezoo_tf import data

import data_checks

# Data pipelines do not depend on the op path: run once.
pytestmark = pytest.mark.single_path


@pytest.mark.parametrize(
    "name, num_classes, size, channels, splits, uses_data_dir", [
        ("digits", 10, 8, 1, ("train", "test"), False),
        ("imagenet", 1000, 224, 3, ("train", "validation"), True),
        ("cifar10", 10, 32, 3, ("train", "test"), True),
        ("cifar100", 100, 32, 3, ("train", "test"), True),
        ("tiny_imagenet", 200, 64, 3, ("train", "validation"), True),
    ])
def test_dataset_info(name, num_classes, size, channels, splits,
                      uses_data_dir):
  assert data.dataset_info(name) == data.DatasetInfo(
      name, num_classes, size, channels, splits, uses_data_dir)


def test_unknown_dataset_lists_the_known_ones():
  for call in (lambda: data.dataset_info("mnist"),
               lambda: data.num_examples("mnist", "train"),
               lambda: data.make_dataset("mnist", "train", batch_size=2,
                                         training=False)):
    with pytest.raises(ValueError, match="mnist") as error:
      call()
    for name in data.DATASETS:
      assert name in str(error.value)


def test_unknown_split_lists_the_known_ones():
  with pytest.raises(ValueError, match="'validation'.*train, test"):
    data.make_dataset("cifar10", "validation", batch_size=2, training=False,
                      data_dir="/nonexistent")
  with pytest.raises(ValueError, match="'val'.*train, validation"):
    data.num_examples("imagenet", "val", "/nonexistent")


def test_file_datasets_need_a_data_dir():
  with pytest.raises(ValueError, match="needs data_dir"):
    data.make_dataset("cifar10", "train", batch_size=2, training=False)


@pytest.mark.parametrize("kwargs, message", [
    ({"batch_size": 0}, "batch_size"),
    ({"image_size": -1}, "image_size"),
    ({"max_corrupt": -1}, "max_corrupt"),
    ({"image_size": 16}, "8x8"),
])
def test_bad_arguments(kwargs, message):
  arguments = {"batch_size": 4, "training": False, **kwargs}
  with pytest.raises(ValueError, match=message):
    data.make_dataset("digits", "test", **arguments)


def test_digits():
  assert data.num_examples("digits", "train") == 1438
  assert data.num_examples("digits", "test") == 359
  dataset = data.make_dataset("digits", "test", batch_size=100,
                              training=False, data_dir="ignored")
  images, labels = data_checks.collect(dataset)
  assert images.shape == (359, 8, 8, 1) and images.dtype == np.float32
  assert labels.dtype == np.int32
  raw, expected = data.digits_arrays("test")
  np.testing.assert_array_equal(labels, expected)
  mean, std = 0.3053, 0.3760
  np.testing.assert_allclose(images, (raw / 16.0 - mean) / std, atol=1e-5)
  dropped = data.make_dataset("digits", "test", batch_size=100,
                              training=False, drop_remainder=True)
  assert [len(y) for _, y in dropped] == [100, 100, 100]


def test_digits_training_is_seeded():
  def epochs(seed):
    dataset = data.make_dataset("digits", "train", batch_size=512,
                                training=True, seed=seed)
    return [data_checks.collect(dataset) for _ in range(2)]

  first, again = epochs(3), epochs(3)
  for (images, labels), (images2, labels2) in zip(first, again):
    np.testing.assert_array_equal(images, images2)
    np.testing.assert_array_equal(labels, labels2)
  # A new order each epoch, and a different one for another seed.
  assert not np.array_equal(first[0][1], first[1][1])
  assert not np.array_equal(first[0][1], epochs(4)[0][1])
  assert isinstance(
      data.make_dataset("digits", "train", batch_size=2, training=True),
      tf.data.Dataset)
