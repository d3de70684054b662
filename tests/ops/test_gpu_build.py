"""The GPU build of the op library (`make build-gpu`), checked without a GPU.

The slow test builds it with `make gpu-lib` (CUDA 12 nvcc for sm_70, sm_80,
sm_90 + PTX; the first run fetches the toolkit into build/cuda12 and the
CUDA runtime wheel into the venv, ~100 MB) and checks the library in
bazel-bin without installing it: it links libcudart.so.12 (not CUDA 13's),
carries code for each architecture, loads in TensorFlow with GPU kernels for
every type the op allows, and passes tests/ops in place of the CPU build.
`make gpu-build-check` runs it.

The fast tests check what the loader says about a GPU build whose CUDA
runtime cannot be found.
"""

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest
import tensorflow as tf

from sparsezoo_tf.ops import loader

REPO = pathlib.Path(__file__).resolve().parents[2]
GPU_LIBRARY = REPO / "bazel-bin" / "custom_ops" / "_sparse_conv_ops.so"
OPS = ("SparseZoo>SparseConv2D", "SparseZoo>SparseConv2DBackpropInput",
       "SparseZoo>SparseConv2DBackpropFilter")


def _tail(text: str, lines: int = 60) -> str:
  return "\n".join(text.splitlines()[-lines:])


def _run(cmd, timeout, **kwargs):
  result = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True,
                          timeout=timeout, check=False, **kwargs)
  if result.returncode != 0:
    pytest.fail(f"{' '.join(map(str, cmd))} failed ({result.returncode}):\n"
                f"{_tail(result.stdout + result.stderr)}")
  return result.stdout


def _library_env():
  env = dict(os.environ, SPARSEZOO_OPS_LIBRARY=str(GPU_LIBRARY))
  env.pop(loader.FORCE_REFERENCE_ENV, None)
  return env


_LOAD_CHECK = r"""
import json
import numpy as np
import tensorflow as tf
from tensorflow.core.framework import types_pb2
from tensorflow.python.framework import kernels, op_def_registry
from sparsezoo_tf import ops

reason = ops.unavailable_reason()
out = {"reason": reason, "gpu": {}, "allowed": {}}
if reason is None:
  name = lambda t: types_pb2.DataType.Name(t)
  for op in %(ops)r:
    out["gpu"][op] = sorted(
        name(t) for k in kernels.get_registered_kernels_for_op(op).kernel
        if k.device_type == "GPU"
        for c in k.constraint if c.name == "T"
        for t in c.allowed_values.list.type)
    attr = [a for a in op_def_registry.get(op).attr if a.name == "T"][0]
    out["allowed"][op] = sorted(name(t) for t in attr.allowed_values.list.type)
  rng = np.random.default_rng(0)
  plan = ops.psconv_plan(3, 8, 6, 4)
  x = tf.constant(rng.standard_normal((2, 7, 9, 8)), tf.float32)
  w = tf.constant(rng.standard_normal(plan.num_weights), tf.float32)
  results = []
  for implementation in ("op", "reference"):
    with tf.GradientTape() as tape:
      tape.watch([x, w])
      y = ops.sparse_conv2d(x, w, plan, 2, "SAME",
                            implementation=implementation)
      loss = tf.reduce_sum(y * y)
    results.append([y] + tape.gradient(loss, [x, w]))
  out["max_error"] = max(float(np.max(np.abs(a - b)))
                         for a, b in zip(*results))
print("RESULT " + json.dumps(out))
""" % {"ops": OPS}


def _cuobjdump() -> str:
  home = os.environ.get("CUDA12_HOME") or str(REPO / "build" / "cuda12")
  path = os.path.join(home, "bin", "cuobjdump")
  if not os.path.exists(path):
    pytest.fail(f"no cuobjdump in the CUDA 12 toolkit ({path})")
  return path


@pytest.mark.slow
def test_gpu_build_links_cuda12_carries_each_arch_and_loads():
  if not (REPO / "Makefile").exists() or shutil.which("make") is None:
    pytest.skip("needs the source tree and make")
  _run(["make", "gpu-lib"], timeout=1800)

  assert loader.built_with_cuda(str(GPU_LIBRARY))
  dynamic = _run(["readelf", "-d", str(GPU_LIBRARY)], timeout=60)
  needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^]]+)\]", dynamic)
  assert "libcudart.so.12" in needed, needed
  assert not [n for n in needed if n.startswith("libcudart.so.")
              and n != "libcudart.so.12"], needed
  assert "libtensorflow_framework.so.2" in needed, needed

  listing = _run([_cuobjdump(), "-lelf", "-lptx", str(GPU_LIBRARY)],
                 timeout=120)
  cubins = set(re.findall(r"ELF file\s+\d+: \S+\.(sm_\d+)\.cubin", listing))
  ptx = set(re.findall(r"PTX file\s+\d+: \S+\.(sm_\d+)\.ptx", listing))
  assert cubins == {"sm_70", "sm_80", "sm_90"}, listing
  assert ptx == {"sm_90"}, listing

  output = _run([sys.executable, "-c", _LOAD_CHECK], timeout=300,
                env=_library_env())
  result = json.loads(output.split("RESULT ", 1)[1])
  assert result["reason"] is None, result["reason"]
  for op in OPS:
    assert result["gpu"][op], f"no GPU kernel for {op}"
    assert result["gpu"][op] == result["allowed"][op], (op, result)
  assert result["max_error"] < 1e-3, result

  # The op tests, with the GPU build in place of the CPU one.
  _run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
        "tests/ops"], timeout=1200, env=_library_env())



def _fake_library(tmp_path, soname: bytes) -> pathlib.Path:
  fake = tmp_path / "_sparse_conv_ops.so"
  fake.write_bytes(
      b"\x7fELF\x00libtensorflow_framework.so.2\x00" + soname + b"\x00..." +
      b"sparsezoo_tf:built_for_tensorflow=" + tf.version.VERSION.encode() +
      b";...")
  return fake


def test_gpu_build_without_its_cuda_runtime_says_what_to_install(
    fresh_loader, tmp_path):
  fresh_loader.setenv(loader.LIBRARY_ENV,
                      str(_fake_library(tmp_path, b"libcudart.so.99")))
  with pytest.warns(RuntimeWarning, match="needs libcudart.so.99"):
    assert loader.load_library() is None
  reason = loader.unavailable_reason()
  assert "CUDA 99 runtime" in reason and "make build" in reason, reason


def test_built_with_cuda_reads_the_library(tmp_path):
  assert loader.built_with_cuda(
      str(_fake_library(tmp_path, b"libcudart.so.12")))
  cpu_only = tmp_path / "cpu.so"
  cpu_only.write_bytes(b"\x7fELF\x00libtensorflow_framework.so.2\x00...")
  assert not loader.built_with_cuda(str(cpu_only))
  assert not loader.built_with_cuda(str(tmp_path / "missing.so"))


def test_cuda_runtime_soname_is_read_from_the_library():
  assert loader._cuda_runtime_needed(  # pylint: disable=protected-access
      b"\x00libc.so.6\x00libcudart.so.12\x00") == "libcudart.so.12"
  assert loader._cuda_runtime_needed(  # pylint: disable=protected-access
      b"\x00libtensorflow_framework.so.2\x00libc.so.6\x00") is None
