"""One entry point for the zoo's classification datasets as tf.data pipelines.

`make_dataset` returns batches of (images, labels): images float32
[B, S, S, C] normalized with the dataset's per-channel mean and std
(`sparsezoo_tf.data.statistics.STATISTICS`), labels int32 [B].

Datasets and where their files come from (`data_dir`):

* "digits": scikit-learn's 8x8 digits, shipped with scikit-learn
  (`data_dir` is ignored).
* "digits_canvas": those digits enlarged on 64x64 canvases, one per
  canvas (see `sparsezoo_tf.data.digits_canvas`; `data_dir` is ignored).
* "imagenet": ILSVRC-2012 as image folders or as TFRecord shards
  (see `sparsezoo_tf.data.imagenet`).
* "cifar10", "cifar100": the python-pickle archives
  (see `sparsezoo_tf.data.cifar`).
* "tiny_imagenet": the tiny-imagenet-200 folder
  (see `sparsezoo_tf.data.tiny_imagenet`).
"""

import dataclasses
from typing import Optional, Tuple

import tensorflow as tf


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
  """What a model trained on a dataset needs to know about it.

  Attributes:
    name: the dataset name, a key of `statistics.STATISTICS`.
    num_classes: number of classes.
    image_size: side of the square images fed to the model by default.
    channels: image channels (3 for RGB, 1 for digits).
    splits: the split names `make_dataset` accepts.
    uses_data_dir: whether `make_dataset` reads `data_dir` (False for
      the digits datasets, generated from scikit-learn's digits).
  """
  name: str
  num_classes: int
  image_size: int
  channels: int
  splits: Tuple[str, ...]
  uses_data_dir: bool = True


_INFOS = {
    info.name: info for info in (
        DatasetInfo("digits", 10, 8, 1, ("train", "test"),
                    uses_data_dir=False),
        DatasetInfo("digits_canvas", 10, 64, 1, ("train", "test"),
                    uses_data_dir=False),
        DatasetInfo("imagenet", 1000, 224, 3, ("train", "validation")),
        DatasetInfo("cifar10", 10, 32, 3, ("train", "test")),
        DatasetInfo("cifar100", 100, 32, 3, ("train", "test")),
        DatasetInfo("tiny_imagenet", 200, 64, 3, ("train", "validation")),
    )
}
DATASETS = tuple(_INFOS)
DEFAULT_MAX_CORRUPT = 100


def dataset_info(name: str) -> DatasetInfo:
  """The `DatasetInfo` of a dataset.

  Args:
    name: one of DATASETS.

  Returns:
    The dataset's DatasetInfo.

  Raises:
    ValueError: for an unknown name.
  """
  if name not in _INFOS:
    raise ValueError(f"unknown dataset {name!r}; known datasets: "
                     f"{', '.join(DATASETS)}")
  return _INFOS[name]


def _check_split(info: DatasetInfo, split: str) -> None:
  if split not in info.splits:
    raise ValueError(f"unknown split {split!r} of dataset {info.name!r}; "
                     f"known splits: {', '.join(info.splits)}")


def num_examples(name: str, split: str, data_dir: str = "") -> int:
  """Number of examples in one epoch of a split (before batching).

  Args:
    name: one of DATASETS.
    split: one of `dataset_info(name).splits`.
    data_dir: where the dataset's files are (ignored for "digits" and
      "digits_canvas").

  Returns:
    The number of examples listed in the split (corrupt image files are
    counted here; the pipeline skips them).
  """
  info = dataset_info(name)
  _check_split(info, split)
  if name == "digits":
    from sparsezoo_tf.data import digits  # pylint: disable=g-import-not-at-top
    return len(digits.digits_arrays(split)[1])
  if name == "digits_canvas":
    # pylint: disable-next=g-import-not-at-top
    from sparsezoo_tf.data import digits_canvas
    return digits_canvas.num_canvases(split)
  return _source(name, split, data_dir).count()


def _source(name: str, split: str, data_dir: str):
  """The dataset's `sources.Source` of a split."""
  # pylint: disable=g-import-not-at-top
  if not data_dir:
    raise ValueError(f"dataset {name!r} needs data_dir: the folder (or "
                     "archive) holding its files")
  if name == "imagenet":
    from sparsezoo_tf.data import imagenet
    return imagenet.imagenet_source(split, data_dir)
  if name in ("cifar10", "cifar100"):
    from sparsezoo_tf.data import cifar
    return cifar.cifar_source(name, split, data_dir)
  if name == "tiny_imagenet":
    from sparsezoo_tf.data import tiny_imagenet
    return tiny_imagenet.tiny_imagenet_source(split, data_dir)
  raise ValueError(f"no file source for dataset {name!r}")


def make_dataset(name: str, split: str, *, batch_size: int, training: bool,
                 data_dir: str = "", image_size: int = 0,
                 seed: Optional[int] = None, drop_remainder: bool = False,
                 max_corrupt: Optional[int] = None) -> tf.data.Dataset:
  """Batched, preprocessed examples of a dataset split.

  One iteration over the returned dataset is one epoch (it does not
  repeat). With `training`, examples are shuffled (a new order each
  iteration) and augmented with the papers' augmentations
  (`sparsezoo_tf.data.augment`); without it, they come in file order with
  the evaluation transform. Given a `seed`, the shuffling and the
  augmentation are deterministic: the same seed gives the same epochs.

  Args:
    name: one of DATASETS.
    split: one of `dataset_info(name).splits`.
    batch_size: examples per batch.
    training: shuffle and augment.
    data_dir: where the dataset's files are (ignored for "digits" and
      "digits_canvas").
    image_size: side of the output images; 0 for the dataset's default
      (`dataset_info(name).image_size`). For "digits_canvas", the side of
      the generated canvases (at least the largest digit, 40).
    seed: seed of the shuffling and augmentation; None for fresh
      randomness (and non-deterministic, faster, parallel ordering).
    drop_remainder: drop the last, smaller batch.
    max_corrupt: how many unreadable image files one epoch may skip (each
      one with a warning on stderr) before the pipeline fails with
      tf.errors.InvalidArgumentError; None for DEFAULT_MAX_CORRUPT (100).

  Returns:
    tf.data.Dataset of (images float32 [B, S, S, C], labels int32 [B]).

  Raises:
    ValueError: for an unknown dataset or split, a bad argument, or a
      data_dir that does not hold the dataset in a known layout.
  """
  info = dataset_info(name)
  _check_split(info, split)
  if batch_size < 1:
    raise ValueError(f"batch_size must be positive, got {batch_size}")
  if image_size < 0:
    raise ValueError(f"image_size must be >= 0, got {image_size}")
  image_size = image_size or info.image_size
  if max_corrupt is None:
    max_corrupt = DEFAULT_MAX_CORRUPT
  if max_corrupt < 0:
    raise ValueError(f"max_corrupt must be >= 0, got {max_corrupt}")
  if name == "digits":
    if image_size != info.image_size:
      raise ValueError(f"digits images are {info.image_size}x"
                       f"{info.image_size}; got image_size={image_size}")
    from sparsezoo_tf.data import digits  # pylint: disable=g-import-not-at-top
    return digits.digits_dataset(split, batch_size, training=training,
                                 seed=seed, drop_remainder=drop_remainder)
  if name == "digits_canvas":
    # pylint: disable-next=g-import-not-at-top
    from sparsezoo_tf.data import digits_canvas
    return digits_canvas.canvas_dataset(
        split, batch_size, training=training, seed=seed,
        canvas_size=image_size, drop_remainder=drop_remainder)
  from sparsezoo_tf.data import assemble  # pylint: disable=g-import-not-at-top
  return assemble.build(
      _source(name, split, data_dir), info, split=split,
      batch_size=batch_size, training=training, image_size=image_size,
      seed=seed, drop_remainder=drop_remainder, max_corrupt=max_corrupt)
