"""The model zoo: `create_model`, `list_models`, `model_info`, and every
registered entry point as an attribute (`sparsezoo_tf.models.resnet50_sc`).

    from sparsezoo_tf import models
    models.list_models("resnet*_sc")
    model = models.create_model("resnet18_sc", weights=None, classes=10)
    info = models.model_info("resnet50_sc")   # paper row, params, FLOPs
"""

from sparsezoo_tf.models import registry
from sparsezoo_tf.models.common import ZooModel
from sparsezoo_tf.models.convs import ConvPolicy
from sparsezoo_tf.models.convs import make_policy
from sparsezoo_tf.models.preprocessing import preprocess_input
from sparsezoo_tf.models.registry import create_model
from sparsezoo_tf.models.registry import list_models
from sparsezoo_tf.models.registry import model_info
from sparsezoo_tf.models.registry import ModelInfo
from sparsezoo_tf.models.registry import PaperRow
from sparsezoo_tf.models.registry import register_model
from sparsezoo_tf.models.weights import list_weights
from sparsezoo_tf.models.weights import register_weights
from sparsezoo_tf.models.weights import WeightsEntry

__all__ = [
    "ConvPolicy", "ModelInfo", "PaperRow", "WeightsEntry", "create_model",
    "list_models", "list_weights", "make_policy", "model_info",
    "preprocess_input", "register_model", "register_weights", "ZooModel",
]

_SUBMODULES = ("common", "convs", "families", "preprocessing", "registry",
               "weights", "weights_registry")


def __getattr__(name):
  """Registered entry points, e.g. `models.resnet50_sc(weights=None)`."""
  if name.startswith("_") or name in _SUBMODULES:
    raise AttributeError(name)
  if name in list_models():
    return registry._entry(name).builder  # pylint: disable=protected-access
  raise AttributeError(f"module 'sparsezoo_tf.models' has no attribute "
                       f"{name!r} (and no model of that name)")


def __dir__():
  return sorted(set(globals()) | set(list_models()))
