"""Writers of tiny datasets in the real on-disk formats, for the data tests.

Images are constant-coloured so that a label can be checked against the
colour its class was given.
"""

import io
import os
import pickle
import tarfile

import numpy as np
from scipy import io as scipy_io
import tensorflow as tf

HEIGHT, WIDTH = 10, 12


def colour_image(colour, height=HEIGHT, width=WIDTH):
  """uint8 [height, width, 3] of one colour."""
  return np.broadcast_to(np.asarray(colour, np.uint8),
                         (height, width, 3)).copy()


def jpeg_bytes(image) -> bytes:
  return tf.io.encode_jpeg(image, quality=100,
                           chroma_downsampling=False).numpy()


def write_jpeg(path, image):
  os.makedirs(os.path.dirname(path), exist_ok=True)
  with open(path, "wb") as f:
    f.write(jpeg_bytes(image))


def class_colour(index):
  """A distinct colour per class index (channel values far apart)."""
  return [(40 + 90 * index) % 256, (200 - 60 * index) % 256,
          (100 + 50 * index) % 256]


# Wnids deliberately not created in sorted order.
WNIDS = ("n02000003", "n01000001", "n03000002")
SORTED_WNIDS = tuple(sorted(WNIDS))


def imagenet_folders(root, val="folders", per_class=2):
  """ILSVRC-2012 folder layout with `per_class` images per class in train
  and one in val; the image colour is class_colour(sorted index).

  Args:
    root: the data_dir to fill.
    val: "folders" (val/<wnid>/), "devkit" (flat val/ + ground truth +
      meta.mat in ILSVRC2012_devkit_t12/data), "txt" (flat val/ +
      val_labels.txt), or None (no val).
    per_class: train images per class.

  Returns:
    {split: [label of each image in listing order]}.
  """
  labels = {"train": [], "validation": []}
  for wnid in WNIDS:
    index = SORTED_WNIDS.index(wnid)
    for i in range(per_class):
      write_jpeg(os.path.join(root, "train", wnid, f"{wnid}_{i}.JPEG"),
                 colour_image(class_colour(index)))
  for index in range(len(SORTED_WNIDS)):
    labels["train"] += [index] * per_class
  if val == "folders":
    for wnid in WNIDS:
      index = SORTED_WNIDS.index(wnid)
      write_jpeg(os.path.join(root, "val", wnid, f"v_{wnid}.JPEG"),
                 colour_image(class_colour(index)))
    labels["validation"] = list(range(len(SORTED_WNIDS)))
  elif val in ("devkit", "txt"):
    # Validation image i+1 has class order[i] (sorted index).
    order = [2, 0, 1, 1]
    # ILSVRC2012_IDs of the devkit: not in wnid order either.
    ids = {"n03000002": 1, "n01000001": 2, "n02000003": 3}
    truth, lines = [], []
    for number, index in enumerate(order, 1):
      name = f"ILSVRC2012_val_{number:08d}.JPEG"
      write_jpeg(os.path.join(root, "val", name),
                 colour_image(class_colour(index)))
      truth.append(ids[SORTED_WNIDS[index]])
      lines.append(f"{name} {SORTED_WNIDS[index]}")
    if val == "devkit":
      devkit = os.path.join(root, "ILSVRC2012_devkit_t12", "data")
      os.makedirs(devkit)
      with open(os.path.join(devkit,
                             "ILSVRC2012_validation_ground_truth.txt"),
                "w") as f:
        f.write("".join(f"{t}\n" for t in truth))
      write_meta(os.path.join(devkit, "meta.mat"), ids)
    else:
      with open(os.path.join(root, "val_labels.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    labels["validation"] = order
  return labels


def write_meta(path, ids):
  """A devkit-like meta.mat: the leaf synsets of `ids` (wnid -> id) plus a
  parent synset with children."""
  fields = ["ILSVRC2012_ID", "WNID", "words", "num_children"]
  synsets = np.zeros((len(ids) + 1, 1),
                     dtype=[(field, object) for field in fields])
  rows = [(class_id, wnid, wnid, 0) for wnid, class_id in ids.items()]
  rows.append((len(ids) + 1, "n00000009", "parent", len(ids)))
  for row, (class_id, wnid, words, children) in enumerate(rows):
    synsets[row, 0] = (np.array([[class_id]], np.uint16), np.array([wnid]),
                       np.array([words]), np.array([[children]], np.uint8))
  scipy_io.savemat(path, {"synsets": synsets})


def example(encoded, label, filename=b""):
  feature = {
      "image/encoded": tf.train.Feature(
          bytes_list=tf.train.BytesList(value=[encoded])),
      "image/class/label": tf.train.Feature(
          int64_list=tf.train.Int64List(value=[label])),
      "image/filename": tf.train.Feature(
          bytes_list=tf.train.BytesList(value=[filename])),
  }
  return tf.train.Example(
      features=tf.train.Features(feature=feature)).SerializeToString()


def imagenet_tfrecords(root, labels_by_split, num_shards=2):
  """Inception-layout shards; `labels_by_split[split]` are the 1-based
  labels of the records, written round-robin into the shards; image colour
  is class_colour(label - 1)."""
  os.makedirs(root, exist_ok=True)
  for split, labels in labels_by_split.items():
    writers = [tf.io.TFRecordWriter(os.path.join(
        root, f"{split}-{shard:05d}-of-{num_shards:05d}"))
               for shard in range(num_shards)]
    for i, label in enumerate(labels):
      image = colour_image(class_colour(max(label - 1, 0)))
      writers[i % num_shards].write(
          example(jpeg_bytes(image), label, f"img_{i}.JPEG".encode()))
    for writer in writers:
      writer.close()


def cifar_images(count, seed):
  return np.random.default_rng(seed).integers(
      0, 256, (count, 32, 32, 3), dtype=np.uint8)


def cifar_batch(images, labels, label_key):
  """A CIFAR batch dict as the archives hold it (channel planes)."""
  data = images.transpose(0, 3, 1, 2).reshape(len(images), -1)
  batch = {b"batch_label": b"testing batch", b"data": data,
           label_key: list(int(l) for l in labels),
           b"filenames": [f"{i}.png".encode() for i in range(len(images))]}
  if label_key == b"fine_labels":
    batch[b"coarse_labels"] = [int(l) // 5 for l in labels]
  return pickle.dumps(batch, protocol=2)


CIFAR_MEMBERS = {
    "cifar10": ("cifar-10-batches-py",
                {f"data_batch_{i}": 2 for i in range(1, 6)} | {
                    "test_batch": 3}, b"labels", 10),
    "cifar100": ("cifar-100-python", {"train": 4, "test": 3},
                 b"fine_labels", 100),
}


def cifar_files(name, seed=0):
  """{member name: (images, labels, pickle bytes)} of a tiny CIFAR."""
  _, counts, label_key, num_classes = CIFAR_MEMBERS[name]
  out = {}
  for offset, (member, count) in enumerate(counts.items()):
    images = cifar_images(count, seed + offset)
    labels = (np.arange(count) * 7 + offset) % num_classes
    out[member] = (images, labels, cifar_batch(images, labels, label_key))
  return out


def write_cifar(root, name, archive=False, seed=0):
  """Writes root/<folder>/<members> or root/<archive>.tar.gz.

  Returns:
    (members dict of cifar_files, path of the folder or archive).
  """
  folder, _, _, _ = CIFAR_MEMBERS[name]
  members = cifar_files(name, seed)
  os.makedirs(root, exist_ok=True)
  if archive:
    path = os.path.join(root, {"cifar10": "cifar-10-python.tar.gz",
                               "cifar100": "cifar-100-python.tar.gz"}[name])
    with tarfile.open(path, "w:gz") as tar:
      for member, (_, _, data) in members.items():
        info = tarfile.TarInfo(f"{folder}/{member}")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return members, path
  path = os.path.join(root, folder)
  os.makedirs(path)
  for member, (_, _, data) in members.items():
    with open(os.path.join(path, member), "wb") as f:
      f.write(data)
  return members, path


TINY_WNIDS = ("n09000001", "n01000002", "n05000003")  # Not sorted.


def tiny_imagenet(root, per_class=2):
  """tiny-imagenet-200 folder in root; image colour is
  class_colour(sorted index).

  Returns:
    (folder, {split: labels in listing order}).
  """
  folder = os.path.join(root, "tiny-imagenet-200")
  os.makedirs(folder)
  with open(os.path.join(folder, "wnids.txt"), "w") as f:
    f.write("\n".join(TINY_WNIDS) + "\n")
  ordered = sorted(TINY_WNIDS)
  for wnid in TINY_WNIDS:
    index = ordered.index(wnid)
    for i in range(per_class):
      write_jpeg(os.path.join(folder, "train", wnid, "images",
                              f"{wnid}_{i}.JPEG"),
                 colour_image(class_colour(index)))
  val_order = [1, 2, 0, 2]
  lines = []
  for i, index in enumerate(val_order):
    name = f"val_{i}.JPEG"
    write_jpeg(os.path.join(folder, "val", "images", name),
               colour_image(class_colour(index)))
    lines.append(f"{name}\t{ordered[index]}\t0\t0\t5\t5")
  with open(os.path.join(folder, "val", "val_annotations.txt"), "w") as f:
    f.write("\n".join(lines) + "\n")
  train = [i for i in range(len(ordered)) for _ in range(per_class)]
  return folder, {"train": train, "validation": val_order}
