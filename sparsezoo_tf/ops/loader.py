"""Lazy, once-only loading of the op library, with a pure-TF fallback.

The library is `_sparse_conv_ops.so` next to this file (built by
`make build`), or the file named by $SPARSEZOO_OPS_LIBRARY. Setting
$SPARSEZOO_FORCE_REFERENCE to 1 makes every call use the pure-TF reference.
When the library is missing, fails to load, or was built against another
TensorFlow version, a warning says why (once) and the reference is used.

A GPU build (`make build-gpu`) needs the CUDA 12 runtime, libcudart.so.12.
Its RUNPATH finds the nvidia-cuda-runtime-cu12 wheel when the package is
installed in site-packages; otherwise (an editable install, another layout)
the loader loads that wheel's library first, or the system's; without any,
the reason says what to install.
"""

import ctypes
import importlib
import os
import re
import threading
import warnings
from typing import Optional

import tensorflow as tf

LIBRARY_ENV = "SPARSEZOO_OPS_LIBRARY"
FORCE_REFERENCE_ENV = "SPARSEZOO_FORCE_REFERENCE"
LIBRARY_NAME = "_sparse_conv_ops.so"

_lock = threading.Lock()
_state = {"attempted": False, "module": None, "reason": None}


def library_path() -> str:
  """Where the op library is looked for."""
  return os.environ.get(LIBRARY_ENV) or os.path.join(
      os.path.dirname(os.path.abspath(__file__)), LIBRARY_NAME)


def reference_forced() -> bool:
  """True when $SPARSEZOO_FORCE_REFERENCE asks for the pure-TF path."""
  value = os.environ.get(FORCE_REFERENCE_ENV, "").strip().lower()
  return value not in ("", "0", "false", "no")


_BUILD_INFO = re.compile(rb"sparsezoo_tf:built_for_tensorflow=([^;\x00]{1,64});")


def _built_for(path: str, data: Optional[bytes] = None) -> str:
  """The TensorFlow version the library was compiled against, read from the
  file without loading it (loading registers the ops)."""
  if data is None:
    with open(path, "rb") as f:
      data = f.read()
  match = _BUILD_INFO.search(data)
  if match is None:
    raise ValueError("it carries no sparsezoo_tf build information")
  return match.group(1).decode()


# The CUDA runtime a GPU build links (its soname, in the dynamic string table).
_CUDART = re.compile(rb"\x00(libcudart\.so\.[0-9]+)\x00")


def _cuda_runtime_needed(data: bytes) -> Optional[str]:
  """The soname of the CUDA runtime the library links, or None (CPU build)."""
  match = _CUDART.search(data)
  return match.group(1).decode() if match else None


def _cuda_runtime_candidates(soname: str):
  """Where to look for `soname`: the pip wheels' lib folders, then the
  dynamic linker's own search (LD_LIBRARY_PATH, ld.so.cache)."""
  major = soname.rsplit(".", 1)[-1]
  for package in (f"nvidia.cu{major}", "nvidia.cuda_runtime"):
    try:
      module = importlib.import_module(package)
    except ImportError:
      continue
    for folder in getattr(module, "__path__", []):
      candidate = os.path.join(folder, "lib", soname)
      if os.path.exists(candidate):
        yield candidate
  yield soname


def _load_cuda_runtime(soname: str) -> Optional[str]:
  """Makes `soname` loadable for the op library (the dynamic linker matches
  an already loaded library by soname). Returns None, or why it cannot."""
  try:  # Already in the process (TensorFlow's, or an earlier load)?
    ctypes.CDLL(soname, mode=os.RTLD_NOLOAD)
    return None
  except OSError:
    pass
  errors = []
  for candidate in _cuda_runtime_candidates(soname):
    try:
      ctypes.CDLL(candidate)
      return None
    except OSError as e:
      errors.append(str(e))
  major = soname.rsplit(".", 1)[-1]
  return (f"it has the CUDA kernels and needs {soname}, the CUDA {major} "
          f"runtime, which was not found: install it (`pip install -e "
          f"'.[gpu]'` in the project, or tensorflow[and-cuda]), or build the "
          f"CPU-only library with `make build` ({'; '.join(errors)})")


def _load(path: str):
  if not os.path.exists(path):
    return None, (f"{path} does not exist (run `make build` to build the op "
                  f"library)")
  try:
    with open(path, "rb") as f:
      data = f.read()
    built_for = _built_for(path, data)
  except (OSError, ValueError) as e:
    return None, f"{path} cannot be loaded: {e}"
  if built_for != tf.version.VERSION:
    return None, (f"{path} was built for TensorFlow {built_for}, this is "
                  f"{tf.version.VERSION}; rebuild it with `make build`")
  cuda_runtime = _cuda_runtime_needed(data)
  if cuda_runtime:
    missing = _load_cuda_runtime(cuda_runtime)
    if missing:
      return None, f"{path} cannot be loaded: {missing}"
  try:
    return tf.load_op_library(path), None
  except (tf.errors.NotFoundError, tf.errors.InvalidArgumentError,
          tf.errors.AlreadyExistsError, OSError) as e:
    return None, f"{path} cannot be loaded: {e}"


def load_library():
  """Returns the op module, or None (with a one-time warning) if unusable."""
  with _lock:
    if not _state["attempted"]:
      _state["attempted"] = True
      _state["module"], _state["reason"] = _load(library_path())
      if _state["module"] is None:
        warnings.warn(
            f"sparsezoo_tf: using the pure-TensorFlow reference path: "
            f"{_state['reason']}", RuntimeWarning, stacklevel=2)
    return _state["module"]


def unavailable_reason() -> Optional[str]:
  """Why the op cannot be used right now, or None if it can."""
  if reference_forced():
    return f"${FORCE_REFERENCE_ENV} is set"
  if load_library() is None:
    return _state["reason"]
  return None


def built_with_cuda(path: Optional[str] = None) -> bool:
  """True when the op library at `path` (default: library_path()) carries
  the CUDA kernels, i.e. was built with `make build-gpu`; False for a CPU
  build or a missing file. Reads the file; loads nothing."""
  path = path or library_path()
  try:
    with open(path, "rb") as f:
      return _cuda_runtime_needed(f.read()) is not None
  except OSError:
    return False


def op_available() -> bool:
  """True when calls with implementation="auto" run the custom op."""
  return unavailable_reason() is None
