"""Datasets as tf.data pipelines (the embedded 8x8 digits for now)."""

from sparsezoo_tf.data.digits import digits_arrays
from sparsezoo_tf.data.digits import digits_dataset
from sparsezoo_tf.data.digits import DIGITS_SPLITS

__all__ = ["DIGITS_SPLITS", "digits_arrays", "digits_dataset"]
