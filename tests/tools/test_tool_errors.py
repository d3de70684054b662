"""The tools as a user meets them (tools/_cli.py): a bad flag or input is
one paragraph and exit status 2, without traceback or flag usage, before
the long work starts; a failed training run leaves no model_dir, and a
finished one is replaced only with --overwrite; ignored flags are said;
TensorFlow's INFO / WARNING logs stay hidden unless SPARSEZOO_VERBOSE=1.

Each case is one process of the tool in the environment of a user who set
nothing (TF_CPP_MIN_LOG_LEVEL unset)."""

import os
import re
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "training"))

import tool_runner  # pylint: disable=g-import-not-at-top,wrong-import-position

pytestmark = pytest.mark.single_path  # the tools' plumbing, not the op

# What TensorFlow logs below ERROR, in its C++ ("2026-01-01 10:00:00.0: I
# tensorflow/...", "I0000 00:00:...") and Python ("WARNING:tensorflow:",
# absl's "W0101 10:00:00.0 ...") formats, and its no-GPU-driver line.
TF_NOISE = re.compile(
    r"^(\S+ \S+: [IW] |[IW]\d{4} |WARNING:tensorflow)|failed call to cuInit|"
    r"rendezvous|_colocate_with", re.MULTILINE)


@pytest.mark.parametrize("tool, flags, fragment", [
    # Before TensorFlow is imported.
    ("export", ["--model", "digits_cnn_sc", "--output", "{tmp}/out",
                "--formats", "saved_model,onnx"],
     "unknown format(s) ['onnx']"),
    ("eval_classifier", ["--weights", "digits"],
     "give --model_dir, or --model and --weights"),
    ("eval_classifier", ["--model_dir", "{readme}"],
     "--model_dir {readme} is a file; it takes the folder of a training run"),
    ("gpu_check", ["--dtypes=float8"], "--dtypes: unknown 'float8'"),
    # After it.
    ("design_space", ["--max_length=0"], "flag --max_length=0"),
    ("model_table", ["--patterns", "no_such_model*"],
     "no registered model matches 'no_such_model*'"),
    ("model_table", ["--latency", "--batches", "8,abc"],
     "--batches takes positive integers"),
    # Before the table is computed.
    ("model_table", ["--patterns", "digits_cnn", "--output",
                     "{tmp}/missing/zoo.md"],
     "--output {tmp}/missing/zoo.md: the folder {tmp}/missing does not "
     "exist"),
    ("benchmark_ops", ["--shapes", "28x256"], "28x256"),
    ("benchmark_ops", ["--batch", "0"], "flag --batch=0"),
    ("benchmark_models", ["--implementations", "fast"], "'fast'"),
    # Before the op checks (seconds) and the training.
    ("demo", ["--model", "digits_cnn"], "--model digits_cnn is a dense "
     "model; pick a sparse one: digits_cnn_igcv2, "),
    ("demo", ["--model", "resnet18_sc"], "--model resnet18_sc has no digits "
     "recipe (configs/classification/resnet18_sc.yaml); pick one of "
     "digits_cnn_igcv2, "),
    ("demo", ["--epochs", "0"], "flag --epochs=0"),
    ("demo", ["--zoo_patterns", "digits_cnn,no_such_model*"],
     "--zoo_patterns: no registered model matches 'no_such_model*'"),
    # train_classifier: test_failed_training_leaves_no_model_dir.
])
def test_bad_flag_or_input_is_one_paragraph(tmp_path, tool, flags, fragment):
  paths = {"tmp": tmp_path, "readme": os.path.join(tool_runner.ROOT,
                                                   "README.md")}
  flags = [flag.format(**paths) for flag in flags]
  result = tool_runner.run_tool(tool, *flags)
  tool_runner.assert_one_paragraph_error(result, tool, fragment.format(**paths))
  assert not list(tmp_path.iterdir())  # nothing written


def test_failed_training_leaves_no_model_dir(tmp_path):
  model_dir = tmp_path / "run"
  (tmp_path / "empty").mkdir()
  result = tool_runner.run_tool(
      "train_classifier", "--config",
      os.path.join(tool_runner.CONFIGS, "digits_cnn_sc.yaml"), "--model_dir",
      str(model_dir), "--params_override", "data.dataset=cifar10",
      "--data_dir", str(tmp_path / "empty"))
  tool_runner.assert_one_paragraph_error(result, "train_classifier",
                              f"no CIFAR data in {tmp_path / 'empty'}")
  assert not model_dir.exists()


def test_quiet_run_verbose_eval_and_rerun_into_the_same_model_dir(tmp_path):
  model_dir = tmp_path / "run"
  trained = tool_runner.run_tool(
      "train_classifier", "--config",
      os.path.join(tool_runner.CONFIGS, "digits_cnn_sc.yaml"), "--model_dir",
      str(model_dir), "--params_override", "training.epochs=1",
      "--data_dir", str(tmp_path), "--verbose", "0")
  assert trained.returncode == 0, trained.stderr[-3000:]
  assert tool_runner.nonblank_lines(trained.stderr) == [
      "train_classifier.py: warning: --data_dir is ignored: digits needs no "
      "files"]
  assert (model_dir / "weights.h5").is_file()
  # SPARSEZOO_VERBOSE=1 brings TensorFlow's logs back; the warning stays.
  evaluated = tool_runner.run_tool(
      "eval_classifier", "--model_dir", str(model_dir), "--data_dir",
      str(tmp_path), "--verbose", "0",
      env=tool_runner.user_environment({"SPARSEZOO_VERBOSE": "1"}))
  assert evaluated.returncode == 0, evaluated.stderr[-3000:]
  assert ("eval_classifier.py: warning: --data_dir is ignored: digits needs "
          "no files") in evaluated.stderr
  assert TF_NOISE.search(evaluated.stderr), evaluated.stderr[-3000:]
  assert '"top1"' in evaluated.stdout
  # Another model into the finished run's model_dir: refused, the run left
  # as it was; with --overwrite, replaced.
  files = {path.name: path.read_bytes() for path in model_dir.iterdir()
           if path.is_file()}
  top1 = tool_runner.metrics(model_dir)["top1"]
  other = ["--config", os.path.join(tool_runner.CONFIGS, "digits_cnn.yaml"),
           "--model_dir", str(model_dir), "--params_override",
           "training.epochs=1,data.batch_size=256", "--verbose", "0"]
  refused = tool_runner.run_tool("train_classifier", *other)
  tool_runner.assert_one_paragraph_error(
      refused, "train_classifier",
      f"model_dir {model_dir} holds a finished training run of "
      f"digits_cnn_sc (top-1 {top1:.4f} on digits test), which this run "
      f"would replace; train into another model_dir, or pass --overwrite")
  assert {path.name: path.read_bytes() for path in model_dir.iterdir()
          if path.is_file()} == files
  replaced = tool_runner.run_tool("train_classifier", *other, "--overwrite")
  assert replaced.returncode == 0, replaced.stderr[-3000:]
  assert tool_runner.metrics(model_dir)["recipe"]["model"]["name"] == (
      "digits_cnn")
  assert not (model_dir / "backup").exists()


def test_export_says_which_flags_it_ignores(tmp_path):
  (tmp_path / "kept.txt").write_text("")  # a non-empty --output: refused
  result = tool_runner.run_tool(
      "export", "--model", "digits_cnn_sc", "--output", str(tmp_path),
      "--formats", "keras", "--batch_size", "4")
  assert result.returncode == 2, result.stderr[-3000:]
  assert tool_runner.nonblank_lines(result.stderr) == [
      "export.py: warning: no --weights or --checkpoint: exporting "
      "digits_cnn_sc with its random initial weights",
      "export.py: warning: --batch_size is ignored: it applies to the "
      "SavedModel and TFLite files, and --formats has neither",
      f"export.py: error: --output {tmp_path} exists and is not empty; pass "
      f"--overwrite to replace it"]
  assert [path.name for path in tmp_path.iterdir()] == ["kept.txt"]
