"""Pictures of detections: an image enlarged so that labels stay readable,
with each detection's box and "class score" label drawn (PIL), and the
detections as plain entries ({"box": [xmin, ymin, xmax, ymax], "score",
"class_id", "class_name"}) that `tools/detect.py` writes as JSON.

    found = inference.detect(model, [image])[0]
    entries = pictures.to_entries(found, pictures.class_names(model))
    picture, factor = pictures.draw(image, entries)
    picture.save("found.png")
"""

import math
from typing import Dict, List, Mapping

import numpy as np
from PIL import Image
from PIL import ImageDraw
from PIL import ImageFont

from sparsezoo_tf.data import digits_detection

MIN_SIDE = 384  # drawings are enlarged to at least this shorter side
BOX_DECIMALS = 2  # entries: boxes to 1/100 pixel
SCORE_DECIMALS = 4
# Box colours by class (Tableau 10).
PALETTE = ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40),
           (148, 103, 189), (140, 86, 75), (227, 119, 194), (127, 127, 127),
           (188, 189, 34), (23, 190, 207))


def class_names(model) -> Dict[int, str]:
  """{class id: name} a detector knows by itself: the digits' names for the
  digits detectors, else {} (callers show "class N")."""
  spec = getattr(model, "detector_spec", None)
  if spec is not None and spec.kind == "digits":
    return {entry["id"]: entry["name"]
            for entry in digits_detection.categories()}
  return {}


def _font(size: int):
  try:
    return ImageFont.load_default(size=size)
  except (TypeError, ImportError, OSError):  # Pillow < 10.1, no FreeType
    return ImageFont.load_default()


def draw(image: np.ndarray, entries: List[dict],
         min_side: int = MIN_SIDE):
  """The image enlarged to a shorter side of at least `min_side` pixels
  (nearest neighbour, a whole factor), with each entry's box and "name
  score" label (entries best first; see `to_entries`); returns (PIL image,
  factor). A [height, width, 1] image is drawn as greyscale."""
  image = np.asarray(image)
  if image.ndim == 3 and image.shape[-1] == 1:
    image = np.repeat(image, 3, axis=-1)
  height, width = image.shape[:2]
  factor = max(1, math.ceil(min_side / min(height, width)))
  canvas = Image.fromarray(image).convert("RGB")
  if factor > 1:
    canvas = canvas.resize((width * factor, height * factor), Image.NEAREST)
  pen = ImageDraw.Draw(canvas)
  short = min(canvas.size)
  line = max(2, round(short / 200))
  font = _font(max(12, short // 24))
  for entry in reversed(entries):  # the best on top
    colour = PALETTE[entry["class_id"] % len(PALETTE)]
    x0, y0, x1, y1 = [round(v * factor) for v in entry["box"]]
    x1, y1 = max(x0, x1 - 1), max(y0, y1 - 1)  # the last pixel inside
    pen.rectangle([x0, y0, x1, y1], outline=colour, width=line)
    text = f"{entry['class_name']} {entry['score']:.2f}"
    left, top, right, bottom = pen.textbbox((0, 0), text, font=font)
    text_width, text_height = right - left + 4, bottom - top + 4
    y = y0 - text_height if y0 >= text_height else y0
    pen.rectangle([x0, y, x0 + text_width, y + text_height], fill=colour)
    pen.text((x0 + 2 - left, y + 2 - top), text, fill=(255, 255, 255),
             font=font)
  return canvas, factor


def to_entries(found: Mapping[str, np.ndarray],
               names: Mapping[int, str]) -> List[dict]:
  """One image's detections (`inference.detect`'s dict) as entries:
  {"box": [xmin, ymin, xmax, ymax] (to 1/100 pixel), "score" (4 decimals),
  "class_id", "class_name" (`names`, else "class N")}, in its order."""
  result = []
  for (ymin, xmin, ymax, xmax), score, class_id in zip(
      found["boxes"].tolist(), found["scores"].tolist(),
      found["classes"].tolist()):
    result.append({"box": [round(v, BOX_DECIMALS)
                            for v in (xmin, ymin, xmax, ymax)],
                   "score": round(score, SCORE_DECIMALS),
                   "class_id": class_id,
                   "class_name": names.get(class_id, f"class {class_id}")})
  return result
