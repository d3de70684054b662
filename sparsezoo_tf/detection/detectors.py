"""Paper 003's Faster R-CNN detectors (section 4.3, Tables 7-9) built with
TF Model Garden, on the zoo's backbones.

    from sparsezoo_tf.detection import detectors

    detectors.list_detectors()   # ['fasterrcnn_fpn_resnet101', ...,
                                 #  'fasterrcnn_vgg16', ...]
    model = detectors.create_detector("fasterrcnn_vgg16_scfusion8",
                                      num_classes=21)
    detectors.detector_info("fasterrcnn_vgg16").size_mb   # 523.0

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
  fasterrcnn_digits_resnet18[_sc]  small ResNet-FPN detectors for the
      embedded 96x96 digits_detection set (ResNet-18 at a quarter width,
      and its SW-SC counterpart at the zoo's equal-FLOPs width; levels 2-4,
      FPN 32, FC 128); their trained weights ship ("digits_detection").

`create_detector(name, backbone_weights=...)` loads a classifier's weights
into the backbone (and, for the VGG-16 detectors with FC layers of 4096,
its fc1 / fc2 into fc6 / fc7, as py-faster-rcnn starts them);
`create_detector(name, weights=...)` loads a whole detector's.

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
from sparsezoo_tf.models import weights as zoo_weights
from sparsezoo_tf.training import runs

FLOAT32_BYTES = 4
MIB = 2**20
VOC_CLASSES = 21  # 20 VOC classes + background
DEFAULT_INPUT_SIZE = (512, 512)  # paper 003's compact test scale
VGG_BACKBONES = ("vgg16", "vgg16_scfusion2", "vgg16_scfusion4",
                 "vgg16_scfusion8")
RPN_CONV_SCHEMES = ("dense", "sc")
VGG_FC_UNITS = 4096
# The classifier layers the box head's FC layers start from, in order.
CLASSIFIER_FC_LAYERS = ("fc1", "fc2")
# The digits_detection detectors: 96x96 canvases, 10 digits + background,
# ResNet-18 at a quarter width; SW-SC widens by 1.3125 (resnet18_sc's
# equal-FLOPs width).
DIGITS_INPUT = 96
DIGITS_CLASSES = 11
DIGITS_WIDTH = 0.25
SC_WIDTH = 1.3125

# Table 9 of paper 003 (VOC2007 test, 21 classes): model size in MB.
PAPER_003_TABLE_9_MB = {
    "fasterrcnn_vgg16": 522.0,
    "fasterrcnn_vgg16_scfusion8": 475.0,
    "fasterrcnn_vgg16_scfusion8_sp2_fc512": 42.0,
}


@dataclasses.dataclass
class FasterRCNN(maskrcnn_cfg.MaskRCNN):
  """Model Garden's `MaskRCNN` config whose backbone may be a zoo model,
  with paper 003's two head changes.

  Attributes:
    backbone: Model Garden's backbone one-of, plus type "sparsezoo".
    sp2: the box head reads the RoI features' even-indexed channels only.
    rpn_conv: "dense", or a zoo scheme (e.g. "sc": SW-SC) for the RPN's
      3x3 convolutions.
    rpn_implementation: "auto", "op" or "reference" for a sparse RPN
      convolution.
    fc_from_classifier: when the backbone loads classifier weights, the
      box head's FC layers start from the classifier's fc1 / fc2 (VGG's
      fc6 / fc7, py-faster-rcnn's initialization); their shapes must match.
  """
  backbone: backbones.Backbone = dataclasses.field(
      default_factory=backbones.Backbone)
  sp2: bool = False
  rpn_conv: str = "dense"
  rpn_implementation: str = "auto"
  fc_from_classifier: bool = False


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
    input_size: the default (height, width).
    num_classes: the default classes, background included.
    backbone_kwargs: arguments of the zoo model the detector fixes, as
      (name, value) pairs (e.g. (("width", 0.25),)).
  """
  name: str
  backbone: str
  kind: str
  fc_dims: int
  sp2: bool
  rpn_conv: str
  description: str
  input_size: Tuple[int, int] = DEFAULT_INPUT_SIZE
  num_classes: int = VOC_CLASSES
  backbone_kwargs: Tuple[Tuple[str, Any], ...] = ()


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


def _digits_specs() -> List[DetectorSpec]:
  """The embedded set's detectors: a ResNet-18 at a quarter width, and its
  SW-SC counterpart at the zoo's equal-FLOPs width (x 1.3125)."""
  return [
      DetectorSpec(
          "fasterrcnn_digits_" + backbone, backbone, "digits", 128, False,
          "dense",
          f"small ResNet-FPN Faster R-CNN on {backbone} x {width} for the "
          f"96x96 digits_detection set",
          input_size=(DIGITS_INPUT, DIGITS_INPUT),
          num_classes=DIGITS_CLASSES, backbone_kwargs=(("width", width),))
      for backbone, width in (("resnet18", DIGITS_WIDTH),
                              ("resnet18_sc", DIGITS_WIDTH * SC_WIDTH))]


def _specs() -> Dict[str, DetectorSpec]:
  return {spec.name: spec
          for spec in _vgg_specs() + _fpn_specs() + _digits_specs()}


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


def detector_config(name: str, num_classes: Optional[int] = None,
                    input_size: Optional[Sequence[int]] = None,
                    weights: Optional[str] = None,
                    backbone_kwargs: Optional[Mapping[str, Any]] = None,
                    overrides: Optional[Mapping[str, Any]] = None
                    ) -> FasterRCNN:
  """The Model Garden config of a detector.

  Args:
    name: a detector of `list_detectors()`.
    num_classes: classes of the head, background included; None: the
      detector's default (21 for VOC, 11 for digits_detection).
    input_size: (height, width), multiples of 32; None: the detector's
      default ((512, 512), paper 003's compact test scale; (96, 96) for
      the digits detectors).
    weights: the backbone's classifier weights (`SparseZooBackbone.
      weights`): None, a registered weights name or an HDF5 path.
    backbone_kwargs: further arguments of the zoo model (e.g. {"width":
      0.25} for a tiny ResNet), on top of those the detector fixes.
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
  height, width = _check_size(name, input_size or spec.input_size)
  num_classes = spec.num_classes if num_classes is None else int(num_classes)
  if num_classes < 2:
    raise ValueError(f"{name}: num_classes must be >= 2 (background "
                     f"included), got {num_classes}")
  model_kwargs = dict(spec.backbone_kwargs, **dict(backbone_kwargs or {}))
  backbone = backbones.Backbone(
      type=backbones.BACKBONE_TYPE,
      sparsezoo=backbones.SparseZooBackbone(
          model_name=spec.backbone, weights=weights or "",
          model_kwargs=json.dumps(model_kwargs) if model_kwargs else ""))
  common = dict(
      num_classes=num_classes, input_size=[height, width, 3],
      include_mask=False, mask_head=None, mask_sampler=None,
      mask_roi_aligner=None, backbone=backbone,
      roi_aligner=maskrcnn_cfg.ROIAligner(crop_size=7),
      sp2=spec.sp2, rpn_conv=spec.rpn_conv)
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
        # py-faster-rcnn starts fc6 / fc7 from the ImageNet classifier's;
        # FC layers of another width (fc512) start random.
        fc_from_classifier=spec.fc_dims == VGG_FC_UNITS and not spec.sp2,
        **common)
  elif spec.kind == "digits":
    # Digits of 16-40 px on 96x96: levels 2-4 (strides 4-16), anchors of
    # 16-90 px (4 x 2^level x {1, 2^0.5}), a 32-channel FPN and RPN, two FC
    # layers of 128; at most 4 digits per image, so few proposals.
    config = FasterRCNN(
        min_level=2, max_level=4,
        anchor=maskrcnn_cfg.Anchor(num_scales=2,
                                   aspect_ratios=[0.5, 1.0, 2.0],
                                   anchor_size=4.0),
        decoder=mg_decoders.Decoder(
            type="fpn", fpn=mg_decoders.FPN(num_filters=32)),
        rpn_head=maskrcnn_cfg.RPNHead(num_convs=1, num_filters=32),
        detection_head=maskrcnn_cfg.DetectionHead(
            num_convs=0, num_filters=32, num_fcs=2, fc_dims=spec.fc_dims,
            class_agnostic_bbox_pred=False),
        roi_generator=maskrcnn_cfg.ROIGenerator(
            pre_nms_top_k=1000, num_proposals=128,
            test_pre_nms_top_k=500, test_num_proposals=64),
        roi_sampler=maskrcnn_cfg.ROISampler(num_sampled_rois=64,
                                            foreground_fraction=0.25),
        detection_generator=maskrcnn_cfg.DetectionGenerator(
            max_num_detections=20),
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


def _swap_heads(model: maskrcnn_model.MaskRCNNModel,
                config: FasterRCNN) -> maskrcnn_model.MaskRCNNModel:
  """`model` with the config's RPN / detection head classes."""
  parts = dict(model.get_config())
  if config.rpn_conv != "dense":
    rpn_config = dict(model.rpn_head.get_config())
    parts["rpn_head"] = SparseRPNHead(
        scheme=config.rpn_conv, implementation=config.rpn_implementation,
        **rpn_config)
  if config.sp2:
    head_config = dict(model.detection_head[0].get_config())
    parts["detection_head"] = EvenChannelDetectionHead(**head_config)
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
  # Every weight exists now: Keras' `count_params`, `summary` and weight
  # loading need the flag, which only a (slow, traced) call would set.
  model.built = True


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


def build_detector(config: FasterRCNN,
                   l2_regularizer: Optional[
                       keras.regularizers.Regularizer] = None
                   ) -> maskrcnn_model.MaskRCNNModel:
  """Builds the detector a `FasterRCNN` config describes, its weights
  created (what `create_detector` and the experiments' task call).

  Model Garden's `build_maskrcnn` builds the backbone (the "sparsezoo"
  builder for zoo models), decoder, heads and generators; a single-level
  "identity" decoder becomes `level_selector`; `sp2` and a sparse
  `rpn_conv` swap in `EvenChannelDetectionHead` / `SparseRPNHead`.

  Raises:
    ValueError: a bad config (the backbone's errors for its model and
      weights; an unknown `rpn_conv` scheme).
  """
  if config.rpn_conv != "dense" and config.rpn_conv not in RPN_CONV_SCHEMES:
    convs.make_policy(config.rpn_conv)  # the scheme registry's error
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
  if config.rpn_conv != "dense" or config.sp2:
    model = _swap_heads(model, config)
  _build_heads(model, config)
  if config.fc_from_classifier and config.backbone.type == (
      backbones.BACKBONE_TYPE) and config.backbone.sparsezoo.weights:
    load_classifier_fcs(model, config.backbone.sparsezoo.model_name,
                        config.backbone.sparsezoo.weights)
  model.detector_config = config
  return model


def load_classifier_fcs(model: maskrcnn_model.MaskRCNNModel,
                        classifier: str, weights: str) -> None:
  """Sets the box head's FC layers to the classifier's fc1, fc2, ... (VGG's
  fc6 / fc7 read the 7x7x512 pool5 map flattened in (row, column, channel)
  order, the order in which Model Garden's head flattens its 7x7 RoI
  features, so the transfer is exact).

  Args:
    model: a detector whose head has as many FC layers as the classifier.
    classifier: the zoo model the weights are of (for registered names).
    weights: a registered weights name of `classifier` or an HDF5 path.

  Raises:
    ValueError: the file lacks a layer, or a shape differs (naming both).
  """
  path = zoo_weights.resolve(classifier, weights).path
  # pylint: disable-next=protected-access
  fcs = model.detection_head[0]._fcs
  if len(fcs) != len(CLASSIFIER_FC_LAYERS):
    raise ValueError(f"the box head has {len(fcs)} FC layers; the "
                     f"classifier's are {CLASSIFIER_FC_LAYERS}")
  values = [zoo_weights.read_layer(path, name)
            for name in CLASSIFIER_FC_LAYERS]
  for fc, name, arrays in zip(fcs, CLASSIFIER_FC_LAYERS, values):
    shapes = [tuple(w.shape) for w in fc.weights]
    if shapes != [a.shape for a in arrays]:
      raise ValueError(
          f"classifier layer {name} of {path} has shapes "
          f"{[a.shape for a in arrays]}, the box head's {fc.name} {shapes}: "
          f"the FC layers cannot start from the classifier's")
  for fc, arrays in zip(fcs, values):
    fc.set_weights(arrays)


def create_detector(name: str, num_classes: Optional[int] = None,
                    weights: Optional[str] = None,
                    input_size: Optional[Sequence[int]] = None,
                    backbone_kwargs: Optional[Mapping[str, Any]] = None,
                    overrides: Optional[Mapping[str, Any]] = None,
                    implementation: str = "auto",
                    l2_regularizer: Optional[
                        keras.regularizers.Regularizer] = None,
                    backbone_weights: Optional[str] = None
                    ) -> maskrcnn_model.MaskRCNNModel:
  """Builds a detector, its weights created.

  Args:
    name: a detector of `list_detectors()`.
    num_classes: classes, background included; None: the detector's
      default (21 for VOC; 11 for the digits detectors).
    weights: the whole detector's weights: None (random), a registered
      weights name of the detector (`sparsezoo_tf.models.list_weights(
      name)`, e.g. "digits_detection") or the path of a detector weights
      file (HDF5, checked against its `.sha256` record when present).
    input_size: (height, width), multiples of 32; None: the detector's
      default.
    backbone_kwargs, overrides: see `detector_config`.
    implementation: "auto", "op" or "reference" for the sparse RPN layers
      (the backbone's: backbone_kwargs={"implementation": ...}).
    l2_regularizer: as `build_maskrcnn`'s.
    backbone_weights: the backbone's classifier weights (None: random), a
      registered weights name of the backbone model or an HDF5 path; the
      heads start random. Not with `weights`.

  Returns:
    Model Garden's `MaskRCNNModel`: call it as `model(images, image_shape,
    anchor_boxes, gt_boxes, gt_classes, training=True)` to train, or
    `model(images, image_shape, anchor_boxes, training=False)` for
    detections (`sparsezoo_tf.detection.inference` does the preprocessing
    and anchors). Its `detector_spec` and `detector_config` are attached;
    every weight exists (`count_params(model)` works before a call).

  Raises:
    ValueError: an unknown detector (with the nearest names), or a bad
      argument (see `detector_config`; the backbone's errors for weights;
      weights that do not fit the detector).
  """
  spec = detector_spec(name)
  if weights and backbone_weights:
    raise ValueError(f"{name}: give weights (the whole detector's) or "
                     f"backbone_weights (the classifier's), not both")
  config = detector_config(name, num_classes, input_size, backbone_weights,
                           backbone_kwargs, overrides)
  config.rpn_implementation = implementation
  model = build_detector(config, l2_regularizer=l2_regularizer)
  model.detector_spec = spec
  if weights:
    load_detector_weights(model, name, weights)
  return model


def load_detector_weights(model: maskrcnn_model.MaskRCNNModel, name: str,
                          weights: str) -> str:
  """Loads a detector's weights: a registered weights name of detector
  `name` (the file checked against the registry's SHA-256) or the path of
  an HDF5 file `save_detector_weights` wrote (checked against its `.sha256`
  record when present). Returns the file's path.

  Raises:
    ValueError: an unknown weights name, a file whose hash is wrong, or
      weights that do not fit the model (another detector, class count or
      configuration); nothing is loaded then.
    FileNotFoundError: a registered file that is nowhere to be found.
  """
  resolved = zoo_weights.resolve(name, weights)
  path = resolved.path
  if not path.endswith((".h5", ".hdf5")):
    raise ValueError(f"{name}: detector weights must be an HDF5 file "
                     f"written by save_detector_weights (or "
                     f"tools/train_detector.py), got {path}")
  try:
    model.load_weights(path)
  except (ValueError, KeyError) as error:
    raise ValueError(
        f"{name}: weights file {path} does not fit this detector ({error}). "
        f"Nothing usable was loaded; is it the weights of another detector, "
        f"class count or configuration?") from None
  return path


def save_detector_weights(model: maskrcnn_model.MaskRCNNModel,
                          path: str) -> str:
  """Writes the detector's weights to an HDF5 file, atomically, and its
  SHA-256 record next to it (`<path>.sha256`); returns the hash."""
  if not path.endswith((".h5", ".hdf5")):
    raise ValueError(f"detector weights are written as HDF5: give a path "
                     f"ending in .h5, got {path}")
  runs.atomic_write(path, lambda p: model.save_weights(p, save_format="h5"))
  runs.write_text(path + zoo_weights.RECORD_SUFFIX,
                  zoo_weights.sha256_record(path))
  return zoo_weights.file_sha256(path)


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


def detector_info(name: str, num_classes: Optional[int] = None,
                  input_size: Optional[Sequence[int]] = None,
                  num_rois: int = 300) -> DetectorInfo:
  """Parameters, FLOPs and size of a detector (built once, cached).

  Args:
    name: a detector of `list_detectors()`.
    num_classes: classes, background included (None: the detector's).
    input_size: (height, width) of the FLOPs (parameters do not depend on
      it; None: the detector's default).
    num_rois: RoIs of the box head in the FLOPs (py-faster-rcnn tests with
      300 proposals).

  Returns:
    A `DetectorInfo`; `size_mb` is params x 4 / 2^20.
  """
  spec = detector_spec(name)
  if isinstance(num_rois, bool) or not isinstance(num_rois, int) or (
      num_rois < 1):
    raise ValueError(f"num_rois must be a positive int, got {num_rois!r}")
  return _counted(name,
                  spec.num_classes if num_classes is None else int(num_classes),
                  _check_size(name, input_size or spec.input_size),
                  int(num_rois))
