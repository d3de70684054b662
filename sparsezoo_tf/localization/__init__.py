"""Object localization with class activation maps (CAM; Zhou et al., CVPR
2016), as paper 003 evaluates its VGG-16 scFusion GAP models (section 4.2,
Tables 6 and 10, Fig. 8).

    from sparsezoo_tf import localization, models
    model = models.create_model("vgg16_scfusion4_gap", weights=None)
    images = models.preprocess_input(raw_images, mode="imagenet")
    found = localization.localize(model, images, top_k=5, threshold=0.2)
    localization.localization_accuracy(found.classes, found.boxes, labels,
                                       gt_boxes)  # {"top1_loc": ..., ...}

Boxes are (ymin, xmin, ymax, xmax) in continuous pixel coordinates of the
model's input images (area (ymax - ymin) * (xmax - xmin)); the functions
take preprocessed images, as the model consumes them.

Modules:
  cam: `class_activation_maps`, `maps_of_classes`,
    `scfusion_component_maps`, `cam_head`.
  boxes: `boxes_from_cam` (largest 8-connected component above a fraction
    of the maximum) and `boxes_from_cams`.
  metrics: `iou`, `localization_accuracy`, `gt_known_accuracy`.
  localize: `localize`, the classes and boxes of the top-k guesses.
"""

from sparsezoo_tf.localization.boxes import boxes_from_cam
from sparsezoo_tf.localization.boxes import boxes_from_cams
from sparsezoo_tf.localization.boxes import largest_component
from sparsezoo_tf.localization.cam import cam_head
from sparsezoo_tf.localization.cam import CamHead
from sparsezoo_tf.localization.cam import CamResult
from sparsezoo_tf.localization.cam import class_activation_maps
from sparsezoo_tf.localization.cam import ComponentMaps
from sparsezoo_tf.localization.cam import maps_of_classes
from sparsezoo_tf.localization.cam import scfusion_component_maps
from sparsezoo_tf.localization.localize import localize
from sparsezoo_tf.localization.localize import Localization
from sparsezoo_tf.localization.metrics import gt_known_accuracy
from sparsezoo_tf.localization.metrics import iou
from sparsezoo_tf.localization.metrics import localization_accuracy

__all__ = [
    "CamHead", "CamResult", "ComponentMaps", "Localization",
    "maps_of_classes",
    "boxes_from_cam", "boxes_from_cams", "cam_head", "class_activation_maps",
    "gt_known_accuracy", "iou", "largest_component", "localization_accuracy",
    "localize", "scfusion_component_maps",
]
