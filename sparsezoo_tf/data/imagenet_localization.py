"""ILSVRC-2012 localization ground truth, from its two published formats.

* The devkit's bounding boxes (ILSVRC2012_bbox_val_v3.tgz, extracted to a
  `val/` folder): one PASCAL-VOC-style XML file per validation image,
  `ILSVRC2012_val_00000001.xml`, with `<filename>`, `<size>` (`<width>`,
  `<height>`) and one or more `<object>`s, each a `<name>` (the synset's
  wnid) and a `<bndbox>` (`<xmin>`, `<ymin>`, `<xmax>`, `<ymax>`).
  `read_bbox_folder` reads a folder of them, `read_bbox_xml` one file.
* Kaggle's `LOC_val_solution.csv` (and `LOC_train_solution.csv`): the
  header `ImageId,PredictionString`, then one line per image whose
  PredictionString is a space-separated sequence of
  "wnid xmin ymin xmax ymax" groups, one per object (`read_solution_csv`).

Both give a dict image id -> `ImageBoxes`, sorted by image id; the image id
is the file name without its extension (`ILSVRC2012_val_00000001`).

Boxes follow the convention of `sparsezoo_tf.data.digits_canvas`:
float32 (ymin, xmin, ymax, xmax) in half-open pixel-edge coordinates (rows
ymin <= row < ymax). The files give inclusive pixel indices (the devkit's
evaluation counts xmax - xmin + 1 pixels across a box), so a file's
(xmin, ymin, xmax, ymax) becomes (ymin, xmin, ymax + 1, xmax + 1), clipped
to the image when its size is known. Intersection-over-union computed on
these boxes with plain products of sides equals the devkit's.

Class indices (`labels`) are positions in a given list of wnids; pass the
order of the classifier's labels, `sparsezoo_tf.data.imagenet.classes(
data_dir)` (sorted wnids, as `imagenet_devkit.flat_val_classes` gives from
the devkit alone).

`eval_crop_boxes` maps boxes of an original image onto the network input
of the ImageNet evaluation transform (`augment.imagenet_eval`).
"""

import csv
import dataclasses
import os
import re
from typing import Dict, List, Optional, Sequence, Tuple
from xml.etree import ElementTree

import numpy as np

from sparsezoo_tf.data import augment

BBOX_VAL_FOLDER = "ILSVRC2012_bbox_val_v3"
SOLUTION_CSV = "LOC_val_solution.csv"
CSV_HEADER = ("ImageId", "PredictionString")
CSV_GROUP = 5  # wnid xmin ymin xmax ymax
_COORDINATES = ("xmin", "ymin", "xmax", "ymax")
_WNID = re.compile(r"^n\d{8}$")


@dataclasses.dataclass(frozen=True, eq=False)
class ImageBoxes:
  """The ground-truth objects of one image.

  Attributes:
    image_id: the image's name without extension.
    boxes: float32 [K, 4], (ymin, xmin, ymax, xmax) half-open pixel boxes.
    synsets: the K objects' wnids.
    labels: int32 [K] class indices in the given class list; None when no
      list was given.
    width: the image width in pixels, when the file gives it.
    height: the image height in pixels, when the file gives it.
  """
  image_id: str
  boxes: np.ndarray
  synsets: Tuple[str, ...]
  labels: Optional[np.ndarray] = None
  width: Optional[int] = None
  height: Optional[int] = None


def _number(text: Optional[str], where: str, what: str) -> float:
  try:
    value = float(text)
  except (TypeError, ValueError):
    raise ValueError(f"{where}: {what} is {text!r}, not a number") from None
  if not np.isfinite(value):
    raise ValueError(f"{where}: {what} is {text!r}, not a finite number")
  return value


def _box(values: Sequence[float], where: str, height: Optional[int],
         width: Optional[int]) -> List[float]:
  """A file's inclusive (xmin, ymin, xmax, ymax) as a half-open box."""
  xmin, ymin, xmax, ymax = values
  if min(values) < 0:
    raise ValueError(f"{where}: negative coordinate in (xmin, ymin, xmax, "
                     f"ymax) = {tuple(values)}")
  if xmax < xmin or ymax < ymin:
    raise ValueError(f"{where}: malformed box (xmin, ymin, xmax, ymax) = "
                     f"{tuple(values)}: needs xmin <= xmax and ymin <= ymax")
  box = [ymin, xmin, ymax + 1, xmax + 1]
  if height is not None:
    box[0], box[2] = min(box[0], height), min(box[2], height)
  if width is not None:
    box[1], box[3] = min(box[1], width), min(box[3], width)
  return box


def _class_index(classes: Optional[Sequence[str]]):
  return None if classes is None else {w: i for i, w in enumerate(classes)}


def _image_boxes(image_id, boxes, synsets, index, where, height=None,
                 width=None) -> ImageBoxes:
  labels = None
  if index is not None:
    labels = []
    for number, wnid in enumerate(synsets, 1):
      if wnid not in index:
        raise ValueError(f"{where(number)}: synset {wnid!r} is not among "
                         f"the {len(index)} given classes")
      labels.append(index[wnid])
    labels = np.array(labels, np.int32)
  return ImageBoxes(image_id=image_id,
                    boxes=np.array(boxes, np.float32).reshape(-1, 4),
                    synsets=tuple(synsets), labels=labels, width=width,
                    height=height)


def _check_wnid(wnid: str, where: str) -> None:
  if not _WNID.match(wnid):
    raise ValueError(f"{where}: {wnid!r} is not a synset wnid "
                     "('n' and 8 digits, e.g. n01751748)")


def _size(root, path: str) -> Tuple[Optional[int], Optional[int]]:
  """(height, width) of the `<size>` element, (None, None) without one."""
  size = root.find("size")
  if size is None:
    return None, None
  dims = []
  for tag in ("height", "width"):
    value = _number(size.findtext(tag), f"{path}, <size>", f"<{tag}>")
    if value < 1 or value != int(value):
      raise ValueError(f"{path}, <size>: <{tag}> is {value}, not a positive "
                       "integer")
    dims.append(int(value))
  return dims[0], dims[1]


def read_bbox_xml(path: str, classes: Optional[Sequence[str]] = None
                  ) -> ImageBoxes:
  """The objects of one devkit XML file.

  Args:
    path: an `ILSVRC2012_val_<8 digits>.xml` file.
    classes: wnids in class-index order, for `labels`; None for none.

  Returns:
    Its ImageBoxes (image id: `<filename>` without extension, else the
    file's name).

  Raises:
    ValueError: naming the file (and object) for a missing or unreadable
      file, no `<object>`, a malformed box or an unknown synset.
  """
  return _read_xml(path, _class_index(classes))


def _read_xml(path: str, index) -> ImageBoxes:
  if not os.path.isfile(path):
    raise ValueError(f"no bounding-box file {path}")
  try:
    root = ElementTree.parse(path).getroot()
  except ElementTree.ParseError as error:
    raise ValueError(f"{path} is not valid XML: {error}") from None
  height, width = _size(root, path)
  objects = root.findall("object")
  if not objects:
    raise ValueError(f"{path} has no <object>: each image of the "
                     "localization ground truth has at least one box")
  boxes, synsets = [], []
  for number, element in enumerate(objects, 1):
    where = f"{path}, <object> {number}"
    wnid = (element.findtext("name") or "").strip()
    _check_wnid(wnid, f"{where}, <name>")
    bndbox = element.find("bndbox")
    if bndbox is None:
      raise ValueError(f"{where} has no <bndbox>")
    values = [_number(bndbox.findtext(tag), f"{where}, <bndbox>", f"<{tag}>")
              for tag in _COORDINATES]
    boxes.append(_box(values, f"{where}, <bndbox>", height, width))
    synsets.append(wnid)
  filename = (root.findtext("filename") or "").strip()
  image_id = os.path.splitext(filename or os.path.basename(path))[0]
  return _image_boxes(image_id, boxes, synsets, index,
                      lambda n: f"{path}, <object> {n}, <name>", height,
                      width)


def _xml_files(folder: str) -> List[str]:
  return sorted(os.path.join(folder, name) for name in os.listdir(folder)
                if name.lower().endswith(".xml"))


def read_bbox_folder(folder: str, classes: Optional[Sequence[str]] = None
                     ) -> Dict[str, ImageBoxes]:
  """The devkit's validation boxes: every XML file of `folder`.

  Args:
    folder: the folder of the XML files, or one whose `val/` subfolder
      holds them (as ILSVRC2012_bbox_val_v3.tgz extracts).
    classes: wnids in class-index order, for `labels`; None for none.

  Returns:
    image id -> ImageBoxes, sorted by image id.

  Raises:
    ValueError: for a missing folder, a folder without XML files, two files
      of one image, or a file `read_bbox_xml` refuses.
  """
  folder = os.path.expanduser(folder)
  if not os.path.isdir(folder):
    raise ValueError(f"bounding-box folder {folder} is not a folder; "
                     f"expected the {BBOX_VAL_FOLDER} folder of "
                     "ILSVRC2012_val_<8 digits>.xml files")
  paths = _xml_files(folder)
  if not paths and os.path.isdir(os.path.join(folder, "val")):
    paths = _xml_files(os.path.join(folder, "val"))
  if not paths:
    raise ValueError(f"no .xml files in {folder} (nor in {folder}/val); "
                     f"expected the {BBOX_VAL_FOLDER} files "
                     "ILSVRC2012_val_<8 digits>.xml")
  index = _class_index(classes)
  images = {}
  for path in paths:
    image = _read_xml(path, index)
    if image.image_id in images:
      raise ValueError(f"{path}: a second file for image {image.image_id}")
    images[image.image_id] = image
  return dict(sorted(images.items()))


def read_solution_csv(path: str, classes: Optional[Sequence[str]] = None
                      ) -> Dict[str, ImageBoxes]:
  """Kaggle's LOC_val_solution.csv (or LOC_train_solution.csv).

  Args:
    path: the CSV file.
    classes: wnids in class-index order, for `labels`; None for none.

  Returns:
    image id -> ImageBoxes (without width and height, which the file does
    not give), sorted by image id.

  Raises:
    ValueError: naming the file and line for a missing file, a missing
      header, a line without two fields, a PredictionString whose length
      is not a positive multiple of 5, a malformed box, an unknown synset
      or an image listed twice.
  """
  path = os.path.expanduser(path)
  if not os.path.isfile(path):
    raise ValueError(f"no localization solution file {path}; expected "
                     f"Kaggle's {SOLUTION_CSV}")
  index = _class_index(classes)
  images = {}
  with open(path, newline="", encoding="utf-8-sig") as f:
    rows = csv.reader(f)
    header = next(rows, None)
    if header is None or tuple(h.strip() for h in header) != CSV_HEADER:
      raise ValueError(f"{path} line 1: expected the header "
                       f"{','.join(CSV_HEADER)}, got {header}")
    for row in rows:
      line = rows.line_num
      if not any(field.strip() for field in row):
        continue
      where = f"{path} line {line}"
      if len(row) != 2:
        raise ValueError(f"{where}: expected 2 fields ImageId,"
                         f"PredictionString, got {len(row)}")
      image_id, tokens = row[0].strip(), row[1].split()
      if not tokens or len(tokens) % CSV_GROUP:
        raise ValueError(
            f"{where}: PredictionString has {len(tokens)} values, not a "
            f"positive multiple of {CSV_GROUP} (groups of 'wnid xmin ymin "
            f"xmax ymax')")
      if image_id in images:
        raise ValueError(f"{where}: image {image_id} is listed twice")
      boxes, synsets = [], []
      for start in range(0, len(tokens), CSV_GROUP):
        group = f"{where}, object {start // CSV_GROUP + 1}"
        _check_wnid(tokens[start], group)
        values = [_number(text, group, name) for name, text in
                  zip(_COORDINATES, tokens[start + 1:start + CSV_GROUP])]
        boxes.append(_box(values, group, None, None))
        synsets.append(tokens[start])
      images[image_id] = _image_boxes(
          image_id, boxes, synsets, index,
          lambda n, where=where: f"{where}, object {n}")
  return dict(sorted(images.items()))


def read_ground_truth(path: str, classes: Optional[Sequence[str]] = None
                      ) -> Dict[str, ImageBoxes]:
  """The ground truth of a folder of XML files, a CSV solution file or
  one XML file, by what `path` is.

  Raises:
    ValueError: for a path that is none of these, or a file the reader
      refuses.
  """
  path = os.path.expanduser(path)
  if os.path.isdir(path):
    return read_bbox_folder(path, classes)
  if path.lower().endswith(".csv"):
    return read_solution_csv(path, classes)
  if path.lower().endswith(".xml"):
    image = read_bbox_xml(path, classes)
    return {image.image_id: image}
  raise ValueError(f"{path}: expected a folder of ILSVRC bounding-box XML "
                   f"files, an .xml file or Kaggle's {SOLUTION_CSV}")


def eval_crop_geometry(height: int, width: int, image_size: int
                       ) -> Tuple[float, float, int, int]:
  """(y scale, x scale, top, left) of `augment.imagenet_eval` on a
  height x width image: the shorter side is resized to
  `augment.eval_resize_size(image_size)` (the longer one truncated to an
  integer), then the centre image_size window is cut, its offsets rounded
  half to even as tf.round."""
  if height < 1 or width < 1 or image_size < 1:
    raise ValueError(f"image sides and image_size must be positive, got "
                     f"height={height}, width={width}, "
                     f"image_size={image_size}")
  resize = augment.eval_resize_size(image_size)
  new_long = resize * max(height, width) // min(height, width)
  new_height, new_width = ((resize, new_long) if height <= width
                           else (new_long, resize))
  top = int(np.round((new_height - image_size) / 2))
  left = int(np.round((new_width - image_size) / 2))
  return new_height / height, new_width / width, top, left


def eval_crop_boxes(boxes: np.ndarray, height: int, width: int,
                    image_size: int = 224) -> np.ndarray:
  """Boxes of a height x width image on the network input made from it by
  the ImageNet evaluation transform (`augment.imagenet_eval`).

  The resize maps pixel edges linearly (`tf.image.resize` with half-pixel
  centres: edge y goes to y * new_height / height), the crop shifts them
  by its offsets; the result is clipped to the crop, so a box outside it
  has zero area.

  Args:
    boxes: [..., 4] (ymin, xmin, ymax, xmax) pixel boxes of the original
      image.
    height: the original image height.
    width: the original image width.
    image_size: side of the network input (224).

  Returns:
    float32 [..., 4] boxes in pixels of the image_size x image_size input.
  """
  boxes = np.asarray(boxes, np.float64)
  if boxes.shape[-1:] != (4,):
    raise ValueError(f"boxes must have shape [..., 4] (ymin, xmin, ymax, "
                     f"xmax), got {boxes.shape}")
  y_scale, x_scale, top, left = eval_crop_geometry(height, width, image_size)
  scaled = (boxes * np.array([y_scale, x_scale, y_scale, x_scale]) -
            np.array([top, left, top, left]))
  return np.clip(scaled, 0, image_size).astype(np.float32)
