"""tools/detect.py as a user runs it (a process of the tool): a random
digits detector's detections.json against `inference.detect` in this
process, the drawn images' size and pixels (boxes drawn, the rest the
enlarged image), class names from --labels, --overwrite, and the
refusals (one paragraph, exit status 2, nothing written)."""

import json
import os
import sys

import numpy as np
from PIL import Image
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "training"))

# pylint: disable=g-import-not-at-top,wrong-import-position
import tool_runner

from sparsezoo_tf.data import digits_detection
from sparsezoo_tf.detection import detectors
from sparsezoo_tf.detection import inference

pytestmark = pytest.mark.single_path  # the tool's plumbing, not the op

DETECTOR = "fasterrcnn_digits_resnet18"


@pytest.fixture(name="case", scope="module")
def _case(tmp_path_factory):
  """A random detector's weights; two 96x96 greyscale PNGs in a folder and
  a 60x90 RGB one (grey pixels) beside it; the detector's detections of
  the three, in this process."""
  root = tmp_path_factory.mktemp("detect")
  canvases = digits_detection.make_detection_set("test", 3).images[..., 0]
  folder = root / "images"
  folder.mkdir()
  paths = [str(folder / "a.png"), str(folder / "b.png"), str(root / "c.png")]
  images = [canvases[0], canvases[1],
            np.repeat(canvases[2, 10:70, 3:93, None], 3, axis=-1)]
  for path, image in zip(paths, images):
    Image.fromarray(image).save(path)
  model = detectors.create_detector(DETECTOR)
  read = [inference.read_image(path) for path in paths]
  found = inference.detect(model, read)
  weights = str(root / "detector.h5")
  detectors.save_detector_weights(model, weights)
  return {"root": root, "folder": str(folder), "paths": paths,
          "images": read, "found": found, "weights": weights}


def _run(case, output, *args):
  return tool_runner.run_tool(
      "detect", "--detector", DETECTOR, "--weights", case["weights"],
      "--images", case["folder"], "--images", case["paths"][2],
      "--output_dir", str(output), *args)


def _enlarged(image, factor):
  return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)


def test_detections_and_drawings(case, tmp_path):
  # A threshold that keeps the 4 best detections of the three images.
  scores = np.sort(np.concatenate([f["scores"] for f in case["found"]]))
  threshold = float(scores[-4])
  output = tmp_path / "out"
  result = _run(case, output, "--score_threshold", repr(threshold))
  assert result.returncode == 0, result.stderr[-3000:]
  assert not tool_runner.nonblank_lines(result.stderr), result.stderr
  written = json.loads((output / "detections.json").read_text())
  assert list(written) == case["paths"]
  assert sum(len(entries) for entries in written.values()) == 4
  assert f"Wrote {output}: detections.json (4 detections" in result.stdout
  assert sorted(os.listdir(output)) == ["a.png", "b.png", "c.png",
                                        "detections.json"]
  for path, image, found in zip(case["paths"], case["images"],
                                case["found"]):
    entries = written[path]
    keep = found["scores"] >= threshold
    assert len(entries) == keep.sum()
    height, width = image.shape[:2]
    for entry, box, score, label in zip(entries, found["boxes"][keep],
                                        found["scores"][keep],
                                        found["classes"][keep]):
      assert set(entry) == {"box", "score", "class_id", "class_name"}
      ymin, xmin, ymax, xmax = box
      assert entry["box"] == pytest.approx([xmin, ymin, xmax, ymax],
                                           abs=0.006)
      assert entry["score"] == pytest.approx(score, abs=6e-5)
      assert entry["class_id"] == label
      assert entry["class_name"] == str(label - 1)  # class c + 1: digit c
      assert 0 <= entry["box"][0] <= entry["box"][2] <= width
      assert 0 <= entry["box"][1] <= entry["box"][3] <= height

    name = os.path.splitext(os.path.basename(path))[0] + ".png"
    with Image.open(output / name) as drawn:
      drawn = np.asarray(drawn.convert("RGB"))
    factor = -(-384 // min(height, width))  # 4 for 96, 7 for 60
    assert drawn.shape == (height * factor, width * factor, 3)
    plain = _enlarged(image, factor)
    # Each box's left edge is drawn (in colour: the images are grey).
    for entry in entries:
      x0, y0, _, y1 = [round(v * factor) for v in entry["box"]]
      middle = (y0 + y1) // 2
      assert np.any(drawn[middle, x0] != plain[middle, x0])
    # Away from the boxes and their labels, the enlarged image.
    far = np.ones(drawn.shape[:2], bool)
    for entry in entries:
      x0, y0, x1, y1 = [round(v * factor) for v in entry["box"]]
      far[max(0, y0 - 40):y1 + 5, max(0, x0 - 5):x1 + 120] = False
    assert far.sum() > 0.1 * far.size
    np.testing.assert_array_equal(drawn[far], plain[far])
    if not entries:
      np.testing.assert_array_equal(drawn, plain)


def test_labels_and_overwrite(case, tmp_path):
  output = tmp_path / "out"
  output.mkdir()
  (output / "old.txt").write_text("replaced")
  names = [{"id": i, "name": f"digit {i - 1}"} for i in range(1, 11)]
  labels = tmp_path / "labels.json"
  labels.write_text(json.dumps({"images": [], "categories": names}))
  result = _run(case, output, "--score_threshold", "0", "--labels",
                str(labels), "--overwrite")
  assert result.returncode == 0, result.stderr[-3000:]
  written = json.loads((output / "detections.json").read_text())
  entries = [entry for path in case["paths"] for entry in written[path]]
  assert len(entries) == sum(len(f["scores"]) for f in case["found"])
  assert all(entry["class_name"] == f"digit {entry['class_id'] - 1}"
             for entry in entries)
  assert not (output / "old.txt").exists()


@pytest.mark.parametrize("args,fragment", [
    # Before TensorFlow is imported.
    (["--images", "{tmp}/nowhere.png"],
     "--images {tmp}/nowhere.png: no such file or folder"),
    (["--images", "{image}", "--output_dir", "{full}"],
     "--output_dir {full} exists and is not empty; pass --overwrite"),
    (["--images", "{image}", "--weights", ""], "--weights is missing"),
    (["--images", "{image}", "--labels", "{tmp}/labels.txt"],
     "--labels {tmp}/labels.txt: no such file"),
    (["--images", "{image}", "--score_threshold", "1.5"],
     "flag --score_threshold=1.5"),
    # After it.
    (["--images", "{tmp}/empty"], "--images {tmp}/empty: the folder has no "
     "image files"),
    (["--images", "{tmp}/broken.png"],
     "{tmp}/broken.png is not an image PIL can read"),
])
def test_refusals(case, tmp_path, args, fragment):
  (tmp_path / "empty").mkdir()
  (tmp_path / "full").mkdir()
  (tmp_path / "full" / "x.txt").write_text("x")
  (tmp_path / "broken.png").write_bytes(b"not a png")
  names = {"tmp": str(tmp_path), "image": case["paths"][0],
           "full": str(tmp_path / "full")}
  args = [arg.format(**names) for arg in args]
  if "--output_dir" not in args:
    args += ["--output_dir", str(tmp_path / "out")]
  result = tool_runner.run_tool("detect", "--detector", DETECTOR,
                                "--weights", case["weights"], *args)
  tool_runner.assert_one_paragraph_error(result, "detect",
                                         fragment.format(**names))
  assert result.stdout == ""
  assert not (tmp_path / "out").exists()
  assert os.listdir(tmp_path / "full") == ["x.txt"]
