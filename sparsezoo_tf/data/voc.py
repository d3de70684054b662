"""PASCAL VOC detection ground truth, from the devkit's own layout, as
COCO-format JSON for Model Garden's COCO TFRecord converter and evaluator.

The layout (VOCtrainval_06-Nov-2007.tar, VOCtest_06-Nov-2007.tar and
VOCtrainval_11-May-2012.tar all extract into one `VOCdevkit/` folder):

    VOCdevkit/VOC2007/Annotations/000005.xml
    VOCdevkit/VOC2007/ImageSets/Main/trainval.txt   (one image id a line)
    VOCdevkit/VOC2007/JPEGImages/000005.jpg
    VOCdevkit/VOC2012/...                            (ids like 2008_000002)

`read_annotation` reads one Annotations XML file (`<filename>`, `<size>`,
and per `<object>` its `<name>`, `<bndbox>`, `<difficult>`, `<truncated>`;
`<pose>`, `<occluded>`, `<part>`s and the rest are ignored).
`read_split` lists the ids of `ImageSets/Main/<split>.txt`.
`voc_to_coco` converts one or several (year, split) sets into one COCO
dict; `tools/voc_to_coco.py` writes it as JSON.

Coordinates. VOC boxes are 1-based inclusive pixel indices (the devkit is
MATLAB: the top-left pixel is (1, 1) and a box covers the pixels xmin..xmax,
so it is xmax - xmin + 1 pixels wide; the devkit's own IoU counts pixels
so). COCO boxes are [x, y, w, h] in 0-based pixel-edge coordinates, so

    x = xmin - 1,  y = ymin - 1,  w = xmax - xmin + 1,  h = ymax - ymin + 1,

and a box reaching the image's last column has x + w = width, which is
what Model Garden's converter accepts (it drops, with only a log line,
any box with x + w > width or y + h > height, and any with w or h <= 0).
`area` is w * h (COCOeval's small / medium / large ranges read it).

Boxes outside the image. A box that sticks out of the image (xmin < 1,
ymin < 1, xmax > width or ymax > height) but keeps some pixels inside it
is clipped to the image and counted (`VocCocoResult.num_clipped`);
`clip=False` makes it a bad image instead. A box with no pixel inside the
image, or with xmax < xmin or ymax < ymin (no pixel at all), is always
bad. A 1-pixel box (xmax == xmin) is valid: it covers one column.

Difficult objects (`difficult` argument). PASCAL's metric ignores objects
marked difficult: a detection matching one is neither a true nor a false
positive, and missing one is no miss; py-faster-rcnn trains without them
(`use_diff = False`). pycocotools' COCOeval has one such mechanism,
`iscrowd`: its `_prepare` overwrites an annotation's `ignore` with
`iscrowd`, so `"ignore": 1` alone changes nothing there. Model Garden
keeps `iscrowd` end to end: its COCO converter writes it to
`image/object/is_crowd`, its Mask R-CNN parser drops such boxes from the
training targets (`skip_crowd_during_training`, on by default), and its
COCOEvaluator passes them on to COCOeval, whether it reads the ground
truth from this JSON (`annotation_file`) or from the TFRecords. So the
default, "ignore", writes a difficult object as `"iscrowd": 1` (plus
`"ignore": 1` for loaders that read that field, and `"difficult": 1`,
which the VOC metric reads). One difference from PASCAL remains:
COCOeval matches a detection to a crowd box by the intersection over the
detection's own area, not by IoU, so a small detection inside a difficult
box is ignored too. "train" keeps difficult objects as ordinary targets
(`iscrowd` 0, `difficult` 1: they then count as misses in COCOeval);
"drop" leaves them out of the JSON.

Bad input. A missing year folder or split file, a malformed split line,
or an image listed twice is always a ValueError naming the file (and
line). A bad image -- a missing, unreadable or malformed Annotations XML
(no `<size>`, no `<object>`, a missing or non-numeric field, an unknown
class name, a `<difficult>` that is not 0 or 1, a `<filename>` naming
another image), a bad box (above), a missing image file, or with
`verify_images`, an image file PIL cannot open or whose size differs from
the XML's -- is a ValueError naming the file and the field, unless
`max_skipped` allows skipping it: then the whole image is left out (never
some of its objects, which would turn them into background) and counted,
its reason kept in `VocCocoResult.skipped`; one more bad image than
`max_skipped` is a ValueError.

Images of several years go into one file: each image's `file_name` is its
path relative to the VOCdevkit folder (`VOC2007/JPEGImages/000005.jpg`),
so one `--image_dir=VOCdevkit` serves Model Garden's converter and file
names of different years can never collide; ids are 1..N in the order of
the sets and of their split files.
"""

import dataclasses
import json
import math
import os
import re
from typing import Any, Dict, List, Sequence, Tuple
from xml.etree import ElementTree

# The 20 classes in the devkit's order (VOCdevkit/VOCcode/VOCinit.m); COCO
# category id = position + 1 (0 is the background in Model Garden).
CLASSES = ("aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car",
           "cat", "chair", "cow", "diningtable", "dog", "horse", "motorbike",
           "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor")
CATEGORY_IDS = {name: index + 1 for index, name in enumerate(CLASSES)}
DIFFICULT_POLICIES = ("ignore", "train", "drop")
ANNOTATIONS = "Annotations"
IMAGES = "JPEGImages"
SPLITS_FOLDER = os.path.join("ImageSets", "Main")
_COORDINATES = ("xmin", "ymin", "xmax", "ymax")
_YEAR = re.compile(r"^\d{4}$")
_SPLIT = re.compile(r"^[A-Za-z0-9_.-]+$")


class BadImageError(ValueError):
  """One image's annotation or file is unusable (skippable, see
  `max_skipped`); the message names the file and the field."""


@dataclasses.dataclass(frozen=True)
class VocObject:
  """One `<object>` of an Annotations file.

  Attributes:
    name: the class name, one of CLASSES.
    category_id: its COCO category id, 1..20.
    bndbox: the file's (xmin, ymin, xmax, ymax), 1-based inclusive.
    difficult: `<difficult>` is 1.
    truncated: `<truncated>` is 1.
  """
  name: str
  category_id: int
  bndbox: Tuple[float, float, float, float]
  difficult: bool
  truncated: bool


@dataclasses.dataclass(frozen=True)
class VocAnnotation:
  """One Annotations XML file.

  Attributes:
    path: the file.
    filename: its `<filename>` (the image's file name in JPEGImages).
    width: `<size><width>`, pixels.
    height: `<size><height>`, pixels.
    objects: its objects, in file order.
  """
  path: str
  filename: str
  width: int
  height: int
  objects: Tuple[VocObject, ...]


@dataclasses.dataclass(frozen=True)
class VocCocoResult:
  """What `voc_to_coco` made.

  Attributes:
    coco: the COCO-format dict (info, images, annotations, categories).
    num_images: images written.
    num_objects: annotations written.
    num_difficult: difficult objects of the written images (written as
      crowd, as targets or dropped, by the policy).
    num_clipped: boxes clipped to their image.
    skipped: one message per skipped image.
  """
  coco: Dict[str, Any]
  num_images: int
  num_objects: int
  num_difficult: int
  num_clipped: int
  skipped: Tuple[str, ...]


def coco_bbox(xmin: float, ymin: float, xmax: float, ymax: float
              ) -> List[float]:
  """A VOC box (1-based inclusive pixel indices) as COCO [x, y, w, h]
  (0-based pixel edges): [xmin - 1, ymin - 1, xmax - xmin + 1,
  ymax - ymin + 1]."""
  return [float(xmin - 1), float(ymin - 1), float(xmax - xmin + 1),
          float(ymax - ymin + 1)]


def parse_sets(text: str) -> List[Tuple[str, str]]:
  """(year, split) pairs of "2007:trainval,2012:trainval".

  Raises:
    ValueError: for an empty list, an item that is not year:split (a year
      of 4 digits, a split name of letters, digits, '_', '-', '.'), or a
      pair given twice.
  """
  pairs = []
  for item in text.split(","):
    item = item.strip()
    year, _, split = item.partition(":")
    year, split = year.strip(), split.strip()
    if not _YEAR.match(year) or not _SPLIT.match(split):
      raise ValueError(f"{item!r} is not a VOC set year:split (e.g. "
                       f"2007:trainval); sets are comma-separated")
    if (year, split) in pairs:
      raise ValueError(f"set {year}:{split} is given twice")
    pairs.append((year, split))
  return pairs


def year_folder(voc_root: str, year: str) -> str:
  """`voc_root/VOC<year>`, checked to exist.

  Raises:
    ValueError: when it is not a folder.
  """
  folder = os.path.join(os.path.expanduser(voc_root), f"VOC{year}")
  if not os.path.isdir(folder):
    raise ValueError(
        f"no VOC{year} folder in {voc_root}; give the VOCdevkit folder "
        f"that holds VOC<year>/ folders (Annotations/, ImageSets/Main/, "
        f"JPEGImages/)")
  return folder


def read_split(folder: str, split: str) -> List[str]:
  """The image ids of `folder/ImageSets/Main/<split>.txt`, in file order.

  Args:
    folder: a year folder (`VOCdevkit/VOC2007`).
    split: e.g. train, val, trainval, test.

  Raises:
    ValueError: naming the file (and line) for a missing file, a line that
      is not one id (a per-class file such as aeroplane_trainval.txt has
      two fields), an id listed twice, or no id at all.
  """
  path = os.path.join(folder, SPLITS_FOLDER, f"{split}.txt")
  if not os.path.isfile(path):
    raise ValueError(f"no split file {path}; the splits of "
                     f"{os.path.join(folder, SPLITS_FOLDER)} are its "
                     f"<split>.txt files")
  ids, seen = [], {}
  with open(path, encoding="utf-8") as stream:
    for number, line in enumerate(stream, 1):
      fields = line.split()
      if not fields:
        continue
      if len(fields) != 1 or not _SPLIT.match(fields[0]):
        raise ValueError(f"{path} line {number}: expected one image id, got "
                         f"{line.strip()!r}")
      if fields[0] in seen:
        raise ValueError(f"{path} line {number}: image {fields[0]} is "
                         f"listed twice (first on line {seen[fields[0]]})")
      seen[fields[0]] = number
      ids.append(fields[0])
  if not ids:
    raise ValueError(f"{path} lists no image")
  return ids


def _number(element, tag: str, where: str) -> float:
  text = element.findtext(tag)
  try:
    value = float(text)
  except (TypeError, ValueError):
    missing = text is None
    raise BadImageError(
        f"{where}: <{tag}> is " +
        ("missing" if missing else f"{text.strip()!r}, not a number")
    ) from None
  if not math.isfinite(value):
    raise BadImageError(f"{where}: <{tag}> is {text.strip()!r}, not a "
                        f"finite number")
  return value


def _flag(element, tag: str, where: str) -> bool:
  """A 0/1 field; missing means 0 (some VOC2012 objects lack them)."""
  text = element.findtext(tag)
  if text is None:
    return False
  if text.strip() not in ("0", "1"):
    raise BadImageError(f"{where}: <{tag}> is {text.strip()!r}, not 0 or 1")
  return text.strip() == "1"


def _size(root, path: str) -> Tuple[int, int]:
  size = root.find("size")
  if size is None:
    raise BadImageError(f"{path}: no <size>")
  sides = []
  for tag in ("width", "height"):
    value = _number(size, tag, f"{path}, <size>")
    if value < 1 or value != int(value):
      raise BadImageError(f"{path}, <size>: <{tag}> is {value:g}, not a "
                          f"positive integer")
    sides.append(int(value))
  return sides[0], sides[1]


def read_annotation(path: str) -> VocAnnotation:
  """One Annotations XML file, checked.

  Only the `<name>`, `<bndbox>`, `<difficult>` and `<truncated>` children
  of each `<object>` are read (a person's `<part>`s have their own name and
  box, and are not objects). Boxes are returned as the file gives them;
  `voc_to_coco` checks them against the image.

  Args:
    path: e.g. `VOCdevkit/VOC2007/Annotations/000005.xml`.

  Returns:
    Its VocAnnotation.

  Raises:
    BadImageError (a ValueError): naming the file, the object and the
      field, for a missing file, invalid XML (with its line and column),
      another root than `<annotation>`, no `<size>`, no `<object>`, a
      missing or non-numeric field, an unknown class, or a `<difficult>`
      or `<truncated>` other than 0 or 1.
  """
  if not os.path.isfile(path):
    raise BadImageError(f"no annotation file {path}")
  try:
    root = ElementTree.parse(path).getroot()
  except ElementTree.ParseError as error:
    raise BadImageError(f"{path} is not valid XML: {error}") from None
  if root.tag != "annotation":
    raise BadImageError(f"{path}: the root element is <{root.tag}>, not "
                        f"<annotation>")
  filename = (root.findtext("filename") or "").strip()
  width, height = _size(root, path)
  elements = root.findall("object")
  if not elements:
    raise BadImageError(f"{path} has no <object>: each image of the VOC "
                        f"detection sets has at least one")
  objects = []
  for number, element in enumerate(elements, 1):
    name = (element.findtext("name") or "").strip()
    where = f"{path}, <object> {number}"
    if name not in CATEGORY_IDS:
      raise BadImageError(
          f"{where}: <name> is {name!r}, not one of the 20 VOC classes "
          f"({', '.join(CLASSES)})")
    where = f"{where} ({name})"
    bndbox = element.find("bndbox")
    if bndbox is None:
      raise BadImageError(f"{where}: no <bndbox>")
    box = tuple(_number(bndbox, tag, f"{where}, <bndbox>")
                for tag in _COORDINATES)
    objects.append(VocObject(
        name=name, category_id=CATEGORY_IDS[name], bndbox=box,
        difficult=_flag(element, "difficult", where),
        truncated=_flag(element, "truncated", where)))
  return VocAnnotation(path=path, filename=filename, width=width,
                       height=height, objects=tuple(objects))


def _checked_bbox(obj: VocObject, number: int, annotation: VocAnnotation,
                  clip: bool) -> Tuple[List[float], bool]:
  """COCO [x, y, w, h] of an object in its image, and whether it was
  clipped."""
  xmin, ymin, xmax, ymax = obj.bndbox
  where = (f"{annotation.path}, <object> {number} ({obj.name}), <bndbox> "
           f"(xmin, ymin, xmax, ymax) = ({xmin:g}, {ymin:g}, {xmax:g}, "
           f"{ymax:g})")
  if xmax < xmin or ymax < ymin:
    raise BadImageError(f"{where}: an empty box; VOC boxes are inclusive, "
                        f"xmin <= xmax and ymin <= ymax")
  x, y, w, h = coco_bbox(xmin, ymin, xmax, ymax)
  left, top = max(x, 0.0), max(y, 0.0)
  right = min(x + w, float(annotation.width))
  bottom = min(y + h, float(annotation.height))
  size = f"the {annotation.width}x{annotation.height} image"
  if right <= left or bottom <= top:
    raise BadImageError(f"{where}: no pixel inside {size}")
  clipped = (left, top, right, bottom) != (x, y, x + w, y + h)
  if clipped and not clip:
    raise BadImageError(f"{where}: outside {size} (VOC pixels are 1.."
                        f"{annotation.width} across, 1..{annotation.height} "
                        f"down)")
  return [left, top, right - left, bottom - top], clipped


def _check_image_file(path: str, annotation: VocAnnotation, verify: bool
                      ) -> None:
  if not os.path.isfile(path):
    raise BadImageError(f"no image file {path} (of {annotation.path})")
  if not verify:
    return
  from PIL import Image  # pylint: disable=g-import-not-at-top
  try:
    with Image.open(path) as image:  # reads the header only
      width, height = image.size
  except (OSError, SyntaxError, ValueError) as error:
    raise BadImageError(f"{path} is not a readable image: {error}") from None
  if (width, height) != (annotation.width, annotation.height):
    raise BadImageError(
        f"{path} is {width}x{height} but {annotation.path}, <size> says "
        f"{annotation.width}x{annotation.height}")


def _image_path(folder: str, image_id: str, annotation: VocAnnotation
                ) -> str:
  """JPEGImages/<filename of the XML>, which must be the image's."""
  filename = annotation.filename or f"{image_id}.jpg"
  if (os.path.splitext(filename)[0] != image_id or
      os.path.basename(filename) != filename):
    raise BadImageError(f"{annotation.path}: <filename> is {filename!r}, "
                        f"not image {image_id} of the split")
  return os.path.join(folder, IMAGES, filename)


def voc_to_coco(voc_root: str, sets: Sequence[Tuple[str, str]], *,
                difficult: str = "ignore", clip: bool = True,
                verify_images: bool = False,
                max_skipped: int = 0) -> VocCocoResult:
  """One COCO-format dict of the images of several VOC (year, split) sets.

  Args:
    voc_root: the VOCdevkit folder.
    sets: (year, split) pairs, e.g. [("2007", "trainval"), ("2012",
      "trainval")] (`parse_sets`).
    difficult: "ignore" (iscrowd 1: neither a training target nor a miss
      in Model Garden / COCOeval), "train" (an ordinary target) or "drop"
      (left out); see the module docstring.
    clip: clip boxes that stick out of their image (counted); False makes
      them bad.
    verify_images: open every image file's header (PIL) and check its size
      against the XML's; else only that the file exists.
    max_skipped: how many bad images may be left out (counted, with their
      reasons) before a bad image is an error.

  Returns:
    VocCocoResult: the dict has `info`, `images` (id, file_name relative
    to voc_root, width, height, voc_year, voc_image_id), `annotations`
    (id, image_id, category_id, bbox, area, iscrowd, ignore, difficult,
    truncated) and `categories` (CLASSES, ids 1..20).

  Raises:
    ValueError: for a bad argument, a missing year folder or split file, a
      malformed split file, an image in two of the sets, or more than
      `max_skipped` bad images (naming the file and field of the last).
  """
  if difficult not in DIFFICULT_POLICIES:
    raise ValueError(f"difficult must be one of {DIFFICULT_POLICIES}, got "
                     f"{difficult!r}")
  if max_skipped < 0:
    raise ValueError(f"max_skipped must be >= 0, got {max_skipped}")
  if not sets:
    raise ValueError("no VOC set to convert")
  voc_root = os.path.expanduser(voc_root)
  listed = []  # (year, split, folder, image id)
  where_listed = {}
  for year, split in sets:
    folder = year_folder(voc_root, year)
    for image_id in read_split(folder, split):
      key = (year, image_id)
      if key in where_listed:
        raise ValueError(
            f"image {image_id} of VOC{year} is in both {year}:"
            f"{where_listed[key]} and {year}:{split}; give sets that do not "
            f"overlap (trainval is train + val)")
      where_listed[key] = split
      listed.append((year, split, folder, image_id))

  images, annotations, skipped = [], [], []
  num_difficult = num_clipped = 0
  for year, split, folder, image_id in listed:
    try:
      annotation = read_annotation(
          os.path.join(folder, ANNOTATIONS, f"{image_id}.xml"))
      path = _image_path(folder, image_id, annotation)
      boxes = [_checked_bbox(obj, number, annotation, clip)
               for number, obj in enumerate(annotation.objects, 1)]
      _check_image_file(path, annotation, verify_images)
    except BadImageError as error:
      skipped.append(str(error))
      if len(skipped) > max_skipped:
        raise ValueError(
            f"{error} (bad image {len(skipped)} of VOC{year} {split}; at "
            f"most {max_skipped} may be skipped)") from None
      continue
    coco_id = len(images) + 1
    images.append({
        "id": coco_id,
        "file_name": os.path.relpath(path, voc_root).replace(os.sep, "/"),
        "width": annotation.width, "height": annotation.height,
        "voc_year": year, "voc_image_id": image_id})
    for obj, (bbox, clipped) in zip(annotation.objects, boxes):
      num_clipped += clipped
      num_difficult += obj.difficult
      if obj.difficult and difficult == "drop":
        continue
      crowd = int(obj.difficult and difficult == "ignore")
      annotations.append({
          "id": len(annotations) + 1, "image_id": coco_id,
          "category_id": obj.category_id, "bbox": bbox,
          "area": bbox[2] * bbox[3], "iscrowd": crowd, "ignore": crowd,
          "difficult": int(obj.difficult),
          "truncated": int(obj.truncated)})
  names = " + ".join(f"VOC{year} {split}" for year, split in sets)
  coco = {
      "info": {"description": f"PASCAL {names}",
               "sets": [f"{year}:{split}" for year, split in sets],
               "difficult": difficult, "bbox": "COCO [x, y, w, h], 0-based "
               "pixel edges: x = xmin - 1, w = xmax - xmin + 1"},
      "images": images, "annotations": annotations,
      "categories": [{"id": CATEGORY_IDS[name], "name": name,
                      "supercategory": "none"} for name in CLASSES]}
  return VocCocoResult(coco=coco, num_images=len(images),
                       num_objects=len(annotations),
                       num_difficult=num_difficult, num_clipped=num_clipped,
                       skipped=tuple(skipped))


def _check_keys(item, keys: Sequence[str], where: str) -> None:
  if not isinstance(item, dict):
    raise ValueError(f"{where} is a {type(item).__name__}, not an object")
  missing = [key for key in keys if key not in item]
  if missing:
    raise ValueError(f"{where} has no {', '.join(missing)}")


def read_coco_json(path: str) -> Dict[str, Any]:
  """A COCO-format detection file (as `voc_to_coco` writes), checked.

  Raises:
    ValueError: naming the file (with line and column for invalid JSON)
      and the entry, for a missing file, invalid JSON, a missing
      `images` / `annotations` / `categories` list or field, an id given
      twice, an annotation of an unknown image or category, a bbox that is
      not 4 finite numbers with positive w and h inside its image, or an
      `iscrowd` other than 0 or 1.
  """
  path = os.path.expanduser(path)
  if not os.path.isfile(path):
    raise ValueError(f"no COCO annotation file {path}")
  with open(path, encoding="utf-8") as stream:
    try:
      coco = json.load(stream)
    except json.JSONDecodeError as error:
      raise ValueError(f"{path} line {error.lineno} column {error.colno}: "
                       f"not valid JSON: {error.msg}") from None
  _check_keys(coco, ("images", "annotations", "categories"), path)
  for key in ("images", "annotations", "categories"):
    if not isinstance(coco[key], list):
      raise ValueError(f"{path}: {key} is not a list")
  categories = set()
  for number, category in enumerate(coco["categories"]):
    where = f"{path}, categories[{number}]"
    _check_keys(category, ("id", "name"), where)
    if category["id"] in categories:
      raise ValueError(f"{where}: id {category['id']} is given twice")
    categories.add(category["id"])
  sizes = {}
  for number, image in enumerate(coco["images"]):
    where = f"{path}, images[{number}]"
    _check_keys(image, ("id", "file_name", "width", "height"), where)
    if image["id"] in sizes:
      raise ValueError(f"{where}: id {image['id']} is given twice")
    for side in ("width", "height"):
      if not isinstance(image[side], int) or image[side] < 1:
        raise ValueError(f"{where}: {side} is {image[side]!r}, not a "
                         f"positive integer")
    sizes[image["id"]] = (image["width"], image["height"])
  seen = set()
  for number, annotation in enumerate(coco["annotations"]):
    where = f"{path}, annotations[{number}]"
    _check_keys(annotation, ("id", "image_id", "category_id", "bbox",
                             "iscrowd"), where)
    if annotation["id"] in seen:
      raise ValueError(f"{where}: id {annotation['id']} is given twice")
    seen.add(annotation["id"])
    if annotation["image_id"] not in sizes:
      raise ValueError(f"{where}: image_id {annotation['image_id']!r} is "
                       f"not among the images")
    if annotation["category_id"] not in categories:
      raise ValueError(f"{where}: category_id "
                       f"{annotation['category_id']!r} is not among the "
                       f"categories")
    if annotation["iscrowd"] not in (0, 1):
      raise ValueError(f"{where}: iscrowd is {annotation['iscrowd']!r}, "
                       f"not 0 or 1")
    bbox = annotation["bbox"]
    width, height = sizes[annotation["image_id"]]
    if (not isinstance(bbox, list) or len(bbox) != 4 or
        not all(isinstance(v, (int, float)) and math.isfinite(v)
                for v in bbox)):
      raise ValueError(f"{where}: bbox {bbox!r} is not 4 finite numbers "
                       f"[x, y, w, h]")
    x, y, w, h = bbox
    if w <= 0 or h <= 0 or x < 0 or y < 0 or x + w > width or (
        y + h > height):
      raise ValueError(f"{where}: bbox [x, y, w, h] = {bbox} is empty or "
                       f"not inside its {width}x{height} image")
  return coco
