"""Evaluation of trained models: top-1 / top-5 classification accuracy."""

from sparsezoo_tf.evaluation.classification import evaluate
from sparsezoo_tf.evaluation.classification import TOP_K

__all__ = ["TOP_K", "evaluate"]
