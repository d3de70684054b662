"""Model families; importing a family module registers its models."""

# pylint: disable=unused-import
from sparsezoo_tf.models.families import digits  # noqa: F401
