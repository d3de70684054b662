"""sparsify on architectures no one here wrote: tf_keras.applications
ResNet50, VGG16, MobileNetV2 and DenseNet121 (weights=None)."""

import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras

import sparsezoo_tf
from sparsezoo_tf import layers as sz_layers
from sparsezoo_tf import models
from sparsezoo_tf.analysis import counting

APPLICATIONS = {
    "ResNet50": keras.applications.ResNet50,
    "VGG16": keras.applications.VGG16,
    "MobileNetV2": keras.applications.MobileNetV2,
    "DenseNet121": keras.applications.DenseNet121,
}


def _conv2d_names(model):
  return [l.name for l in model.layers if type(l) is keras.layers.Conv2D]  # pylint: disable=unidiomatic-typecheck


_CONVERTED = {}


def _converted(name):
  """(original, converted, report) at 32 x 32, built once per module."""
  if name not in _CONVERTED:
    model = APPLICATIONS[name](weights=None, input_shape=(32, 32, 3),
                               classes=3)
    _CONVERTED[name] = (model,) + sparsezoo_tf.sparsify(model, "sc")
  return _CONVERTED[name]


def _batch():
  return tf.random.stateless_uniform([2, 32, 32, 3], [3, 4])


@pytest.mark.single_path
@pytest.mark.parametrize("name", sorted(APPLICATIONS))
def test_application_report(name):
  model, new, report = _converted(name)
  convs = _conv2d_names(model)
  stem = convs[0]
  # Every Conv2D but the stem becomes SW-SC (k x k) or CW-SC (1x1).
  assert [r.name for r in report.converted] == convs[1:]
  for row in report.converted:
    layer = new.get_layer(row.name)
    assert isinstance(layer, sz_layers.SparseComplementaryConv2D)
    assert layer.mode == ("cw_sc" if layer.kernel_size == (1, 1) else "sw_sc")
    assert row.weights == "masked copy"
  kept = {r.name: r.reason for r in report.kept}
  assert "stem" in kept[stem]
  for layer in model.layers:
    if isinstance(layer, keras.layers.DepthwiseConv2D):
      assert "depthwise" in kept[layer.name]
  assert report.macs_after < report.macs_before
  assert report.params_after < report.params_before
  assert [r.name for r in report.rows] == [
      l.name for l in model.layers
      if isinstance(l, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D,
                        keras.layers.Dense))]
  after = counting.count_model(new)
  for row in report.rows:
    assert None not in (row.macs_before, row.macs_after, row.params_before,
                        row.params_after), row
    assert row.params_after == sum(
        int(np.prod(w.shape)) for w in new.get_layer(row.name)
        .trainable_weights)
  assert sum(r.macs_after for r in report.rows) == after.multiply_adds
  assert report.params_after == after.params


@pytest.mark.parametrize("name", sorted(APPLICATIONS))
def test_application_runs_forward_and_backward(name):
  _, new, _ = _converted(name)
  x = _batch()
  with tf.GradientTape() as tape:
    y = new(x, training=True)
    loss = tf.reduce_sum(y * tf.range(3, dtype=y.dtype))
  grads = tape.gradient(loss, new.trainable_weights)
  assert len(grads) == len(new.trainable_weights)
  assert all(g is not None and np.isfinite(g.numpy()).all() for g in grads)
  assert any(np.abs(g.numpy()).max() > 0 for g in grads)


@pytest.mark.single_path
@pytest.mark.parametrize("name", sorted(APPLICATIONS))
def test_application_round_trips(name, tmp_path):
  _, new, _ = _converted(name)
  x = _batch()
  path = str(tmp_path / f"{name}.keras")
  new.save(path)
  loaded = keras.models.load_model(path)
  expected = new(x, training=False).numpy()
  assert np.isfinite(expected).all()
  np.testing.assert_allclose(loaded(x, training=False), expected, rtol=1e-5,
                             atol=1e-6)


@pytest.mark.single_path
def test_resnet50_sc_matched_flops_and_the_zoo(capsys):
  """ResNet50 with "sc" widened to the dense FLOPs (counted at 224 x 224,
  not run), next to the zoo's resnet50_sc (width 1.28125)."""
  model = keras.applications.ResNet50(weights=None)
  new, report = sparsezoo_tf.sparsify(model, "sc", match="flops")
  dense = counting.count_model(model)
  sparse = counting.count_model(new)
  ratio = sparse.multiply_adds / dense.multiply_adds
  assert abs(ratio - 1) <= 0.06
  assert report.within_tolerance and abs(ratio - 1) <= report.tolerance
  assert report.macs_after == sparse.multiply_adds
  assert 1.2 < report.multiplier < 1.5
  assert new.get_layer("conv2_block1_2_conv").filters % 2 == 0
  assert new.get_layer("predictions").units == 1000
  zoo = counting.count_model(models.create_model("resnet50_sc"))
  # The zoo's ResNet-50-sc is about the same network (its shortcuts stay
  # dense, its strides sit on the 3x3s): the same costs within 10 %.
  assert abs(sparse.params / zoo.params - 1) < 0.10
  assert abs(sparse.multiply_adds / zoo.multiply_adds - 1) < 0.10
  with capsys.disabled():
    print(f"\nResNet50 sc match=flops: w = {report.multiplier:.4f}, params "
          f"{dense.params:,} -> {sparse.params:,}, MACs "
          f"{dense.multiply_adds:,} -> {sparse.multiply_adds:,} "
          f"({ratio:.4f}x); zoo resnet50_sc (w = 1.28125): params "
          f"{zoo.params:,}, MACs {zoo.multiply_adds:,}")
