"""sparsezoo_tf: pre-defined sparse convolution kernels for TensorFlow/Keras.

Subpackages:
  patterns: which weights exist (NumPy).
  ops: the sparse convolution op, its plans and its pure-TF reference.
  schemes: the scheme registry, one entry per scheme (NumPy).
  layers: one Keras layer per scheme.
  analysis: parameter / FLOP counts, information field, design space.
  models: the model zoo and its weights.
  conversion: `sparsify`, a user's tf_keras model with a scheme's layers.
  data, training, evaluation: dataset pipelines, recipes and the trainer.
  benchmarks: speed measurements and the tables they write.

Importing the package loads the op library when it is built (so that
SavedModels using `SparseZoo>SparseConv2D` load) and registers the Keras
layers and the zoo's models (so that `.keras` files load); Keras 3 objects
meeting them raise `keras_compat.KerasVersionError` (README, "Which Keras").
"""

__version__ = "0.1.0"

# pylint: disable=g-import-not-at-top,wrong-import-position
from sparsezoo_tf import keras_compat as _keras_compat
from sparsezoo_tf.ops import loader as _loader
from sparsezoo_tf import layers  # noqa: F401  (registers the layers)
from sparsezoo_tf import models  # noqa: F401  (registers the zoo)
from sparsezoo_tf.conversion import sparsify  # noqa: F401

_loader.load_library()
_keras_compat.register_keras3_stubs()
