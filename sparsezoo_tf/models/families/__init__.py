"""Model families; importing a family module registers its models."""

# pylint: disable=unused-import
from sparsezoo_tf.models.families import digits  # noqa: F401
from sparsezoo_tf.models.families import igc  # noqa: F401
from sparsezoo_tf.models.families import vgg  # noqa: F401
from sparsezoo_tf.models.families import densenet  # noqa: F401
from sparsezoo_tf.models.families import sparse_kernel_nets  # noqa: F401
from sparsezoo_tf.models.families import resnet, resnet_cifar  # noqa: F401
