"""Analysis of models and designs: parameter and multiply-add counts,
the information field and design-space reduction of paper 001, and the
receptive-field coverage of paper 000."""

from sparsezoo_tf.analysis.counting import CompositeLayer
from sparsezoo_tf.analysis.counting import count_model
from sparsezoo_tf.analysis.counting import LayerCost
from sparsezoo_tf.analysis.counting import ModelCost
from sparsezoo_tf.analysis.counting import SUBLAYER_CALLS_METHOD
from sparsezoo_tf.analysis.design_space import reduce_design_space
from sparsezoo_tf.analysis.design_space import Reduction
from sparsezoo_tf.analysis.info_field import FieldStep
from sparsezoo_tf.analysis.info_field import group_step
from sparsezoo_tf.analysis.info_field import information_field
from sparsezoo_tf.analysis.info_field import information_field_of
from sparsezoo_tf.analysis.info_field import InformationField
from sparsezoo_tf.analysis.info_field import steps_of as field_steps_of
from sparsezoo_tf.analysis.layer_supports import supports_applied_by
from sparsezoo_tf.analysis.layer_supports import LayerSupport
from sparsezoo_tf.analysis.receptive_field import channel_coverage
from sparsezoo_tf.analysis.receptive_field import channel_reach
from sparsezoo_tf.analysis.receptive_field import coverage_report
from sparsezoo_tf.analysis.receptive_field import format_mask
from sparsezoo_tf.analysis.receptive_field import location_coverage
from sparsezoo_tf.analysis.receptive_field import output_coverage
from sparsezoo_tf.analysis.receptive_field import stack_coverage
from sparsezoo_tf.analysis.receptive_field import supports_of_layers

__all__ = [
    "CompositeLayer", "FieldStep", "InformationField", "LayerCost",
    "LayerSupport", "ModelCost", "Reduction", "SUBLAYER_CALLS_METHOD",
    "channel_coverage", "channel_reach", "count_model", "coverage_report", "field_steps_of",
    "format_mask", "group_step", "information_field", "information_field_of",
    "location_coverage", "output_coverage",
    "reduce_design_space", "stack_coverage", "supports_applied_by",
    "supports_of_layers",
]
