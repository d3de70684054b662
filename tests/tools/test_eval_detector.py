"""tools/eval_detector.py on results files (no model): its COCO metrics
against pycocotools' own evaluation of the same files, its VOC mAP on the
hand-computed case, COCO test-dev's image information, and its refusals
(one paragraph, exit status 2, nothing written). In model mode, a random
digits detector's results and metrics against `inference.detect_coco` and
`detection.coco_metrics` / `voc_map` of the file it wrote, the same
results and metrics from Model Garden's TFRecords of the images
(--records) as from the images (--image_dir), and the model flags'
refusals.

The tool runs in this process (a fresh one imports TensorFlow, seconds),
except for one run as a user starts it."""

import json
import os
import re
import sys

import pytest

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TESTS, "training"))
sys.path.insert(0, os.path.join(TESTS, "detection"))

# pylint: disable=g-import-not-at-top,wrong-import-position
import detection_cases as cases
import tool_runner

pytestmark = pytest.mark.single_path  # the tool's plumbing, not the op



def _run(monkeypatch, capsys, *args):
  """(exit status, stdout, stderr) of the tool run in this process."""
  return tool_runner.run_in_process(monkeypatch, capsys, "eval_detector", *args)


@pytest.fixture(name="files")
def _files(tmp_path):
  """Paths of the synthetic COCO case, the VOC case and image info."""
  truth, found = cases.synthetic_coco()
  voc_truth, voc_found = cases.voc_case()
  info = {key: value for key, value in truth.items() if key != "annotations"}
  return {"gt": cases.write(tmp_path / "gt.json", truth),
          "dets": cases.write(tmp_path / "dets.json", found),
          "voc_gt": cases.write(tmp_path / "voc_gt.json", voc_truth),
          "voc_dets": cases.write(tmp_path / "voc_dets.json", voc_found),
          "info": cases.write(tmp_path / "image_info_test-dev2015.json",
                              info),
          "empty": cases.write(tmp_path / "empty.json", [])}


def test_coco_metrics_equal_pycocotools_own(monkeypatch, capsys, files,
                                            tmp_path):
  out_path = tmp_path / "metrics.json"
  status, out, err = _run(monkeypatch, capsys, "--annotations", files["gt"],
                          "--detections", files["dets"], "--metrics_out",
                          str(out_path))
  assert (status, err) == (0, ""), err
  written = json.loads(out_path.read_text())
  expected = cases.pycocotools_stats(files["gt"], files["dets"])
  names = ("AP", "AP50", "AP75", "APs", "APm", "APl", "ARmax1", "ARmax10",
           "ARmax100", "ARs", "ARm", "ARl")
  assert [written[name] for name in names] == expected
  truth, found = cases.synthetic_coco()
  assert {key: written[key] for key in (
      "annotations", "detections", "metric", "n_images", "n_detections")
         } == {"annotations": files["gt"], "detections": files["dets"],
               "metric": "coco", "n_images": len(truth["images"]),
               "n_detections": len(found)}
  for name, value in zip(names, expected):
    assert f"  {name:<9} {value:7.4f}  " in out


@pytest.mark.parametrize("metric,expected", [("voc07", cases.VOC07_AP),
                                             ("voc10", cases.VOC10_AP)])
def test_voc_map_of_the_hand_computed_case(monkeypatch, capsys, files,
                                           tmp_path, metric, expected):
  out_path = tmp_path / "voc.json"
  status, out, err = _run(monkeypatch, capsys, "--annotations",
                          files["voc_gt"], "--detections", files["voc_dets"],
                          "--metric", metric, "--metrics_out", str(out_path))
  assert (status, err) == (0, ""), err
  written = json.loads(out_path.read_text())
  assert written["metric"] == metric and written["iou_threshold"] == 0.5
  assert written["mAP"] == pytest.approx(expected)
  assert written["per_class"] == {
      "a": {"category_id": 1, "AP": pytest.approx(expected), "positives": 4,
            "difficult": 0, "detections": 5},
      "b": {"category_id": 2, "AP": None, "positives": 0, "difficult": 0,
            "detections": 1}}
  assert f"{expected:.4f}" in out
  assert "(1 of 2 classes have positives)" in out


def test_image_information_only_says_where_the_results_are(
    monkeypatch, capsys, files, tmp_path):
  status, out, err = _run(monkeypatch, capsys, "--annotations",
                          files["info"], "--detections", files["dets"],
                          "--metrics_out", str(tmp_path / "m.json"))
  assert status == 0, err
  assert "cannot be scored here" in out
  assert os.path.abspath(files["dets"]) in out
  assert "detections_test-dev2015_<method>_results.json" in out
  assert "https://cocodataset.org/#upload" in out
  assert err == ("eval_detector.py: warning: --metrics_out is ignored: "
                 f"{files['info']} has no annotations to score against\n")
  assert not (tmp_path / "m.json").exists()


def test_no_detections_score_zero_with_a_warning(monkeypatch, capsys, files,
                                                 tmp_path):
  out_path = tmp_path / "m.json"
  status, _, err = _run(monkeypatch, capsys, "--annotations", files["gt"],
                        "--detections", files["empty"], "--metrics_out",
                        str(out_path))
  assert status == 0
  assert "holds no detections; every metric is 0" in err
  assert json.loads(out_path.read_text())["AP"] == 0.0


@pytest.mark.parametrize("args,fragment", [
    (["--annotations", "{gt}"], "Flag --detections must have a value"),
    (["--annotations", "{gt}", "--detections", "{tmp}/no.json"],
     "--detections {tmp}/no.json: no such file"),
    (["--annotations", "{tmp}", "--detections", "{dets}"],
     "--annotations {tmp} is a folder"),
    (["--annotations", "{gt}", "--detections", "{dets}", "--metric", "voc"],
     "flag --metric=voc"),
    (["--annotations", "{gt}", "--detections", "{dets}", "--metrics_out",
      "{tmp}/missing/m.json"], "the folder {tmp}/missing does not exist"),
    (["--annotations", "{gt}", "--detections", "{broken}"],
     "{broken} is not valid JSON"),
    (["--annotations", "{gt}", "--detections", "{gt}"],
     "is it an annotation file?"),
    (["--annotations", "{voc_gt}", "--detections", "{dets}"],
     "image_id(s) are not among the 2 images of the ground truth"),
    (["--annotations", "{info}", "--detections", "{voc_dets}"],
     "image_id(s) are not among the 6 images"),
])
def test_bad_input_is_one_paragraph(monkeypatch, capsys, files, tmp_path,
                                    args, fragment):
  broken = tmp_path / "broken.json"
  broken.write_text("[{")
  names = dict(files, tmp=str(tmp_path), broken=str(broken))
  out_path = tmp_path / "m.json"
  args = [arg.format(**names) for arg in args]
  if "--metrics_out" not in args:
    args += ["--metrics_out", str(out_path)]
  status, out, err = _run(monkeypatch, capsys, *args)
  assert status == 2, err
  lines = tool_runner.nonblank_lines(err)
  assert len(lines) == 1 and lines[0].startswith("eval_detector.py: error: ")
  assert fragment.format(**names) in lines[0]
  assert out == ""
  assert not out_path.exists()


def test_as_a_user_runs_it(files, tmp_path):
  out_path = tmp_path / "metrics.json"
  result = tool_runner.run_tool("eval_detector", "--annotations",
                                files["voc_gt"], "--detections",
                                files["voc_dets"], "--metric", "voc07",
                                "--metrics_out", str(out_path))
  assert result.returncode == 0, result.stderr[-3000:]
  assert not tool_runner.nonblank_lines(result.stderr), result.stderr
  assert json.loads(out_path.read_text())["mAP"] == pytest.approx(
      cases.VOC07_AP)
  assert f"Wrote {out_path}" in result.stdout


# Model mode: a random digits detector (its scores, about 1 / 11 per class,
# pass the generator's 0.05 threshold) on a few images of the digits set.
DETECTOR = "fasterrcnn_digits_resnet18"
METRIC_LINE = re.compile(r"^  (\w+) +(-?\d+\.\d{4})  ", re.MULTILINE)


@pytest.fixture(name="digits", scope="module")
def _digits(tmp_path_factory):
  """A random detector's weights file and run folder, and 4 test images of
  the digits set (COCO layout, `write_coco`)."""
  # pylint: disable=g-import-not-at-top,unused-import
  from official.core import exp_factory
  from official.core import train_utils
  from sparsezoo_tf.data import digits_detection
  from sparsezoo_tf.detection import detectors
  from sparsezoo_tf.detection import experiments  # registers them
  from sparsezoo_tf.detection import inference
  from sparsezoo_tf.detection import records
  root = tmp_path_factory.mktemp("digits")
  data = str(root / "digits_detection")
  digits_detection.write_coco(data, ("test",), limit=4)
  model = detectors.create_detector(DETECTOR)
  run = root / "run"
  run.mkdir()
  train_utils.serialize_config(exp_factory.get_exp_config(DETECTOR),
                               str(run))
  weights = str(run / "detector.h5")
  detectors.save_detector_weights(model, weights)
  paths = records.digits_detection_paths(data)
  return {"weights": weights, "run": str(run), "model": model,
          "gt": paths.annotations["test"], "images": paths.image_dir,
          "paths": paths}


@pytest.fixture(name="records", scope="module")
def _records(digits, tmp_path_factory):
  """The glob of Model Garden's TFRecords of the 4 images, in 2 shards (the
  records' order is not the annotation file's)."""
  # pylint: disable=g-import-not-at-top
  from sparsezoo_tf.detection import records
  prefix = tmp_path_factory.mktemp("records") / "test"
  return records.coco_to_tfrecords(digits["gt"], digits["images"],
                                   str(prefix), num_shards=2)


def _printed_metrics(out):
  return {name: float(value) for name, value in METRIC_LINE.findall(out)}


def test_model_mode_runs_the_detector_then_scores(monkeypatch, capsys,
                                                  digits, tmp_path):
  # pylint: disable=g-import-not-at-top
  from sparsezoo_tf import detection
  from sparsezoo_tf.detection import inference
  out_path, metrics_path = tmp_path / "dets.json", tmp_path / "m.json"
  status, out, err = _run(monkeypatch, capsys, "--detector", DETECTOR,
                          "--weights", digits["weights"], "--annotations",
                          digits["gt"], "--image_dir", digits["images"],
                          "--detections_out", str(out_path), "--metrics_out",
                          str(metrics_path))
  assert (status, err) == (0, ""), err
  written = json.loads(out_path.read_text())
  expected = inference.detect_coco(digits["model"], digits["gt"],
                                   digits["images"])
  assert len(written) == len(expected) > 0
  for a, b in zip(written, expected):
    assert (a["image_id"], a["category_id"]) == (b["image_id"],
                                                 b["category_id"])
    assert a["bbox"] == pytest.approx(b["bbox"], abs=1e-3)
  metrics = detection.coco_metrics(digits["gt"], str(out_path))
  assert _printed_metrics(out) == {name: round(value, 4)
                                   for name, value in metrics.items()}
  result = json.loads(metrics_path.read_text())
  assert {name: result[name] for name in metrics} == metrics
  assert result["detector"] == DETECTOR
  assert result["weights"] == digits["weights"]
  assert result["detections"] == str(out_path)
  assert f"Wrote {out_path} ({len(written)} detections)" in out


def test_model_dir_on_a_split_writes_beside_the_run(monkeypatch, capsys,
                                                    digits):
  # pylint: disable=g-import-not-at-top
  from sparsezoo_tf import detection
  from sparsezoo_tf.detection import records
  # The 4-image set stands for the prepared one (the whole set takes a
  # minute to write).
  monkeypatch.setattr(records, "prepare_digits_detection",
                      lambda: digits["paths"])
  status, out, err = _run(monkeypatch, capsys, "--model_dir", digits["run"],
                          "--split", "test", "--metric", "voc10")
  assert (status, err) == (0, ""), err
  written = os.path.join(digits["run"], "detections_test.json")
  voc = detection.voc_map(digits["gt"], written, metric="voc10")
  assert f"  mean  {voc['mAP']:.4f}  " in out
  assert f"of {written} on {digits['gt']} (4 images" in out


def test_records_score_as_the_image_folder(monkeypatch, capsys, digits,
                                           records, tmp_path):
  # pylint: disable=g-import-not-at-top
  from sparsezoo_tf import detection
  written = {}
  for flag, value in (("--image_dir", digits["images"]),
                      ("--records", records)):
    out_path, metrics_path = tmp_path / "dets.json", tmp_path / "m.json"
    status, out, err = _run(monkeypatch, capsys, "--detector", DETECTOR,
                            "--weights", digits["weights"], "--annotations",
                            digits["gt"], flag, value, "--detections_out",
                            str(out_path), "--metrics_out", str(metrics_path))
    assert (status, err) == (0, ""), err
    written[flag] = (json.loads(out_path.read_text()),
                     json.loads(metrics_path.read_text()), out)
  (by_folder, folder_metrics, _), (by_records, records_metrics, out) = (
      written["--image_dir"], written["--records"])
  assert f"(images from {records})" in out
  assert len(by_records) == len(by_folder) > 0
  for a, b in zip(by_records, by_folder):
    assert (a["image_id"], a["category_id"]) == (b["image_id"],
                                                 b["category_id"])
    assert a["bbox"] == pytest.approx(b["bbox"], abs=1e-3)
    assert a["score"] == pytest.approx(b["score"], abs=1e-5)
  names = detection.COCO_METRIC_NAMES
  assert {name: records_metrics[name] for name in names} == pytest.approx(
      {name: folder_metrics[name] for name in names}, abs=1e-6)


def test_model_mode_on_image_information_writes_the_results(
    monkeypatch, capsys, digits, tmp_path):
  truth = json.loads(open(digits["gt"]).read())
  del truth["annotations"]
  info = cases.write(tmp_path / "image_info_test-dev2017.json", truth)
  status, out, err = _run(monkeypatch, capsys, "--model_dir", digits["run"],
                          "--annotations", info, "--image_dir",
                          digits["images"])
  assert (status, err) == (0, ""), err
  written = os.path.join(digits["run"],
                         "detections_image_info_test-dev2017.json")
  found = json.loads(open(written).read())
  assert {d["image_id"] for d in found} <= {i["id"] for i in truth["images"]}
  assert "cannot be scored here" in out
  assert f"The results file for the evaluation server is {written}" in out


@pytest.mark.parametrize("args,fragment", [
    (["--model_dir", "{run}", "--detections", "{dets}", "--annotations",
      "{gt}"], "give one or the other"),
    (["--detector", DETECTOR, "--split", "test"], "--weights is missing"),
    (["--weights", "{weights}", "--split", "test"], "--detector is missing"),
    (["--model_dir", "{run}", "--weights", "{weights}", "--split", "test"],
     "not --model_dir and --weights"),
    (["--model_dir", "{tmp}/nowhere", "--split", "test"],
     "--model_dir {tmp}/nowhere: no such folder"),
    (["--model_dir", "{tmp}", "--split", "test"],
     "is not a tools/train_detector.py run: it has no params.yaml"),
    (["--model_dir", "{run}", "--detector", DETECTOR + "_sc", "--split",
      "test"], f"but --model_dir {{run}} trained {DETECTOR}"),
    (["--detector", DETECTOR, "--weights", "{tmp}/no.h5", "--split", "test"],
     "--weights {tmp}/no.h5: no such file"),
    (["--model_dir", "{run}", "--annotations", "{gt}"],
     "--image_dir is missing"),
    (["--model_dir", "{run}", "--split", "test", "--annotations", "{gt}"],
     "not with --annotations"),
    (["--model_dir", "{run}", "--annotations", "{gt}", "--image_dir",
      "{tmp}/nowhere"], "--image_dir {tmp}/nowhere: no such folder"),
    (["--annotations", "{gt}", "--detections", "{dets}", "--image_dir",
      "{images}"], "--image_dir: for running a detector"),
    (["--detector", "fasterrcnn_digits_resnet", "--weights", "{weights}",
      "--split", "test"], "unknown detector 'fasterrcnn_digits_resnet'"),
    (["--detector", "fasterrcnn_vgg16", "--weights", "{weights}", "--split",
      "test"], "fasterrcnn_vgg16 is not one: give --annotations"),
    (["--model_dir", "{run}", "--annotations", "{missing_gt}",
      "--image_dir", "{images}"], "nowhere.png: no such file (image 7 of"),
    (["--model_dir", "{run}", "--annotations", "{gt}", "--records",
      "{records}", "--image_dir", "{images}"],
     "--records {records} holds the images; not with --image_dir"),
    (["--model_dir", "{run}", "--records", "{records}", "--split", "test"],
     "not with --split"),
    (["--model_dir", "{run}", "--records", "{records}"],
     "--annotations is missing: the ground truth of the --records"),
    (["--model_dir", "{run}", "--annotations", "{gt}", "--records",
      "{tmp}/none-*.tfrecord"], "--records {tmp}/none-*.tfrecord: no file "
     "matches"),
    (["--annotations", "{gt}", "--detections", "{dets}", "--records",
      "{records}"], "--records: for running a detector"),
    (["--model_dir", "{run}", "--annotations", "{missing_gt}", "--records",
      "{records}"], "1 of the 5 images of {missing_gt} have no record (ids "
     "[7])"),
    (["--model_dir", "{run}", "--annotations", "{missing_gt}", "--records",
      "{gt}"], "not TFRecords of tf.train.Examples"),
])
def test_model_mode_refusals(monkeypatch, capsys, digits, records, files,
                             tmp_path, args, fragment):
  truth = json.loads(open(digits["gt"]).read())
  truth["images"].append({"id": 7, "file_name": "nowhere.png", "width": 96,
                          "height": 96})
  names = dict(digits, **files, records=records, tmp=str(tmp_path),
               missing_gt=cases.write(tmp_path / "missing.json", truth))
  args = [arg.format(**names) for arg in args]
  out_path = tmp_path / "m.json"
  status, out, err = _run(monkeypatch, capsys, *args, "--metrics_out",
                          str(out_path))
  assert status == 2, err
  lines = tool_runner.nonblank_lines(err)
  assert len(lines) == 1 and lines[0].startswith("eval_detector.py: error: ")
  assert fragment.format(**names) in lines[0]
  assert not out_path.exists()
  assert not os.path.exists(os.path.join(digits["run"],
                                         "detections_missing.json"))
