"""ctypes binding of the CUDA core's C interface (sparse_conv_cuda.h).

`build_library` compiles the core alone with nvcc; `CoreLibrary` loads it;
`DevicePlan` owns one plan's host object and its device tables. Pointers are
plain integers (a framework's `data_ptr()`), streams too (0: the default
stream).
"""

import ctypes
import dataclasses
import os
import shutil
import subprocess
from typing import Optional, Sequence, Tuple

import numpy as np

from sparsezoo_tf.ops import plan as plan_lib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
SOURCE = os.path.join(ROOT, "custom_ops", "cc", "kernels", "cuda",
                      "sparse_conv_cuda.cu")
ABI_VERSION = 1

OK, INVALID_ARGUMENT, CUDA_ERROR, OUT_OF_MEMORY = range(4)
DTYPES = {"float32": 0, "float16": 1, "bfloat16": 2}
# SzMath of forward and input gradient: "default" (half types on tensor
# cores, float32 on CUDA cores), "cuda_cores", "tensor_cores" (float32 as
# 3xTF32). Tensor cores need compute capability 8.0.
MATH = {"default": 0, "cuda_cores": 1, "tensor_cores": 2}


class CoreError(RuntimeError):
  """A call into the CUDA core failed; `status` is its SzStatus code."""

  def __init__(self, status: int, message: str):
    super().__init__(message)
    self.status = status


class SzGeometry(ctypes.Structure):
  _fields_ = [(name, ctypes.c_int64) for name in (
      "batch", "in_rows", "in_cols", "in_channels", "out_rows", "out_cols",
      "out_channels")] + [(name, ctypes.c_int) for name in (
          "kernel_rows", "kernel_cols", "stride_rows", "stride_cols",
          "pad_top", "pad_left")]


class SzBlock(ctypes.Structure):
  _fields_ = [(name, ctypes.c_int) for name in (
      "tap_y", "tap_x", "in_start", "in_size", "out_start", "out_size",
      "weight_ld")] + [("weight_offset", ctypes.c_int64)]


@dataclasses.dataclass(frozen=True)
class Geometry:
  """A convolution's sizes with TensorFlow's SAME / VALID output size and
  padding (the rules of the op's ComputeGeometry)."""
  batch: int
  in_rows: int
  in_cols: int
  in_channels: int
  out_rows: int
  out_cols: int
  out_channels: int
  kernel_rows: int
  kernel_cols: int
  stride_rows: int
  stride_cols: int
  pad_top: int
  pad_left: int
  pad_bottom: int
  pad_right: int

  @classmethod
  def of(cls, input_shape: Sequence[int], plan: plan_lib.SparseConvPlan,
         strides, padding: str) -> "Geometry":
    batch, rows, cols, channels = (int(v) for v in input_shape)
    if channels != plan.in_channels:
      raise ValueError(f"the input has {channels} channels, the plan "
                       f"{plan.in_channels}")
    if padding not in ("SAME", "VALID"):
      raise ValueError(f"padding must be SAME or VALID, got {padding!r}")
    sh, sw = (strides, strides) if isinstance(strides, int) else strides
    kh, kw = plan.kernel_size

    def one(size, k, s):
      if padding == "VALID":
        out = (size - k) // s + 1 if size >= k else 0
        return out, 0, 0
      out = -(-size // s)
      total = max((out - 1) * s + k - size, 0)
      return out, total // 2, total - total // 2

    out_rows, top, bottom = one(rows, kh, sh)
    out_cols, left, right = one(cols, kw, sw)
    if out_rows < 1 or out_cols < 1:
      raise ValueError(f"the {kh}x{kw} kernel does not fit the {rows}x{cols} "
                       f"input with {padding} padding")
    return cls(batch, rows, cols, channels, out_rows, out_cols,
               plan.out_channels, kh, kw, sh, sw, top, left, bottom, right)

  @property
  def input_shape(self) -> Tuple[int, int, int, int]:
    return (self.batch, self.in_rows, self.in_cols, self.in_channels)

  @property
  def output_shape(self) -> Tuple[int, int, int, int]:
    return (self.batch, self.out_rows, self.out_cols, self.out_channels)

  def to_c(self) -> SzGeometry:
    return SzGeometry(*(getattr(self, name) for name, _ in SzGeometry._fields_))


def plan_blocks(plan: plan_lib.SparseConvPlan) -> np.ndarray:
  """The plan's blocks with their packed-weight places, as SzBlock records
  (the same offsets as the op's BuildPlan)."""
  records = (SzBlock * max(len(plan.blocks), 1))()
  for group in plan.groups:
    column = 0
    for b in group.block_ids:
      ty, tx, i0, ni, o0, no = (int(v) for v in plan.blocks[b])
      records[b] = SzBlock(ty, tx, i0, ni, o0, no, group.columns,
                           group.offset + column)
      column += no
  return records


def nvcc_command(output: str, arch: str = "native", nvcc: str = "nvcc",
                 defines: Sequence[str] = ()) -> list:
  """The standalone build of the core: one shared library, CUDA runtime
  linked statically (nvcc's default), no TensorFlow."""
  return [nvcc, "-std=c++17", "-O3", "--expt-relaxed-constexpr",
          "-Xcompiler", "-fPIC", "-shared", f"-arch={arch}", f"-I{ROOT}",
          *(f"-D{d}" for d in defines), "-o", output, SOURCE]


def build_library(output: str, arch: str = "native", nvcc: str = "nvcc",
                  defines: Sequence[str] = ()) -> str:
  """Compiles the core into `output` (written to a temporary name first).

  Raises:
    RuntimeError: nvcc is missing or the compilation failed (with its
      output).
  """
  if shutil.which(nvcc) is None:
    raise RuntimeError(f"{nvcc!r} not found: install the CUDA toolkit or "
                       f"pass --nvcc")
  os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
  temporary = f"{output}.tmp-{os.getpid()}"
  command = nvcc_command(temporary, arch, nvcc, defines)
  result = subprocess.run(command, capture_output=True, text=True,
                          check=False)
  if result.returncode != 0:
    if os.path.exists(temporary):
      os.remove(temporary)
    raise RuntimeError("nvcc failed:\n" + " ".join(command) + "\n" +
                       result.stdout + result.stderr)
  os.replace(temporary, output)
  return output


class CoreLibrary:
  """The loaded core library."""

  def __init__(self, path: str):
    self.path = path
    lib = ctypes.CDLL(os.path.abspath(path))
    p, i, i64, sz = (ctypes.c_void_p, ctypes.c_int, ctypes.c_int64,
                     ctypes.c_size_t)
    lib.sz_abi_version.restype = i
    lib.sz_last_error.restype = ctypes.c_char_p
    lib.sz_plan_create.argtypes = [
        ctypes.POINTER(SzBlock), i, ctypes.POINTER(ctypes.c_int32), i64,
        ctypes.POINTER(ctypes.c_int32), i64, i, i, i64, ctypes.POINTER(p)]
    lib.sz_plan_device_bytes.argtypes = [p]
    lib.sz_plan_device_bytes.restype = sz
    lib.sz_plan_upload.argtypes = [p, p, sz, p]
    lib.sz_plan_destroy.argtypes = [p]
    lib.sz_plan_destroy.restype = None
    lib.sz_plan_set_math.argtypes = [p, i]
    geometry = ctypes.POINTER(SzGeometry)
    lib.sz_forward.argtypes = [p, geometry, i, p, p, p, p]
    lib.sz_backprop_input.argtypes = [p, geometry, i, p, p, p, p]
    lib.sz_backprop_filter_workspace_bytes.argtypes = [p, geometry]
    lib.sz_backprop_filter_workspace_bytes.restype = sz
    lib.sz_backprop_filter.argtypes = [p, geometry, i, p, p, p, p, sz, p]
    for name in ("sz_plan_create", "sz_plan_upload", "sz_plan_set_math",
                 "sz_forward",
                 "sz_backprop_input", "sz_backprop_filter"):
      getattr(lib, name).restype = i
    if lib.sz_abi_version() != ABI_VERSION:
      raise RuntimeError(f"{path} has ABI version {lib.sz_abi_version()}, "
                         f"this binding expects {ABI_VERSION}; rebuild it")
    self.lib = lib

  def check(self, status: int, what: str) -> None:
    if status != OK:
      raise CoreError(status, f"{what}: {self.lib.sz_last_error().decode()}")


class DevicePlan:
  """A plan created in the core; `upload` puts its tables on the device."""

  def __init__(self, core: CoreLibrary, plan: plan_lib.SparseConvPlan):
    self.core = core
    self.plan = plan
    blocks = plan_blocks(plan)
    in_perm = np.ascontiguousarray(plan.in_perm, np.int32)
    out_perm = np.ascontiguousarray(plan.out_perm, np.int32)
    handle = ctypes.c_void_p()
    int_ptr = ctypes.POINTER(ctypes.c_int32)
    core.check(core.lib.sz_plan_create(
        blocks, len(plan.blocks), in_perm.ctypes.data_as(int_ptr),
        plan.in_channels, out_perm.ctypes.data_as(int_ptr),
        plan.out_channels, plan.kernel_size[0], plan.kernel_size[1],
        plan.num_weights, ctypes.byref(handle)), "sz_plan_create")
    self.handle = handle

  @property
  def device_bytes(self) -> int:
    return self.core.lib.sz_plan_device_bytes(self.handle)

  def upload(self, device_pointer: int, size: int, stream: int = 0) -> None:
    self.core.check(self.core.lib.sz_plan_upload(
        self.handle, device_pointer, size, stream), "sz_plan_upload")

  def set_math(self, math: str) -> None:
    """One of MATH: "default", "cuda_cores" or "tensor_cores"."""
    if math not in MATH:
      raise ValueError(f"math must be one of {sorted(MATH)}, got {math!r}")
    self.core.check(self.core.lib.sz_plan_set_math(self.handle, MATH[math]),
                    "sz_plan_set_math")

  def close(self) -> None:
    if self.handle:
      self.core.lib.sz_plan_destroy(self.handle)
      self.handle = ctypes.c_void_p()

  def __del__(self):
    self.close()

  def forward(self, geometry: Geometry, dtype: str, x: int, w: int, y: int,
              stream: int = 0) -> None:
    g = geometry.to_c()
    self.core.check(self.core.lib.sz_forward(
        self.handle, ctypes.byref(g), DTYPES[dtype], x, w, y, stream),
                    "sz_forward")

  def backprop_input(self, geometry: Geometry, dtype: str, dy: int, w: int,
                     dx: int, stream: int = 0) -> None:
    g = geometry.to_c()
    self.core.check(self.core.lib.sz_backprop_input(
        self.handle, ctypes.byref(g), DTYPES[dtype], dy, w, dx, stream),
                    "sz_backprop_input")

  def filter_workspace_bytes(self, geometry: Geometry) -> int:
    g = geometry.to_c()
    return self.core.lib.sz_backprop_filter_workspace_bytes(
        self.handle, ctypes.byref(g))

  def backprop_filter(self, geometry: Geometry, dtype: str, x: int, dy: int,
                      dw: int, workspace: Optional[int], workspace_bytes: int,
                      stream: int = 0) -> None:
    g = geometry.to_c()
    self.core.check(self.core.lib.sz_backprop_filter(
        self.handle, ctypes.byref(g), DTYPES[dtype], x, dy, dw,
        workspace or None, workspace_bytes, stream), "sz_backprop_filter")
