"""Strategies by name, which worker writes, and a TPU that is not there."""

import subprocess
import time
import types

import pytest
import tensorflow as tf

from sparsezoo_tf.training import distribute

import tool_runner

# Training mechanics, not the convolution path: the op path only (see the
# Makefile).
pytestmark = pytest.mark.single_path


def test_strategies_by_name():
  assert distribute.make_strategy("default") is tf.distribute.get_strategy()
  assert distribute.strategy_name(distribute.make_strategy("default")) == (
      "default")
  mirrored = distribute.make_strategy("mirrored")
  assert isinstance(mirrored, tf.distribute.MirroredStrategy)
  assert distribute.strategy_name(mirrored) == "mirrored"


def test_unknown_strategies_and_misplaced_tpu_addresses_are_refused():
  with pytest.raises(ValueError, match="strategy must be one of"):
    distribute.make_strategy("horovod")
  with pytest.raises(ValueError, match="only used with the 'tpu' strategy"):
    distribute.make_strategy("mirrored", tpu="grpc://10.0.0.2:8470")


def test_tpu_without_an_address_fails_clearly():
  with pytest.raises(RuntimeError, match="no TPU reachable \\(no --tpu given"):
    distribute.make_strategy("tpu")


def test_tpu_at_an_address_where_nothing_listens_fails_fast():
  port = tool_runner.free_ports(1)[0]
  start = time.monotonic()
  with pytest.raises(RuntimeError, match=f"no TPU reachable.*cannot connect "
                     f"to localhost:{port}"):
    distribute.make_strategy("tpu", tpu=f"grpc://localhost:{port}")
  assert time.monotonic() - start < 15


def test_train_tool_on_a_machine_without_tpu_fails_clearly(tmp_path):
  result = subprocess.run(
      tool_runner.train_command(tmp_path, "digits_cnn_sc.yaml", "",
                                "--strategy", "tpu", "--tpu", "local"),
      cwd=tool_runner.ROOT, env=tool_runner.environment(),
      capture_output=True, text=True, timeout=120, check=False)
  assert result.returncode != 0
  assert "strategy 'tpu': no TPU reachable (--tpu='local')" in result.stderr
  assert not list(tmp_path.iterdir())


def _fake(task_type, task_id, cluster):
  resolver = types.SimpleNamespace(
      task_type=task_type, task_id=task_id,
      cluster_spec=lambda: tf.train.ClusterSpec(cluster))
  return types.SimpleNamespace(cluster_resolver=resolver)


@pytest.mark.parametrize("task_type, task_id, cluster, chief, name", [
    ("worker", 0, {"worker": ["a:1", "b:1"]}, True, "chief"),
    ("worker", 1, {"worker": ["a:1", "b:1"]}, False, "worker_1"),
    ("chief", 0, {"chief": ["a:1"], "worker": ["b:1"]}, True, "chief"),
    ("worker", 0, {"chief": ["a:1"], "worker": ["b:1"]}, False, "worker_0"),
    (None, None, {}, True, "chief"),
])
def test_the_chief_writes_the_outputs(task_type, task_id, cluster, chief,
                                      name):
  strategy = _fake(task_type, task_id, cluster)
  assert distribute.is_chief(strategy) is chief
  assert distribute.worker_name(strategy) == name
