"""count_model against parameter and multiply-add counts worked out by hand."""

import logging

import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras

from sparsezoo_tf.analysis import count_model
from sparsezoo_tf.layers import IGCV2Block
from sparsezoo_tf.layers import PSConv2D
from sparsezoo_tf.layers import SCFusion
from sparsezoo_tf.layers import SparseComplementaryConv2D
from sparsezoo_tf.layers import SparseKernelBlock


def small_model():
  inputs = keras.Input((8, 8, 3))
  x = keras.layers.Conv2D(8, 3, strides=2, padding="same", use_bias=False,
                          name="stem")(inputs)
  x = keras.layers.BatchNormalization(name="bn")(x)
  x = keras.layers.ReLU(name="relu")(x)
  x = keras.layers.DepthwiseConv2D(3, padding="same", name="dw")(x)
  x = keras.layers.Conv2D(16, 1, groups=2, name="gconv")(x)
  x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
  outputs = keras.layers.Dense(10, name="head")(x)
  return keras.Model(inputs, outputs)


def test_small_functional_model_by_hand():
  model = small_model()
  cost = count_model(model)
  hw = 4 * 4  # 8x8 input, stride 2, SAME.
  by_layer = {row.name: row for row in cost.rows}
  assert by_layer["stem"].multiply_adds == 3 * 3 * 3 * 8 * hw
  assert by_layer["dw"].multiply_adds == 3 * 3 * 8 * 1 * hw
  assert by_layer["gconv"].multiply_adds == 1 * 1 * (8 // 2) * 16 * hw
  assert by_layer["head"].multiply_adds == 16 * 10
  for name in ("bn", "relu", "pool"):
    assert by_layer[name].multiply_adds == 0
  assert by_layer["stem"].output_shape == (4, 4, 8)
  assert by_layer["pool"].output_shape == (16,)
  assert cost.multiply_adds == 3456 + 1152 + 1024 + 160
  stem, bn, dw, gconv, head = 3 * 3 * 3 * 8, 2 * 8, 9 * 8 + 8, 4 * 16 + 16, (
      16 * 10 + 10)
  assert cost.params == stem + bn + dw + gconv + head == 562
  assert by_layer["bn"].non_trainable_params == cost.non_trainable_params == 16
  assert cost.params == model.count_params() - 2 * 8  # minus moving stats
  assert all(row.known for row in cost.rows)


def test_separable_dense_on_sequences_and_conv1d():
  inputs = keras.Input((6, 6, 4))
  x = keras.layers.SeparableConv2D(8, 3, depth_multiplier=2,
                                   padding="valid", name="sep")(inputs)
  x = keras.layers.Reshape((16, 8), name="reshape")(x)
  x = keras.layers.Dense(5, name="dense")(x)
  x = keras.layers.Conv1D(3, 3, padding="same", name="conv1d")(x)
  cost = count_model(keras.Model(inputs, x))
  macs = {row.name: row.multiply_adds for row in cost.rows}
  assert macs["sep"] == (3 * 3 * 4 * 2 + 4 * 2 * 8) * 4 * 4
  assert macs["dense"] == 8 * 5 * 16
  assert macs["conv1d"] == 3 * 5 * 3 * 16


def test_channels_first_conv_reads_channels_from_axis_1():
  conv = keras.layers.Conv2D(4, 3, data_format="channels_first")
  cost = count_model(conv, input_shape=(3, 8, 8))
  assert cost.rows[0].output_shape == (4, 6, 6)
  assert cost.multiply_adds == 3 * 3 * 3 * 4 * 6 * 6


@pytest.mark.parametrize("mode,taps_times_channels", [
    ("sw_sc", 5 * 8),        # SW-SC: 5 of the 9 taps, all 8 inputs.
    ("cw_sc", 9 * 8 // 2),   # CW-SC: 9 taps, half of the inputs.
])
def test_sparse_complementary_counts_existing_weights(mode,
                                                      taps_times_channels):
  layer = SparseComplementaryConv2D(16, 3, mode=mode, padding="same")
  cost = count_model(layer, input_shape=(6, 6, 8))
  assert cost.multiply_adds == taps_times_channels * 16 * 6 * 6
  assert cost.params == taps_times_channels * 16 + 16
  assert cost.rows[0].output_shape == (6, 6, 16)


def test_psconv_counts_kss_taps():
  cost = count_model(PSConv2D(16, 3, kss=4), input_shape=(5, 5, 8))
  assert cost.multiply_adds == 4 * 8 * 16 * 5 * 5


def test_scfusion_recurses_into_its_sublayers():
  c, f, alpha, hw = 16, 16, 4, 6 * 6
  n = f // alpha
  inputs = keras.Input((6, 6, c))
  outputs = SCFusion(f, 3, alpha=alpha, name="fusion")(inputs)
  cost = count_model(keras.Model(inputs, outputs))
  assert [row.name for row in cost.rows] == ["fusion/sc_conv",
                                             "fusion/fusion_conv"]
  assert cost.multiply_adds == 2 * 5 * c * n * hw + 4 * n * f * hw
  assert cost.params == (2 * 5 * c * n + 2 * n) + (4 * n * f + f)
  assert cost.rows[-1].output_shape == (6, 6, f)


class _TwiceDense(keras.layers.Layer):
  """A composite calling one Dense twice."""

  def __init__(self, **kwargs):
    super().__init__(**kwargs)
    self.dense = keras.layers.Dense(4, name="inner_dense")

  def build(self, input_shape):
    self.dense.build(input_shape)
    super().build(input_shape)

  def call(self, inputs):
    return self.dense(self.dense(inputs))

  def sublayer_calls(self, input_shape):
    input_shape = tf.TensorShape(input_shape)
    return [(self.dense, input_shape), (self.dense, input_shape)]


def test_composite_calling_a_sublayer_twice():
  cost = count_model(_TwiceDense(name="twice"), input_shape=(4,))
  assert [row.name for row in cost.rows] == ["twice/inner_dense",
                                             "twice/inner_dense (call 2)"]
  assert cost.multiply_adds == 2 * 4 * 4
  assert cost.params == 4 * 4 + 4


def test_nested_model_rows_are_prefixed():
  inner_in = keras.Input((5, 5, 4))
  inner_out = keras.layers.Conv2D(6, 3, use_bias=False, name="conv")(inner_in)
  inner = keras.Model(inner_in, inner_out, name="inner")
  inputs = keras.Input((5, 5, 4))
  x = inner(inputs)
  outputs = keras.layers.Dense(2, name="head")(x)
  cost = count_model(keras.Model(inputs, outputs, name="outer"))
  assert [row.name for row in cost.rows] == ["inner/conv", "head"]
  assert cost.multiply_adds == 3 * 3 * 4 * 6 * 3 * 3 + 6 * 2 * 3 * 3
  assert cost.params == 3 * 3 * 4 * 6 + 6 * 2 + 2


def test_nested_model_with_open_spatial_dims_gets_the_outer_shape():
  inner_in = keras.Input((None, None, 4))
  inner_out = keras.layers.Conv2D(6, 3, padding="same", name="conv")(inner_in)
  inner = keras.Model(inner_in, inner_out, name="inner")
  inputs = keras.Input((7, 7, 4))
  cost = count_model(keras.Model(inputs, inner(inputs)))
  assert cost.multiply_adds == 3 * 3 * 4 * 6 * 7 * 7
  assert cost.rows[0].output_shape == (7, 7, 6)


def test_shared_layer_counts_multiply_adds_per_call_and_params_once():
  conv = keras.layers.Conv2D(4, 3, padding="same", name="shared")
  inputs = keras.Input((6, 6, 4))
  outputs = conv(conv(inputs))
  cost = count_model(keras.Model(inputs, outputs))
  assert [row.name for row in cost.rows] == ["shared", "shared (call 2)"]
  assert cost.multiply_adds == 2 * (3 * 3 * 4 * 4 * 6 * 6)
  assert cost.params == 3 * 3 * 4 * 4 + 4


def test_layer_counted_from_its_recorded_calls():
  dense = keras.layers.Dense(3)
  dense(keras.Input((5,)))
  dense(keras.Input((2, 5)))
  assert count_model(dense).multiply_adds == 5 * 3 + 5 * 3 * 2


def test_batch_dimension_is_optional():
  model = small_model()
  expected = count_model(model).multiply_adds
  for shape in [(8, 8, 3), (None, 8, 8, 3), (1, 8, 8, 3)]:
    assert count_model(model, input_shape=shape).multiply_adds == expected
  conv = keras.layers.Conv2D(4, 3)
  assert count_model(conv, (None, 5, 5, 2)).multiply_adds == (
      count_model(conv, (5, 5, 2)).multiply_adds) == 9 * 2 * 4 * 3 * 3


def test_input_shape_reshapes_a_model_with_open_dims():
  inputs = keras.Input((None, None, 3))
  outputs = keras.layers.Conv2D(8, 3, strides=2, padding="same")(inputs)
  model = keras.Model(inputs, outputs)
  with pytest.raises(ValueError, match="fully defined.*input_shape"):
    count_model(model)
  assert count_model(model, (10, 10, 3)).multiply_adds == 9 * 3 * 8 * 5 * 5


def test_unbuilt_model_or_layer_without_input_shape_is_an_error():
  model = keras.Sequential([keras.layers.Conv2D(4, 3)])
  with pytest.raises(ValueError, match="not built.*input_shape"):
    count_model(model)
  with pytest.raises(ValueError, match="not built.*input_shape"):
    count_model(keras.layers.Dense(3))
  assert count_model(model, (5, 5, 2)).multiply_adds == 9 * 2 * 4 * 3 * 3


def test_built_layer_without_recorded_call_needs_input_shape():
  dense = keras.layers.Dense(3)
  dense.build((None, 4))
  with pytest.raises(ValueError, match="input_shape"):
    count_model(dense)


class _Scale(keras.layers.Layer):
  """A layer with a weight the counter does not know."""

  def build(self, input_shape):
    self.scale = self.add_weight("scale", shape=(input_shape[-1],))
    super().build(input_shape)

  def call(self, inputs):
    return inputs * self.scale


def test_unknown_layer_with_weights_is_flagged_and_warned(caplog):
  inputs = keras.Input((4,))
  x = _Scale(name="scale")(inputs)
  outputs = keras.layers.Dense(2, name="head")(x)
  with caplog.at_level(logging.WARNING):
    cost = count_model(keras.Model(inputs, outputs))
  scale = cost.rows[0]
  assert (scale.known, scale.params, scale.multiply_adds) == (False, 4, 0)
  assert cost.multiply_adds == 4 * 2
  warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
  assert len(warnings) == 1 and "_Scale" in warnings[0].getMessage()
  assert "_Scale" in cost.to_markdown() and "_Scale" in cost.summary()


def test_markdown_has_every_layer_and_the_total():
  model = small_model()
  cost = count_model(model)
  table = cost.to_markdown()
  for layer in model.layers[1:]:
    assert f"| {layer.name} |" in table
  assert "| **total** | | | 562 (0.00M) | 16 | 5,792 (0.01M) |" in table
  assert "562" in cost.summary() and "5,792" in cost.summary()


def resnet50_v1_macs_by_hand():
  """Keras' ResNet50: v1 bottlenecks, stride in the first 1x1 convolution."""
  macs = 7 * 7 * 3 * 64 * 112 * 112
  size, channels = 56, 64
  for width, blocks, stride in [(64, 3, 1), (128, 4, 2), (256, 6, 2),
                                (512, 3, 2)]:
    size //= stride
    pixels = size * size
    for block in range(blocks):
      macs += (channels * width + 9 * width * width + width * 4 * width) * (
          pixels)
      if block == 0:
        macs += channels * 4 * width * pixels  # projection shortcut
      channels = 4 * width
  return macs + 2048 * 1000


def test_keras_resnet50():
  model = keras.applications.ResNet50(weights=None)
  cost = count_model(model)
  trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
  assert cost.params == trainable == 25_583_592
  assert cost.non_trainable_params == model.count_params() - trainable
  assert cost.multiply_adds == resnet50_v1_macs_by_hand()
  # The ResNet paper's "3.8 x 10^9 FLOPs" (multiply-adds) for ResNet-50 v1.
  assert 3.8e9 < cost.multiply_adds < 3.9e9


def test_blocks_of_papers_001_and_002_count_their_existing_weights():
  """Stride 1, 'same': every convolution runs at every pixel, so the MACs
  are the convolution weights times H W."""
  for block, weights in (
      (IGCV2Block(64, branch_channels=8, num_group_convs=3),
       64 * 9 + 2 * 64 * 8),
      (SparseKernelBlock(64, "pwgconv4+dw+pwgconv4", bottleneck_ratio=4),
       64 * 16 // 4 + 9 * 16 + 16 * 64 // 4)):
    cost = count_model(block, (5, 5, 64))
    assert cost.multiply_adds == weights * 25
    bn = sum(2 * int(w.shape[0]) for w in block.trainable_weights
             if "bn/gamma" in w.name)
    assert cost.params == weights + bn
