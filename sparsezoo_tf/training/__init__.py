"""Training: YAML recipes and the Keras `fit` driver."""

from sparsezoo_tf.training.recipe import load_recipe
from sparsezoo_tf.training.recipe import Recipe
from sparsezoo_tf.training.classifier import evaluate_digits
from sparsezoo_tf.training.classifier import train

__all__ = ["Recipe", "evaluate_digits", "load_recipe", "train"]
