"""tools/voc_to_coco.py as a user runs it on a tiny VOCdevkit (07+12
trainval, one bad image skipped), then Model Garden's own COCO TFRecord
converter on its output, as the tool's docstring says; and its refusals."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TESTS, "training"))
sys.path.insert(0, os.path.join(TESTS, "data"))

# pylint: disable=g-import-not-at-top,wrong-import-position
import test_voc  # the fake VOCdevkit
import tool_runner
from sparsezoo_tf.data import voc

pytestmark = pytest.mark.single_path  # files, not the op

BAD = "2008_000008"  # a VOC2012 image whose XML names an unknown class


def _devkit(tmp_path) -> str:
  root = test_voc.write_devkit(tmp_path)
  test_voc.write_image(root, "2012", BAD, 16, 16,
                       [dict(name="tv", box=(1, 1, 8, 8))])
  test_voc.write_split(root, "2012", "trainval",
                       test_voc.SPLITS["2012"]["trainval"] + [BAD])
  return root


def _features(record: bytes):
  """{key: list of values} of a serialized tf.train.Example."""
  example = tf.train.Example.FromString(record)
  values = {}
  for key, feature in example.features.feature.items():
    kind = feature.WhichOneof("kind")
    values[key] = list(getattr(feature, kind).value)
  return values


def test_07_12_trainval_to_coco_to_model_garden_tfrecords(tmp_path):
  root = _devkit(tmp_path)
  output = tmp_path / "trainval0712.json"
  output.write_text("an earlier file")
  result = tool_runner.run_tool(
      "voc_to_coco", "--voc_root", root, "--sets",
      "2007:trainval,2012:trainval", "--output", str(output), "--overwrite",
      "--max_skipped", "1")
  assert result.returncode == 0, result.stderr[-3000:]
  warnings = tool_runner.nonblank_lines(result.stderr)
  assert len(warnings) == 1, result.stderr[-3000:]
  assert warnings[0].startswith("voc_to_coco.py: warning: skipped: ")
  assert f"{BAD}.xml, <object> 1: <name> is 'tv', not one" in warnings[0]
  assert tool_runner.nonblank_lines(result.stdout) == [
      f"VOC 2007:trainval,2012:trainval -> {output}: 5 images, 8 objects, "
      f"2 difficult (ignore), 0 clipped, 1 skipped"]
  written = json.loads(output.read_text())
  images, annotations = test_voc.expected_coco_lists()
  assert written["images"] == images
  assert written["annotations"] == annotations
  assert written == voc.voc_to_coco(root, test_voc.TRAINVAL_0712,
                                    max_skipped=1).coco
  assert not [name for name in os.listdir(tmp_path) if ".tmp" in name]

  # The follow-up command of the tool's docstring.
  prefix = tmp_path / "records" / "trainval0712"
  converted = subprocess.run(
      [sys.executable, "-m", "official.vision.data.create_coco_tf_record",
       f"--image_dir={root}", f"--object_annotations_file={output}",
       f"--output_file_prefix={prefix}", "--num_shards=1",
       "--num_processes=0"], cwd=tmp_path, env=tool_runner.environment(),
      capture_output=True, text=True, timeout=300, check=False)
  assert converted.returncode == 0, converted.stderr[-3000:]
  assert "skipped 0 annotations" in converted.stderr, converted.stderr[-3000:]
  records = [_features(r.numpy()) for r in tf.data.TFRecordDataset(
      f"{prefix}-00000-of-00001.tfrecord")]
  assert len(records) == 5
  by_image = {}
  for annotation in annotations:
    by_image.setdefault(annotation["image_id"], []).append(annotation)
  for image, record in zip(images, records):
    width, height = image["width"], image["height"]
    assert record["image/filename"] == [image["file_name"].encode()]
    assert record["image/source_id"] == [str(image["id"]).encode()]
    assert (record["image/width"], record["image/height"]) == ([width],
                                                               [height])
    pixels = tf.io.decode_jpeg(record["image/encoded"][0]).numpy()
    assert pixels.shape == (height, width, 3)
    objects = by_image[image["id"]]
    assert record["image/object/class/label"] == [
        a["category_id"] for a in objects]
    assert record["image/object/is_crowd"] == [a["iscrowd"] for a in objects]
    boxes = np.array([a["bbox"] for a in objects], np.float64)
    np.testing.assert_allclose(record["image/object/bbox/xmin"],
                               boxes[:, 0] / width, rtol=1e-6)
    np.testing.assert_allclose(record["image/object/bbox/xmax"],
                               (boxes[:, 0] + boxes[:, 2]) / width,
                               rtol=1e-6)
    np.testing.assert_allclose(record["image/object/bbox/ymax"],
                               (boxes[:, 1] + boxes[:, 3]) / height,
                               rtol=1e-6)
  # VOC2007 000005: a chair at VOC (1, 2, 10, 12) and a difficult one at
  # (20, 5, 40, 30), reaching the 40x30 image's last column and row.
  chairs = records[0]
  assert chairs["image/object/class/text"] == [b"chair", b"chair"]
  assert chairs["image/object/is_crowd"] == [0, 1]
  np.testing.assert_allclose(chairs["image/object/bbox/xmin"],
                             [0 / 40, 19 / 40])
  np.testing.assert_allclose(chairs["image/object/bbox/ymin"],
                             [1 / 30, 4 / 30])
  np.testing.assert_allclose(chairs["image/object/bbox/xmax"],
                             [10 / 40, 40 / 40])
  np.testing.assert_allclose(chairs["image/object/bbox/ymax"],
                             [12 / 30, 30 / 30])
  # The two images named 000005.jpg, each from its own year.
  assert records[4]["image/filename"] == [b"VOC2012/JPEGImages/000005.jpg"]
  assert records[4]["image/object/class/text"] == [b"dog", b"bird"]


@pytest.mark.parametrize("flags, fragment", [
    (["--output", "{out}"], "--output {out} exists; give --overwrite to "
     "replace it"),
    (["--output", "{tmp}/missing/voc.json"], "--output {tmp}/missing/voc.json:"
     " the folder {tmp}/missing does not exist"),
    (["--output", "{tmp}/new.json", "--voc_root", "{tmp}/nowhere"],
     "--voc_root {tmp}/nowhere is not a folder"),
    (["--output", "{tmp}/new.json", "--max_skipped", "-1"],
     "flag --max_skipped=-1"),
])
def test_refusals_are_one_paragraph_and_write_nothing(tmp_path, flags,
                                                      fragment):
  """Refused before the package (and TensorFlow) loads."""
  out = tmp_path / "voc.json"
  out.write_text("kept")
  values = {"out": str(out), "tmp": str(tmp_path)}
  flags = [flag.format(**values) for flag in flags]
  if "--voc_root" not in flags:
    flags += ["--voc_root", str(tmp_path)]
  result = tool_runner.run_tool("voc_to_coco", "--sets", "2007:trainval",
                                *flags)
  tool_runner.assert_one_paragraph_error(result, "voc_to_coco",
                                         fragment.format(**values))
  assert out.read_text() == "kept"
  assert sorted(os.listdir(tmp_path)) == ["voc.json"]
