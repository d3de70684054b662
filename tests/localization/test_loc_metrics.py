"""IoU and the ILSVRC localization metrics on cases worked out by hand."""

import numpy as np
import pytest

from sparsezoo_tf.localization import gt_known_accuracy
from sparsezoo_tf.localization import iou
from sparsezoo_tf.localization import localization_accuracy

pytestmark = pytest.mark.single_path  # NumPy only, no convolution

BOX = [0, 0, 10, 10]


@pytest.mark.parametrize("other,expected", [
    ([0, 0, 10, 10], 1.0),
    ([0, 5, 10, 15], 50 / 150),     # half of each overlaps
    ([2, 2, 7, 7], 25 / 100),       # inside
    ([10, 0, 20, 10], 0.0),         # shares an edge only
    ([20, 20, 30, 30], 0.0),
    ([5, 5, 15, 15], 25 / 175),
    ([0, 0, 10, 5], 0.5),
])
def test_iou_of_hand_made_pairs(other, expected):
  assert iou(BOX, other) == pytest.approx(expected)
  assert iou(other, BOX) == pytest.approx(expected)


def test_iou_of_several_boxes_and_empty_boxes():
  np.testing.assert_allclose(
      iou(BOX, [[0, 0, 10, 10], [0, 5, 10, 15], [3, 3, 3, 3]]),
      [1.0, 1 / 3, 0.0])
  assert iou([1, 1, 1, 1], [1, 1, 1, 1]) == 0.0
  assert iou(BOX, np.zeros((0, 4))).shape == (0,)


@pytest.mark.parametrize("box,boxes,message", [
    ([0, 0, 1], [[0, 0, 1, 1]], "last axis"),
    ([[0, 0, 1, 1]], [[0, 0, 1, 1]], "one box"),
    ([5, 0, 1, 1], [[0, 0, 1, 1]], "ymax < ymin"),
    ([0, 0, 1, 1], [[0, 3, 1, 1]], "xmax < xmin"),
    ([0, 0, 1, np.inf], [[0, 0, 1, 1]], "NaN or inf"),
])
def test_iou_refuses_bad_boxes(box, boxes, message):
  with pytest.raises(ValueError, match=message):
    iou(box, boxes)


def _guesses():
  """Five images, three guesses each (class, box), and their ground truth."""
  right, wrong = [0, 0, 10, 10], [20, 20, 30, 30]
  classes = np.array([
      [3, 1, 2],   # right class, wrong box
      [5, 1, 4],   # wrong class with the right box; right at guess 3
      [7, 0, 0],   # two boxes of the class, the second matches
      [2, 9, 8],   # right class, right box
      [6, 6, 6],   # never the right class
  ])
  boxes = np.array([
      [wrong, right, right],
      [right, wrong, right],
      [[50, 50, 60, 61], right, right],
      [[0, 0, 10, 11], wrong, wrong],
      [right, right, right],
  ], np.float64)
  labels = [3, 4, np.array([7, 7]), 2, 1]
  gt_boxes = [
      np.array([right]),
      np.array([right]),
      np.array([right, [50, 50, 60, 60]]),
      np.array([right]),
      np.array([right]),
  ]
  return classes, boxes, labels, gt_boxes


def test_top_k_localization_on_hand_made_cases():
  classes, boxes, labels, gt_boxes = _guesses()
  result = localization_accuracy(classes, boxes, labels, gt_boxes,
                                 top_k=(1, 2, 3))
  # Top-1: images 2 and 3. Top-3 adds image 1 (class 4 at guess 3).
  assert result["top1_loc"] == pytest.approx(2 / 5)
  assert result["top1_loc_error"] == pytest.approx(3 / 5)
  assert result["top2_loc"] == pytest.approx(2 / 5)
  assert result["top3_loc"] == pytest.approx(3 / 5)
  assert result["top3_loc_error"] == pytest.approx(2 / 5)
  # Classification alone: images 0, 2, 3 at top-1, plus 1 at top-3.
  assert result["top1_cls"] == pytest.approx(3 / 5)
  assert result["top3_cls"] == pytest.approx(4 / 5)


def test_a_box_must_match_a_box_of_the_guessed_class():
  labels = [np.array([3, 7])]
  gt_boxes = [np.array([[0, 0, 10, 10], [20, 20, 40, 40]])]
  on_the_3 = np.array([[[0, 0, 10, 10]]], np.float64)
  assert localization_accuracy([[7]], on_the_3, labels, gt_boxes,
                               top_k=(1,))["top1_loc"] == 0.0
  assert localization_accuracy([[3]], on_the_3, labels, gt_boxes,
                               top_k=(1,))["top1_loc"] == 1.0


def test_the_iou_threshold_is_inclusive():
  # IoU exactly 0.5: [0, 0, 10, 5] against [0, 0, 10, 10].
  boxes = np.array([[[0, 0, 10, 5]]], np.float64)
  truth = [np.array([BOX])]
  assert localization_accuracy([[1]], boxes, [1], truth,
                               top_k=(1,))["top1_loc"] == 1.0
  assert localization_accuracy([[1]], boxes, [1], truth, top_k=(1,),
                               iou_threshold=0.51)["top1_loc"] == 0.0


def test_gt_known_accuracy():
  right, wrong = [0, 0, 10, 10], [20, 20, 30, 30]
  labels = [3, np.array([7, 7]), 2, np.array([1, 5])]
  gt_boxes = [np.array([right]), np.array([wrong, right]), np.array([right]),
              np.array([right, wrong])]
  boxes = np.array([right, right, wrong, wrong], np.float64)
  # Image 3 has labels 1 and 5: its box matches the class-5 box only.
  assert gt_known_accuracy(boxes, labels, gt_boxes,
                           classes=[3, 7, 2, 5]) == pytest.approx(3 / 4)
  assert gt_known_accuracy(boxes, labels, gt_boxes,
                           classes=[3, 7, 2, 1]) == pytest.approx(2 / 4)
  with pytest.raises(ValueError, match="pass classes="):
    gt_known_accuracy(boxes, labels, gt_boxes)
  assert gt_known_accuracy(boxes[:3], labels[:3],
                           gt_boxes[:3]) == pytest.approx(2 / 3)


def test_bad_arguments_are_refused():
  classes, boxes, labels, gt_boxes = _guesses()
  with pytest.raises(ValueError, match="top_k"):
    localization_accuracy(classes, boxes, labels, gt_boxes, top_k=(1, 5))
  with pytest.raises(ValueError, match="one entry per image"):
    localization_accuracy(classes, boxes, labels[:4], gt_boxes, top_k=(1,))
  with pytest.raises(ValueError, match="one box per guess"):
    localization_accuracy(classes, boxes[:, :2], labels, gt_boxes,
                          top_k=(1,))
  with pytest.raises(ValueError, match="one label or one per box"):
    localization_accuracy(classes, boxes, [3, 4, [7, 7, 7], 2, 1], gt_boxes,
                          top_k=(1,))
  with pytest.raises(ValueError, match="iou_threshold"):
    localization_accuracy(classes, boxes, labels, gt_boxes, top_k=(1,),
                          iou_threshold=0)
