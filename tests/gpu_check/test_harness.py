"""The GPU harness's parts that run without a GPU: its cases, its report
and the tool's handling of its arguments and of a machine without one."""

import os
import re
import subprocess
import sys

import pytest

from sparsezoo_tf import schemes
from sparsezoo_tf.gpu_check import harness

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
TOOL = os.path.join(ROOT, "tools", "gpu_check.py")


def _layer_scheme_kinds():
  """Every layer scheme ("psc<kss>" as "psc"): those with one plan."""
  kinds = set()
  for name in schemes.list_schemes():
    example = re.sub(r"<\w+>", "2", name)
    if example == "2" or schemes.get_scheme(example).kind != "layer":
      continue
    kinds.add(re.sub(r"<\w+>", "", name))
  return kinds


def test_cases_cover_every_layer_scheme():
  names = {re.sub(r"\d+", "", case.pattern)
           for case in harness.correctness_cases()}
  assert _layer_scheme_kinds() <= names
  assert {"sw_sc", "psc", "group_shuffle", "random"} <= names
  for case in harness.correctness_cases():
    assert case.plan().num_weights > 0


def _report(ratio_28, ratio_14, failed=False):
  def row(size, c, ratio):
    return {"shape": f"64x{size}x{size}x{c} -> {c}", "batch": 64,
            "pattern": "sw_sc", "density": 0.5556, "dtype": "float32",
            "pass": "fwd", "math": "cuda_cores", "ms": 1.0, "gflops": 1e4,
            "cudnn ms": 1.0 / ratio, "cudnn layout": "nchw", "ratio": ratio}
  checks = [{"case": "sw_sc x", "dtype": "float32", "math": "default",
             "fwd error": 2e-3 if failed else 1e-7, "dx error": 1e-7,
             "dw error": 1e-7, "passed": not failed}]
  return {"date": "2026-11-27", "device": "NVIDIA H200",
          "backend": "torch", "backend_version": "2.11", "nvcc": "13.0",
          "settings": {"repeats": 7, "number": 5},
          "checks_run": 1, "checks_passed": 0 if failed else 1,
          "checks": checks,
          "timings": [row(28, 256, ratio_28), row(14, 512, ratio_14)]}


def test_markdown_reports_rows_targets_and_failures():
  text = harness.to_markdown(_report(0.7, 1.5))
  assert "NVIDIA H200" in text
  assert "| 64x28x28x256 -> 256 | sw_sc | 0.556 | float32 | fwd |" in text
  assert "- 64x28x28x256 -> 256, cuda_cores: 0.700 (met)" in text
  assert "- 64x14x14x512 -> 512, cuda_cores: 1.500 (**not met**)" in text
  assert "1 of 1 checks passed" in text
  assert "Failed checks" not in text
  failed = harness.to_markdown(_report(0.7, 1.5, failed=True))
  assert "0 of 1 checks passed" in failed
  assert "- sw_sc x (float32, default): fwd error 2.00e-03" in failed


def test_parse_shape():
  assert harness.parse_shape("28x256x128") == (28, 256, 128)
  for bad in ("28x256", "axbxc", "0x1x1"):
    with pytest.raises(ValueError, match="SIZExINxOUT|positive"):
      harness.parse_shape(bad)


def _run_tool(*args, block_tensorflow=False):
  """Runs the tool; with block_tensorflow, in a Python that cannot import
  TensorFlow (as on the GPU machines)."""
  code = ("import runpy, sys\n"
          "class Block:\n"
          "  def find_spec(self, name, path=None, target=None):\n"
          "    if name.split('.')[0] == 'tensorflow':\n"
          "      raise ImportError('TensorFlow is not installed here')\n"
          "import importlib.util\n"
          "find = importlib.util.find_spec\n"
          "importlib.util.find_spec = lambda n, *a: (\n"
          "    None if n == 'tensorflow' else find(n, *a))\n"
          "sys.meta_path.insert(0, Block())\n" if block_tensorflow else
          "import runpy, sys\n")
  code += (f"sys.argv = [{TOOL!r}] + sys.argv[1:]\n"
           f"runpy.run_path({TOOL!r}, run_name='__main__')\n")
  return subprocess.run([sys.executable, "-c", code, *args],
                        capture_output=True, text=True, check=False,
                        timeout=120)


@pytest.mark.parametrize("flag, message", [
    ("--dtypes=float8", "--dtypes: unknown 'float8'"),
    ("--math=fast", "--math: unknown 'fast'"),
    ("--batches=0", "--batches must be positive"),
    ("--shapes=28x256", "--shapes: shape must be SIZExINxOUT"),
    ("--patterns=nope", "--patterns nope at --shapes 28x256x256: unknown "
     "scheme 'nope'"),
    ("--patterns=scfusion2", "--patterns scfusion2 at --shapes 28x256x256: "
     "scheme 'scfusion2' is a block of several convolutions"),
    ("--patterns=group3", "--patterns group3 at --shapes 28x256x256:"),
    ("--dtypes=", "--dtypes needs at least one value"),
    ("--benchmarks=/no/such/folder/B.md", "--benchmarks: cannot write in "
     "/no/such/folder"),
])
def test_tool_rejects_bad_flags(flag, message):
  result = _run_tool(flag, block_tensorflow=True)
  assert result.returncode != 0
  assert message in result.stderr
  assert "Traceback" not in result.stderr


def test_tool_without_gpu_libraries_or_tensorflow(tmp_path):
  pytest.importorskip("numpy")
  try:
    harness.make_backend()
    pytest.skip("a GPU array library is installed here")
  except RuntimeError:
    pass
  result = _run_tool(f"--out_dir={tmp_path}", block_tensorflow=True)
  assert result.returncode == 1
  assert "gpu_check.py: error: no usable GPU array library" in result.stderr
  assert "Traceback" not in result.stderr
  assert list(tmp_path.iterdir()) == []
