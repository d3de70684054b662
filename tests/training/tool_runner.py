"""Runs the training tools as a user would: subprocesses of the venv's
Python with the repository's tools/ scripts."""

import functools
import importlib.util
import json
import os
import socket
import subprocess
import sys
from typing import Dict, List, Optional, Sequence

import h5py
import numpy as np

PYTHON = sys.executable
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
TRAIN = os.path.join(ROOT, "tools", "train_classifier.py")
EVAL = os.path.join(ROOT, "tools", "eval_classifier.py")
EXPORT = os.path.join(ROOT, "tools", "export.py")
CONFIGS = os.path.join(ROOT, "configs", "classification")


def environment(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", CUDA_VISIBLE_DEVICES="")
  env.pop("TF_CONFIG", None)
  env.update(extra or {})
  return env


def user_environment(extra: Optional[Dict[str, str]] = None
                     ) -> Dict[str, str]:
  """The environment of a user who set nothing: TensorFlow's log level and
  SPARSEZOO_VERBOSE unset (the tools choose what is logged)."""
  env = dict(os.environ)
  for name in ("TF_CPP_MIN_LOG_LEVEL", "SPARSEZOO_VERBOSE", "TF_CONFIG"):
    env.pop(name, None)
  env.update(extra or {})
  return env


def run_tool(tool: str, *flags: str, env: Optional[Dict[str, str]] = None,
             timeout: float = 300) -> subprocess.CompletedProcess:
  """Runs tools/<tool>.py with `flags` in `user_environment()` (or `env`),
  whatever its exit status."""
  return subprocess.run(
      [PYTHON, os.path.join(ROOT, "tools", f"{tool}.py"), *flags], cwd=ROOT,
      env=env or user_environment(), capture_output=True, text=True,
      timeout=timeout, check=False)


def nonblank_lines(text: str) -> List[str]:
  """The lines of `text` that are not blank."""
  return [line for line in text.splitlines() if line.strip()]


def assert_one_paragraph_error(result: subprocess.CompletedProcess,
                               tool: str, fragment: str) -> None:
  """A refusal as tools/_cli.py prints it: exit status 2 and one line
  `<tool>.py: error: ...` containing `fragment` (no traceback, no usage,
  no TensorFlow logs)."""
  assert result.returncode == 2, result.stderr[-3000:]
  assert "Traceback" not in result.stderr, result.stderr[-3000:]
  lines = nonblank_lines(result.stderr)
  assert len(lines) == 1, result.stderr[-3000:]
  assert lines[0].startswith(f"{tool}.py: error: "), lines[0]
  assert fragment in lines[0], lines[0]


def train_command(model_dir, config: str = "digits_cnn_sc.yaml",
                  overrides: str = "", *flags: str) -> List[str]:
  command = [PYTHON, TRAIN, "--config",
             os.path.join(CONFIGS, config), "--model_dir", str(model_dir),
             "--verbose", "0"]
  if overrides:
    command += ["--params_override", overrides]
  return command + list(flags)


def run(command: Sequence[str], timeout: float = 300,
        env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
  """Runs to completion; fails the test with the output when it fails."""
  result = subprocess.run(list(command), cwd=ROOT, env=env or environment(),
                          capture_output=True, text=True, timeout=timeout,
                          check=False)
  assert result.returncode == 0, (
      f"{' '.join(command)} exited with {result.returncode}:\n"
      f"{result.stdout[-3000:]}\n{result.stderr[-5000:]}")
  return result


def metrics(model_dir) -> dict:
  with open(os.path.join(model_dir, "metrics.json")) as stream:
    return json.load(stream)


def weight_arrays(path) -> Dict[str, np.ndarray]:
  """{"layer/weight": array} of a Keras HDF5 weights file."""
  arrays = {}
  with h5py.File(path, "r") as stream:
    def visit(name, item):
      if isinstance(item, h5py.Dataset):
        arrays[name] = item[()]
    stream.visititems(visit)
  return arrays


def free_ports(count: int) -> List[int]:
  """Ports nothing listens on (bound together, then released)."""
  sockets = []
  try:
    for _ in range(count):
      sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
      sock.bind(("localhost", 0))
      sockets.append(sock)
    return [sock.getsockname()[1] for sock in sockets]
  finally:
    for sock in sockets:
      sock.close()


# The absl flags each tool loaded into this process defined: tools share
# flag names (--output, --implementation, --weights...), so a tool's own are
# put in place before it is loaded again or run.
_TOOL_FLAGS: Dict[str, Dict[str, object]] = {}


def _use_flags_of(tool: Optional[str]) -> None:
  """Takes every loaded tool's flags out of absl's FLAGS, then puts
  `tool`'s back (none for None)."""
  # pylint: disable=g-import-not-at-top,protected-access
  from absl import flags
  defined = flags.FLAGS._flags()
  for names in _TOOL_FLAGS.values():
    for name in names:
      if name in defined:
        delattr(flags.FLAGS, name)
  for name, flag in _TOOL_FLAGS.get(tool, {}).items():
    flags.FLAGS[name] = flag


@functools.lru_cache(maxsize=None)
def load_tool(tool: str):
  """tools/<tool>.py as a module, loaded once per process; the flags it
  defines are recorded as its own (see `run_in_process`)."""
  # pylint: disable-next=g-import-not-at-top,protected-access
  from absl import flags
  _use_flags_of(None)
  before = dict(flags.FLAGS._flags())  # pylint: disable=protected-access
  path = os.path.join(ROOT, "tools", f"{tool}.py")
  spec = importlib.util.spec_from_file_location(f"{tool}_tool", path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  _TOOL_FLAGS[tool] = {
      name: flag for name, flag in flags.FLAGS._flags().items()  # pylint: disable=protected-access
      if before.get(name) is not flag}
  return module


def run_in_process(monkeypatch, capsys, tool: str, *args: str):
  """(exit status, stdout, stderr) of tools/<tool>.py run in this process
  with `args`, its own flags in place (a fresh process imports
  TensorFlow: seconds)."""
  # pylint: disable=g-import-not-at-top
  from absl import flags
  import pytest
  module = load_tool(tool)
  _use_flags_of(tool)
  monkeypatch.setattr(sys, "argv", [os.path.join(ROOT, "tools",
                                                 f"{tool}.py"), *args])
  flags.FLAGS.unparse_flags()
  try:
    with pytest.raises(SystemExit) as exited:
      module._cli.run(module.main)  # pylint: disable=protected-access
  finally:
    flags.FLAGS.unparse_flags()
  out, err = capsys.readouterr()
  return exited.value.code, out, err
