"""tools/make_digits_detection.py as a user runs it: the library's files,
byte for byte, that Model Garden's COCO converter turns into TFRecords its
detection decoder reads back; and its refusals (one paragraph, exit status
2, nothing written)."""

import os
import subprocess
import sys

import numpy as np
from official.vision.dataloaders import tf_example_decoder
import pytest
import tensorflow as tf

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "training"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "data"))

# pylint: disable=g-import-not-at-top,wrong-import-position
import data_checks
import tool_runner
from sparsezoo_tf.data import digits_detection as dd

pytestmark = pytest.mark.single_path  # the tool's plumbing, not the op

TOOL = "make_digits_detection"


def test_tool_output_is_the_library_and_model_garden_converts_it(tmp_path):
  output = tmp_path / "digits_detection"
  result = tool_runner.run_tool(TOOL, "--output_dir", str(output),
                                "--splits", "val,test", "--limit", "12",
                                "--seed", "3")
  assert result.returncode == 0, result.stderr[-3000:]
  assert not tool_runner.nonblank_lines(result.stderr), result.stderr[-3000:]
  test_set = dd.make_detection_set("test", 12, seed=3)
  val_set = dd.make_detection_set("val", 12, seed=3)
  lines = result.stdout.splitlines()
  assert lines[0] == (f"val: 12 images, {val_set.num_objects.sum()} digits "
                      f"(annotations/val.json)")
  assert lines[1] == (f"test: 12 images, {test_set.num_objects.sum()} "
                      f"digits (annotations/test.json)")
  assert lines[2].startswith(f"wrote {output}: 24 images, ")

  # Another process, the same bytes.
  # pylint: disable-next=protected-access
  dd._make_detection_set.cache_clear()
  dd.write_coco(str(tmp_path / "library"), ("val", "test"), limit=12,
                seed=3)
  assert data_checks.folder_files(output) == data_checks.folder_files(
      tmp_path / "library")

  # Model Garden's converter, with its flags, on the test split.
  prefix = tmp_path / "records" / "test"
  converted = subprocess.run(
      [sys.executable, "-m", "official.vision.data.create_coco_tf_record",
       f"--image_dir={output / 'images'}",
       f"--object_annotations_file={output / 'annotations' / 'test.json'}",
       f"--output_file_prefix={prefix}", "--num_shards=1",
       "--num_processes=0"],
      cwd=tool_runner.ROOT, env=tool_runner.environment(),
      capture_output=True, text=True, timeout=300, check=False)
  assert converted.returncode == 0, converted.stderr[-3000:]
  assert "skipped 0 annotations" in converted.stderr
  records = list(tf.data.TFRecordDataset(
      f"{prefix}-00000-of-00001.tfrecord").as_numpy_iterator())
  assert len(records) == 12
  decoder = tf_example_decoder.TfExampleDecoder()
  for i in (0, 7):
    decoded = decoder.decode(tf.constant(records[i]))
    number = test_set.num_objects[i]
    assert decoded["source_id"].numpy() == str(
        test_set.image_ids[i]).encode()
    image = decoded["image"].numpy()
    assert image.shape == (96, 96, 3)  # grey PNG, decoded to RGB
    np.testing.assert_array_equal(
        image, np.repeat(test_set.images[i], 3, axis=-1))
    np.testing.assert_allclose(decoded["groundtruth_boxes"].numpy() * 96,
                               test_set.boxes[i, :number], atol=1e-4)
    np.testing.assert_array_equal(decoded["groundtruth_classes"].numpy(),
                                  test_set.labels[i, :number] + 1)
    assert not decoded["groundtruth_is_crowd"].numpy().any()


@pytest.mark.parametrize("flags,fragment", [
    (("--splits", "train,validation"),
     "--splits train,validation: give some of train, val, test"),
    (("--splits", "val,val"), "a split is repeated"),
    (("--splits", ""), "--splits is empty: give some of train, val, test"),
    (("--seed", "-1"), "-1 is not a non-negative integer"),
    (("--limit", "0"), "--limit=0"),
])
def test_tool_refuses_bad_flags(tmp_path, flags, fragment):
  output = tmp_path / "out"
  result = tool_runner.run_tool(TOOL, "--output_dir", str(output), *flags)
  tool_runner.assert_one_paragraph_error(result, TOOL, fragment)
  assert not output.exists()


def test_tool_refuses_a_non_empty_output_without_overwrite(tmp_path):
  output = tmp_path / "out"
  output.mkdir()
  (output / "keep.txt").write_text("mine")
  result = tool_runner.run_tool(TOOL, "--output_dir", str(output),
                                "--limit", "2")
  tool_runner.assert_one_paragraph_error(
      result, TOOL, "exists and is not empty; pass --overwrite")
  assert os.listdir(output) == ["keep.txt"]
  result = tool_runner.run_tool(TOOL, "--output_dir",
                                str(tmp_path / "no" / "out"))
  tool_runner.assert_one_paragraph_error(result, TOOL, "does not exist")
