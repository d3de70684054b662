"""sparsezoo_tf.detection.detectors: paper 003's Faster R-CNN detectors, the
model sizes of its Table 9, tiny detectors of each kind trained and run
forward, sp2's even channels, and the refusals."""

import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras

from official.vision.ops import anchor as anchor_ops

from sparsezoo_tf.detection import detectors

pytestmark = pytest.mark.single_path  # structure; the op tests cover paths

SIZE = 64
# Table 9: within 3 % for the full detectors, 10 % for the compact one.
TOLERANCE = {"fasterrcnn_vgg16": 0.03, "fasterrcnn_vgg16_scfusion8": 0.03,
             "fasterrcnn_vgg16_scfusion8_sp2_fc512": 0.10}


@pytest.mark.parametrize("name", sorted(detectors.PAPER_003_TABLE_9_MB))
def test_table_9_model_sizes(name):
  # Parameter counts do not depend on the image size: count at 64x64.
  info = detectors.detector_info(name, num_classes=21,
                                 input_size=(SIZE, SIZE))
  paper = detectors.PAPER_003_TABLE_9_MB[name]
  assert info.size_mb == pytest.approx(paper, rel=TOLERANCE[name])
  assert info.size_mb == pytest.approx(paper, rel=0.005)  # what it gives
  assert sum(info.parts.values()) == info.params
  assert info.flops > 0


def test_vgg16_detector_is_py_faster_rcnns_arithmetic():
  info = detectors.detector_info("fasterrcnn_vgg16", input_size=(SIZE, SIZE))
  assert info.parts["backbone"] == 14_714_688  # conv1_1..conv5_3
  # fc6 7x7x512x4096, fc7, 21-way classifier, 84 box outputs, + Model
  # Garden's BatchNorm after each FC (4 x 4096 each).
  fc = (7 * 7 * 512 + 1) * 4096 + 4097 * 4096 + 4097 * (21 + 84)
  assert info.parts["detection_head"] == fc + 2 * 4 * 4096
  # 3x3x512x512 + BatchNorm + 1x1 to 9 scores and 36 box offsets.
  rpn = 9 * 512 * 512 + 512 + 4 * 512 + 513 * (9 + 36)
  assert info.parts["rpn_head"] == rpn


def test_scfusion_rpn_conv_is_sw_sc():
  model = detectors.create_detector("fasterrcnn_vgg16_scfusion8",
                                    input_size=(SIZE, SIZE),
                                    overrides={"detection_head":
                                               {"fc_dims": 8}})
  assert isinstance(model.rpn_head, detectors.SparseRPNHead)
  conv = model.rpn_head._convs[0]  # pylint: disable=protected-access
  assert not isinstance(conv, keras.layers.Conv2D)
  assert detectors.count_params(conv) == 5 * 512 * 512 + 512
  # Built without a call: Keras' own count works.
  assert model.count_params() == detectors.count_params(model)
  assert model.backbone.output_specs["4"].as_list() == [None, 4, 4, 512]


def test_backbone_level_4_is_conv5_3_not_pool5():
  model = detectors.create_detector("fasterrcnn_vgg16",
                                    input_size=(SIZE, SIZE),
                                    backbone_kwargs={"width": 0.125},
                                    overrides={"detection_head":
                                               {"fc_dims": 8}})
  level_4 = model.backbone.get_layer("block5_conv3_relu").output
  assert model.backbone.output["4"] is level_4
  assert model.detector_config.min_level == 4
  assert model.detector_config.max_level == 4


def test_list_detectors():
  names = detectors.list_detectors()
  for name in ("fasterrcnn_vgg16", "fasterrcnn_vgg16_scfusion2",
               "fasterrcnn_vgg16_scfusion4", "fasterrcnn_vgg16_scfusion8",
               "fasterrcnn_vgg16_scfusion8_sp2_fc512",
               "fasterrcnn_fpn_resnet18", "fasterrcnn_fpn_resnet50_sc"):
    assert name in names
  assert detectors.list_detectors("*sp2*") == [
      n for n in names if "sp2" in n]
  spec = detectors.detector_spec("fasterrcnn_vgg16_scfusion8_sp2_fc512")
  assert (spec.backbone, spec.sp2, spec.fc_dims, spec.rpn_conv) == (
      "vgg16_scfusion8", True, 512, "sc")


def test_refusals():
  with pytest.raises(ValueError, match="did you mean fasterrcnn_vgg16"):
    detectors.create_detector("fasterrcnn_vgg61")
  with pytest.raises(ValueError, match="unknown detector"):
    detectors.detector_info("yolo")
  with pytest.raises(ValueError, match="multiples of 32"):
    detectors.detector_config("fasterrcnn_vgg16", input_size=(600, 1000))
  with pytest.raises(ValueError, match="num_classes"):
    detectors.detector_config("fasterrcnn_vgg16", num_classes=1)
  with pytest.raises(ValueError, match="num_rois must be a positive int"):
    detectors.detector_info("fasterrcnn_vgg16", num_rois=0)
  with pytest.raises(ValueError, match="not both"):
    detectors.create_detector("fasterrcnn_digits_resnet18",
                              weights="digits_detection",
                              backbone_weights="digits")


def test_sp2_head_reads_only_even_channels():
  head = detectors.EvenChannelDetectionHead(num_classes=3, num_convs=0,
                                            num_fcs=2, fc_dims=16)
  features = tf.random.stateless_normal([2, 5, 7, 7, 8], seed=(3, 4))
  classes, boxes = head(features)
  odd = np.zeros([8], np.float32)
  odd[1::2] = 1.0
  perturbed = features + 10.0 * tf.random.stateless_normal(
      features.shape, seed=(5, 6)) * odd
  classes_2, boxes_2 = head(perturbed)
  np.testing.assert_array_equal(classes.numpy(), classes_2.numpy())
  np.testing.assert_array_equal(boxes.numpy(), boxes_2.numpy())
  even = np.zeros([8], np.float32)
  even[0::2] = 1.0
  classes_3, _ = head(features + even)
  assert not np.allclose(classes.numpy(), classes_3.numpy())
  assert head._fcs[0].kernel.shape[0] == 7 * 7 * 4  # pylint: disable=protected-access


TINY = {
    "fasterrcnn_vgg16": ({"width": 0.125}, {}),
    "fasterrcnn_vgg16_scfusion8_sp2_fc512": ({"width": 0.25}, {}),
    "fasterrcnn_fpn_resnet18_sc": (
        {"width": 0.25},
        {"decoder": {"fpn": {"num_filters": 16}},
         "detection_head": {"num_filters": 16, "num_convs": 1}}),
}


@pytest.mark.parametrize("name", sorted(TINY))
def test_tiny_detector_trains_and_detects(name):
  backbone_kwargs, extra = TINY[name]
  overrides = {
      "rpn_head": {"num_filters": 16},
      "detection_head": {"fc_dims": 32},
      "roi_generator": {"pre_nms_top_k": 64, "num_proposals": 16,
                        "test_pre_nms_top_k": 64, "test_num_proposals": 16},
      "roi_sampler": {"num_sampled_rois": 8},
      "detection_generator": {"max_num_detections": 5},
  }
  for key, value in extra.items():
    overrides[key] = dict(overrides.get(key, {}), **value)
  model = detectors.create_detector(
      name, num_classes=3, input_size=(SIZE, SIZE),
      backbone_kwargs=backbone_kwargs, overrides=overrides)
  config = model.detector_config
  spec = model.detector_spec
  assert isinstance(model.detection_head[0],
                    detectors.EvenChannelDetectionHead) == spec.sp2
  batch = 2
  anchors = anchor_ops.Anchor(
      config.min_level, config.max_level, config.anchor.num_scales,
      config.anchor.aspect_ratios, config.anchor.anchor_size,
      [SIZE, SIZE]).multilevel_boxes
  anchors = {level: tf.tile(boxes[None], [batch, 1, 1, 1])
             for level, boxes in anchors.items()}
  images = tf.random.stateless_uniform([batch, SIZE, SIZE, 3], seed=(1, 2))
  image_shape = tf.constant([[SIZE, SIZE]] * batch)
  gt_boxes = tf.constant([[[4., 4., 30., 30.], [20., 30., 60., 62.]]] * batch)
  gt_classes = tf.constant([[1, 2]] * batch)
  with tf.GradientTape() as tape:
    outputs = model(images, image_shape, anchors, gt_boxes, gt_classes,
                    training=True)
    loss = (tf.reduce_mean(tf.square(outputs["class_outputs"])) +
            tf.add_n([tf.reduce_mean(tf.square(s))
                      for s in outputs["rpn_scores"].values()]))
  assert outputs["class_outputs"].shape.as_list() == [batch, 8, 3]
  assert outputs["box_outputs"].shape.as_list() == [batch, 8, 12]
  levels = {str(l) for l in range(config.min_level, config.max_level + 1)}
  assert set(outputs["rpn_scores"]) == levels
  kernels = [w for w in model.trainable_weights if w.shape.rank >= 2]
  gradients = tape.gradient(loss, kernels)
  assert sum(g is not None for g in gradients) > len(kernels) // 2
  assert all(np.isfinite(g.numpy()).all() for g in gradients
             if g is not None)

  detections = model(images, image_shape, anchors, training=False)
  assert detections["detection_boxes"].shape.as_list() == [batch, 5, 4]
  assert np.isfinite(detections["detection_scores"].numpy()).all()


def test_fc6_fc7_start_from_the_classifiers_fc1_fc2(tmp_path):
  from sparsezoo_tf import models  # pylint: disable=g-import-not-at-top
  classifier = models.create_model("vgg16", width=0.125, classes=21)
  path = str(tmp_path / "vgg16.h5")
  classifier.save_weights(path)
  model = detectors.create_detector(
      "fasterrcnn_vgg16", input_size=(SIZE, SIZE),
      backbone_kwargs={"width": 0.125}, backbone_weights=path)
  head = model.detection_head[0]
  fcs = head._fcs  # pylint: disable=protected-access
  for fc, name in zip(fcs, ("fc1", "fc2")):
    for ours, theirs in zip(fc.weights, classifier.get_layer(name).weights):
      np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
  np.testing.assert_array_equal(
      model.backbone.get_layer("block5_conv3").weights[0].numpy(),
      classifier.get_layer("block5_conv3").weights[0].numpy())
  # fc512 cannot take them: random FC layers, the backbone still loads.
  compact = detectors.create_detector(
      "fasterrcnn_vgg16_sp2_fc512", input_size=(SIZE, SIZE),
      backbone_kwargs={"width": 0.125}, backbone_weights=path)
  assert not compact.detector_config.fc_from_classifier
  np.testing.assert_array_equal(
      compact.backbone.get_layer("block1_conv1").weights[0].numpy(),
      classifier.get_layer("block1_conv1").weights[0].numpy())
