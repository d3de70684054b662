"""digits_detection: the source split, tight boxes and overlap bounds
checked against the pixels, rendering against tf.image.resize,
determinism, the COCO files (pycocotools), and the errors."""

import contextlib
import hashlib
import io
import itertools
import json
import os

import numpy as np
from pycocotools import coco as coco_lib
from pycocotools import cocoeval
import pytest
import tensorflow as tf
from sklearn import datasets

import data_checks
from sparsezoo_tf.data import digits
from sparsezoo_tf.data import digits_detection as dd

pytestmark = pytest.mark.single_path

FIELDS = ("images", "boxes", "labels", "num_objects", "source_indices",
          "sizes", "image_ids")


@pytest.fixture(scope="module")
def sklearn_digits():
  return datasets.load_digits()


def _fresh(*args, **kwargs):
  """make_detection_set computed again, not taken from the cache."""
  # pylint: disable-next=protected-access
  dd._make_detection_set.cache_clear()
  return dd.make_detection_set(*args, **kwargs)


def _objects(detection_set, i):
  """(boxes as int (top, left, bottom, right), labels) of canvas i."""
  number = detection_set.num_objects[i]
  return (detection_set.boxes[i, :number].astype(int),
          detection_set.labels[i, :number])


def test_source_split_is_fixed_disjoint_and_complete(sklearn_digits):
  indices = {split: dd.source_indices(split) for split in dd.DETECTION_SPLITS}
  assert {s: len(v) for s, v in indices.items()} == {
      "train": 1151, "val": 287, "test": 359}
  for a, b in itertools.combinations(dd.DETECTION_SPLITS, 2):
    assert not np.intersect1d(indices[a], indices[b]).size, (a, b)
  np.testing.assert_array_equal(
      np.sort(np.concatenate(list(indices.values()))), np.arange(1797))
  # The digits pipeline's test split is ours: a backbone pretrained on the
  # digits' train split never saw a detection test digit.
  # pylint: disable-next=protected-access
  train, test = digits._split_indices()
  np.testing.assert_array_equal(indices["test"], test)
  np.testing.assert_array_equal(
      np.union1d(indices["train"], indices["val"]), train)
  counts = np.bincount(sklearn_digits.target[indices["val"]], minlength=10)
  assert counts.min() >= 25, counts  # stratified: about 20 % of each class


def test_canvases_hold_their_split_digits(sklearn_digits):
  split = "val"
  canvases = dd.make_detection_set(split, 300)
  n, d = 300, dd.MAX_DIGITS
  assert len(canvases) == n and canvases.canvas_size == 96
  assert canvases.images.shape == (n, 96, 96, 1)
  assert canvases.images.dtype == np.uint8
  assert canvases.boxes.shape == (n, d, 4)
  assert canvases.boxes.dtype == np.float32
  for field in ("labels", "source_indices", "sizes", "num_objects"):
    assert getattr(canvases, field).dtype == np.int32, field
  assert not canvases.images.flags.writeable
  number = canvases.num_objects
  assert number.min() == 1 and number.max() == d
  padding = np.arange(d)[None, :] >= number[:, None]
  assert (canvases.labels[padding] == -1).all()
  assert (canvases.source_indices[padding] == -1).all()
  assert (canvases.sizes[padding] == 0).all()
  assert (canvases.boxes[padding] == 0).all()
  used = canvases.source_indices[~padding]
  assert np.isin(used, dd.source_indices(split)).all()
  np.testing.assert_array_equal(canvases.labels[~padding],
                                sklearn_digits.target[used])
  # Canvas i's first digit is the split's digit i: all of them appear.
  sources = dd.source_indices(split)
  np.testing.assert_array_equal(canvases.source_indices[:, 0],
                                sources[np.arange(n) % len(sources)])
  sizes = canvases.sizes[~padding]
  assert sizes.min() >= dd.MIN_DIGIT_SIZE
  assert sizes.max() <= dd.MAX_DIGIT_SIZE
  boxes = canvases.boxes[~padding]
  assert (boxes[:, 2] - boxes[:, 0] <= sizes).all()
  assert (boxes[:, 3] - boxes[:, 1] <= sizes).all()
  assert boxes.min() >= 0 and boxes.max() <= 96
  assert (boxes[:, 2] > boxes[:, 0]).all() and (boxes[:, 3] > boxes[:, 1]).all()
  np.testing.assert_array_equal(canvases.image_ids,
                                2_000_001 + np.arange(n))


@pytest.mark.parametrize("overlap", [
    {}, dict(max_iou=0.0, max_cover=0.0)], ids=["default", "disjoint"])
def test_boxes_are_tight_around_the_ink(overlap):
  # With disjoint boxes, the ink inside a box is its digit's alone: then
  # the check below is exactly "the box is the bounding box of the ink".
  canvases = dd.make_detection_set("train", 80, **overlap)
  for i in range(len(canvases)):
    image = canvases.images[i, :, :, 0]
    covered = np.zeros(image.shape, bool)
    for top, left, bottom, right in _objects(canvases, i)[0]:
      ink = image[top:bottom, left:right] > 0
      # Each edge row / column of the box holds ink.
      assert ink[0].any() and ink[-1].any(), (i, top, bottom)
      assert ink[:, 0].any() and ink[:, -1].any(), (i, left, right)
      covered[top:bottom, left:right] = True
    # No ink outside the boxes.
    assert not (image[~covered] > 0).any(), i


def test_lone_digits_are_tf_resized_digits(sklearn_digits):
  canvases = dd.make_detection_set("test", 60)
  lone = np.flatnonzero(canvases.num_objects == 1)
  assert len(lone) >= 5
  for i in lone:
    (top, left, bottom, right), = _objects(canvases, i)[0]
    patch = data_checks.resized_digit(
        sklearn_digits.images[canvases.source_indices[i, 0]],
        int(canvases.sizes[i, 0]))
    assert patch.shape == (bottom - top, right - left), i
    rendered = np.zeros((96, 96))
    rendered[top:bottom, left:right] = patch
    np.testing.assert_allclose(canvases.images[i, :, :, 0], rendered, atol=1)


def _iou_and_cover(a, b):
  """Hand-computed IoU and largest covered fraction of two boxes."""
  height = max(0, min(a[2], b[2]) - max(a[0], b[0]))
  width = max(0, min(a[3], b[3]) - max(a[1], b[1]))
  inter = height * width
  area_a = (a[2] - a[0]) * (a[3] - a[1])
  area_b = (b[2] - b[0]) * (b[3] - b[1])
  return inter / (area_a + area_b - inter), inter / min(area_a, area_b)


@pytest.mark.parametrize("max_iou,max_cover,canvas_size,max_digits", [
    (0.1, 0.25, 64, 5), (0.3, 0.5, 64, 5), (0.0, 0.0, 96, 4)])
def test_overlap_bounds_hold(max_iou, max_cover, canvas_size, max_digits):
  # Crowded canvases, so that the bounds are reached.
  canvases = dd.make_detection_set(
      "train", 100, canvas_size=canvas_size, max_digits=max_digits,
      max_iou=max_iou, max_cover=max_cover, seed=7)
  largest_iou = largest_cover = 0.0
  for i in range(len(canvases)):
    for a, b in itertools.combinations(_objects(canvases, i)[0], 2):
      iou, cover = _iou_and_cover(a, b)
      largest_iou, largest_cover = max(largest_iou, iou), max(largest_cover,
                                                              cover)
  assert largest_iou <= max_iou and largest_cover <= max_cover
  if max_iou:
    assert largest_iou > max_iou / 2  # the bound is reached, not avoided


def test_generation_is_deterministic_and_seeded():
  first = _fresh("test", 25)
  again = _fresh("test", 25)
  other_seed = _fresh("test", 25, seed=1)
  prefix = _fresh("test", 10)
  for field in FIELDS:
    np.testing.assert_array_equal(getattr(first, field),
                                  getattr(again, field), err_msg=field)
    np.testing.assert_array_equal(getattr(first, field)[:10],
                                  getattr(prefix, field), err_msg=field)
  assert not np.array_equal(first.images, other_seed.images)
  assert not np.array_equal(first.boxes, other_seed.boxes)
  # The seed moves the canvases, not the split of the digits.
  assert np.isin(other_seed.source_indices[other_seed.source_indices >= 0],
                 dd.source_indices("test")).all()


def test_the_definition_is_pinned():
  """The generator defines the dataset: a change to the canvases or the
  annotations of the default settings shows here (the JSON and the pixels
  are plain Python and NumPy; the PNG bytes also depend on TensorFlow's
  zlib, so they are not pinned)."""
  canvases = dd.make_detection_set("test", 50)
  assert hashlib.sha256(dd.coco_json(canvases).encode()).hexdigest() == (
      "89a4eba86dd93f9c5685ecb355c018f5796dda14ccdc8c76d73b6a0dcfc87199")
  assert hashlib.sha256(canvases.images.tobytes()).hexdigest() == (
      "3053b7676888cc2930671077290a41a9939e5b9bb48dd03d354af7bd533525bd")


def test_written_files_are_byte_identical_and_seeded(tmp_path):
  kwargs = dict(limit=15, seed=5)
  dd.write_coco(str(tmp_path / "a"), ("train", "test"), **kwargs)
  # pylint: disable-next=protected-access
  dd._make_detection_set.cache_clear()
  dd.write_coco(str(tmp_path / "b"), ("train", "test"), **kwargs)
  dd.write_coco(str(tmp_path / "c"), ("train", "test"), limit=15, seed=6)
  a, b, c = (data_checks.folder_files(tmp_path / name) for name in "abc")
  assert sorted(a) == sorted(
      ["annotations/train.json", "annotations/test.json"] +
      [f"images/{1_000_001 + i}.png" for i in range(15)] +
      [f"images/{3_000_001 + i}.png" for i in range(15)])
  assert a == b
  assert sorted(c) == sorted(a)
  assert a["annotations/test.json"] != c["annotations/test.json"]
  assert sum(a[name] != c[name] for name in a) >= 25


def _coco(path):
  with contextlib.redirect_stdout(io.StringIO()):
    return coco_lib.COCO(str(path))


def test_coco_files_load_and_match_the_arrays(tmp_path):
  counts = dd.write_coco(str(tmp_path), limit=20)
  assert list(counts) == list(dd.DETECTION_SPLITS)
  digit_indices = {}
  for split in dd.DETECTION_SPLITS:
    canvases = dd.make_detection_set(split, 20)
    assert counts[split] == dd.SplitCounts(20,
                                           int(canvases.num_objects.sum()))
    path = tmp_path / "annotations" / f"{split}.json"
    text = path.read_text(encoding="utf-8")
    assert text == dd.coco_json(canvases)
    assert json.loads(text) == dd.coco_dict(canvases)
    assert "date" not in text and "time" not in text
    ground_truth = _coco(path)
    assert len(ground_truth.getImgIds()) == 20
    assert len(ground_truth.getAnnIds()) == counts[split].objects
    assert [c["name"] for c in ground_truth.loadCats(
        ground_truth.getCatIds())] == [str(c) for c in range(10)]
    assert ground_truth.getCatIds() == list(range(1, 11))
    coco, pixels = dd.read_split(str(tmp_path), split)
    for i, identifier in enumerate(canvases.image_ids):
      image, = ground_truth.loadImgs(int(identifier))
      assert (image["width"], image["height"]) == (96, 96)
      assert image["file_name"] == f"{identifier}.png"
      np.testing.assert_array_equal(pixels[identifier], canvases.images[i])
      annotations = ground_truth.loadAnns(
          ground_truth.getAnnIds(imgIds=int(identifier)))
      boxes, labels = _objects(canvases, i)
      assert len(annotations) == len(boxes)
      for annotation, (top, left, bottom, right), label in zip(
          annotations, boxes, labels):
        assert annotation["bbox"] == [left, top, right - left, bottom - top]
        assert annotation["area"] == (right - left) * (bottom - top)
        assert annotation["category_id"] == label + 1
        assert annotation["iscrowd"] == 0
    digit_indices[split] = {a["digit_index"] for a in coco["annotations"]}
    # The images are 8-bit greyscale PNGs (IHDR colour type 0).
    png = (tmp_path / "images" / f"{canvases.image_ids[0]}.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    assert png[24:26] == bytes([8, 0])
  for a, b in itertools.combinations(dd.DETECTION_SPLITS, 2):
    assert not digit_indices[a] & digit_indices[b], (a, b)


def test_ground_truth_as_detections_scores_ap_one(tmp_path):
  dd.write_coco(str(tmp_path), ("test",), limit=20)
  ground_truth = _coco(tmp_path / "annotations" / "test.json")
  detections = [{"image_id": a["image_id"], "category_id": a["category_id"],
                 "bbox": a["bbox"], "score": 1.0}
                for a in ground_truth.loadAnns(ground_truth.getAnnIds())]
  with contextlib.redirect_stdout(io.StringIO()):
    evaluation = cocoeval.COCOeval(ground_truth,
                                   ground_truth.loadRes(detections), "bbox")
    evaluation.evaluate()
    evaluation.accumulate()
    evaluation.summarize()
  assert evaluation.stats[1] == pytest.approx(1.0)  # AP50


def test_default_counts():
  assert {s: dd.num_images(s) for s in dd.DETECTION_SPLITS} == {
      "train": 6000, "val": 1000, "test": 1000}
  assert dd.image_id("train", 0) == 1_000_001
  assert dd.image_id("test", 999) == 3_001_000


@pytest.mark.parametrize("kwargs,fragment", [
    (dict(split="validation"), "unknown split 'validation'"),
    (dict(count=0), "count must be in [1,"),
    (dict(canvas_size=32), "canvas_size=32 is too small for digits of up "
                           "to max_size=40"),
    (dict(min_size=4), "8 <= min_size <= max_size"),
    (dict(min_size=30, max_size=20), "8 <= min_size <= max_size"),
    (dict(max_digits=0), "max_digits must be >= 1"),
    (dict(max_iou=1.5), "max_iou must be in [0, 1]"),
    (dict(max_cover=-0.1), "max_cover must be in [0, 1]"),
    (dict(seed=-1), "seed must be >= 0"),
])
def test_bad_arguments_are_refused(kwargs, fragment):
  kwargs = dict(dict(split="test", count=5), **kwargs)
  with pytest.raises(ValueError) as error:
    dd.make_detection_set(**kwargs)
  assert fragment in str(error.value)


def test_impossible_placement_fails_clearly_and_writes_nothing(tmp_path):
  with pytest.raises(ValueError, match="cannot place .* larger canvas_size"):
    dd.make_detection_set("test", 5, canvas_size=40, min_size=38,
                          max_digits=2, max_iou=0.0, max_cover=0.0)
  with pytest.raises(ValueError, match="cannot place"):
    dd.write_coco(str(tmp_path / "out"), ("test",), limit=5, canvas_size=40,
                  min_size=38, max_digits=2, max_iou=0.0, max_cover=0.0)
  assert os.listdir(tmp_path) == []  # no output, no temporary folder


def test_output_folder_rules(tmp_path):
  output = tmp_path / "out"
  output.mkdir()
  (output / "keep.txt").write_text("mine")
  with pytest.raises(ValueError, match="exists and is not empty"):
    dd.write_coco(str(output), ("val",), limit=3)
  assert os.listdir(output) == ["keep.txt"]
  with pytest.raises(ValueError, match="does not exist"):
    dd.write_coco(str(tmp_path / "missing" / "out"), ("val",), limit=3)
  with pytest.raises(ValueError, match="is a file"):
    dd.write_coco(str(output / "keep.txt"), ("val",), limit=3)
  with pytest.raises(ValueError, match="a split is repeated"):
    dd.write_coco(str(tmp_path / "x"), ("val", "val"), limit=3)
  with pytest.raises(ValueError, match="limit must be >= 1"):
    dd.write_coco(str(tmp_path / "x"), ("val",), limit=0)
  counts = dd.write_coco(str(output), ("val",), limit=3, overwrite=True)
  assert counts["val"].images == 3
  assert sorted(os.listdir(output)) == ["annotations", "images"]
  assert sorted(os.listdir(tmp_path)) == ["out"]
