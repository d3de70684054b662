"""Training: YAML recipes, the Keras `fit` driver, strategies, run folders."""

from sparsezoo_tf.training.classifier import build_model
from sparsezoo_tf.training.classifier import evaluate_digits
from sparsezoo_tf.training.classifier import load_trained
from sparsezoo_tf.training.classifier import train
from sparsezoo_tf.training.distribute import make_strategy
from sparsezoo_tf.training.distribute import STRATEGIES
from sparsezoo_tf.training.recipe import load_recipe
from sparsezoo_tf.training.recipe import Recipe

__all__ = ["Recipe", "STRATEGIES", "build_model", "evaluate_digits",
           "load_recipe", "load_trained", "make_strategy", "train"]
