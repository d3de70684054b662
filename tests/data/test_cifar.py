"""CIFAR-10 / CIFAR-100 read back from tiny python-pickle archives."""

import os
import pickle

import numpy as np
import pytest

from sparsezoo_tf import data
from sparsezoo_tf.data import cifar

import data_checks
import data_writers

# Data pipelines do not depend on the op path: run once.
pytestmark = pytest.mark.single_path


def _expected(members, split, name):
  names = {"cifar10": {"train": [f"data_batch_{i}" for i in range(1, 6)],
                       "test": ["test_batch"]},
           "cifar100": {"train": ["train"], "test": ["test"]}}[name][split]
  return (np.concatenate([members[m][0] for m in names]),
          np.concatenate([members[m][1] for m in names]))


@pytest.mark.parametrize("name", ["cifar10", "cifar100"])
@pytest.mark.parametrize("where", ["parent", "folder", "archive",
                                   "archive parent"])
def test_arrays_from_every_location(tmp_path, name, where):
  members, path = data_writers.write_cifar(str(tmp_path), name,
                                           archive=where.startswith("archive"))
  data_dir = {"parent": str(tmp_path), "folder": path, "archive": path,
              "archive parent": str(tmp_path)}[where]
  for split in ("train", "test"):
    images, labels = cifar.cifar_arrays(name, split, data_dir)
    expected_images, expected_labels = _expected(members, split, name)
    assert images.dtype == np.uint8 and images.shape[1:] == (32, 32, 3)
    np.testing.assert_array_equal(images, expected_images)
    np.testing.assert_array_equal(labels, expected_labels)
    assert data.num_examples(name, split, data_dir) == len(expected_labels)


def test_archive_is_read_without_extracting(tmp_path):
  _, path = data_writers.write_cifar(str(tmp_path), "cifar10", archive=True)
  cifar.cifar_arrays("cifar10", "test", path)
  assert os.listdir(tmp_path) == [os.path.basename(path)]


def test_cifar100_uses_the_fine_labels(tmp_path):
  members, _ = data_writers.write_cifar(str(tmp_path), "cifar100")
  _, labels = cifar.cifar_arrays("cifar100", "train", str(tmp_path))
  assert labels.max() > 19  # Coarse labels stop at 19.
  np.testing.assert_array_equal(labels, members["train"][1])


def test_evaluation_images_are_normalized_pixels(tmp_path):
  members, _ = data_writers.write_cifar(str(tmp_path), "cifar10")
  images, labels = data_checks.collect(data.make_dataset(
      "cifar10", "test", batch_size=2, training=False,
      data_dir=str(tmp_path)))
  expected_images, expected_labels = _expected(members, "test", "cifar10")
  assert images.shape == (3, 32, 32, 3) and images.dtype == np.float32
  assert labels.dtype == np.int32
  np.testing.assert_array_equal(labels, expected_labels)
  np.testing.assert_allclose(
      images, data_checks.normalized(expected_images, "cifar10"), atol=1e-5)


def test_normalization_of_a_constant_image(tmp_path):
  folder = tmp_path / "cifar-10-batches-py"
  folder.mkdir()
  image = data_writers.colour_image([255, 0, 51], 32, 32)[None]
  for member in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
    (folder / member).write_bytes(
        data_writers.cifar_batch(image, [4], b"labels"))
  images, labels = data_checks.collect(data.make_dataset(
      "cifar10", "test", batch_size=1, training=False,
      data_dir=str(tmp_path)))
  mean, std = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
  expected = [(1 - mean[0]) / std[0], (0 - mean[1]) / std[1],
              (0.2 - mean[2]) / std[2]]
  np.testing.assert_allclose(images[0], np.broadcast_to(expected,
                                                        (32, 32, 3)),
                             rtol=1e-5)
  assert labels.tolist() == [4]


def test_training_pads_crops_and_flips_with_a_seed(tmp_path):
  members, _ = data_writers.write_cifar(str(tmp_path), "cifar10")
  originals, original_labels = _expected(members, "train", "cifar10")

  def epoch(seed):
    return data_checks.collect(data.make_dataset(
        "cifar10", "train", batch_size=4, training=True,
        data_dir=str(tmp_path), seed=seed))

  images, labels = epoch(5)
  again, labels_again = epoch(5)
  np.testing.assert_array_equal(images, again)
  np.testing.assert_array_equal(labels, labels_again)
  assert not np.array_equal(images, epoch(6)[0])
  assert sorted(labels.tolist()) == sorted(original_labels.tolist())
  # Each image is a window of its zero-padded original, maybe flipped.
  raw = np.rint(data_checks.pixels(images, "cifar10"))
  padded = np.pad(originals, [(0, 0), (4, 4), (4, 4), (0, 0)])
  shifted = 0
  for image in raw:
    found = [(dy, dx) for index in range(len(originals))
             for dy in range(9) for dx in range(9) for flip in (1, -1)
             if np.array_equal(image, padded[index, dy:dy + 32,
                                             dx:dx + 32][:, ::flip])]
    assert found, "not a window of a padded training image"
    shifted += found[0] != (4, 4)
  assert shifted > 0


def test_other_image_size_resizes(tmp_path):
  data_writers.write_cifar(str(tmp_path), "cifar100")
  for training in (False, True):
    images, _ = data_checks.collect(data.make_dataset(
        "cifar100", "test", batch_size=4, training=training,
        data_dir=str(tmp_path), image_size=16, seed=0))
    assert images.shape == (3, 16, 16, 3)


def test_missing_data_says_what_was_expected(tmp_path):
  with pytest.raises(ValueError, match="cifar-10-batches-py.*"
                     "cifar-10-python.tar.gz"):
    cifar.cifar_arrays("cifar10", "train", str(tmp_path))
  data_writers.write_cifar(str(tmp_path), "cifar100")
  with pytest.raises(ValueError, match="cifar-10-batches-py"):
    data.num_examples("cifar10", "test", str(tmp_path))


def test_missing_member_is_named(tmp_path):
  _, path = data_writers.write_cifar(str(tmp_path), "cifar10")
  os.remove(os.path.join(path, "data_batch_3"))
  with pytest.raises(ValueError, match="data_batch_3"):
    cifar.cifar_arrays("cifar10", "train", str(tmp_path))


def test_wrong_label_key_is_named(tmp_path):
  folder = tmp_path / "cifar-100-python"
  folder.mkdir()
  batch = data_writers.cifar_batch(data_writers.cifar_images(2, 0), [1, 2],
                                   b"labels")
  for member in ("train", "test"):
    (folder / member).write_bytes(batch)
  with pytest.raises(ValueError, match="fine_labels"):
    cifar.cifar_arrays("cifar100", "test", str(tmp_path))


class _Exploit:

  def __reduce__(self):
    return (os.system, ("echo pwned",))


def test_pickles_cannot_run_code(tmp_path):
  folder = tmp_path / "cifar-10-batches-py"
  folder.mkdir()
  (folder / "test_batch").write_bytes(pickle.dumps(
      {b"data": _Exploit(), b"labels": []}, protocol=2))
  with pytest.raises(ValueError, match="refusing to load"):
    cifar.cifar_arrays("cifar10", "test", str(tmp_path))
