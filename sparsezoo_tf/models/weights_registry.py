"""The registered weights (see `weights.py` for the lookup rules).

Entries with `sha256=None` are names reserved for weights this project's
machines cannot train (ImageNet, CIFAR): their recipes are in `configs/`,
and asking for them says so instead of loading anything.
"""

from sparsezoo_tf.models.weights import register_weights
from sparsezoo_tf.models.weights import WeightsEntry

del register_weights, WeightsEntry
