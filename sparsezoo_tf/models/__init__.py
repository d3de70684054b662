"""The model zoo: `create_model`, `list_models`, `model_info`, and every
registered entry point as a function of this package
(`sparsezoo_tf.models.resnet50_sc`, defined in `families/resnet.py`).

    from sparsezoo_tf import models
    models.list_models("resnet*_sc")
    model = models.create_model("resnet18_sc", weights=None, classes=10)
    info = models.model_info("resnet50_sc")   # paper row, params, FLOPs
"""

# pylint: disable=wildcard-import,unused-wildcard-import
from sparsezoo_tf.models.common import ZooModel
from sparsezoo_tf.models.convs import ConvPolicy
from sparsezoo_tf.models.convs import make_policy
from sparsezoo_tf.models.info import ModelInfo
from sparsezoo_tf.models.info import PaperRow
from sparsezoo_tf.models.preprocessing import preprocess_input
from sparsezoo_tf.models.registry import create_model
from sparsezoo_tf.models.registry import list_models
from sparsezoo_tf.models.registry import model_info
from sparsezoo_tf.models.registry import register_model
from sparsezoo_tf.models.weights import list_weights
from sparsezoo_tf.models.weights import register_weights
from sparsezoo_tf.models.weights import WeightsEntry
# The entry points: each family module's `__all__` is its registered models.
from sparsezoo_tf.models.families.densenet import *  # noqa: F401,F403
from sparsezoo_tf.models.families.digits import *  # noqa: F401,F403
from sparsezoo_tf.models.families.igc import *  # noqa: F401,F403
from sparsezoo_tf.models.families.resnet import *  # noqa: F401,F403
from sparsezoo_tf.models.families.resnet_cifar import *  # noqa: F401,F403
from sparsezoo_tf.models.families.sparse_kernel_nets import *  # noqa: F401,F403
from sparsezoo_tf.models.families.vgg import *  # noqa: F401,F403
