"""A real two-worker MultiWorkerMirroredStrategy run on localhost: two
processes of tools/train_classifier.py with TF_CONFIG, training
synchronously, end with the same weights."""

import json
import subprocess

import numpy as np
import pytest

import tool_runner

# Training mechanics, not the convolution path: the op path only (see the
# Makefile).
pytestmark = pytest.mark.single_path

STEPS = 6  # one epoch of the 1438 digits in global batches of 256


def test_two_workers_train_in_step_and_end_with_identical_weights(tmp_path):
  ports = tool_runner.free_ports(2)
  cluster = {"worker": [f"localhost:{port}" for port in ports]}
  model_dir = tmp_path / "run"
  command = tool_runner.train_command(
      model_dir, "digits_cnn_sc.yaml", "training.epochs=1,data.batch_size=256",
      "--strategy", "multi_worker_mirrored")
  workers = [
      subprocess.Popen(
          command, cwd=tool_runner.ROOT, stdout=subprocess.PIPE,
          stderr=subprocess.STDOUT, text=True,
          env=tool_runner.environment({"TF_CONFIG": json.dumps(
              {"cluster": cluster, "task": {"type": "worker",
                                            "index": index}})}))
      for index in range(2)]
  try:
    outputs = [worker.communicate(timeout=240)[0] for worker in workers]
  finally:
    for worker in workers:
      if worker.poll() is None:
        worker.kill()
        worker.wait()
  for worker, output in zip(workers, outputs):
    assert worker.returncode == 0, output[-5000:]

  chief = tool_runner.metrics(model_dir)
  other = tool_runner.metrics(model_dir / "worker_1")
  for metrics in (chief, other):
    assert metrics["strategy"] == "multi_worker_mirrored"
    assert metrics["replicas"] == 2
    assert metrics["steps"] == STEPS
  assert chief["top1"] == other["top1"]
  first = tool_runner.weight_arrays(model_dir / "weights.h5")
  second = tool_runner.weight_arrays(model_dir / "worker_1" / "weights.h5")
  assert first.keys() == second.keys() and len(first) > 10
  for name, value in first.items():
    np.testing.assert_array_equal(value, second[name], err_msg=name)
  assert not (model_dir / "backup").exists()
