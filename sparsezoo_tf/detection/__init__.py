"""Object detection: Faster R-CNN with the zoo's backbones through TF Model
Garden (paper 003, section 4.3, Table 9), and its metrics.

The metrics need only NumPy and pycocotools; the detectors and backbones
import Model Garden's vision modules when first used (`list_detectors`,
`create_detector`, `detector_info`, `detector_config` load `detectors`):

    detection.list_detectors("fasterrcnn_vgg16*")
    model = detection.create_detector("fasterrcnn_vgg16_scfusion8",
                                      num_classes=21)
    detection.detector_info("fasterrcnn_vgg16_scfusion8").size_mb  # 474.2

    from sparsezoo_tf import detection
    detection.coco_metrics("instances_val2017.json", "detections.json")
    # {"AP": ..., "AP50": ..., ..., "ARmax100": ..., "ARl": ...}
    detection.voc_map("voc2007_test.json", "detections.json",
                      metric="voc07")  # {"mAP": ..., "per_class": ...}

Ground truth is a COCO annotation file (or dict), detections the COCO
results format ({image_id, category_id, bbox: [x, y, width, height],
score}); see `metrics` for box coordinates and the VOC devkit's rules.

Modules:
  metrics: `coco_metrics`, `voc_map`, `voc_ap`, `read_annotations`,
    `read_detections`, `has_ground_truth`, `coco_detections`,
    `write_detections`.
  backbones: the zoo's models as Model Garden backbones ("sparsezoo").
  detectors: paper 003's VGG-16 Faster R-CNNs (and sp2 / fc512), ResNet-FPN
    ones, the digits detectors, their configs, sizes and weights files.
  experiments: the detectors as Model Garden experiments (VOC, COCO, the
    digits set) and the task that builds them.
  records: COCO files to Model Garden's TFRecords; the embedded
    digits_detection set prepared once.
  pictures: detections drawn on images.
  inference: `load_detector` (a training run or registered weights),
    `detect` (images in, boxes in their pixels out), `detect_coco` (COCO
    results for a COCO annotation file's images), `detect_records` (the
    same, the images read from Model Garden's TFRecords).
"""

import importlib

from sparsezoo_tf.detection.metrics import COCO_METRIC_NAMES
from sparsezoo_tf.detection.metrics import coco_detections
from sparsezoo_tf.detection.metrics import coco_metric_names
from sparsezoo_tf.detection.metrics import coco_metrics
from sparsezoo_tf.detection.metrics import has_ground_truth
from sparsezoo_tf.detection.metrics import read_annotations
from sparsezoo_tf.detection.metrics import read_detections
from sparsezoo_tf.detection.metrics import voc_ap
from sparsezoo_tf.detection.metrics import VOC_METRICS
from sparsezoo_tf.detection.metrics import voc_map
from sparsezoo_tf.detection.metrics import write_detections

__all__ = [
    "COCO_METRIC_NAMES", "VOC_METRICS",
    "coco_detections", "coco_metric_names", "coco_metrics",
    "has_ground_truth", "read_annotations", "read_detections", "voc_ap",
    "voc_map", "write_detections",
    "list_detectors", "create_detector", "detector_info", "detector_config",
]

_DETECTOR_API = ("list_detectors", "create_detector", "detector_info",
                 "detector_config")


def __getattr__(name):
  # The detectors import Model Garden's vision modules: only when used.
  if name in _DETECTOR_API:
    detectors = importlib.import_module("sparsezoo_tf.detection.detectors")
    return getattr(detectors, name)
  raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
