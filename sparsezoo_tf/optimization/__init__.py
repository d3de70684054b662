"""Model optimization with TensorFlow Model Optimization (tfmot): magnitude
pruning, sparsity-preserving fine-tuning and quantization-aware training
of the zoo's models (README, "Pruning and quantization-aware training").

- `pruning`: `prune`, `callbacks`, `strip`, `sparsity`, `pruning_plan`.
- `sparsity_preserving`: `PreserveSparsity`, a callback that keeps zero
  weights zero while fine-tuning.
- `quantization`: `quantize`, `quantize_scope`, the `QuantizeConfig` of
  every sparse layer class.
- `is_quantized(model)`: whether a model is quantization-aware (without
  importing tfmot when nothing has).

tfmot is imported on first use, and without changing what `tf.keras`
means (importing it sets `TF_USE_LEGACY_KERAS`; `_tfmot` undoes that):
`import sparsezoo_tf` and `import sparsezoo_tf.optimization` do not import
it; `quantization` (imported on first access) and pruning calls do.
"""

import importlib

from sparsezoo_tf.optimization._tfmot import is_quantized
from sparsezoo_tf.optimization import pruning
from sparsezoo_tf.optimization import sparsity_preserving
from sparsezoo_tf.optimization.pruning import prune
from sparsezoo_tf.optimization.pruning import pruning_plan
from sparsezoo_tf.optimization.pruning import sparsity
from sparsezoo_tf.optimization.pruning import strip
from sparsezoo_tf.optimization.sparsity_preserving import PreserveSparsity

_LAZY = {"quantization": None, "quantize": "quantize",
         "quantize_scope": "quantize_scope"}

__all__ = ["PreserveSparsity", "is_quantized", "prune", "pruning", "pruning_plan",
           "quantization", "quantize", "quantize_scope", "sparsity",
           "sparsity_preserving", "strip"]


def __getattr__(name):
  if name not in _LAZY:
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
  module = importlib.import_module("sparsezoo_tf.optimization.quantization")
  return module if _LAZY[name] is None else getattr(module, _LAZY[name])
