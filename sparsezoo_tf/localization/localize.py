"""Weakly supervised localization with class activation maps: one box per
top-k class (Zhou et al., CVPR 2016; paper 003, section 4.2 and appendix B).
"""

import dataclasses
from typing import Optional

import numpy as np
import tf_keras as keras

from sparsezoo_tf.localization import boxes as boxes_lib
from sparsezoo_tf.localization import cam as cam_lib


@dataclasses.dataclass(frozen=True)
class Localization:
  """Guesses of `localize`.

  Attributes:
    classes: int64 [B, k] the top-k classes, best first.
    scores: float32 [B, k] the model's outputs for them.
    boxes: float32 [B, k, 4] (ymin, xmin, ymax, xmax) of each class's map,
      continuous pixel coordinates of the input images.
    maps: float32 [B, k, H, W] the maps (with `return_maps=True`, else None).
  """
  classes: np.ndarray
  scores: np.ndarray
  boxes: np.ndarray
  maps: Optional[np.ndarray] = None


def localize(model: keras.Model, images, top_k: int = 5,
             threshold: float = 0.2, batch_size: Optional[int] = None,
             return_maps: bool = False) -> Localization:
  """Classes and boxes of each image's `top_k` guesses.

  Each box is the bounding box of the largest 8-connected region of the
  class's map (at the input's resolution) at or above `threshold` x its
  maximum (`boxes.boxes_from_cam`).

  Args:
    model: a classifier with a GlobalAveragePooling2D + Dense head (see
      `cam.class_activation_maps`).
    images: [B, rows, cols, channels] preprocessed images (as the model
      consumes them); boxes are in their pixels.
    top_k: guesses per image (5 for ILSVRC top-5).
    threshold: fraction of a map's maximum kept (0.2 as Zhou et al.).
    batch_size: images per forward pass (default all at once).
    return_maps: also return the maps.

  Returns:
    A `Localization`.

  Raises:
    ValueError: as `class_activation_maps` and `boxes_from_cam`.
  """
  result = cam_lib.class_activation_maps(model, images, top_k=top_k,
                                         batch_size=batch_size)
  return Localization(
      classes=result.classes, scores=result.scores,
      boxes=boxes_lib.boxes_from_cams(result.maps, threshold),
      maps=result.maps if return_maps else None)
