"""tools/train_detector.py as a user runs it: a small digits detector
trains a few steps on a few canvases (its loss falls), is interrupted and
resumed from its checkpoint, evaluates with Model Garden's COCO evaluator
and writes its weights (with their SHA-256 record) and metrics; and its
refusals."""

import json
import os
import re
import sys

import pytest

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TESTS, "training"))

# pylint: disable=g-import-not-at-top,wrong-import-position
import tool_runner

from sparsezoo_tf.data import digits_detection
from sparsezoo_tf.detection import records
from sparsezoo_tf.models import weights as zoo_weights

pytestmark = pytest.mark.single_path  # the tool's plumbing

IMAGES = 32
_LOSS = re.compile(r"'total_loss': np\.float32\(([0-9.]+)\)")
_STEP = re.compile(r"train \| step: +(\d+) \| steps/sec")


@pytest.fixture(name="small_set", scope="module")
def _small_set(tmp_path_factory):
  """The first IMAGES canvases of train and val, as COCO and records."""
  root = tmp_path_factory.mktemp("digits") / "set"
  digits_detection.write_coco(str(root), ("train", "val"), limit=IMAGES)
  paths = {}
  for split in ("train", "val"):
    paths[split] = records.coco_to_tfrecords(
        str(root / "annotations" / f"{split}.json"), str(root / "images"),
        str(root / "records" / split), num_shards=1)
  paths["annotations"] = str(root / "annotations" / "val.json")
  return paths


def _overrides(small_set, steps: int) -> str:
  return ",".join([
      f"task.train_data.input_path={small_set['train']}",
      f"task.validation_data.input_path={small_set['val']}",
      f"task.annotation_file={small_set['annotations']}",
      "task.train_data.global_batch_size=8",
      "task.validation_data.global_batch_size=8",
      f"trainer.validation_steps={IMAGES // 8}",
      f"trainer.train_steps={steps}", "trainer.steps_per_loop=10",
      "trainer.summary_interval=10", "trainer.checkpoint_interval=10",
      f"trainer.validation_interval={steps}",
      # Warm-up to a rate that moves the loss within a few steps.
      "trainer.optimizer_config.warmup.linear.warmup_steps=5",
      "trainer.optimizer_config.learning_rate.cosine.decay_steps=1000"])


def _train(tmp_path, small_set, steps, mode="train"):
  return tool_runner.run_tool(
      "train_detector", "--experiment", "fasterrcnn_digits_resnet18_sc",
      "--model_dir", str(tmp_path / "run"), "--mode", mode,
      "--params_override", _overrides(small_set, steps),
      env=tool_runner.user_environment(
          {"SPARSEZOO_HOME": str(tmp_path / "home")}),
      timeout=600)


def test_trains_resumes_evaluates_and_writes_weights(tmp_path, small_set):
  first = _train(tmp_path, small_set, 30)
  assert first.returncode == 0, first.stderr[-3000:]
  losses = [float(x) for x in _LOSS.findall(first.stdout)]
  assert len(losses) == 3, first.stdout[-3000:]
  assert losses[-1] < 0.8 * losses[0], losses
  # The embedded set was not written: the run reads other records.
  assert not (tmp_path / "home").exists()

  second = _train(tmp_path, small_set, 40, mode="train_and_eval")
  assert second.returncode == 0, second.stderr[-3000:]
  # Resumed at step 30: the only loop it ran ends at step 40.
  assert [int(s) for s in _STEP.findall(second.stdout)] == [40]
  run = tmp_path / "run"
  metrics = json.loads((run / "metrics.json").read_text())
  assert metrics["experiment"] == "fasterrcnn_digits_resnet18_sc"
  for key in ("AP", "AP50", "ARmax100"):
    assert -1.0 <= metrics[key] <= 1.0
  weights = run / "detector.h5"
  assert zoo_weights.verify_recorded_sha256(str(weights)) == (
      zoo_weights.file_sha256(str(weights)))
  assert (run / "params.yaml").is_file()


def test_missing_records_are_one_paragraph(tmp_path):
  result = tool_runner.run_tool(
      "train_detector", "--experiment", "fasterrcnn_vgg16_voc",
      "--model_dir", str(tmp_path / "run"),
      env=tool_runner.user_environment(
          {"SPARSEZOO_HOME": str(tmp_path / "home")}))
  tool_runner.assert_one_paragraph_error(
      result, "train_detector", "task.train_data.input_path=")
  assert not (tmp_path / "run").exists()


def test_unknown_experiment_is_one_paragraph(tmp_path):
  result = tool_runner.run_tool(
      "train_detector", "--experiment", "fasterrcnn_vgg61_voc",
      "--model_dir", str(tmp_path / "run"))
  tool_runner.assert_one_paragraph_error(result, "train_detector",
                                         "fasterrcnn_vgg61_voc")


@pytest.mark.parametrize("flags,fragment", [
    (("--params_override", "trainer.train_step=20"),
     "'train_step' does not exist"),
    (("--params_override", "trainer.train_steps=abc"),
     "trainer.train_steps='abc': the experiment's trainer.train_steps is an "
     "integer (4000)"),
    (("--mode", "eval"), "has no checkpoint to evaluate"),
])
def test_bad_runs_are_refused_before_anything_is_written(tmp_path, flags,
                                                         fragment):
  result = tool_runner.run_tool(
      "train_detector", "--experiment", "fasterrcnn_digits_resnet18",
      "--model_dir", str(tmp_path / "run"), *flags,
      env=tool_runner.user_environment(
          {"SPARSEZOO_HOME": str(tmp_path / "home")}))
  tool_runner.assert_one_paragraph_error(result, "train_detector", fragment)
  assert not (tmp_path / "run").exists()
  assert not (tmp_path / "home").exists()


def test_a_run_of_another_detector_is_left_alone(tmp_path):
  from official.core import exp_factory  # pylint: disable=g-import-not-at-top
  from official.core import train_utils  # pylint: disable=g-import-not-at-top
  from sparsezoo_tf.detection import experiments  # pylint: disable=g-import-not-at-top,unused-import
  run = tmp_path / "run"
  run.mkdir()
  train_utils.serialize_config(
      exp_factory.get_exp_config("fasterrcnn_digits_resnet18_sc"), str(run))
  before = (run / "params.yaml").read_bytes()
  result = tool_runner.run_tool(
      "train_detector", "--experiment", "fasterrcnn_digits_resnet18",
      "--model_dir", str(run),
      env=tool_runner.user_environment(
          {"SPARSEZOO_HOME": str(tmp_path / "home")}))
  tool_runner.assert_one_paragraph_error(
      result, "train_detector",
      "holds a run of fasterrcnn_digits_resnet18_sc detector")
  assert (run / "params.yaml").read_bytes() == before
