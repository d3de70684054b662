"""Object detection: Faster R-CNN with the zoo's backbones through TF Model
Garden (paper 003, section 4.3, Table 9), and its metrics.

For now the package holds the metrics only (NumPy and pycocotools; it
imports nothing of Model Garden's vision modules):

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
"""

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
]
