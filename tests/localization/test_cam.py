"""Class activation maps against NumPy, and the scFusion component maps."""

import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras

from sparsezoo_tf import localization
from sparsezoo_tf import models
from sparsezoo_tf.layers import SCFusion

PLUS_3X3 = np.array([0, 1, 0, 1, 1, 1, 0, 1, 0], bool).reshape(3, 3)
CROSS_3X3 = np.array([1, 0, 1, 0, 1, 0, 1, 0, 1], bool).reshape(3, 3)


def numpy_conv_valid(x, kernel, bias, stride):
  """[B, H, W, C] * [3, 3, C, F], 'valid' padding, by explicit sums."""
  size = kernel.shape[0]
  rows = (x.shape[1] - size) // stride + 1
  cols = (x.shape[2] - size) // stride + 1
  out = np.zeros((x.shape[0], rows, cols, kernel.shape[-1]))
  for i in range(rows):
    for j in range(cols):
      patch = x[:, i * stride:i * stride + size, j * stride:j * stride + size]
      out[:, i, j] = np.einsum("bhwc,hwcf->bf", patch, kernel) + bias
  return out


def numpy_bilinear(maps, rows, cols):
  """Resize [..., h, w] to [..., rows, cols]: half-pixel centers, edges
  clamped (as OpenCV's INTER_LINEAR)."""

  def axis_weights(size_in, size_out):
    src = np.clip((np.arange(size_out) + 0.5) * size_in / size_out - 0.5, 0,
                  size_in - 1)
    low = np.floor(src).astype(int)
    high = np.minimum(low + 1, size_in - 1)
    weights = np.zeros((size_out, size_in))
    weights[np.arange(size_out), low] += 1 - (src - low)
    weights[np.arange(size_out), high] += src - low
    return weights

  along_rows = axis_weights(maps.shape[-2], rows)
  along_cols = axis_weights(maps.shape[-1], cols)
  return np.einsum("rh,...hw,cw->...rc", along_rows, maps, along_cols)


def tiny_cam_model(rng, stride=2, dropout=False):
  """Input (7, 9, 2) -> 3x3 conv (valid) -> ReLU -> GAP -> Dense(6), with
  random weights and a non-zero Dense bias set by hand."""
  inputs = keras.Input((7, 9, 2))
  x = keras.layers.Conv2D(4, 3, strides=stride, name="conv")(inputs)
  x = keras.layers.ReLU()(x)
  x = keras.layers.GlobalAveragePooling2D()(x)
  if dropout:
    x = keras.layers.Dropout(0.5)(x)
  outputs = keras.layers.Dense(6, activation="softmax", name="fc")(x)
  model = keras.Model(inputs, outputs)
  conv = [rng.standard_normal((3, 3, 2, 4)).astype(np.float32),
          rng.standard_normal(4).astype(np.float32)]
  dense = [rng.standard_normal((4, 6)).astype(np.float32),
           rng.standard_normal(6).astype(np.float32)]
  model.get_layer("conv").set_weights(conv)
  model.get_layer("fc").set_weights(dense)
  return model, conv, dense


@pytest.mark.parametrize("stride", [1, 2])
def test_maps_are_the_weighted_feature_maps(rng, stride):
  model, (kernel, bias), (weights, dense_bias) = tiny_cam_model(rng, stride)
  images = rng.standard_normal((5, 7, 9, 2)).astype(np.float32)
  result = localization.class_activation_maps(model, images, top_k=3,
                                              return_features=True)
  features = np.maximum(numpy_conv_valid(images, kernel, bias, stride), 0)
  logits = features.mean(axis=(1, 2)) @ weights + dense_bias
  order = np.argsort(-logits, axis=1, kind="stable")[:, :3]
  np.testing.assert_array_equal(result.classes, order)
  probabilities = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
  np.testing.assert_allclose(
      result.scores, np.take_along_axis(probabilities, order, 1), rtol=1e-5)
  np.testing.assert_allclose(result.feature_maps, features, rtol=1e-5,
                             atol=1e-5)
  expected = np.einsum("bhwc,bck->bkhw", features, weights[:, order].transpose(
      1, 0, 2))
  np.testing.assert_allclose(result.raw_maps, expected, rtol=1e-5, atol=1e-5)
  # Without the bias: the mean of a map is the class's logit minus its bias.
  np.testing.assert_allclose(
      result.raw_maps.mean(axis=(2, 3)),
      np.take_along_axis(logits, order, 1) - dense_bias[order], rtol=1e-5,
      atol=1e-5)
  assert result.maps.shape == (5, 3, 7, 9)
  np.testing.assert_allclose(result.maps, numpy_bilinear(expected, 7, 9),
                             rtol=1e-5, atol=1e-5)


def test_batches_and_a_dropout_in_the_head_change_nothing(rng):
  model, _, _ = tiny_cam_model(rng, dropout=True)
  images = rng.standard_normal((5, 7, 9, 2)).astype(np.float32)
  whole = localization.class_activation_maps(model, images, top_k=6)
  batched = localization.class_activation_maps(model, images, top_k=6,
                                               batch_size=2)
  np.testing.assert_array_equal(batched.classes, whole.classes)
  np.testing.assert_allclose(batched.maps, whole.maps, rtol=1e-6, atol=1e-6)
  assert whole.feature_maps is None
  head = localization.cam_head(model)
  assert (head.dense.name, type(head.pooling).__name__) == (
      "fc", "GlobalAveragePooling2D")


def test_a_zoo_classifier(rng):
  model = models.digits_cnn_sc(input_shape=(32, 32, 1))
  images = rng.standard_normal((2, 32, 32, 1)).astype(np.float32)
  result = localization.class_activation_maps(model, images)
  assert result.maps.shape == (2, 5, 32, 32)
  assert result.raw_maps.shape == (2, 5, 16, 16)
  outputs = model(images, training=False).numpy()
  np.testing.assert_array_equal(result.classes,
                                np.argsort(-outputs, axis=1)[:, :5])
  found = localization.localize(model, images, top_k=5, return_maps=True)
  assert found.boxes.shape == (2, 5, 4)
  assert np.all(found.boxes[..., 2:] > found.boxes[..., :2])
  assert np.all((found.boxes >= 0) & (found.boxes <= 32))
  np.testing.assert_allclose(found.maps, result.maps, rtol=1e-6, atol=1e-6)


def test_vgg16_with_its_fc_head_is_refused_with_the_gap_variants_named():
  model = models.create_model("vgg16", weights=None)
  with pytest.raises(ValueError) as error:
    localization.class_activation_maps(model, np.zeros((1, 224, 224, 3)))
  message = str(error.value)
  assert "GlobalAveragePooling2D followed by one Dense layer" in message
  assert "vgg16 has fc2 (Dense)" in message
  assert "flatten (Flatten)" in message
  assert "vgg16_scfusion4_gap" in message


def test_other_heads_are_refused():
  no_top = models.digits_cnn_sc(include_top=False, pooling="avg")
  with pytest.raises(ValueError, match="digits_cnn_sc has no Dense layer.*"
                     r"avg_pool \(GlobalAveragePooling2D\)"):
    localization.class_activation_maps(no_top, np.zeros((1, 8, 8, 1)))
  inputs = keras.Input((6, 6, 1))
  x = keras.layers.Conv2D(2, 3, name="conv")(inputs)
  x = keras.layers.Flatten(name="flat")(x)
  flat = keras.Model(inputs, keras.layers.Dense(3, name="out")(x),
                     name="flat_head")
  with pytest.raises(ValueError, match=r"flat_head has flat \(Flatten\) "
                     "instead of a GlobalAveragePooling2D"):
    localization.class_activation_maps(flat, np.zeros((1, 6, 6, 1)))


def test_bad_arguments_are_refused(rng):
  model, _, _ = tiny_cam_model(rng)
  images = np.zeros((2, 7, 9, 2), np.float32)
  with pytest.raises(ValueError, match="top_k"):
    localization.class_activation_maps(model, images, top_k=7)
  with pytest.raises(ValueError, match="batch_size"):
    localization.class_activation_maps(model, images, batch_size=0)
  with pytest.raises(ValueError, match="axis 2 differs"):
    localization.class_activation_maps(model, np.zeros((2, 7, 8, 2)))
  with pytest.raises(ValueError, match="preprocessed batch"):
    localization.class_activation_maps(model, np.zeros((7, 9, 2)))


def scfusion_before_gap(rng):
  """Input (6, 6, 3) -> SCFusion(8, alpha=2) -> GAP -> Dense(5), weights
  set by hand; returns the model and the explicit weights."""
  inputs = keras.Input((6, 6, 3))
  layer = SCFusion(8, 3, alpha=2, name="fusion")
  x = keras.layers.GlobalAveragePooling2D()(layer(inputs))
  model = keras.Model(inputs, keras.layers.Dense(5, name="fc")(x))
  n = 4
  w = {
      "even": rng.standard_normal((3, 3, 3, n)).astype(np.float32),
      "odd": rng.standard_normal((3, 3, 3, n)).astype(np.float32),
      "b_even": rng.standard_normal(n).astype(np.float32),
      "b_odd": rng.standard_normal(n).astype(np.float32),
      "fuse": rng.standard_normal((4 * n, 8)).astype(np.float32),
      "b_fuse": rng.standard_normal(8).astype(np.float32),
      "fc": rng.standard_normal((8, 5)).astype(np.float32),
  }
  sc_dense = np.zeros((3, 3, 3, 2 * n), np.float32)
  sc_dense[..., 0::2] = w["even"] * PLUS_3X3[:, :, None, None]
  sc_dense[..., 1::2] = w["odd"] * CROSS_3X3[:, :, None, None]
  sc_bias = np.zeros(2 * n, np.float32)
  sc_bias[0::2], sc_bias[1::2] = w["b_even"], w["b_odd"]
  layer.set_weights([layer.sparse_conv.plan.pack(sc_dense), sc_bias,
                     w["fuse"][None, None], w["b_fuse"]])
  model.get_layer("fc").set_weights([w["fc"], np.zeros(5, np.float32)])
  return model, w


def test_component_maps_of_a_module_before_the_pooling(rng):
  model, w = scfusion_before_gap(rng)
  images = rng.standard_normal((3, 6, 6, 3)).astype(np.float32)
  result = localization.scfusion_component_maps(model, images, class_ids=2)
  assert result.names == ("w_even", "w_odd", "fusion_add", "fusion_inverse")
  # The explicit module: "+" and "x" kernels, with 'same' padding.
  pad = np.pad(images, ((0, 0), (1, 1), (1, 1), (0, 0)))
  even = numpy_conv_valid(pad, w["even"] * PLUS_3X3[:, :, None, None],
                          w["b_even"], 1)
  odd = numpy_conv_valid(pad, w["odd"] * CROSS_3X3[:, :, None, None],
                         w["b_odd"], 1)
  parts = [even, odd, even + odd, -(even + odd)]
  for index, part in enumerate(parts):
    kept = [p if i == index else np.zeros_like(p) for i, p in enumerate(parts)]
    fused = np.maximum(np.concatenate(kept, -1), 0) @ w["fuse"] + w["b_fuse"]
    np.testing.assert_allclose(result.maps[:, index], fused @ w["fc"][:, 2],
                               rtol=1e-4, atol=1e-4)
  fused = np.maximum(np.concatenate(parts, -1), 0) @ w["fuse"] + w["b_fuse"]
  np.testing.assert_allclose(result.cam, fused @ w["fc"][:, 2], rtol=1e-4,
                             atol=1e-4)
  np.testing.assert_array_equal(result.classes, [2, 2, 2])


def test_component_maps_of_a_zoo_model(rng):
  model = models.digits_cnn_scfusion2(input_shape=(16, 16, 1))
  images = rng.standard_normal((3, 16, 16, 1)).astype(np.float32)
  cams = localization.class_activation_maps(model, images, top_k=1)
  every = ("w_even", "w_odd", "fusion_add", "fusion_inverse")
  result = localization.scfusion_component_maps(
      model, images, components=list(every) + [every])
  assert result.layer == "stage2_conv1"
  assert result.maps.shape == (3, 5, 16, 16)
  np.testing.assert_array_equal(result.classes, cams.classes[:, 0])
  scale = np.abs(cams.maps).max()
  # All four parts kept: the model's own map (up to float rounding).
  np.testing.assert_allclose(result.maps[:, 4], cams.maps[:, 0], rtol=1e-5,
                             atol=1e-5 * scale)
  np.testing.assert_allclose(result.cam, cams.maps[:, 0], rtol=1e-5,
                             atol=1e-5 * scale)
  for index in range(4):
    assert np.abs(result.maps[:, index] - result.cam).max() > 1e-2 * scale
  for first in range(4):
    for second in range(first + 1, 4):
      assert np.abs(result.maps[:, first] -
                    result.maps[:, second]).max() > 1e-3 * scale


def test_an_earlier_module_and_a_shortcut_after_it(rng):
  model = models.digits_cnn_scfusion2(input_shape=(16, 16, 1))
  images = rng.standard_normal((2, 16, 16, 1)).astype(np.float32)
  every = ("w_even", "w_odd", "fusion_add", "fusion_inverse")
  result = localization.scfusion_component_maps(
      model, images, class_ids=[1, 4], layer="stage1_conv0",
      components=["w_odd", every], batch_size=1)
  cams = localization.class_activation_maps(model, images, top_k=10)
  expected = np.stack([cams.maps[i, list(cams.classes[i]).index(c)]
                       for i, c in enumerate([1, 4])])
  scale = np.abs(expected).max()
  np.testing.assert_allclose(result.maps[:, 1], expected, rtol=1e-5,
                             atol=1e-5 * scale)
  assert np.abs(result.maps[:, 0] - expected).max() > 1e-2 * scale
  # A shortcut around the module: the rest of the network also needs the
  # images.
  inputs = keras.Input((8, 8, 2))
  stem = keras.layers.Conv2D(8, 3, padding="same", name="stem")(inputs)
  fused = SCFusion(8, 3, alpha=4, name="fusion")(stem)
  x = keras.layers.Add()([stem, fused])
  x = keras.layers.GlobalAveragePooling2D()(keras.layers.ReLU()(x))
  shortcut = keras.Model(inputs, keras.layers.Dense(3)(x))
  images = rng.standard_normal((2, 8, 8, 2)).astype(np.float32)
  result = localization.scfusion_component_maps(shortcut, images,
                                                components=[every, "w_even"])
  cams = localization.class_activation_maps(shortcut, images, top_k=1)
  scale = np.abs(cams.maps).max()
  np.testing.assert_allclose(result.maps[:, 0], cams.maps[:, 0], rtol=1e-5,
                             atol=1e-5 * scale)
  assert np.abs(result.maps[:, 1] - cams.maps[:, 0]).max() > 1e-3 * scale


def test_component_maps_refuse_bad_arguments(rng):
  model = models.digits_cnn_scfusion2(input_shape=(8, 8, 1))
  images = np.zeros((2, 8, 8, 1), np.float32)
  with pytest.raises(ValueError, match="no SCFusion layer"):
    localization.scfusion_component_maps(
        models.digits_cnn_sc(), images)
  with pytest.raises(ValueError, match="not an SCFusion layer"):
    localization.scfusion_component_maps(model, images, layer="stem_conv")
  with pytest.raises(ValueError, match="no layer named"):
    localization.scfusion_component_maps(model, images, layer="conv9")
  with pytest.raises(ValueError, match="components of stage2_conv1"):
    localization.scfusion_component_maps(model, images, components=["w_add"])
  with pytest.raises(ValueError, match="class_ids"):
    localization.scfusion_component_maps(model, images, class_ids=[1, 10])
  with pytest.raises(ValueError, match="class_ids"):
    localization.scfusion_component_maps(model, images, class_ids=[1])


def test_scfusion_parts_rebuild_its_output(rng):
  layer = SCFusion(8, 3, alpha=4, use_inverse=False)
  x = tf.constant(rng.standard_normal((2, 5, 5, 3)).astype(np.float32))
  expected = layer(x)
  parts = layer.components(x)
  assert tuple(parts) == layer.component_names == (
      "w_even", "w_odd", "fusion_add")
  np.testing.assert_array_equal(layer.fuse(parts), expected)
  np.testing.assert_allclose(parts["fusion_add"],
                             parts["w_even"] + parts["w_odd"])
  with pytest.raises(ValueError, match="needs the parts"):
    layer.fuse({"w_even": parts["w_even"]})
  with pytest.raises(ValueError, match="not built"):
    SCFusion(8, 3, alpha=4).components(x)
