"""The papers' transforms of sparsezoo_tf.data.augment, on exact tensors."""

import numpy as np
import pytest
import tensorflow as tf

from sparsezoo_tf.data import augment

import data_checks

# Data pipelines do not depend on the op path: run once.
pytestmark = pytest.mark.single_path

SEED = tf.constant([7, 11], tf.int64)


def test_normalize_matches_hand_computed_values():
  image = tf.constant([[[1.0, 0.0, 0.5]]])
  expected = [(1.0 - 0.485) / 0.229, (0.0 - 0.456) / 0.224,
              (0.5 - 0.406) / 0.225]
  np.testing.assert_allclose(augment.normalize(image, "imagenet")[0, 0],
                             expected, rtol=1e-6)
  np.testing.assert_allclose(
      augment.normalize(image, "cifar10")[0, 0],
      data_checks.normalized([255, 0, 127.5], "cifar10"), rtol=1e-6)
  with pytest.raises(ValueError, match="mnist"):
    augment.normalize(image, "mnist")


@pytest.mark.parametrize("shape, size, expected", [
    ((10, 12), 5, (5, 6)), ((12, 10), 5, (6, 5)), ((20, 20), 9, (9, 9)),
    ((375, 500), 256, (256, 341)),
])
def test_resize_shorter_side(shape, size, expected):
  image = tf.zeros(shape + (3,))
  assert tuple(augment.resize_shorter_side(image, size).shape[:2]) == expected


def test_eval_resize_size():
  assert augment.eval_resize_size(224) == 256
  assert augment.eval_resize_size(8) == 9


def test_center_crop_takes_the_middle():
  image = tf.reshape(tf.range(7 * 9, dtype=tf.float32), (7, 9, 1))
  # Offsets round((7-4)/2) = 2 and round((9-4)/2) = 2 (half to even).
  np.testing.assert_array_equal(augment.center_crop(image, 4),
                                image[2:6, 2:6])


@pytest.mark.parametrize("portrait", [False, True])
def test_imagenet_eval_keeps_only_the_centre(portrait):
  # Colour A in strips at both ends of the long side, B in between: the
  # shorter side resized to 9 and the centre 8x8 crop must see only B.
  a, b = [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]
  image = np.tile(np.array(b, np.float32), (40, 56, 1))
  image[:, :5] = a
  image[:, -5:] = a
  if portrait:
    image = image.transpose(1, 0, 2)
  out = augment.imagenet_eval(tf.constant(image), 8).numpy()
  assert out.shape == (8, 8, 3)
  np.testing.assert_allclose(out, np.broadcast_to(b, out.shape), atol=0.02)
  # Without the crop, the resized image still shows A at its ends.
  resized = augment.resize_shorter_side(tf.constant(image), 9).numpy()
  corner = resized[0, 0]
  assert corner[0] > 0.5, corner


def test_pad_crop_flip():
  image = tf.random.stateless_uniform((6, 5, 3), [1, 2], 0.1, 1.0)
  outs = [augment.pad_crop_flip(image, tf.constant([s, 0], tf.int64))
          for s in range(40)]
  np.testing.assert_array_equal(outs[3],
                                augment.pad_crop_flip(image, tf.constant(
                                    [3, 0], tf.int64)))
  padded = np.pad(image.numpy(), [(4, 4), (4, 4), (0, 0)])
  windows = []
  for out in outs:
    out = out.numpy()
    assert out.shape == (6, 5, 3)
    matches = [(dy, dx, flip) for dy in range(9) for dx in range(9)
               for flip in (False, True)
               if np.array_equal(
                   out, (padded[dy:dy + 6, dx:dx + 5][:, ::-1] if flip
                         else padded[dy:dy + 6, dx:dx + 5]))]
    assert matches, "not a flipped or unflipped window of the padded image"
    windows.append(matches[0])
  assert len(set(windows)) > 10
  assert {flip for _, _, flip in windows} == {False, True}


def test_random_resized_crop():
  image = tf.reshape(tf.range(30 * 40 * 3, dtype=tf.float32),
                     (30, 40, 3)) / (30 * 40 * 3)
  outs = [augment.random_resized_crop(image, 8, tf.constant([s, 1], tf.int64))
          for s in range(10)]
  assert all(out.shape == (8, 8, 3) for out in outs)
  np.testing.assert_array_equal(
      outs[0], augment.random_resized_crop(image, 8,
                                           tf.constant([0, 1], tf.int64)))
  assert len({out.numpy().tobytes() for out in outs}) == 10


def test_color_jitter_scales_a_grey_image_by_at_most_40_percent():
  grey = tf.fill((4, 4, 3), 0.5)
  values = []
  for s in range(30):
    out = augment.color_jitter(grey, tf.constant([s, 2], tf.int64)).numpy()
    # On grey, contrast and saturation change nothing: only brightness.
    assert np.ptp(out) < 1e-6
    values.append(out[0, 0, 0])
  assert 0.3 - 1e-6 <= min(values) and max(values) <= 0.7 + 1e-6
  assert max(values) - min(values) > 0.2
  colour = tf.random.stateless_uniform((4, 4, 3), [3, 4])
  out = augment.color_jitter(colour, SEED)
  assert float(tf.reduce_min(out)) >= 0 and float(tf.reduce_max(out)) <= 1
  np.testing.assert_array_equal(out, augment.color_jitter(colour, SEED))
  assert not np.allclose(out, colour)


def test_imagenet_train_shape_and_seed():
  image = tf.random.stateless_uniform((10, 12, 3), [5, 6])
  out = augment.imagenet_train(image, 6, SEED)
  assert out.shape == (6, 6, 3)
  np.testing.assert_array_equal(out, augment.imagenet_train(image, 6, SEED))
  assert not np.array_equal(
      out, augment.imagenet_train(image, 6, tf.constant([8, 11], tf.int64)))
