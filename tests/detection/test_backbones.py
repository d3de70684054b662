"""sparsezoo_tf.detection.backbones: the zoo's models built as Model
Garden backbones through Model Garden's own factory, the classifier's
weights loaded into them, their refusals, and one Faster R-CNN built on a
sparse backbone by `build_maskrcnn`."""

import dataclasses
import importlib
import os

import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras

from official.vision.configs import maskrcnn as maskrcnn_cfg
from official.vision.modeling import factory as model_factory
from official.vision.modeling.backbones import factory as backbone_factory
from official.vision.ops import anchor as anchor_ops

from sparsezoo_tf.detection import backbones
from sparsezoo_tf.models import registry
from sparsezoo_tf.models import weights as weights_lib

pytestmark = pytest.mark.single_path  # structure; the op tests cover paths

SMALL_RESNET = '{"width": 0.25}'


def _build(model_name: str, size, channels: int = 3, weights: str = "",
           model_kwargs: str = "", l2_regularizer=None) -> keras.Model:
  config = backbones.Backbone(
      type="sparsezoo",
      sparsezoo=backbones.SparseZooBackbone(
          model_name=model_name, weights=weights, model_kwargs=model_kwargs))
  specs = keras.layers.InputSpec(shape=[None, size[0], size[1], channels])
  return backbone_factory.build_backbone(
      input_specs=specs, backbone_config=config, norm_activation_config=None,
      l2_regularizer=l2_regularizer)


@pytest.mark.parametrize("model_name", ["resnet18", "resnet18_sc"])
def test_resnet_levels_match_output_specs(model_name):
  backbone = _build(model_name, (64, 96), model_kwargs=SMALL_RESNET)
  specs = backbone.output_specs
  assert list(specs) == ["1", "2", "3", "4", "5"]
  for level, spec in specs.items():
    stride = 2**int(level)
    assert spec[:3].as_list() == [None, 64 // stride, 96 // stride]
  outputs = backbone(tf.zeros([2, 64, 96, 3]), training=False)
  assert set(outputs) == set(specs)
  for level, tensor in outputs.items():
    assert tensor.shape.as_list() == [2] + specs[level][1:].as_list()
  assert backbone.model_name == model_name


def test_cifar_resnet_levels_are_its_strides():
  backbone = _build("resnet18_cifar", (32, 32))
  assert {level: spec[1] for level, spec in backbone.output_specs.items()} \
      == {"0": 32, "1": 16, "2": 8, "3": 4}


def test_digits_weights_equal_the_classifiers():
  backbone = _build("digits_cnn_sc", (16, 16), channels=1, weights="digits")
  # digits endpoints "1" (stem) and "2" (stage 1) both have stride 1: the
  # deeper one is level 0; stage 2 (stride 2) is level 1.
  assert {k: v.as_list() for k, v in backbone.output_specs.items()} == {
      "0": [None, 16, 16, 32], "1": [None, 8, 8, 64]}
  classifier = registry.create_model("digits_cnn_sc", weights="digits")
  expected = {layer.name: layer.get_weights() for layer in classifier.layers}
  compared = 0
  for layer in backbone.layers:
    if not layer.weights:
      continue
    for mine, theirs in zip(layer.get_weights(), expected[layer.name]):
      np.testing.assert_array_equal(mine, theirs)
      compared += 1
  assert compared == len(backbone.weights) > 10
  assert "predictions" not in {layer.name for layer in backbone.layers}


def test_weights_file_by_path_loads_like_its_name():
  entry = weights_lib.list_weights("digits_cnn_sc")[0]
  path = os.path.join(weights_lib.PACKAGE_DIR, entry.file_name)
  by_path = _build("digits_cnn_sc", (8, 8), channels=1, weights=path)
  by_name = _build("digits_cnn_sc", (8, 8), channels=1, weights=entry.name)
  for mine, theirs in zip(by_path.get_weights(), by_name.get_weights()):
    np.testing.assert_array_equal(mine, theirs)


def test_refusals():
  with pytest.raises(ValueError, match="did you mean resnet18_sc"):
    _build("resnet18_scc", (64, 64))
  with pytest.raises(ValueError, match="set model_name"):
    _build("", (64, 64))
  with pytest.raises(ValueError, match="model's largest stride, 32"):
    _build("resnet18", (64, 72), model_kwargs=SMALL_RESNET)
  with pytest.raises(ValueError, match="fixed NHWC input shape"):
    _build("resnet18", (None, None), model_kwargs=SMALL_RESNET)
  with pytest.raises(ValueError, match="neither a registered weights name"):
    _build("digits_cnn_sc", (8, 8), channels=1, weights="imagenet21k")
  other = os.path.join(weights_lib.PACKAGE_DIR,
                       weights_lib.list_weights("digits_cnn")[0].file_name)
  with pytest.raises(ValueError, match="does not fit"):
    _build("digits_cnn_sc", (8, 8), channels=1, weights=other)
  with pytest.raises(ValueError, match="JSON object"):
    _build("resnet18", (64, 64), model_kwargs="width=0.25")
  with pytest.raises(ValueError, match="may not set"):
    _build("resnet18", (64, 64), model_kwargs='{"features_only": false}')


def test_model_without_endpoints_is_refused():
  @registry.register_model(family="test", dataset="digits",
                           input_shape=(8, 8, 1), classes=10,
                           preprocessing="digits")
  def test_no_endpoints(weights=None, include_top=True, input_shape=None):
    """A throwaway model without features_only endpoints."""
    del weights, include_top
    inputs = keras.Input(input_shape or (8, 8, 1))
    return keras.Model(inputs, keras.layers.Flatten()(inputs))

  try:
    with pytest.raises(ValueError, match="no features_only endpoints"):
      _build("test_no_endpoints", (8, 8), channels=1)
  finally:
    registry.unregister_model("test_no_endpoints")


def test_registration_is_idempotent_and_the_config_round_trips():
  importlib.reload(backbones)  # Model Garden's registry would raise KeyError
  importlib.reload(backbones)
  config = backbones.Backbone()
  config.override({"type": "sparsezoo",
                   "sparsezoo": {"model_name": "resnet18_sc",
                                 "implementation": "reference",
                                 "model_kwargs": SMALL_RESNET}},
                  is_strict=True)
  assert config.get().model_name == "resnet18_sc"
  again = backbones.Backbone.from_args(**config.as_dict())
  assert again.as_dict() == config.as_dict()
  assert again.resnet.model_id == maskrcnn_cfg.MaskRCNN().backbone.resnet \
      .model_id  # Model Garden's own types are still there


def test_l2_regularizer_adds_the_kernels_penalties():
  backbone = _build("digits_cnn_sc", (8, 8), channels=1,
                    l2_regularizer=keras.regularizers.l2(1e-4))
  kernels = [w for w in backbone.trainable_weights if w.shape.rank >= 2]
  assert len(backbone.losses) == len(kernels) > 0
  expected = sum(1e-4 * float(tf.reduce_sum(tf.square(w))) for w in kernels)
  assert float(tf.add_n(backbone.losses)) == pytest.approx(expected,
                                                           rel=1e-5)


@dataclasses.dataclass
class _FasterRCNN(maskrcnn_cfg.MaskRCNN):
  backbone: backbones.Backbone = dataclasses.field(
      default_factory=backbones.Backbone)


def test_faster_rcnn_on_a_sparse_backbone_trains_forward():
  size, levels = 64, (3, 5)
  config = _FasterRCNN(
      num_classes=3, input_size=[size, size, 3], min_level=levels[0],
      max_level=levels[1], include_mask=False,
      anchor=maskrcnn_cfg.Anchor(num_scales=1, aspect_ratios=[1.0],
                                 anchor_size=3.0),
      backbone=backbones.Backbone(
          type="sparsezoo",
          sparsezoo=backbones.SparseZooBackbone(
              model_name="resnet18_sc", model_kwargs=SMALL_RESNET)),
      rpn_head=maskrcnn_cfg.RPNHead(num_filters=16),
      detection_head=maskrcnn_cfg.DetectionHead(num_convs=0, num_filters=16,
                                                num_fcs=1, fc_dims=32),
      roi_generator=maskrcnn_cfg.ROIGenerator(
          pre_nms_top_k=64, num_proposals=16, test_pre_nms_top_k=64,
          test_num_proposals=16),
      roi_sampler=maskrcnn_cfg.ROISampler(num_sampled_rois=8),
      mask_head=None, mask_sampler=None, mask_roi_aligner=None)
  config.decoder.fpn.num_filters = 16
  config.norm_activation.use_sync_bn = False
  specs = keras.layers.InputSpec(shape=[None, size, size, 3])
  model = model_factory.build_maskrcnn(specs, config)
  assert model.backbone.output_specs["5"].as_list() == [None, 2, 2, 128]

  batch = 2
  anchors = anchor_ops.Anchor(levels[0], levels[1], 1, [1.0], 3.0,
                              [size, size]).multilevel_boxes
  anchors = {level: tf.tile(boxes[None], [batch, 1, 1, 1])
             for level, boxes in anchors.items()}
  images = tf.random.stateless_uniform([batch, size, size, 3], seed=(1, 2))
  gt_boxes = tf.constant([[[4., 4., 30., 30.], [20., 30., 60., 62.]]] * batch)
  gt_classes = tf.constant([[1, 2]] * batch)
  with tf.GradientTape() as tape:
    outputs = model(images, tf.constant([[size, size]] * batch), anchors,
                    gt_boxes, gt_classes, training=True)
    loss = (tf.reduce_mean(tf.square(outputs["class_outputs"])) +
            tf.add_n([tf.reduce_mean(tf.square(scores))
                      for scores in outputs["rpn_scores"].values()]))
  kernels = [w for w in model.backbone.trainable_weights if w.shape.rank >= 2]
  gradients = tape.gradient(loss, kernels)
  assert all(g is not None and np.isfinite(g.numpy()).all()
             for g in gradients)
  for key in ("rpn_scores", "rpn_boxes"):
    assert set(outputs[key]) == {"3", "4", "5"}
    for tensor in outputs[key].values():
      assert np.isfinite(tensor.numpy()).all()
  for key in ("class_outputs", "box_outputs", "class_targets",
              "box_targets"):
    assert np.isfinite(outputs[key].numpy()).all(), key
  assert outputs["class_outputs"].shape.as_list() == [batch, 8, 3]
