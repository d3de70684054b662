"""Checks shared by the data tests."""

import os

import numpy as np
import tensorflow as tf

from sparsezoo_tf.data import statistics


def collect(dataset):
  """(images, labels) numpy arrays of a whole (finite) dataset."""
  images, labels = [], []
  for batch_images, batch_labels in dataset:
    images.append(batch_images.numpy())
    labels.append(batch_labels.numpy())
  return np.concatenate(images), np.concatenate(labels)


def normalized(pixels, name):
  """Hand-computed normalization of 0..255 pixel values."""
  mean, std = statistics.STATISTICS[name]
  return (np.asarray(pixels, np.float64) / 255.0 - mean) / std


def pixels(images, name):
  """Back from normalized images to 0..255 pixel values."""
  mean, std = statistics.STATISTICS[name]
  return (np.asarray(images, np.float64) * std + mean) * 255.0


def assert_colours(images, labels, colour_of, name, atol=3.0):
  """Each constant-coloured image has the colour of its label's class."""
  values = pixels(images, name)
  for image, label in zip(values, labels):
    expected = np.asarray(colour_of(int(label)), np.float64)
    np.testing.assert_allclose(image, np.broadcast_to(expected, image.shape),
                               atol=atol, err_msg=f"label {label}")


def resized_digit(digit, size):
  """An 8x8 digit (0..16) as the canvases draw it, computed independently:
  tf.image.resize's bilinear (half-pixel centres) on 0..255, cropped to the
  non-zero pixels."""
  resized = tf.image.resize(np.asarray(digit, np.float32)[..., None],
                            (size, size), method="bilinear",
                            antialias=False)[..., 0].numpy()
  patch = np.round(resized * 255.0 / 16.0)
  rows = np.flatnonzero(patch.any(axis=1))
  columns = np.flatnonzero(patch.any(axis=0))
  return patch[rows[0]:rows[-1] + 1, columns[0]:columns[-1] + 1]


def folder_files(folder):
  """{relative path: bytes} of every file under `folder`."""
  found = {}
  for directory, _, names in os.walk(folder):
    for name in names:
      path = os.path.join(directory, name)
      with open(path, "rb") as stream:
        found[os.path.relpath(path, folder)] = stream.read()
  return found
