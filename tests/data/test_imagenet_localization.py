"""ILSVRC localization ground truth read back from small files in the
devkit's XML and Kaggle's CSV formats; boxes mapped onto the evaluation
crop."""

import os

import numpy as np
import pytest

from sparsezoo_tf import data
from sparsezoo_tf.data import augment
from sparsezoo_tf.data import imagenet_localization as loc

pytestmark = pytest.mark.single_path

CLASSES = ["n01440764", "n01751748", "n02119789"]

XML = """<annotation>
\t<folder>val</folder>
\t<filename>{name}</filename>
\t<source>
\t\t<database>ILSVRC_2012</database>
\t</source>
\t<size>
\t\t<width>{width}</width>
\t\t<height>{height}</height>
\t\t<depth>3</depth>
\t</size>
\t<segmented>0</segmented>
{objects}</annotation>
"""
OBJECT = """\t<object>
\t\t<name>{wnid}</name>
\t\t<pose>Unspecified</pose>
\t\t<truncated>0</truncated>
\t\t<difficult>0</difficult>
\t\t<bndbox>
\t\t\t<xmin>{xmin}</xmin>
\t\t\t<ymin>{ymin}</ymin>
\t\t\t<xmax>{xmax}</xmax>
\t\t\t<ymax>{ymax}</ymax>
\t\t</bndbox>
\t</object>
"""
# name: (width, height, [(wnid, xmin, ymin, xmax, ymax), ...])
IMAGES = {
    "ILSVRC2012_val_00000001": (500, 375, [("n01751748", 111, 108, 441,
                                            374)]),
    "ILSVRC2012_val_00000002": (500, 333, [("n02119789", 0, 49, 499, 162),
                                           ("n02119789", 2, 69, 437, 207)]),
    "ILSVRC2012_val_00000003": (400, 300, [("n01440764", 38, 19, 400,
                                            299)]),
}
CSV = """ImageId,PredictionString
ILSVRC2012_val_00000002,n02119789 0 49 499 162 n02119789 2 69 437 207 
ILSVRC2012_val_00000001,n01751748 111 108 441 374
ILSVRC2012_val_00000003,n01440764 38 19 400 299
"""


def _write_xml(folder, name, width, height, objects, text=None):
  os.makedirs(folder, exist_ok=True)
  path = os.path.join(folder, name + ".xml")
  if text is None:
    text = XML.format(name=name, width=width, height=height, objects="".join(
        OBJECT.format(wnid=w, xmin=a, ymin=b, xmax=c, ymax=d)
        for w, a, b, c, d in objects))
  with open(path, "w") as f:
    f.write(text)
  return path


def _write_folder(folder):
  for name, (width, height, objects) in IMAGES.items():
    _write_xml(folder, name, width, height, objects)
  return str(folder)


def _write(path, text):
  with open(path, "w") as f:
    f.write(text)
  return str(path)


def _check_expected(images, with_size):
  assert list(images) == sorted(IMAGES)
  first = images["ILSVRC2012_val_00000001"]
  assert first.image_id == "ILSVRC2012_val_00000001"
  assert first.boxes.dtype == np.float32
  np.testing.assert_array_equal(first.boxes, [[108, 111, 375, 442]])
  assert first.synsets == ("n01751748",)
  np.testing.assert_array_equal(first.labels, [1])
  assert first.labels.dtype == np.int32
  second = images["ILSVRC2012_val_00000002"]
  np.testing.assert_array_equal(second.boxes, [[49, 0, 163, 500],
                                               [69, 2, 208, 438]])
  assert second.synsets == ("n02119789", "n02119789")
  np.testing.assert_array_equal(second.labels, [2, 2])
  third = images["ILSVRC2012_val_00000003"]
  np.testing.assert_array_equal(third.labels, [0])
  if with_size:
    assert (first.width, first.height) == (500, 375)
    assert (second.width, second.height) == (500, 333)
    # xmax 400 on a 400-pixel-wide image: clipped to the image.
    np.testing.assert_array_equal(third.boxes, [[19, 38, 300, 400]])
  else:
    assert (first.width, first.height) == (None, None)
    np.testing.assert_array_equal(third.boxes, [[19, 38, 300, 401]])


def test_devkit_xml_folder(tmp_path):
  folder = _write_folder(tmp_path / "ILSVRC2012_bbox_val_v3" / "val")
  _check_expected(data.read_bbox_folder(folder, CLASSES), with_size=True)
  # The folder above val/, as the archive extracts.
  _check_expected(data.read_bbox_folder(str(tmp_path / "ILSVRC2012_bbox_val_"
                                             "v3"), CLASSES), with_size=True)
  _check_expected(data.read_ground_truth(folder, CLASSES), with_size=True)


def test_one_xml_file_without_classes(tmp_path):
  path = _write_xml(str(tmp_path), "ILSVRC2012_val_00000002", 500, 333,
                    IMAGES["ILSVRC2012_val_00000002"][2])
  image = data.read_bbox_xml(path)
  assert image.labels is None
  assert image.synsets == ("n02119789", "n02119789")
  np.testing.assert_array_equal(image.boxes, [[49, 0, 163, 500],
                                              [69, 2, 208, 438]])
  assert list(data.read_ground_truth(path)) == ["ILSVRC2012_val_00000002"]


def test_kaggle_solution_csv(tmp_path):
  path = _write(tmp_path / "LOC_val_solution.csv", CSV)
  _check_expected(data.read_solution_csv(path, CLASSES), with_size=False)
  _check_expected(data.read_ground_truth(path, CLASSES), with_size=False)


def _bad_xml(tmp_path, objects=None, text=None):
  objects = objects or [("n01751748", 1, 2, 3, 4)]
  return _write_xml(str(tmp_path), "ILSVRC2012_val_00000009", 50, 40,
                    objects, text)


@pytest.mark.parametrize("objects, text, message", [
    (None, XML.format(name="x", width=50, height=40, objects=""),
     r"00000009.xml has no <object>"),
    ([("n01751748", 1, 2, 3, 4), ("n01751748", 30, 2, 10, 4)], None,
     r"00000009.xml, <object> 2, <bndbox>: malformed box .* xmin <= xmax"),
    ([("n01751748", 1, "two", 3, 4)], None,
     r"00000009.xml, <object> 1, <bndbox>: <ymin> is 'two', not a number"),
    ([("n01751748", 1, 2, 3, -4)], None, "negative coordinate"),
    ([("n09999999", 1, 2, 3, 4)], None,
     r"00000009.xml, <object> 1, <name>: synset 'n09999999' is not among "
     r"the 3 given classes"),
    ([("dog", 1, 2, 3, 4)], None, r"<name>: 'dog' is not a synset wnid"),
    (None, "<annotation><object>", r"00000009.xml is not valid XML"),
    (None, "<annotation><object><name>n01751748</name></object>"
           "</annotation>", r"<object> 1 has no <bndbox>"),
    (None, XML.format(name="x", width=0, height=40, objects=OBJECT.format(
        wnid="n01751748", xmin=1, ymin=2, xmax=3, ymax=4)),
     r"<size>: <width> is 0.0, not a positive integer"),
])
def test_bad_xml_files(tmp_path, objects, text, message):
  path = _bad_xml(tmp_path, objects, text)
  with pytest.raises(ValueError, match=message):
    data.read_bbox_xml(path, CLASSES)


def test_missing_folders_and_files(tmp_path):
  with pytest.raises(ValueError, match=r"nowhere is not a folder; expected "
                     r"the ILSVRC2012_bbox_val_v3"):
    data.read_bbox_folder(str(tmp_path / "nowhere"))
  os.makedirs(tmp_path / "empty")
  with pytest.raises(ValueError, match=r"no \.xml files in .*empty"):
    data.read_bbox_folder(str(tmp_path / "empty"))
  with pytest.raises(ValueError, match=r"no bounding-box file .*gone\.xml"):
    data.read_bbox_xml(str(tmp_path / "gone.xml"))
  with pytest.raises(ValueError, match=r"no localization solution file "
                     r".*LOC_val_solution\.csv"):
    data.read_solution_csv(str(tmp_path / "LOC_val_solution.csv"))
  with pytest.raises(ValueError, match=r"labels\.txt: expected a folder"):
    data.read_ground_truth(_write(tmp_path / "labels.txt", "x"))


@pytest.mark.parametrize("text, message", [
    ("ILSVRC2012_val_00000001,n01751748 1 2 3 4\n",
     r"sol\.csv line 1: expected the header ImageId,PredictionString"),
    ("", r"sol\.csv line 1: expected the header"),
    ("ImageId,PredictionString\nILSVRC2012_val_00000001,n01751748 1 2 3 4\n"
     "ILSVRC2012_val_00000002,n02119789 1 2 3 4 n02119789 5 6\n",
     r"sol\.csv line 3: PredictionString has 8 values, not a positive "
     r"multiple of 5"),
    ("ImageId,PredictionString\nILSVRC2012_val_00000001,\n",
     r"line 2: PredictionString has 0 values"),
    ("ImageId,PredictionString\nILSVRC2012_val_00000001,n01751748 1 2 3 4 "
     "n01751748 9 2 3 4\n",
     r"line 2, object 2: malformed box"),
    ("ImageId,PredictionString\nILSVRC2012_val_00000001,n01751748 1 2 3 x\n",
     r"line 2, object 1: ymax is 'x', not a number"),
    ("ImageId,PredictionString\nILSVRC2012_val_00000001,1 n01751748 2 3 4\n",
     r"line 2, object 1: '1' is not a synset wnid"),
    ("ImageId,PredictionString\nILSVRC2012_val_00000001,n09999999 1 2 3 4\n",
     r"line 2, object 1: synset 'n09999999' is not among the 3 given"),
    ("ImageId,PredictionString\na,n01751748 1 2 3 4\na,n01751748 1 2 3 4\n",
     r"line 3: image a is listed twice"),
    ("ImageId,PredictionString\na,n01751748 1 2 3 4,extra\n",
     r"line 2: expected 2 fields"),
])
def test_bad_solution_files(tmp_path, text, message):
  path = _write(tmp_path / "sol.csv", text)
  with pytest.raises(ValueError, match=message):
    data.read_solution_csv(path, CLASSES)


def test_eval_crop_boxes_by_hand():
  # 500x375 at 224: 256 x 341 (500 * 256 // 375), then the crop at
  # top (256 - 224) / 2 = 16, left round(117 / 2) = 58 (half to even).
  boxes = np.array([[108, 111, 375, 442], [200, 100, 216, 120]], np.float32)
  got = data.eval_crop_boxes(boxes, height=375, width=500, image_size=224)
  sy, sx = 256 / 375, 341 / 500
  expected = [[108 * sy - 16, 111 * sx - 58, 224, 224],
              [200 * sy - 16, 100 * sx - 58, 216 * sy - 16, 120 * sx - 58]]
  assert got.dtype == np.float32
  np.testing.assert_allclose(got, expected, rtol=1e-6)
  # Portrait: 35 rows x 30 columns at 16: 21 x 18, top round(2.5) = 2.
  got = data.eval_crop_boxes([[0, 0, 35, 30], [7, 5, 14, 25]], 35, 30, 16)
  np.testing.assert_allclose(got, [[0, 0, 16, 16],
                                   [7 * 0.6 - 2, 5 * 0.6 - 1,
                                    14 * 0.6 - 2, 25 * 0.6 - 1]],
                             rtol=1e-6)
  with pytest.raises(ValueError, match=r"shape \[\.\.\., 4\]"):
    data.eval_crop_boxes(np.zeros([2, 3]), 10, 10, 8)


@pytest.mark.parametrize("height, width, box, size", [
    (375, 500, (108, 141, 300, 342), 64),
    (70, 45, (30, 10, 52, 31), 24),
    (41, 90, (6, 35, 33, 61), 20),
])
def test_eval_crop_boxes_follow_the_evaluation_transform(height, width, box,
                                                         size):
  """A bright box drawn on the original image lands where the mapped box
  says after `augment.imagenet_eval`: same mass centre and area."""
  image = np.zeros([height, width, 1], np.float32)
  top, left, bottom, right = box
  image[top:bottom, left:right] = 1.0
  out = augment.imagenet_eval(image, size).numpy()[..., 0]
  assert out.shape == (size, size)
  mapped = data.eval_crop_boxes(np.array(box, np.float32), height, width,
                                size)
  rows, columns = np.mgrid[0:size, 0:size] + 0.5
  mass = out.sum()
  centre = (np.sum(rows * out) / mass, np.sum(columns * out) / mass)
  np.testing.assert_allclose(
      centre, ((mapped[0] + mapped[2]) / 2, (mapped[1] + mapped[3]) / 2),
      atol=0.05)
  np.testing.assert_allclose(
      mass, (mapped[2] - mapped[0]) * (mapped[3] - mapped[1]), rtol=0.01)
