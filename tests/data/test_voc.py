"""PASCAL VOC ground truth (`sparsezoo_tf.data.voc`) read from a tiny
VOCdevkit in the real layout (two years, real JPEG files, Annotations XML
with pose / truncated / difficult / occluded / part elements), converted to
COCO JSON and checked against hand-computed boxes, pycocotools' COCO and
COCOeval, and every kind of bad input.

`write_devkit` is also the fixture of tests/tools/test_voc_to_coco.py."""

import contextlib
import io
import json
import os
import re
from typing import Dict, List, Optional

import numpy as np
from PIL import Image
from pycocotools import coco as coco_lib
from pycocotools import cocoeval
import pytest

from sparsezoo_tf.data import voc

pytestmark = pytest.mark.single_path  # no op in sight

# year -> image id -> (width, height, objects). An object: name, (xmin,
# ymin, xmax, ymax) in VOC's 1-based inclusive pixels, and optional
# difficult / truncated (None: the element is left out, as in some VOC2012
# files), pose, occluded and parts ((name, box) pairs).
DEVKIT = {
    "2007": {
        "000005": (40, 30, [
            dict(name="chair", box=(1, 2, 10, 12), pose="Rear"),
            dict(name="chair", box=(20, 5, 40, 30), difficult=1,
                 truncated=1)]),
        "000007": (24, 16, [dict(name="car", box=(3, 4, 24, 16),
                                 truncated=1, pose="Unspecified")]),
        "000009": (32, 32, [
            dict(name="person", box=(5, 5, 20, 30), pose="Left",
                 parts=[("head", (8, 5, 14, 10)), ("hand", (5, 20, 7, 22))]),
            dict(name="horse", box=(10, 15, 32, 32))]),
    },
    "2012": {
        "2008_000002": (36, 28, [dict(name="tvmonitor", box=(2, 3, 30, 25),
                                      occluded=1)]),
        # The same file name as a VOC2007 image, another picture.
        "000005": (20, 20, [
            dict(name="dog", box=(1, 1, 20, 20), difficult=None,
                 truncated=None),
            dict(name="bird", box=(5, 6, 5, 6), difficult=1)]),
    },
}
SPLITS = {
    "2007": {"train": ["000005", "000007"], "val": ["000009"],
             "trainval": ["000005", "000007", "000009"]},
    "2012": {"trainval": ["2008_000002", "000005"]},
}
TRAINVAL_0712 = [("2007", "trainval"), ("2012", "trainval")]

# The COCO dict of 07+12 trainval, by hand: x = xmin - 1, y = ymin - 1,
# w = xmax - xmin + 1, h = ymax - ymin + 1; chair 9, car 7, person 15,
# horse 13, tvmonitor 20, dog 12, bird 3.
EXPECTED_IMAGES = [
    (1, "VOC2007/JPEGImages/000005.jpg", 40, 30, "2007", "000005"),
    (2, "VOC2007/JPEGImages/000007.jpg", 24, 16, "2007", "000007"),
    (3, "VOC2007/JPEGImages/000009.jpg", 32, 32, "2007", "000009"),
    (4, "VOC2012/JPEGImages/2008_000002.jpg", 36, 28, "2012",
     "2008_000002"),
    (5, "VOC2012/JPEGImages/000005.jpg", 20, 20, "2012", "000005"),
]
# (id, image_id, category_id, bbox, area, difficult, truncated)
EXPECTED_ANNOTATIONS = [
    (1, 1, 9, [0, 1, 10, 11], 110, 0, 0),
    (2, 1, 9, [19, 4, 21, 26], 546, 1, 1),
    (3, 2, 7, [2, 3, 22, 13], 286, 0, 1),
    (4, 3, 15, [4, 4, 16, 26], 416, 0, 0),
    (5, 3, 13, [9, 14, 23, 18], 414, 0, 0),
    (6, 4, 20, [1, 2, 29, 23], 667, 0, 0),
    (7, 5, 12, [0, 0, 20, 20], 400, 0, 0),
    (8, 5, 3, [4, 5, 1, 1], 1, 1, 0),
]


def _box_xml(box, indent: str) -> str:
  return (f"{indent}<bndbox>\n" + "".join(
      f"{indent}\t<{tag}>{value}</{tag}>\n"
      for tag, value in zip(("xmin", "ymin", "xmax", "ymax"), box)) +
          f"{indent}</bndbox>\n")


def object_xml(name: str, box, difficult: Optional[int] = 0,
               truncated: Optional[int] = 0, pose: str = "Unspecified",
               occluded: Optional[int] = None, parts=()) -> str:
  """One `<object>` as the VOC files write it."""
  text = f"\t<object>\n\t\t<name>{name}</name>\n\t\t<pose>{pose}</pose>\n"
  if truncated is not None:
    text += f"\t\t<truncated>{truncated}</truncated>\n"
  if occluded is not None:
    text += f"\t\t<occluded>{occluded}</occluded>\n"
  text += _box_xml(box, "\t\t")
  if difficult is not None:
    text += f"\t\t<difficult>{difficult}</difficult>\n"
  for part_name, part_box in parts:
    text += (f"\t\t<part>\n\t\t\t<name>{part_name}</name>\n" +
             _box_xml(part_box, "\t\t\t") + "\t\t</part>\n")
  return text + "\t</object>\n"


def annotation_xml(year: str, filename: str, width: int, height: int,
                   objects: List[Dict]) -> str:
  """An Annotations file in the VOC format."""
  return (
      f"<annotation>\n\t<folder>VOC{year}</folder>\n"
      f"\t<filename>{filename}</filename>\n"
      f"\t<source>\n\t\t<database>The VOC{year} Database</database>\n"
      f"\t\t<annotation>PASCAL VOC{year}</annotation>\n"
      f"\t\t<image>flickr</image>\n\t</source>\n"
      f"\t<owner>\n\t\t<name>?</name>\n\t</owner>\n"
      f"\t<size>\n\t\t<width>{width}</width>\n\t\t<height>{height}</height>"
      f"\n\t\t<depth>3</depth>\n\t</size>\n\t<segmented>0</segmented>\n" +
      "".join(object_xml(**obj) for obj in objects) + "</annotation>\n")


def write_jpeg(path: str, width: int, height: int, seed: int = 0) -> None:
  rng = np.random.default_rng(seed)
  pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
  Image.fromarray(pixels).save(path, "JPEG", quality=90)


def write_image(root: str, year: str, image_id: str, width: int,
                height: int, objects: List[Dict], seed: int = 0) -> None:
  """The Annotations XML and the JPEG file of one image."""
  folder = os.path.join(root, f"VOC{year}")
  for sub in ("Annotations", "JPEGImages", os.path.join("ImageSets",
                                                         "Main")):
    os.makedirs(os.path.join(folder, sub), exist_ok=True)
  with open(os.path.join(folder, "Annotations", f"{image_id}.xml"),
            "w") as stream:
    stream.write(annotation_xml(year, f"{image_id}.jpg", width, height,
                                objects))
  write_jpeg(os.path.join(folder, "JPEGImages", f"{image_id}.jpg"), width,
             height, seed)


def write_split(root: str, year: str, split: str, ids: List[str]) -> None:
  with open(os.path.join(root, f"VOC{year}", "ImageSets", "Main",
                         f"{split}.txt"), "w") as stream:
    stream.write("".join(f"{image_id}\n" for image_id in ids) + "\n")


def write_devkit(root) -> str:
  """DEVKIT and SPLITS as a VOCdevkit folder under `root`; its path."""
  root = os.path.join(str(root), "VOCdevkit")
  seed = 0
  for year, images in DEVKIT.items():
    for image_id, (width, height, objects) in images.items():
      write_image(root, year, image_id, width, height, objects, seed)
      seed += 1
    for split, ids in SPLITS[year].items():
      write_split(root, year, split, ids)
  return root


def expected_coco_lists():
  """(images, annotations) of 07+12 trainval with difficult="ignore"."""
  images = [dict(id=i, file_name=f, width=w, height=h, voc_year=y,
                 voc_image_id=v) for i, f, w, h, y, v in EXPECTED_IMAGES]
  annotations = [
      dict(id=i, image_id=m, category_id=c, bbox=[float(v) for v in b],
           area=float(a), iscrowd=d, ignore=d, difficult=d, truncated=t)
      for i, m, c, b, a, d, t in EXPECTED_ANNOTATIONS]
  return images, annotations


@pytest.fixture
def devkit(tmp_path):
  return write_devkit(tmp_path)


def _xml_path(root, year, image_id):
  return os.path.join(root, f"VOC{year}", "Annotations", f"{image_id}.xml")


def test_classes_in_the_devkit_order():
  assert len(voc.CLASSES) == 20
  assert voc.CLASSES[:3] == ("aeroplane", "bicycle", "bird")
  assert voc.CLASSES[-1] == "tvmonitor"
  assert voc.CATEGORY_IDS["aeroplane"] == 1
  assert voc.CATEGORY_IDS["person"] == 15
  assert voc.CATEGORY_IDS["tvmonitor"] == 20


def test_coco_bbox_of_inclusive_one_based_corners():
  assert voc.coco_bbox(1, 1, 1, 1) == [0, 0, 1, 1]
  # VOC2007 000005's first chair.
  assert voc.coco_bbox(263, 211, 324, 339) == [262, 210, 62, 129]
  assert voc.coco_bbox(1.5, 2, 3.5, 2) == [0.5, 1, 3, 1]


def test_parse_sets():
  assert voc.parse_sets("2007:trainval,2012:trainval") == TRAINVAL_0712
  assert voc.parse_sets(" 2007:test ") == [("2007", "test")]
  for text, fragment in [("2007", "not a VOC set year:split"),
                         ("07:trainval", "not a VOC set"),
                         ("2007:train val", "not a VOC set"),
                         ("2007:trainval,", "'' is not a VOC set"),
                         ("2007:test,2007:test", "2007:test is given twice")]:
    with pytest.raises(ValueError, match=fragment):
      voc.parse_sets(text)


def test_read_annotation_ignores_parts_and_reads_the_flags(devkit):
  annotation = voc.read_annotation(_xml_path(devkit, "2007", "000009"))
  assert (annotation.filename, annotation.width, annotation.height) == (
      "000009.jpg", 32, 32)
  assert [(o.name, o.category_id, o.bndbox) for o in annotation.objects] == [
      ("person", 15, (5, 5, 20, 30)), ("horse", 13, (10, 15, 32, 32))]
  chairs = voc.read_annotation(_xml_path(devkit, "2007", "000005")).objects
  assert [(o.difficult, o.truncated) for o in chairs] == [(False, False),
                                                          (True, True)]
  dog, bird = voc.read_annotation(_xml_path(devkit, "2012", "000005")).objects
  assert (dog.difficult, dog.truncated, bird.difficult) == (False, False,
                                                            True)


def test_read_split(devkit):
  folder = voc.year_folder(devkit, "2007")
  assert voc.read_split(folder, "trainval") == SPLITS["2007"]["trainval"]
  main = os.path.join(folder, "ImageSets", "Main")
  with open(os.path.join(main, "aeroplane_trainval.txt"), "w") as stream:
    stream.write("000005 -1\n000007  1\n")
  with pytest.raises(ValueError, match=r"aeroplane_trainval.txt line 1: "
                     r"expected one image id, got '000005 -1'"):
    voc.read_split(folder, "aeroplane_trainval")
  with open(os.path.join(main, "twice.txt"), "w") as stream:
    stream.write("000005\n\n000005\n")
  with pytest.raises(ValueError, match=r"twice.txt line 3: image 000005 is "
                     r"listed twice \(first on line 1\)"):
    voc.read_split(folder, "twice")
  with pytest.raises(ValueError, match=r"no split file .*Main.test\.txt"):
    voc.read_split(folder, "test")


def test_07_12_trainval_as_coco(devkit):
  result = voc.voc_to_coco(devkit, TRAINVAL_0712)
  images, annotations = expected_coco_lists()
  assert result.coco["images"] == images
  assert result.coco["annotations"] == annotations
  assert result.coco["categories"] == [
      {"id": i + 1, "name": name, "supercategory": "none"}
      for i, name in enumerate(voc.CLASSES)]
  assert result.coco["info"]["sets"] == ["2007:trainval", "2012:trainval"]
  assert (result.num_images, result.num_objects, result.num_difficult,
          result.num_clipped, result.skipped) == (5, 8, 2, 0, ())
  # Every file name is a file under the VOCdevkit folder, unique even
  # where the two years use the same name.
  for image in result.coco["images"]:
    with Image.open(os.path.join(devkit, image["file_name"])) as file:
      assert file.size == (image["width"], image["height"])


def test_difficult_policies(devkit):
  train = voc.voc_to_coco(devkit, TRAINVAL_0712, difficult="train")
  assert [a["iscrowd"] for a in train.coco["annotations"]] == [0] * 8
  assert [a["difficult"] for a in train.coco["annotations"]] == [
      0, 1, 0, 0, 0, 0, 0, 1]
  drop = voc.voc_to_coco(devkit, TRAINVAL_0712, difficult="drop")
  assert [a["bbox"] for a in drop.coco["annotations"]] == [
      a[3] for a in EXPECTED_ANNOTATIONS if not a[5]]
  assert [a["id"] for a in drop.coco["annotations"]] == list(range(1, 7))
  assert (drop.num_objects, drop.num_difficult, drop.num_images) == (6, 2, 5)
  with pytest.raises(ValueError, match="difficult must be one of"):
    voc.voc_to_coco(devkit, TRAINVAL_0712, difficult="keep")


def _coco_eval(dataset, detections):
  """COCOeval's 12 bbox stats, its printing swallowed."""
  with contextlib.redirect_stdout(io.StringIO()):
    truth = coco_lib.COCO()
    truth.dataset = json.loads(json.dumps(dataset))
    truth.createIndex()
    evaluation = cocoeval.COCOeval(truth, truth.loadRes(detections), "bbox")
    evaluation.evaluate()
    evaluation.accumulate()
    evaluation.summarize()
  return evaluation.stats


def test_pycocotools_ignores_difficult_boxes(devkit, tmp_path):
  result = voc.voc_to_coco(devkit, TRAINVAL_0712)
  path = tmp_path / "voc.json"
  path.write_text(json.dumps(result.coco))
  with contextlib.redirect_stdout(io.StringIO()):
    loaded = coco_lib.COCO(str(path))
  assert len(loaded.getImgIds()) == 5
  assert len(loaded.getAnnIds(iscrowd=False)) == 6
  assert loaded.loadCats(20)[0]["name"] == "tvmonitor"
  # Perfect detections of the non-difficult objects, plus one on each
  # difficult object: AP and AR 1 (the difficult ones neither missed nor
  # false positives).
  detections = [dict(image_id=a["image_id"], category_id=a["category_id"],
                     bbox=a["bbox"], score=0.5 if a["difficult"] else 1.0)
                for a in result.coco["annotations"]]
  stats = _coco_eval(result.coco, detections)
  assert stats[0] == pytest.approx(1.0) and stats[8] == pytest.approx(1.0)
  # As training targets, the missed difficult boxes cost recall.
  train = voc.voc_to_coco(devkit, TRAINVAL_0712, difficult="train")
  stats = _coco_eval(train.coco, [d for d in detections if d["score"] == 1])
  assert stats[8] < 1.0


def _rewrite(root, year, image_id, **changes):
  """Rewrites an image's XML with `changes` to its DEVKIT entry (width,
  height, objects, filename) or raw `text`."""
  width, height, objects = DEVKIT[year][image_id]
  if "text" in changes:
    text = changes["text"]
  else:
    text = annotation_xml(
        year, changes.get("filename", f"{image_id}.jpg"),
        changes.get("width", width), changes.get("height", height),
        changes.get("objects", objects))
  with open(_xml_path(root, year, image_id), "w") as stream:
    stream.write(text)


CAR = dict(name="car", box=(3, 4, 24, 16))
VALID = annotation_xml("2007", "000007.jpg", 24, 16, [CAR])
NAME_LINE = VALID[:VALID.index("<name>car")].count("\n") + 1


def _break(root, case):
  """Makes VOC2007 000007 (24x16, one car) bad in one way."""
  if case == "missing_xml":
    os.remove(_xml_path(root, "2007", "000007"))
  elif case == "missing_image":
    os.remove(os.path.join(root, "VOC2007", "JPEGImages", "000007.jpg"))
  elif case == "malformed_xml":
    _rewrite(root, "2007", "000007", text=VALID.replace(
        "<name>car</name>", "<name>car</nam>"))
  elif case == "root":
    _rewrite(root, "2007", "000007", text="<voc></voc>")
  elif case == "no_size":
    _rewrite(root, "2007", "000007",
             text=VALID.replace("<size>", "<sise>").replace("</size>",
                                                            "</sise>"))
  elif case == "bad_size":
    _rewrite(root, "2007", "000007", width=0)
  elif case == "no_object":
    _rewrite(root, "2007", "000007", objects=[])
  elif case == "unknown_class":
    _rewrite(root, "2007", "000007", objects=[dict(CAR, name="Car")])
  elif case == "non_number":
    _rewrite(root, "2007", "000007", text=VALID.replace(
        "<xmin>3</xmin>", "<xmin>three</xmin>"))
  elif case == "missing_coordinate":
    _rewrite(root, "2007", "000007", text=VALID.replace(
        "<ymax>16</ymax>", ""))
  elif case == "no_bndbox":
    _rewrite(root, "2007", "000007", text=VALID.replace(
        "bndbox>", "box>"))
  elif case == "empty_box":
    _rewrite(root, "2007", "000007", objects=[dict(CAR, box=(10, 4, 9, 16))])
  elif case == "outside":
    _rewrite(root, "2007", "000007",
             objects=[dict(CAR, box=(25, 4, 30, 16))])
  elif case == "difficult_value":
    _rewrite(root, "2007", "000007", objects=[dict(CAR, difficult=2)])
  elif case == "filename":
    _rewrite(root, "2007", "000007", filename="000009.jpg")
  else:
    raise AssertionError(case)


BAD_CASES = {
    "missing_xml": r"no annotation file \S+Annotations.000007\.xml",
    "missing_image": r"no image file \S+JPEGImages.000007\.jpg",
    "malformed_xml": (r"000007\.xml is not valid XML: mismatched tag: line "
                      f"{NAME_LINE}, column"),
    "root": r"000007\.xml: the root element is <voc>",
    "no_size": r"000007\.xml: no <size>",
    "bad_size": r"000007\.xml, <size>: <width> is 0, not a positive integer",
    "no_object": r"000007\.xml has no <object>",
    "unknown_class": r"000007\.xml, <object> 1: <name> is 'Car', not one of "
                     r"the 20 VOC classes",
    "non_number": r"<object> 1 \(car\), <bndbox>: <xmin> is 'three', not a "
                  r"number",
    "missing_coordinate": r"<object> 1 \(car\), <bndbox>: <ymax> is missing",
    "no_bndbox": r"<object> 1 \(car\): no <bndbox>",
    "empty_box": r"<object> 1 \(car\), <bndbox> \(xmin, ymin, xmax, ymax\) "
                 r"= \(10, 4, 9, 16\): an empty box",
    "outside": r"= \(25, 4, 30, 16\): no pixel inside the 24x16 image",
    "difficult_value": r"<object> 1 \(car\): <difficult> is '2', not 0 or 1",
    "filename": r"000007\.xml: <filename> is '000009.jpg', not image 000007",
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_image_is_an_error_or_a_counted_skip(devkit, case):
  _break(devkit, case)
  sets = [("2007", "trainval")]
  with pytest.raises(ValueError, match=BAD_CASES[case]) as error:
    voc.voc_to_coco(devkit, sets)
  assert "bad image 1 of VOC2007 trainval; at most 0 may be skipped" in str(
      error.value)
  result = voc.voc_to_coco(devkit, sets, max_skipped=1)
  assert len(result.skipped) == 1
  assert re.search(BAD_CASES[case], result.skipped[0])
  # The whole image is left out; the others are intact.
  assert [i["voc_image_id"] for i in result.coco["images"]] == [
      "000005", "000009"]
  assert [a["bbox"] for a in result.coco["annotations"]] == [
      a[3] for a in EXPECTED_ANNOTATIONS[:5] if a[1] != 2]
  assert [a["image_id"] for a in result.coco["annotations"]] == [
      1, 1, 2, 2]


def test_skips_are_bounded(devkit):
  _break(devkit, "unknown_class")
  _rewrite(devkit, "2007", "000009", objects=[dict(CAR, name="horses")])
  with pytest.raises(ValueError, match=r"000009\.xml.*'horses'.*\(bad image "
                     r"2 of VOC2007 trainval; at most 1 may be skipped\)"):
    voc.voc_to_coco(devkit, [("2007", "trainval")], max_skipped=1)
  result = voc.voc_to_coco(devkit, [("2007", "trainval")], max_skipped=2)
  assert result.num_images == 1 and len(result.skipped) == 2
  with pytest.raises(ValueError, match="max_skipped must be >= 0"):
    voc.voc_to_coco(devkit, [("2007", "trainval")], max_skipped=-1)


def test_boxes_sticking_out_are_clipped_and_counted(devkit):
  _rewrite(devkit, "2007", "000007", objects=[dict(CAR, box=(0, 0, 25, 17)),
                                              dict(CAR, box=(1, 1, 24, 16))])
  result = voc.voc_to_coco(devkit, [("2007", "train")])
  assert result.num_clipped == 1
  assert [a["bbox"] for a in result.coco["annotations"][2:]] == [
      [0.0, 0.0, 24.0, 16.0], [0.0, 0.0, 24.0, 16.0]]
  with pytest.raises(ValueError, match=r"= \(0, 0, 25, 17\): outside the "
                     r"24x16 image \(VOC pixels are 1..24 across, 1..16 "
                     r"down\)"):
    voc.voc_to_coco(devkit, [("2007", "train")], clip=False)


def test_image_files_are_verified_on_request(devkit):
  images = os.path.join(devkit, "VOC2007", "JPEGImages")
  write_jpeg(os.path.join(images, "000007.jpg"), 20, 20)
  with open(os.path.join(images, "000009.jpg"), "wb") as stream:
    stream.write(b"not a JPEG")
  assert voc.voc_to_coco(devkit, [("2007", "trainval")]).num_images == 3
  with pytest.raises(ValueError, match=r"000007\.jpg is 20x20 but \S+"
                     r"000007\.xml, <size> says 24x16"):
    voc.voc_to_coco(devkit, [("2007", "trainval")], verify_images=True)
  result = voc.voc_to_coco(devkit, [("2007", "trainval")],
                           verify_images=True, max_skipped=2)
  assert result.num_images == 1
  assert "000009.jpg is not a readable image" in result.skipped[1]


def test_bad_sets(devkit):
  with pytest.raises(ValueError, match=r"image 000005 of VOC2007 is in both "
                     r"2007:train and 2007:trainval"):
    voc.voc_to_coco(devkit, [("2007", "train"), ("2007", "trainval")])
  with pytest.raises(ValueError, match=r"no VOC2010 folder in \S+VOCdevkit; "
                     r"give the VOCdevkit folder"):
    voc.voc_to_coco(devkit, [("2010", "trainval")])
  with pytest.raises(ValueError, match="no split file"):
    voc.voc_to_coco(devkit, [("2012", "test")])
  with pytest.raises(ValueError, match="no VOC set"):
    voc.voc_to_coco(devkit, [])


def test_read_coco_json(devkit, tmp_path):
  result = voc.voc_to_coco(devkit, TRAINVAL_0712)
  path = tmp_path / "voc.json"
  path.write_text(json.dumps(result.coco, indent=1))
  assert voc.read_coco_json(str(path)) == result.coco
  with pytest.raises(ValueError, match="no COCO annotation file"):
    voc.read_coco_json(str(tmp_path / "missing.json"))
  text = json.dumps(result.coco, indent=1)
  path.write_text(text[:text.index('"annotations"') + 20])
  with pytest.raises(ValueError, match=r"voc\.json line \d+ column \d+: not "
                     r"valid JSON"):
    voc.read_coco_json(str(path))
  for change, fragment in [
      (lambda c: c.pop("categories"), "has no categories"),
      (lambda c: c["annotations"][1].update(image_id=9),
       r"annotations\[1\]: image_id 9 is not among the images"),
      (lambda c: c["annotations"][2].update(category_id=21),
       r"annotations\[2\]: category_id 21 is not among"),
      (lambda c: c["annotations"][0].update(bbox=[0, 1, 41, 11]),
       r"bbox \[x, y, w, h\] = \[0, 1, 41, 11\] is empty or not inside its "
       r"40x30 image"),
      (lambda c: c["annotations"][0].update(bbox=[0, 1, 10]),
       "is not 4 finite numbers"),
      (lambda c: c["images"][1].update(id=1), r"images\[1\]: id 1 is given "
       "twice"),
      (lambda c: c["annotations"][0].update(iscrowd=2), "not 0 or 1")]:
    coco = json.loads(json.dumps(result.coco))
    change(coco)
    path.write_text(json.dumps(coco))
    with pytest.raises(ValueError, match=fragment):
      voc.read_coco_json(str(path))
