"""Paper 003's Faster R-CNN detectors (section 4.3, Tables 7-9) built with
TF Model Garden, on the zoo's backbones.

    from sparsezoo_tf.detection import detectors

    detectors.list_detectors()   # ['fasterrcnn_fpn_resnet101', ...,
                                 #  'fasterrcnn_vgg16', ...]
    model = detectors.create_detector("fasterrcnn_vgg16_scfusion8",
                                      num_classes=21)
    detectors.detector_info("fasterrcnn_vgg16").size_mb   # 522.9

Detectors:
  fasterrcnn_vgg16[_scfusion{2,4,8}]  py-faster-rcnn's VGG-16 Faster R-CNN:
      one level, conv5_3 (stride 16, before pool5: the backbone's level 4);
      RPN one 3x3 convolution of 512 and 9 anchors per location (3 scales x
      3 ratios); RoIs cropped 7x7 (Model Garden's bilinear RoIAlign, not
      py-faster-rcnn's max RoI pooling); two FC layers of 4096; per-class
      box regression.
  fasterrcnn_vgg16[_scfusion{2,4,8}]_sp2_fc512  the compact variant of
      Table 9: the RoI features' even-indexed channels only ("sp2", 256 of
      conv5_3's 512) and FC layers of 512.
  fasterrcnn_fpn_<resnet>  Model Garden's ResNet-FPN Faster R-CNN (levels
      2-6, FPN 256, one 3x3 RPN convolution, 3 anchors per location, four
      3x3 convolutions and one FC of 1024 in the box head) on any ImageNet
      ResNet of the zoo.

Readings where paper 003 is silent (chosen so that the parameter counts
reproduce Table 9's model sizes, float32, 21 classes, MB = 2^20 bytes):
  * The RPN's 3x3 convolution is sparse in the scFusion detectors: SW-SC
    (the zoo's "sc" scheme: 5 of 9 taps, alternating "+" / "x" kernels over
    the output channels), the paper's base kernels; dense in the VGG-16
    baseline. Its 1x1 score / box convolutions, the FC layers and the
    classifier / regressor are dense. A dense RPN convolution would give
    478 and 46.1 MB instead of 474.2 and 42.1 MB (Table 9: 475 and 42).
  * The FC layers are dense (the paper: "scFusion is only applied to
    convolution layers"); sp2 removes half of fc6's inputs.
  * Table 9's MB are MiB (2^20 bytes): py-faster-rcnn's VGG-16 model,
    137.07 M parameters, is 548.3 * 10^6 bytes = 522.9 MiB.

Differences from py-faster-rcnn that are Model Garden's: batch
normalization after the RPN convolution and after each FC layer (a few
thousand parameters), one sigmoid score per anchor instead of a two-way
softmax (9 instead of 18 score channels), RoIAlign instead of RoI max
pooling, and Model Garden's anchors: `anchor_size` x 2^level x 2^(s / 3)
for s = 0, 1, 2 (one octave), where py-faster-rcnn's three scales are
128, 256 and 512 pixels (two octaves); the parameter counts do not depend
on it.

Why custom heads and how: Model Garden's `MaskRCNNModel` composes its
parts in a fixed order (backbone, decoder, RPN head, RoI generator / sampler
/ aligner, detection head), and `build_maskrcnn` builds the heads from the
config with no hook for another class. sp2 and the sparse RPN convolution
are changes inside two heads, so this module subclasses Model Garden's
`DetectionHead` (`EvenChannelDetectionHead`: slices channels ::2 of the
RoI features, then Model Garden's own call) and `RPNHead` (`SparseRPNHead`:
the zoo's sparse layer in place of the 3x3 convolution), lets
`build_maskrcnn` build everything else from the config, and rebuilds the
`MaskRCNNModel` from the built model's own parts with the two heads
swapped. The single level goes through `level_selector` as the decoder
(Model Garden's "identity" decoder would pass the backbone's levels 2-5 on
and its RoI aligner would spread the RoIs over them). Model Garden's task, losses, data pipeline and export see an
ordinary `MaskRCNNModel`.

The module imports Model Garden's vision modules (through `backbones`).
"""

import dataclasses
import difflib
import functools
import json
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import tensorflow as tf
import tf_keras as keras

from official.vision.configs import decoders as mg_decoders
from official.vision.configs import maskrcnn as maskrcnn_cfg
from official.vision.modeling import factory as model_factory
from official.vision.modeling import maskrcnn_model
from official.vision.modeling.backbones import factory as backbone_factory
from official.vision.modeling.heads import dense_prediction_heads
from official.vision.modeling.heads import instance_heads

from sparsezoo_tf.analysis import counting
from sparsezoo_tf.detection import backbones
from sparsezoo_tf.models import convs
from sparsezoo_tf.models import registry

FLOAT32_BYTES = 4
MIB = 2**20
VOC_CLASSES = 21  # 20 VOC classes + background
DEFAULT_INPUT_SIZE = (512, 512)  # paper 003's compact test scale
VGG_BACKBONES = ("vgg16", "vgg16_scfusion2", "vgg16_scfusion4",
                 "vgg16_scfusion8")
RPN_CONV_SCHEMES = ("dense", "sc")

# Table 9 of paper 003 (VOC2007 test, 21 classes): model size in MB.
PAPER_003_TABLE_9_MB = {
    "fasterrcnn_vgg16": 522.0,
    "fasterrcnn_vgg16_scfusion8": 475.0,
    "fasterrcnn_vgg16_scfusion8_sp2_fc512": 42.0,
}


@dataclasses.dataclass
class FasterRCNN(maskrcnn_cfg.MaskRCNN):
  """Model Garden's `MaskRCNN` config whose backbone may be a zoo model."""
  backbone: backbones.Backbone = dataclasses.field(
      default_factory=backbones.Backbone)


@dataclasses.dataclass(frozen=True)
class DetectorSpec:
  """One registered detector.

  Attributes:
    name: the detector's name.
    backbone: the zoo model it is built on.
    kind: "vgg" (single level at stride 16) or "fpn" (ResNet-FPN).
    fc_dims: units of each FC layer of the box head.
    sp2: the box head reads the RoI features' even channels only.
    rpn_conv: "dense" or "sc" (SW-SC) for the RPN's 3x3 convolution.
    description: one line.
  """
  name: str
  backbone: str
  kind: str
  fc_dims: int
  sp2: bool
  rpn_conv: str
  description: str


@dataclasses.dataclass(frozen=True)
class DetectorInfo:
  """Counts of a detector (see `detector_info`).

  Attributes:
    name: the detector.
    num_classes: classes of its head (background included).
    params: every weight (trainable or not) of the built model.
    parts: params by part: "backbone", "decoder", "rpn_head",
      "detection_head".
    flops: multiply-adds of one image of `input_size` through backbone,
      decoder and RPN, plus the box head on `num_rois` RoIs.
    input_size: (height, width) the FLOPs are counted at.
    num_rois: RoIs of the box head in the FLOPs.
  """
  name: str
  num_classes: int
  params: int
  parts: Mapping[str, int]
  flops: int
  input_size: Tuple[int, int]
  num_rois: int

  @property
  def size_mb(self) -> float:
    """float32 size in MiB (2^20 bytes), Table 9's "Model (MB)"."""
    return self.params * FLOAT32_BYTES / MIB


def _vgg_specs() -> List[DetectorSpec]:
  specs = []
  for backbone in VGG_BACKBONES:
    base = "fasterrcnn_" + backbone
    rpn_conv = "dense" if backbone == "vgg16" else "sc"
    specs.append(DetectorSpec(
        base, backbone, "vgg", 4096, False, rpn_conv,
        f"Faster R-CNN on {backbone} conv5_3, FC 4096 (paper 003)"))
    specs.append(DetectorSpec(
        base + "_sp2_fc512", backbone, "vgg", 512, True, rpn_conv,
        f"compact Faster R-CNN on {backbone}: even RoI channels, FC 512 "
        f"(paper 003, Table 9)"))
  return specs


def _fpn_specs() -> List[DetectorSpec]:
  specs = []
  for backbone in registry.list_models("resnet*"):
    info = registry.model_info(backbone)
    if info.family != "resnet" or info.dataset != "imagenet":
      continue
    specs.append(DetectorSpec(
        "fasterrcnn_fpn_" + backbone, backbone, "fpn", 1024, False, "dense",
        f"Model Garden's ResNet-FPN Faster R-CNN on {backbone}"))
  return specs


def _specs() -> Dict[str, DetectorSpec]:
  return {spec.name: spec for spec in _vgg_specs() + _fpn_specs()}


def list_detectors(pattern: str = "*") -> List[str]:
  """The detectors' names matching a shell pattern, sorted."""
  import fnmatch  # pylint: disable=g-import-not-at-top
  return sorted(name for name in _specs()
                if fnmatch.fnmatchcase(name, pattern))


def detector_spec(name: str) -> DetectorSpec:
  """The `DetectorSpec` of a detector.

  Raises:
    ValueError: an unknown name (with the nearest names).
  """
  specs = _specs()
  if name not in specs:
    close = difflib.get_close_matches(name, list(specs), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise ValueError(f"unknown detector {name!r}{hint} (see "
                     f"detection.detectors.list_detectors())")
  return specs[name]


def _check_size(name: str, input_size: Sequence[int]) -> Tuple[int, int]:
  size = tuple(int(s) for s in input_size)
  if len(size) != 2 or any(s <= 0 or s % 32 for s in size):
    raise ValueError(f"{name}: input_size must be (height, width), both "
                     f"positive multiples of 32 (the backbone's largest "
                     f"stride), got {tuple(input_size)}")
  return size


def detector_config(name: str, num_classes: int = VOC_CLASSES,
                    input_size: Sequence[int] = DEFAULT_INPUT_SIZE,
                    weights: Optional[str] = None,
                    backbone_kwargs: Optional[Mapping[str, Any]] = None,
                    overrides: Optional[Mapping[str, Any]] = None
                    ) -> FasterRCNN:
  """The Model Garden config of a detector.

  Args:
    name: a detector of `list_detectors()`.
    num_classes: classes of the head, background included (21 for VOC).
    input_size: (height, width), multiples of 32.
    weights: the backbone's classifier weights (`SparseZooBackbone.
      weights`): None, a registered weights name or an HDF5 path.
    backbone_kwargs: further arguments of the zoo model (e.g. {"width":
      0.25} for a tiny ResNet).
    overrides: a nested dict applied last with `config.override(...,
      is_strict=True)` (e.g. {"roi_generator": {"num_proposals": 16}}).
      The fields the detector's definition fixes (levels, fc_dims, ...)
      may be overridden too: the counts then no longer are the paper's.

  Returns:
    A `FasterRCNN` config (`include_mask=False`).

  Raises:
    ValueError: an unknown detector, a bad size or class count.
  """
  spec = detector_spec(name)
  height, width = _check_size(name, input_size)
  if num_classes < 2:
    raise ValueError(f"{name}: num_classes must be >= 2 (background "
                     f"included), got {num_classes}")
  backbone = backbones.Backbone(
      type=backbones.BACKBONE_TYPE,
      sparsezoo=backbones.SparseZooBackbone(
          model_name=spec.backbone, weights=weights or "",
          model_kwargs=json.dumps(dict(backbone_kwargs))
          if backbone_kwargs else ""))
  common = dict(
      num_classes=num_classes, input_size=[height, width, 3],
      include_mask=False, mask_head=None, mask_sampler=None,
      mask_roi_aligner=None, backbone=backbone,
      roi_aligner=maskrcnn_cfg.ROIAligner(crop_size=7))
  if spec.kind == "vgg":
    config = FasterRCNN(
        min_level=4, max_level=4,
        anchor=maskrcnn_cfg.Anchor(num_scales=3,
                                   aspect_ratios=[0.5, 1.0, 2.0],
                                   anchor_size=8.0),
        decoder=mg_decoders.Decoder(type="identity"),
        rpn_head=maskrcnn_cfg.RPNHead(num_convs=1, num_filters=512),
        detection_head=maskrcnn_cfg.DetectionHead(
            num_convs=0, num_filters=512, num_fcs=2, fc_dims=spec.fc_dims,
            class_agnostic_bbox_pred=False),
        # py-faster-rcnn: 12000 / 2000 proposals (train), 6000 / 300
        # (test), 128 sampled RoIs, a quarter foreground.
        roi_generator=maskrcnn_cfg.ROIGenerator(
            pre_nms_top_k=12000, num_proposals=2000,
            test_pre_nms_top_k=6000, test_num_proposals=300),
        roi_sampler=maskrcnn_cfg.ROISampler(num_sampled_rois=128,
                                            foreground_fraction=0.25),
        **common)
  else:
    config = FasterRCNN(
        min_level=2, max_level=6,
        anchor=maskrcnn_cfg.Anchor(num_scales=1,
                                   aspect_ratios=[0.5, 1.0, 2.0],
                                   anchor_size=8.0),
        decoder=mg_decoders.Decoder(type="fpn"),
        rpn_head=maskrcnn_cfg.RPNHead(num_convs=1, num_filters=256),
        detection_head=maskrcnn_cfg.DetectionHead(
            num_convs=4, num_filters=256, num_fcs=1, fc_dims=spec.fc_dims,
            class_agnostic_bbox_pred=False),
        **common)
  config.norm_activation.use_sync_bn = False
  if overrides:
    config.override(dict(overrides), is_strict=True)
  return config


class EvenChannelDetectionHead(instance_heads.DetectionHead):
  """Model Garden's `DetectionHead` on the RoI features' even-indexed
  channels only (paper 003's "sp2" sparse RoI pooling): channels 0, 2, 4,
  ... of the [batch, rois, height, width, channels] input, then the
  parent's convolutions / FC layers / classifier / regressor."""

  def call(self, inputs: tf.Tensor, training: Optional[bool] = None):
    """Class and box outputs of the even channels of `inputs`."""
    return super().call(inputs[..., ::2], training=training)


class SparseRPNHead(dense_prediction_heads.RPNHead):
  """Model Garden's `RPNHead` whose 3x3 convolutions are layers of a zoo
  scheme (`scheme`, e.g. "sc": SW-SC); the rest is the parent's.

  Args:
    scheme: a `sparsezoo_tf.schemes` scheme for the 3x3 convolutions.
    implementation: "auto", "op" or "reference" for the sparse layers.
    **kwargs: `RPNHead`'s arguments.
  """

  def __init__(self, scheme: str = "sc", implementation: str = "auto",
               **kwargs):
    super().__init__(**kwargs)
    self._scheme = scheme
    self._implementation = implementation

  def build(self, input_shape):
    """The parent's layers, the 3x3 convolutions replaced (unbuilt)."""
    super().build(input_shape)
    policy = convs.make_policy(
        self._scheme, implementation=self._implementation, use_bias=True,
        kernel_initializer=keras.initializers.RandomNormal(stddev=0.01),
        kernel_regularizer=self._config_dict["kernel_regularizer"])
    self._convs = [
        policy.conv(self._config_dict["num_filters"], 3,
                    name=f"rpn-conv_{i}", role="body")
        for i in range(len(self._convs))]

  def get_config(self):
    return dict(super().get_config(), scheme=self._scheme,
                implementation=self._implementation)


def _swap_heads(model: maskrcnn_model.MaskRCNNModel, spec: DetectorSpec,
                config: FasterRCNN,
                implementation: str) -> maskrcnn_model.MaskRCNNModel:
  """`model` with the spec's RPN / detection head classes."""
  parts = dict(model.get_config())
  if spec.rpn_conv != "dense":
    rpn_config = dict(model.rpn_head.get_config())
    parts["rpn_head"] = SparseRPNHead(
        scheme=spec.rpn_conv, implementation=implementation, **rpn_config)
  if spec.sp2:
    head_config = dict(model.detection_head[0].get_config())
    parts["detection_head"] = EvenChannelDetectionHead(**head_config)
  del config
  return maskrcnn_model.MaskRCNNModel(**parts)


def _build_heads(model: maskrcnn_model.MaskRCNNModel,
                 config: FasterRCNN) -> None:
  """Creates the heads' weights without running the model."""
  features = model.backbone(keras.Input(config.input_size))
  if model.decoder is not None:  # None: the "identity" decoder
    features = model.decoder(features)
  model.rpn_head(features)
  channels = features[str(config.min_level)].shape[-1]
  crop = config.roi_aligner.crop_size
  for head in model.detection_head:
    head(keras.Input([1, crop, crop, channels]))


def level_selector(input_specs: Mapping[str, tf.TensorShape],
                   levels: Sequence[int]) -> keras.Model:
  """A decoder that passes the backbone's maps of `levels` through.

  Model Garden's "identity" decoder passes every backbone level on, and its
  RoI aligner then assigns RoIs to all of them (FPN's rule); the VGG-16
  backbone has levels 2-5, so paper 003's single level needs the others
  dropped.
  """
  missing = [level for level in levels if str(level) not in input_specs]
  if missing:
    raise ValueError(f"the backbone has no level(s) {missing} (it has "
                     f"{sorted(input_specs)})")
  inputs = {key: keras.Input(shape[1:]) for key, shape in input_specs.items()}
  outputs = {str(level): inputs[str(level)] for level in levels}
  selector = keras.Model(inputs, outputs, name="level_selector")
  selector.output_specs = {key: tensor.shape
                           for key, tensor in outputs.items()}
  return selector


def create_detector(name: str, num_classes: int = VOC_CLASSES,
                    weights: Optional[str] = None,
                    input_size: Sequence[int] = DEFAULT_INPUT_SIZE,
                    backbone_kwargs: Optional[Mapping[str, Any]] = None,
                    overrides: Optional[Mapping[str, Any]] = None,
                    implementation: str = "auto",
                    l2_regularizer: Optional[
                        keras.regularizers.Regularizer] = None
                    ) -> maskrcnn_model.MaskRCNNModel:
  """Builds a detector, its weights created.

  Args:
    name: a detector of `list_detectors()`.
    num_classes: classes, background included (21 for VOC).
    weights: the backbone's classifier weights: None (random), a
      registered weights name of the backbone or an HDF5 path; the heads
      start random.
    input_size: (height, width), multiples of 32.
    backbone_kwargs, overrides: see `detector_config`.
    implementation: "auto", "op" or "reference" for the sparse RPN layers
      (the backbone's: backbone_kwargs={"implementation": ...}).
    l2_regularizer: as `build_maskrcnn`'s.

  Returns:
    Model Garden's `MaskRCNNModel`: call it as `model(images, image_shape,
    anchor_boxes, gt_boxes, gt_classes, training=True)` to train, or
    `model(images, image_shape, anchor_boxes, training=False)` for
    detections. Its `detector_spec` and `detector_config` are attached.

  Raises:
    ValueError: an unknown detector (with the nearest names), or a bad
      argument (see `detector_config`; the backbone's errors for weights).
  """
  spec = detector_spec(name)
  config = detector_config(name, num_classes, input_size, weights,
                           backbone_kwargs, overrides)
  specs = keras.layers.InputSpec(shape=[None] + list(config.input_size))
  backbone = backbone_factory.build_backbone(
      input_specs=specs, backbone_config=config.backbone,
      norm_activation_config=config.norm_activation,
      l2_regularizer=l2_regularizer)
  decoder = None
  if config.decoder.type == "identity":
    decoder = level_selector(backbone.output_specs,
                             range(config.min_level, config.max_level + 1))
  model = model_factory.build_maskrcnn(specs, config,
                                       l2_regularizer=l2_regularizer,
                                       backbone=backbone, decoder=decoder)
  if spec.rpn_conv != "dense" or spec.sp2:
    model = _swap_heads(model, spec, config, implementation)
  _build_heads(model, config)
  model.detector_spec = spec
  model.detector_config = config
  return model


def _conv_like_macs(layer: keras.layers.Layer, positions: int) -> int:
  """Multiply-adds of a layer whose kernels (weights of rank >= 2) are
  each applied once per position."""
  return positions * sum(int(tf.size(w)) for w in layer.trainable_weights
                         if w.shape.rank >= 2)


def count_flops(model: maskrcnn_model.MaskRCNNModel,
                num_rois: int = 300) -> int:
  """Multiply-adds of one image through `model` (built by
  `create_detector`): backbone and decoder by `analysis.count_model`, the
  RPN convolutions at every level's positions, the box head on `num_rois`
  RoIs. RoI generation, alignment and NMS are not counted."""
  config = model.detector_config
  height, width = config.input_size[:2]
  total = counting.count_model(model.backbone).multiply_adds
  if model.decoder is not None:
    total += counting.count_model(model.decoder).multiply_adds
  for level in range(config.min_level, config.max_level + 1):
    positions = (height // 2**level) * (width // 2**level)
    total += _conv_like_macs(model.rpn_head, positions)
  crop = config.roi_aligner.crop_size
  for head in model.detection_head:
    convs_macs = sum(_conv_like_macs(conv, crop * crop)
                     for conv in head._convs)  # pylint: disable=protected-access
    other = _conv_like_macs(head, 1) - sum(
        _conv_like_macs(conv, 1) for conv in head._convs)  # pylint: disable=protected-access
    total += num_rois * (convs_macs + other)
  return int(total)


def count_params(layer: keras.layers.Layer) -> int:
  """Every weight of a layer or model (trainable or not, BatchNorm's
  moving statistics included), shared weights once; works on a detector of
  `create_detector` before its first call (Keras' `count_params` does not).
  """
  unique = {id(w): w for w in layer.weights}
  return sum(int(w.shape.num_elements()) for w in unique.values())


@functools.lru_cache(maxsize=None)
def _counted(name: str, num_classes: int, input_size: Tuple[int, int],
             num_rois: int) -> DetectorInfo:
  model = create_detector(name, num_classes=num_classes,
                          input_size=input_size)
  parts = {"backbone": count_params(model.backbone),
           "decoder": (count_params(model.decoder)
                       if model.decoder is not None else 0),
           "rpn_head": count_params(model.rpn_head),
           "detection_head": sum(count_params(h)
                                 for h in model.detection_head)}
  info = DetectorInfo(name, num_classes, count_params(model), parts,
                      count_flops(model, num_rois), input_size, num_rois)
  del model
  return info


def detector_info(name: str, num_classes: int = VOC_CLASSES,
                  input_size: Sequence[int] = DEFAULT_INPUT_SIZE,
                  num_rois: int = 300) -> DetectorInfo:
  """Parameters, FLOPs and size of a detector (built once, cached).

  Args:
    name: a detector of `list_detectors()`.
    num_classes: classes, background included.
    input_size: (height, width) of the FLOPs (parameters do not depend on
      it).
    num_rois: RoIs of the box head in the FLOPs (py-faster-rcnn tests with
      300 proposals).

  Returns:
    A `DetectorInfo`; `size_mb` is params x 4 / 2^20.
  """
  detector_spec(name)
  return _counted(name, int(num_classes), _check_size(name, input_size),
                  int(num_rois))
