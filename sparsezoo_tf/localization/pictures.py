"""Pictures of class activation maps: the image blended with the map as a
heat map, the predicted box (white) and ground-truth boxes (magenta), as
`tools/cam.py`, `tools/demo.py` and README's pictures draw them (NumPy;
`encode_png` writes them with TensorFlow's PNG encoder)."""

import numpy as np
import tensorflow as tf

PREDICTED_COLOUR = (255, 255, 255)
GROUND_TRUTH_COLOUR = (255, 0, 255)
BLEND = 0.5


def jet(values) -> np.ndarray:
  """uint8 [..., 3] colours of values in 0..1: dark blue, blue, cyan,
  yellow, red, dark red."""
  rgb = np.clip(1.5 - np.abs(4.0 * values[..., None] - [3.0, 2.0, 1.0]),
                0.0, 1.0)
  return np.round(rgb * 255).astype(np.uint8)


def draw_box(picture: np.ndarray, box, scale: int, colour) -> None:
  """Draws `box` (pixel edges of the unscaled image) on `picture` in place,
  inside the box's pixels."""
  width = 1 if scale == 1 else 2
  rows, cols = picture.shape[:2]
  top, left = (int(np.clip(np.floor(v * scale), 0, n - 1))
               for v, n in zip(box[:2], (rows, cols)))
  bottom, right = (int(np.clip(np.ceil(v * scale) - 1, 0, n - 1))
                   for v, n in zip(box[2:], (rows, cols)))
  if bottom < top or right < left:
    return
  picture[top:min(top + width, bottom + 1), left:right + 1] = colour
  picture[max(bottom - width + 1, top):bottom + 1, left:right + 1] = colour
  picture[top:bottom + 1, left:min(left + width, right + 1)] = colour
  picture[top:bottom + 1, max(right - width + 1, left):right + 1] = colour


def overlay(picture: np.ndarray, cam: np.ndarray, scale: int, box,
            ground_truth=()) -> np.ndarray:
  """The picture (uint8 [H, W, 3]) blended with the map `cam` [H, W],
  upscaled `scale` times, with the ground-truth boxes and the predicted
  `box` drawn."""
  peak = float(np.max(cam))
  heat = np.clip(cam / peak, 0.0, 1.0) if peak > 0 else np.zeros_like(cam)
  blended = np.round((1 - BLEND) * picture + BLEND * jet(heat))
  blended = blended.astype(np.uint8)
  big = np.repeat(np.repeat(blended, scale, axis=0), scale, axis=1)
  for truth in ground_truth:
    draw_box(big, truth, scale, GROUND_TRUTH_COLOUR)
  draw_box(big, box, scale, PREDICTED_COLOUR)
  return big


def encode_png(picture: np.ndarray) -> bytes:
  """PNG bytes of a uint8 [H, W, 3] picture."""
  return tf.io.encode_png(np.asarray(picture, np.uint8)).numpy()
