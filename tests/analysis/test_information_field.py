"""Information field (paper 001): hand-derived fields and the InfoSize
column of Tables 2-4."""

import numpy as np
import pytest
import tf_keras as keras

from sparsezoo_tf import analysis
from sparsezoo_tf.layers import IGCV2Block
from sparsezoo_tf.layers import KernelSequence
from sparsezoo_tf.layers import KernelStep
from sparsezoo_tf.layers import SCFusion
from sparsezoo_tf.layers import SparseKernelBlock


def built(layer, channels, size=4):
  layer.build((None, size, size, channels))
  return layer


def test_standard_convolution_is_3_3_c():
  step = analysis.group_step(3, 16, 16)
  assert analysis.information_field([step]).as_tuple() == (3, 3, 16)


def test_one_depthwise_convolution_sees_one_channel():
  """The paper's example of a design the field filter removes."""
  field = analysis.information_field([analysis.group_step(3, 8, 8, groups=8)])
  assert field.as_tuple() == (3, 3, 1)
  assert not field.full_channels


def test_group_convolutions_need_the_shuffle():
  """GConv(4) + PWGConv(32) on 128 channels: 32 channels per group, then 4
  per group. Without the interleave an output reads 4 channels of one
  first-layer group (32 inputs); with it, 4 different groups (128)."""
  for shuffle, channels in ((False, 32), (True, 128)):
    steps = [analysis.group_step(3, 128, 128, 4, shuffle=shuffle),
             analysis.group_step(1, 128, 128, 32)]
    assert analysis.information_field(steps).as_tuple() == (3, 3, channels)


def test_spatial_extent_grows_with_earlier_strides():
  steps = [analysis.group_step(3, 4, 4, strides=2),
           analysis.group_step(3, 4, 4), analysis.group_step(1, 4, 4)]
  assert analysis.information_field(steps).as_tuple()[:2] == (7, 7)


def test_mismatched_kernels_are_named():
  with pytest.raises(ValueError, match="kernel 1 reads 8 channels but "
                     "kernel 0 outputs 4"):
    analysis.information_field([analysis.group_step(3, 4, 4),
                                analysis.group_step(1, 8, 8)])
  with pytest.raises(ValueError, match="at least one"):
    analysis.information_field([])


# (unit, design, bottleneck ratio, width) of paper 001 Tables 2, 3 and 4;
# InfoSize is (3, 3, width) for every row.
TABLE_ROWS = [
    ("T2 PW+GConv(1)+PW", "pw+gconv1+pw", 4, 128),
    ("T2 PW+GConv(32)+PW", "pw+gconv32+pw", 4, 256),
    ("T2 PW+GConv(1)+PW", "pw+gconv1+pw", 4, 200),
    ("T2 PW+GConv(2)+PW", "pw+gconv2+pw", 4, 256),
    ("T2 PW+GConv(64)+PW", "pw+gconv64+pw", 4, 512),
    ("T3 Standard Convolution", "conv", None, 64),
    ("T3 DW+PW", "dw+pw", None, 72),
    ("T3 DW+PW", "dw+pw", None, 280),
    ("T3 GConv(4)+PWGConv(32)", "gconv4+pwgconv32", None, 128),
    ("T3 GConv(16)+PWGConv(16)", "gconv16+pwgconv16", None, 256),
    ("T3 PW+DW+PW", "pw+dw+pw", 4, 400),
    ("T3 PWGConv(4)+DW+PWGConv(4)", "pwgconv4+dw+pwgconv4", 4, 560),
    ("T4 ResNet", "conv", None, 64),
    ("T4 ResNet with bottleneck", "pw+conv+pw", 4, 192),
    ("T4 ResNeXt", "pw+gconv16+pw", 2, 192),
    ("T4 Xception", "dw+pw", None, 280),
    ("T4 ShuffleNet", "pwgconv4+dw+pwgconv4", 4, 560),
    ("T4 GConv(100)+PWGConv(2)", "gconv100+pwgconv2", None, 200),
    ("T4 PWGConv(100)+DW+PWGConv(2)", "pwgconv100+dw+pwgconv2", None, 700),
]


@pytest.mark.parametrize("row,design,ratio,width", TABLE_ROWS)
def test_infosize_column_of_tables_2_to_4(row, design, ratio, width):
  block = built(SparseKernelBlock(width, design, bottleneck_ratio=ratio),
                width, size=2)
  assert analysis.information_field_of(block).as_tuple() == (3, 3, width), row


def test_igcv2_block_has_the_full_field():
  block = built(IGCV2Block(64, branch_channels=8, num_group_convs=3), 64)
  field = analysis.information_field_of(block)
  assert field.as_tuple() == (3, 3, 64) and field.channels_max == 64


def test_too_sparse_igcv2_block_has_a_smaller_field():
  block = built(IGCV2Block(64, branch_channels=4, num_group_convs=3), 64)
  assert analysis.information_field_of(block).as_tuple() == (3, 3, 16)


def test_a_plain_keras_stack_and_a_kernel_sequence_agree():
  sequence = built(KernelSequence([KernelStep("dw"), KernelStep("pw", 8)]), 8)
  stack = [built(keras.layers.DepthwiseConv2D(3), 8),
           built(keras.layers.BatchNormalization(), 8),
           built(keras.layers.Conv2D(8, 1), 8)]
  steps = [step for layer in stack for step in analysis.field_steps_of(layer)]
  assert (analysis.information_field(steps).as_tuple() ==
          analysis.information_field_of(sequence).as_tuple() == (3, 3, 8))


def test_scfusion_is_not_a_chain_and_says_so():
  layer = built(SCFusion(8, 3, alpha=2), 8)
  with pytest.raises(ValueError, match="not a chain"):
    analysis.information_field_of(layer)


def test_unbuilt_block_is_rejected():
  with pytest.raises(ValueError, match="not built|no convolution"):
    analysis.information_field_of(SparseKernelBlock(8, "dw+pw"))


def test_connectivity_is_exact_not_a_bound():
  """A random support: the field equals the boolean matrix product."""
  rng = np.random.default_rng(0)
  first = rng.random((8, 8)) < 0.2
  second = rng.random((8, 8)) < 0.2
  steps = [analysis.FieldStep((1, 1), first), analysis.FieldStep((3, 3),
                                                                  second)]
  reach = (first.astype(int) @ second.astype(int)) > 0
  field = analysis.information_field(steps)
  assert field.channels == reach.sum(0).min()
  assert field.channels_max == reach.sum(0).max()


def test_a_sequential_model_of_blocks():
  """Two DW+PW units: (5, 5, C); the paper's InfoSize is per unit."""
  model = keras.Sequential([keras.Input((6, 6, 8)),
                            SparseKernelBlock(8, "dw+pw"),
                            keras.layers.ReLU(),
                            SparseKernelBlock(8, "dw+pw")])
  steps = analysis.field_steps_of(model)
  assert analysis.information_field(steps).as_tuple() == (5, 5, 8)


def test_a_residual_model_is_not_a_chain():
  inputs = keras.Input((6, 6, 8))
  block = SparseKernelBlock(8, "dw+pw")(inputs)
  model = keras.Model(inputs, keras.layers.Add()([inputs, block]))
  with pytest.raises(ValueError, match="not a chain"):
    analysis.field_steps_of(model)
