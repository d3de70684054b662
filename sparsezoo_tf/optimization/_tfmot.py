"""The one place that imports TensorFlow Model Optimization (tfmot).

Importing `tensorflow_model_optimization` sets `TF_USE_LEGACY_KERAS=1` in
the process's environment (its `keras/compat.py`) and reads `tf.keras`,
which would make `tf.keras` mean tf_keras for the rest of the process
whatever the user chose. `load()` resolves `tf.keras` first (as the
environment says), imports tfmot, and puts the environment variable back
as it was. `import sparsezoo_tf` never imports tfmot.
"""

import os
import sys
import threading
import types

import tensorflow as tf

_LOCK = threading.Lock()
_ENV = "TF_USE_LEGACY_KERAS"
_MODULE = "tensorflow_model_optimization"


def loaded() -> bool:
  """Whether tfmot has been imported in this process (by anyone)."""
  return _MODULE in sys.modules


def load() -> types.ModuleType:
  """`tensorflow_model_optimization`, imported on first use without
  changing what `tf.keras` means or leaving `TF_USE_LEGACY_KERAS` set.

  Raises:
    ImportError: tfmot is not installed (`pip install
      tensorflow-model-optimization`).
  """
  module = sys.modules.get(_MODULE)
  if module is not None and hasattr(module, "sparsity"):
    return module
  with _LOCK:
    previous = os.environ.get(_ENV)
    # Resolve tf.keras's lazy loader now, by the user's setting; tfmot's
    # import would otherwise resolve it with its own setting.
    getattr(tf.keras, "__name__", None)
    try:
      import tensorflow_model_optimization as tfmot  # pylint: disable=g-import-not-at-top
    except ImportError as error:
      raise ImportError(
          f"sparsezoo_tf.optimization needs TensorFlow Model Optimization: "
          f"pip install tensorflow-model-optimization ({error})") from error
    finally:
      if previous is None:
        os.environ.pop(_ENV, None)
      else:
        os.environ[_ENV] = previous
  return tfmot


def pruning_wrapper_class() -> type:
  """tfmot's `PruneLowMagnitude` wrapper class."""
  load()
  from tensorflow_model_optimization.python.core.sparsity.keras import pruning_wrapper  # pylint: disable=g-import-not-at-top
  return pruning_wrapper.PruneLowMagnitude


def prune_registry():
  """tfmot's `PruneRegistry` (which Keras layers it can prune)."""
  load()
  from tensorflow_model_optimization.python.core.sparsity.keras import prune_registry as registry  # pylint: disable=g-import-not-at-top
  return registry.PruneRegistry


def is_quantized(model) -> bool:
  """Whether `model` is quantization-aware: it has tfmot's quantization
  layers (`QuantizeWrapper`, `QuantizeLayer`). False, without importing
  tfmot, while nobody has imported it."""
  if not loaded():
    return False
  # pylint: disable-next=g-import-not-at-top
  from tensorflow_model_optimization.python.core.quantization.keras import quantize_layer, quantize_wrapper
  classes = (quantize_wrapper.QuantizeWrapper, quantize_layer.QuantizeLayer)
  return any(isinstance(layer, classes)
             for layer in getattr(model, "layers", ()))
