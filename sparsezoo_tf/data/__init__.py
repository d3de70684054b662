"""Datasets as tf.data pipelines: `make_dataset` for the zoo's datasets
(digits, ImageNet, CIFAR-10/100, Tiny ImageNet), plus the embedded digits."""

from sparsezoo_tf.data.digits import digits_arrays
from sparsezoo_tf.data.digits import digits_dataset
from sparsezoo_tf.data.digits import DIGITS_SPLITS
from sparsezoo_tf.data.pipelines import DATASETS
from sparsezoo_tf.data.pipelines import dataset_info
from sparsezoo_tf.data.pipelines import DatasetInfo
from sparsezoo_tf.data.pipelines import DEFAULT_MAX_CORRUPT
from sparsezoo_tf.data.pipelines import make_dataset
from sparsezoo_tf.data.pipelines import num_examples

__all__ = [
    "DATASETS", "DEFAULT_MAX_CORRUPT", "DIGITS_SPLITS", "DatasetInfo",
    "dataset_info", "digits_arrays", "digits_dataset", "make_dataset",
    "num_examples",
]
