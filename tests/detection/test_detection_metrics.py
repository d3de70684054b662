"""sparsezoo_tf.detection's metrics: COCO's against pycocotools' own
evaluation of the same files, VOC's on cases worked out by hand, the COCO
results files, and their refusals."""

import copy
import json
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# pylint: disable=g-import-not-at-top,wrong-import-position
import detection_cases as cases
from sparsezoo_tf import detection

pytestmark = pytest.mark.single_path  # NumPy and pycocotools, no op


@pytest.fixture(scope="module")
def coco_files(tmp_path_factory):
  folder = tmp_path_factory.mktemp("coco")
  truth, found = cases.synthetic_coco()
  return (cases.write(folder / "gt.json", truth),
          cases.write(folder / "dets.json", found))


def test_coco_metrics_equal_pycocotools_own(coco_files, capsys):
  truth_path, results_path = coco_files
  expected = cases.pycocotools_stats(truth_path, results_path)
  capsys.readouterr()
  metrics = detection.coco_metrics(truth_path, results_path)
  assert tuple(metrics) == detection.COCO_METRIC_NAMES == (
      "AP", "AP50", "AP75", "APs", "APm", "APl", "ARmax1", "ARmax10",
      "ARmax100", "ARs", "ARm", "ARl")
  assert list(metrics.values()) == expected
  assert 0 < metrics["AP"] < metrics["AP50"] < 1  # a case with some to find
  assert min(metrics.values()) >= 0  # every size range has boxes
  assert capsys.readouterr() == ("", "")  # pycocotools' prints captured


def test_coco_metrics_of_dicts_leave_them_unchanged(coco_files):
  truth, found = cases.synthetic_coco()
  before = copy.deepcopy((truth, found))
  metrics = detection.coco_metrics(truth, found)
  assert (truth, found) == before
  assert list(metrics.values()) == cases.pycocotools_stats(*coco_files)


def test_coco_metrics_with_more_detections_per_image(coco_files):
  metrics = detection.coco_metrics(*coco_files, max_detections=20)
  assert tuple(metrics) == detection.coco_metric_names(20)
  assert "ARmax20" in metrics
  assert list(metrics.values()) == cases.pycocotools_stats(
      *coco_files, max_dets=(1, 10, 20))


def test_coco_metrics_fill_in_area_and_iscrowd(coco_files):
  truth, found = cases.synthetic_coco()
  truth["annotations"][0]["iscrowd"] = 0  # as absent
  for entry in truth["annotations"]:
    del entry["area"], entry["iscrowd"]
  expected_truth, _ = cases.synthetic_coco()
  expected_truth["annotations"][0]["iscrowd"] = 0
  for entry in expected_truth["annotations"]:  # w * h, like pycocotools
    entry["area"] = entry["bbox"][2] * entry["bbox"][3]
  expected = detection.coco_metrics(expected_truth, found)
  assert detection.coco_metrics(truth, found) == expected


def test_no_detections_score_zero():
  truth, _ = cases.synthetic_coco()
  metrics = detection.coco_metrics(truth, [])
  assert set(metrics.values()) == {0.0}
  truth, _ = cases.voc_case()  # small boxes only: -1 for the others
  metrics = detection.coco_metrics(truth, [])
  assert metrics["AP"] == metrics["APs"] == 0.0
  assert metrics["APm"] == metrics["APl"] == -1.0


def test_voc_ap_of_a_hand_computed_curve():
  recall = [1 / 4, 1 / 4, 2 / 4, 2 / 4, 3 / 4]   # see cases.voc_case
  precision = [1, 1 / 2, 2 / 3, 2 / 4, 3 / 5]
  assert detection.voc_ap(recall, precision, True) == pytest.approx(
      cases.VOC07_AP)
  assert detection.voc_ap(recall, precision, False) == pytest.approx(
      cases.VOC10_AP)


def test_voc_ap_edges():
  # Recall exactly 3/10 reaches the 0.3 point: 4 of the 11 points.
  assert detection.voc_ap([3 / 10], [1.0], True) == pytest.approx(4 / 11)
  assert detection.voc_ap([3 / 10], [1.0], False) == pytest.approx(0.3)
  assert detection.voc_ap([], [], True) == 0.0
  assert detection.voc_ap([], [], False) == 0.0
  assert detection.voc_ap([1.0], [1.0], True) == pytest.approx(1.0)
  assert detection.voc_ap([0.5, 1.0], [1.0, 0.5], False) == pytest.approx(
      0.75)
  with pytest.raises(ValueError, match="same length"):
    detection.voc_ap([0.5], [1.0, 0.5])
  with pytest.raises(ValueError, match="recall values must be in"):
    detection.voc_ap([1.5], [1.0])


def test_voc_map_of_the_hand_computed_case():
  truth, found = cases.voc_case()
  before = copy.deepcopy((truth, found))
  for metric, expected in (("voc07", cases.VOC07_AP),
                           ("voc10", cases.VOC10_AP)):
    result = detection.voc_map(truth, found, metric=metric)
    assert result["metric"] == metric and result["iou_threshold"] == 0.5
    assert result["per_class"]["a"]["AP"] == pytest.approx(expected)
    assert result["mAP"] == pytest.approx(expected)  # "b" is left out
    assert result["per_class"]["a"] == {
        "category_id": 1, "AP": result["per_class"]["a"]["AP"],
        "positives": 4, "difficult": 0, "detections": 5}
    # A class without positives has no AP and is not in the mean.
    assert result["per_class"]["b"] == {
        "category_id": 2, "AP": None, "positives": 0, "difficult": 0,
        "detections": 1}
  assert (truth, found) == before


def test_a_duplicate_detection_is_a_false_positive():
  truth, found = cases.voc_case()
  del found[1]  # the duplicate: TP TP FP TP, precision 1 1 2/3 3/4
  # Points t <= 0.5 see precision 1, t = 0.6, 0.7 see 3/4: (6 + 1.5) / 11.
  assert detection.voc_map(truth, found)["mAP"] == pytest.approx(7.5 / 11)


@pytest.mark.parametrize("key", ["difficult", "ignore", "iscrowd"])
def test_difficult_boxes_are_ignored(key):
  truth, found = cases.voc_case()
  truth["annotations"].append({"id": 5, "image_id": 2, "category_id": 1,
                               "bbox": [100, 100, 10, 10], key: 1})
  found.append({"image_id": 2, "category_id": 1,
                "bbox": [100, 100, 10, 10], "score": 0.65})
  result = detection.voc_map(truth, found)
  # Its detection is neither true nor false positive: the case's AP.
  assert result["mAP"] == pytest.approx(cases.VOC07_AP)
  assert result["per_class"]["a"]["positives"] == 4
  assert result["per_class"]["a"]["difficult"] == 1
  # Not difficult, it is a fifth positive and the detection a hit:
  # TP FP TP TP FP TP, recall 1/5 1/5 2/5 3/5 3/5 4/5, precision
  # 1 1/2 2/3 3/4 3/5 4/6: t <= 0.2 -> 1, t = 0.3 .. 0.6 -> 3/4,
  # t = 0.7, 0.8 -> 4/6: (3 + 4 * 3/4 + 2 * 4/6) / 11 = 2/3.
  truth["annotations"][-1][key] = 0
  result = detection.voc_map(truth, found)
  assert result["mAP"] == pytest.approx(2 / 3)
  assert result["per_class"]["a"]["positives"] == 5


def test_a_detection_goes_to_its_best_box_even_when_matched():
  # The devkit's rule: the detection at 0.8 overlaps the matched G1 most
  # (IoU 95/105) and the free G2 less (85/115 >= 0.5): a false positive.
  truth = {"images": [{"id": 1}], "categories": [{"id": 1, "name": "a"}],
           "annotations": [
               {"id": 1, "image_id": 1, "category_id": 1,
                "bbox": [0, 0, 10, 10]},
               {"id": 2, "image_id": 1, "category_id": 1,
                "bbox": [2, 0, 10, 10]}]}
  found = [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10],
            "score": 0.9},
           {"image_id": 1, "category_id": 1, "bbox": [0.5, 0, 10, 10],
            "score": 0.8}]
  # TP FP: recall 1/2 1/2, precision 1 1/2 -> 6 points of 1.
  assert detection.voc_map(truth, found)["mAP"] == pytest.approx(6 / 11)
  assert detection.voc_map(truth, found, metric="voc10")["mAP"] == (
      pytest.approx(0.5))


@pytest.mark.parametrize("height,expected", [(5, 1.0), (4.9, 0.0)])
def test_iou_of_one_half_is_enough(height, expected):
  # Continuous coordinates: [0, 10) x [0, 5) in [0, 10) x [0, 10) has IoU
  # 50 / 100 exactly (see the module docstring for VOC's +1).
  truth = {"images": [{"id": 1}], "categories": [{"id": 1, "name": "a"}],
           "annotations": [{"id": 1, "image_id": 1, "category_id": 1,
                            "bbox": [0, 0, 10, 10]}]}
  found = [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, height],
            "score": 0.5}]
  assert detection.voc_map(truth, found)["mAP"] == expected


def test_detections_of_images_without_boxes_are_false_positives():
  truth, found = cases.voc_case()
  truth["images"].append({"id": 3})
  found.insert(0, {"image_id": 3, "category_id": 1, "bbox": [0, 0, 10, 10],
                   "score": 0.95})
  # FP first: precisions 0 1/2 1/3 2/4 2/5 3/6 at recall 0 1/4 1/4 2/4 ..:
  # t <= 0.2 -> 1/2, t = 0.3 .. 0.5 -> 1/2, t = 0.6, 0.7 -> 1/2.
  assert detection.voc_map(truth, found)["mAP"] == pytest.approx(4 / 11)


def test_voc_map_refusals():
  truth, found = cases.voc_case()
  with pytest.raises(ValueError, match="metric must be one of"):
    detection.voc_map(truth, found, metric="voc12")
  with pytest.raises(ValueError, match="iou_threshold"):
    detection.voc_map(truth, found, iou_threshold=0)
  hard = copy.deepcopy(truth)
  for entry in hard["annotations"]:
    entry["difficult"] = 1
  with pytest.raises(ValueError, match="every ground-truth box is difficult"):
    detection.voc_map(hard, found)
  twins = copy.deepcopy(truth)
  twins["categories"][1]["name"] = "a"
  with pytest.raises(ValueError, match="two categories are named 'a'"):
    detection.voc_map(twins, found)


def _bad(found, index, **change):
  found = copy.deepcopy(found)
  found[index].update(change)
  return found


@pytest.mark.parametrize("change,message", [
    ({"image_id": 99}, r"1 image_id\(s\) are not among the 2 images of the "
                       r"ground truth, e.g. 99"),
    ({"category_id": 5}, r"1 category_id\(s\) are not among the 2 categories"),
    ({"score": float("nan")}, r"detections\[2\]: score must be a finite"),
    ({"bbox": [0, 0, -1, 3]}, "negative width or height"),
    ({"bbox": [0, 0, 3]}, "bbox must be 4 finite numbers"),
    ({"image_id": None}, "image_id must be an integer or a string"),
])
def test_bad_detections(change, message):
  truth, found = cases.voc_case()
  for metric in (detection.coco_metrics, detection.voc_map):
    with pytest.raises(ValueError, match=message):
      metric(truth, _bad(found, 2, **change))


def test_bad_files(tmp_path):
  truth, found = cases.voc_case()
  truth_path = cases.write(tmp_path / "gt.json", truth)
  broken = tmp_path / "broken.json"
  broken.write_text('[{"image_id": 1,')
  with pytest.raises(ValueError, match=f"{broken} is not valid JSON"):
    detection.coco_metrics(truth_path, str(broken))
  with pytest.raises(ValueError, match="is it an annotation file"):
    detection.coco_metrics(truth_path, truth_path)
  with pytest.raises(ValueError, match="a list is a results file"):
    detection.voc_map(cases.write(tmp_path / "d.json", found), found)
  with pytest.raises(FileNotFoundError):
    detection.coco_metrics(str(tmp_path / "missing.json"), found)
  without = {key: value for key, value in truth.items()
             if key != "annotations"}
  assert not detection.has_ground_truth(detection.read_annotations(without))
  assert detection.has_ground_truth(detection.read_annotations(truth_path))
  for metric in (detection.coco_metrics, detection.voc_map):
    with pytest.raises(ValueError, match="has no annotations"):
      metric(without, found)
  with pytest.raises(ValueError, match="has no score"):
    detection.read_detections([{"image_id": 1, "category_id": 1,
                                "bbox": [0, 0, 1, 1]}])


def test_bad_ground_truth():
  truth, found = cases.voc_case()
  wrong = copy.deepcopy(truth)
  wrong["annotations"][1]["image_id"] = 9
  with pytest.raises(ValueError, match=r"annotations\[1\]: image_id 9 is "
                     r"not among the images"):
    detection.coco_metrics(wrong, found)
  wrong = copy.deepcopy(truth)
  wrong["annotations"][1]["id"] = 1
  with pytest.raises(ValueError, match="duplicate annotation id 1"):
    detection.voc_map(wrong, found)
  wrong = copy.deepcopy(truth)
  wrong["images"] = {"id": 1}
  with pytest.raises(ValueError, match="images must be a list of objects"):
    detection.voc_map(wrong, found)


def test_coco_detections_and_write_detections(tmp_path):
  boxes = np.array([[10, 20, 30, 60], [0, 0, 5, 5], [0, 0, 0, 0]],
                   np.float32)  # (ymin, xmin, ymax, xmax); one padding row
  found = detection.coco_detections(np.int64(7), boxes,
                                    np.float32([0.9, 0.25, 0.0]),
                                    np.int32([3, 1, 0]), num_detections=2)
  assert found == [
      {"image_id": 7, "category_id": 3, "bbox": [20.0, 10.0, 40.0, 20.0],
       "score": pytest.approx(0.9)},
      {"image_id": 7, "category_id": 1, "bbox": [0.0, 0.0, 5.0, 5.0],
       "score": 0.25}]
  path = tmp_path / "dets.json"
  assert detection.write_detections(path, found) == 2
  assert json.loads(path.read_text()) == found
  assert os.listdir(tmp_path) == ["dets.json"]
  assert detection.read_detections(str(path)) == found
  with pytest.raises(ValueError, match="score must be a finite"):
    detection.write_detections(tmp_path / "bad.json",
                               _bad(found, 0, score=float("inf")))
  with pytest.raises(FileNotFoundError):
    detection.write_detections(tmp_path / "missing" / "d.json", found)
  assert os.listdir(tmp_path) == ["dets.json"]
  with pytest.raises(ValueError, match="ymax < ymin"):
    detection.coco_detections(1, [[5, 0, 4, 1]], [0.5], [1])
  with pytest.raises(ValueError, match="num_detections"):
    detection.coco_detections(1, boxes, [1, 1, 1], [1, 1, 1],
                              num_detections=4)
