"""End to end through the tools, as a user runs them: train a sparse model
from its YAML recipe, kill the run with SIGKILL once it has backed up its
state, run the same command again, and check that it resumed and finished
with the optimizer steps of an uninterrupted run; then evaluate it with
tools/eval_classifier.py and export it with tools/export.py."""

import json
import os
import signal
import subprocess
import time

import pytest

import tool_runner

# Training mechanics, not the convolution path: the op path only (see the
# Makefile).
pytestmark = pytest.mark.single_path

EPOCHS, STEPS_PER_EPOCH, EVERY = 2, 23, 4  # 1438 digits, batches of 64
OVERRIDES = (f"training.epochs={EPOCHS},"
             f"training.checkpoint_every_steps={EVERY}")


def _start(model_dir):
  return subprocess.Popen(
      tool_runner.train_command(model_dir, "digits_cnn_sc.yaml", OVERRIDES),
      cwd=tool_runner.ROOT, env=tool_runner.environment(),
      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _kill_after_first_backup(process, model_dir, timeout=240):
  """SIGKILLs `process` as soon as a backup checkpoint exists."""
  state = model_dir / "backup" / "chief" / "checkpoint"
  deadline = time.monotonic() + timeout
  while not state.exists():
    assert process.poll() is None, (
        f"the run ended before its first backup:\n{process.stdout.read()}")
    assert time.monotonic() < deadline, "no backup appeared"
    time.sleep(0.02)
  process.send_signal(signal.SIGKILL)
  process.communicate()
  assert process.returncode == -signal.SIGKILL


def test_killed_run_resumes_to_the_steps_of_an_uninterrupted_run(tmp_path):
  reference = _start(tmp_path / "uninterrupted")
  killed_dir = tmp_path / "killed"
  try:
    _kill_after_first_backup(_start(killed_dir), killed_dir)
    output = reference.communicate(timeout=300)[0]
  finally:
    if reference.poll() is None:
      reference.kill()
      reference.wait()
  assert reference.returncode == 0, output[-5000:]
  # Killed mid-run: no outputs yet, the backup and the run's recipe remain.
  assert not (killed_dir / "weights.h5").exists()
  assert not (killed_dir / "metrics.json").exists()
  assert (killed_dir / "recipe.json").exists()
  assert not [name for name in os.listdir(killed_dir) if ".tmp-" in name]

  tool_runner.run(tool_runner.train_command(killed_dir, "digits_cnn_sc.yaml",
                                            OVERRIDES))
  uninterrupted = tool_runner.metrics(tmp_path / "uninterrupted")
  resumed = tool_runner.metrics(killed_dir)
  assert uninterrupted["steps"] == EPOCHS * STEPS_PER_EPOCH
  assert uninterrupted["initial_step"] == 0
  assert resumed["steps"] == uninterrupted["steps"]
  assert 0 < resumed["initial_step"] < resumed["steps"]
  assert resumed["initial_step"] % EVERY == 0
  for run_dir in (killed_dir, tmp_path / "uninterrupted"):
    assert sorted(os.listdir(run_dir)) == ["logs", "metrics.json",
                                           "weights.h5", "weights.h5.sha256"]
  # Two epochs of digits (the BN statistics lag): well above chance, and
  # the last epoch's loss close to the uninterrupted run's (the data order
  # after the restart differs).
  assert resumed["top1"] > 0.2 and uninterrupted["top1"] > 0.2
  assert resumed["loss"] == pytest.approx(uninterrupted["loss"], rel=0.3)

  evaluated = json.loads(tool_runner.run([
      tool_runner.PYTHON, tool_runner.EVAL, "--model_dir",
      str(killed_dir), "--batch_size", "64", "--verbose", "0"
  ]).stdout.strip().splitlines()[-1])
  assert evaluated["model"] == "digits_cnn_sc"
  assert (evaluated["dataset"], evaluated["split"]) == ("digits", "test")
  assert evaluated["examples"] == resumed["examples"] == 359
  assert evaluated["top1"] == resumed["top1"]
  assert evaluated["top5"] == resumed["top5"]

  if not os.path.exists(tool_runner.EXPORT):
    pytest.skip("tools/export.py does not exist")
  tool_runner.run([tool_runner.PYTHON, tool_runner.EXPORT,
                   "--model", "digits_cnn_sc", "--checkpoint",
                   str(killed_dir / "weights.h5"), "--output",
                   str(tmp_path / "export")])
  assert (tmp_path / "export" / "saved_model" / "saved_model.pb").exists()
