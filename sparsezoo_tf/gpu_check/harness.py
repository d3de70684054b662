"""Checks and times the CUDA core on a GPU, without TensorFlow.

Correctness: every pattern family (and strides, VALID / SAME, channel
counts that fill no tile, an unstructured support) in float32, float16 and
bfloat16, forward and both gradients, against the masked dense convolution
in float64 (`torch.nn.functional.conv2d` when PyTorch is installed, NumPy
otherwise). Outputs are filled with NaN before each call, so an element the
kernels never write fails the check; weight gradients are computed twice
and must agree bitwise.

Speed: the op benchmark's shapes (paper 000 Table 9) at each batch, every
pass of the core against cuDNN's dense convolution of the same shape
(PyTorch; TF32 off on both sides; the faster of NHWC and NCHW), the two
taking turns within each of `repeats` runs, minimum over runs.
"""

import dataclasses
import datetime
import platform
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np

from sparsezoo_tf.gpu_check import binding
from sparsezoo_tf.gpu_check import reference
from sparsezoo_tf.ops import plan as plan_lib
from sparsezoo_tf import schemes
from sparsezoo_tf import timing

TABLE9_SHAPES = ("28x256x256", "14x512x512", "7x1024x1024")


@dataclasses.dataclass(frozen=True)
class Case:
  """One correctness case: a plan on an input shape with strides/padding."""
  pattern: str
  kernel_size: int
  in_channels: int
  out_channels: int
  input_hw: tuple = (9, 7)
  batch: int = 2
  strides: int = 1
  padding: str = "SAME"

  @property
  def name(self) -> str:
    h, w = self.input_hw
    return (f"{self.pattern} {self.kernel_size}x{self.kernel_size} "
            f"{self.batch}x{h}x{w}x{self.in_channels}->{self.out_channels} "
            f"s{self.strides} {self.padding}")

  def plan(self) -> plan_lib.SparseConvPlan:
    return make_plan(self.pattern, self.kernel_size, self.in_channels,
                     self.out_channels)


def make_plan(pattern: str, kernel_size: int, in_channels: int,
              out_channels: int) -> plan_lib.SparseConvPlan:
  """A plan by pattern name; "random" is an unstructured support (about a
  third of the weights, seed 0) that compiles into many small blocks."""
  if pattern == "random":
    rng = np.random.default_rng(0)
    support = rng.random((kernel_size, kernel_size, in_channels,
                          out_channels)) < 0.35
    return plan_lib.compile_plan(support)
  return schemes.plan_from_name(pattern, kernel_size, in_channels,
                              out_channels)


def correctness_cases() -> List[Case]:
  """Every pattern family, plus the geometries that stress the tiling."""
  cases = [Case(p, 3, 20, 36) for p in (
      "dense", "sw_sc", "cw_sc", "sc_comb", "seq_plus", "seq_cross",
      "psc4", "group4", "group2_shuffle", "random")]
  cases += [
      Case("cw_sc", 1, 40, 72), Case("group4_shuffle", 1, 32, 48),
      Case("sw_sc", 5, 12, 20), Case("psc2", 5, 16, 16),
      Case("sw_sc", 3, 20, 36, strides=2),
      Case("sw_sc", 3, 20, 36, strides=2, padding="VALID"),
      Case("cw_sc", 1, 40, 72, strides=2),
      Case("psc4", 3, 24, 40, input_hw=(8, 8), strides=2),
      # Several channel and pixel tiles, and weight-gradient slices.
      Case("sw_sc", 3, 160, 272, input_hw=(20, 20), batch=4),
      Case("cw_sc", 1, 328, 164, input_hw=(14, 14), batch=8),
      Case("psc4", 3, 256, 256, input_hw=(14, 14), batch=8),
      Case("group8_shuffle", 1, 256, 256, input_hw=(14, 14), batch=4),
  ]
  return cases


HALF_PATTERNS = ("sw_sc", "cw_sc", "psc4", "group4_shuffle", "random")


# ---------------------------------------------------------------------------
# Device arrays through PyTorch or CuPy.

class TorchBackend:
  """Device arrays and cuDNN through PyTorch."""
  name = "torch"

  def __init__(self):
    import torch  # pylint: disable=g-import-not-at-top
    if not torch.cuda.is_available():
      raise RuntimeError("PyTorch sees no CUDA device")
    self.torch = torch
    torch.backends.cudnn.benchmark = True
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    self._dtypes = {"float32": torch.float32, "float16": torch.float16,
                    "bfloat16": torch.bfloat16, "float64": torch.float64}

  def device_name(self) -> str:
    return self.torch.cuda.get_device_name()

  def array(self, values: np.ndarray, dtype: str):
    return self.torch.from_numpy(np.ascontiguousarray(values, np.float32)).to(
        device="cuda", dtype=self._dtypes[dtype])

  def full_nan(self, shape, dtype: str):
    return self.torch.full(tuple(shape), float("nan"), device="cuda",
                           dtype=self._dtypes[dtype])

  def empty_bytes(self, size: int):
    return self.torch.empty(max(size, 1), dtype=self.torch.uint8,
                            device="cuda")

  @staticmethod
  def pointer(array) -> int:
    return array.data_ptr()

  def stream(self) -> int:
    return self.torch.cuda.current_stream().cuda_stream

  def numpy(self, array) -> np.ndarray:
    return array.float().cpu().numpy()

  def synchronize(self) -> None:
    self.torch.cuda.synchronize()

  def time(self, fn: Callable[[], None], number: int) -> float:
    """Seconds per call of `fn` over `number` calls, by CUDA events."""
    start = self.torch.cuda.Event(enable_timing=True)
    end = self.torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(number):
      fn()
    end.record()
    end.synchronize()
    return start.elapsed_time(end) / 1e3 / number

  def reference(self, x, packed, plan, g, dy):
    """Masked dense conv2d in float64 with autograd: y, dx, packed dw."""
    torch = self.torch
    f = torch.nn.functional
    x64 = torch.from_numpy(np.asarray(x, np.float64)).cuda().permute(
        0, 3, 1, 2).requires_grad_(True)
    dense = torch.from_numpy(plan.unpack(np.asarray(packed, np.float64)))
    w64 = dense.cuda().permute(3, 2, 0, 1).contiguous().requires_grad_(True)
    y = f.conv2d(f.pad(x64, (g.pad_left, g.pad_right, g.pad_top,
                             g.pad_bottom)), w64,
                 stride=(g.stride_rows, g.stride_cols))
    dy64 = torch.from_numpy(np.asarray(dy, np.float64)).cuda().permute(
        0, 3, 1, 2)
    y.backward(dy64)
    dw_dense = w64.grad.permute(2, 3, 1, 0).cpu().numpy()
    return (y.detach().permute(0, 2, 3, 1).cpu().numpy(),
            x64.grad.permute(0, 2, 3, 1).cpu().numpy(),
            dw_dense.reshape(-1)[plan.packed_index])

  def cudnn_passes(self, shape, out_channels: int, kernel_size: int,
                   dtype: str):
    """Dense cuDNN forward, input and weight gradient for NHWC input
    `shape` and `out_channels` outputs, stride 1, SAME; in NHWC
    (channels_last) and NCHW layouts."""
    torch = self.torch
    n, h, w, c = shape
    k_out = out_channels
    k = kernel_size
    t = self._dtypes[dtype]
    pad = k // 2
    out = {}
    for layout in ("nhwc", "nchw"):
      fmt = (torch.channels_last if layout == "nhwc" else
             torch.contiguous_format)
      x = torch.randn(n, c, h, w, device="cuda", dtype=t).contiguous(
          memory_format=fmt)
      weight = (torch.randn(k_out, c, k, k, device="cuda", dtype=t) * 0.05
                ).contiguous(memory_format=fmt)
      dy = torch.randn(n, k_out, h, w, device="cuda", dtype=t).contiguous(
          memory_format=fmt)
      conv = torch.nn.functional.conv2d
      backward = torch.ops.aten.convolution_backward
      out[layout] = {
          "fwd": lambda x=x, weight=weight: conv(x, weight, padding=pad),
          "dx": lambda x=x, weight=weight, dy=dy: backward(
              dy, x, weight, None, [1, 1], [pad, pad], [1, 1], False, [0, 0],
              1, [True, False, False]),
          "dw": lambda x=x, weight=weight, dy=dy: backward(
              dy, x, weight, None, [1, 1], [pad, pad], [1, 1], False, [0, 0],
              1, [False, True, False]),
      }
    return out


class CupyBackend:
  """Device arrays through CuPy (no cuDNN timings; NumPy reference).
  bfloat16 travels as its uint16 bit patterns."""
  name = "cupy"

  def __init__(self):
    import cupy  # pylint: disable=g-import-not-at-top
    try:
      count = cupy.cuda.runtime.getDeviceCount()
    except cupy.cuda.runtime.CUDARuntimeError as e:
      raise RuntimeError(f"CuPy finds no usable GPU or driver ({e})") from None
    if count < 1:
      raise RuntimeError("CuPy sees no CUDA device")
    self.cp = cupy

  def device_name(self) -> str:
    props = self.cp.cuda.runtime.getDeviceProperties(0)
    return props["name"].decode()

  def array(self, values: np.ndarray, dtype: str):
    values = np.ascontiguousarray(values, np.float32)
    if dtype == "bfloat16":
      return self.cp.asarray(reference.to_bfloat16_bits(values))
    return self.cp.asarray(values.astype(dtype))

  def full_nan(self, shape, dtype: str):
    if dtype == "bfloat16":
      return self.cp.full(tuple(shape), 0x7FC0, dtype=self.cp.uint16)
    return self.cp.full(tuple(shape), np.nan, dtype=dtype)

  def empty_bytes(self, size: int):
    return self.cp.empty(max(size, 1), dtype=self.cp.uint8)

  @staticmethod
  def pointer(array) -> int:
    return array.data.ptr

  def stream(self) -> int:
    return self.cp.cuda.get_current_stream().ptr

  def numpy(self, array) -> np.ndarray:
    values = self.cp.asnumpy(array)
    if values.dtype == np.uint16:
      return reference.from_bfloat16_bits(values)
    return values.astype(np.float32)

  def synchronize(self) -> None:
    self.cp.cuda.Device().synchronize()

  def time(self, fn: Callable[[], None], number: int) -> float:
    start, end = self.cp.cuda.Event(), self.cp.cuda.Event()
    start.record()
    for _ in range(number):
      fn()
    end.record()
    end.synchronize()
    return self.cp.cuda.get_elapsed_time(start, end) / 1e3 / number

  def reference(self, x, packed, plan, g, dy):
    return reference.masked_dense_conv(x, packed, plan, g, dy)

  def cudnn_passes(self, shape, out_channels, kernel_size, dtype):
    del shape, out_channels, kernel_size, dtype
    return None


def make_backend(name: str = "auto"):
  """PyTorch if installed (and name allows), else CuPy."""
  errors = []
  for candidate in (("torch", "cupy") if name == "auto" else (name,)):
    try:
      return TorchBackend() if candidate == "torch" else CupyBackend()
    except (ImportError, RuntimeError) as e:
      errors.append(f"{candidate}: {e}")
  raise RuntimeError("no usable GPU array library: " + "; ".join(errors))


# ---------------------------------------------------------------------------
# The core on device arrays.

class CoreRunner:
  """A plan uploaded through the core, run on a backend's arrays."""

  def __init__(self, core: binding.CoreLibrary, backend, plan,
               math: str = "default"):
    self.backend = backend
    self.plan = plan
    self.device_plan = binding.DevicePlan(core, plan)
    self.device_plan.set_math(math)
    self.tables = backend.empty_bytes(self.device_plan.device_bytes)
    self.device_plan.upload(backend.pointer(self.tables),
                            self.device_plan.device_bytes, backend.stream())
    self.workspaces = {}

  def forward(self, g, dtype, x, w, y):
    p = self.backend.pointer
    self.device_plan.forward(g, dtype, p(x), p(w), p(y),
                             self.backend.stream())

  def backprop_input(self, g, dtype, dy, w, dx):
    p = self.backend.pointer
    self.device_plan.backprop_input(g, dtype, p(dy), p(w), p(dx),
                                    self.backend.stream())

  def backprop_filter(self, g, dtype, x, dy, dw):
    size = self.device_plan.filter_workspace_bytes(g)
    if size and self.workspaces.get(g) is None:
      self.workspaces[g] = self.backend.empty_bytes(size)
    workspace = self.backend.pointer(self.workspaces[g]) if size else None
    p = self.backend.pointer
    self.device_plan.backprop_filter(g, dtype, p(x), p(dy), p(dw), workspace,
                                     size, self.backend.stream())


def check_case(core, backend, case: Case, dtype: str,
               rng: np.random.Generator, math: str = "default"
               ) -> Dict[str, object]:
  """Runs one case; returns its errors and whether each is within the
  tolerance of `dtype`."""
  plan = case.plan()
  h, w = case.input_hw
  g = binding.Geometry.of((case.batch, h, w, case.in_channels), plan,
                          case.strides, case.padding)
  x = reference.round_to(rng.standard_normal(g.input_shape), dtype)
  packed = reference.round_to(
      rng.standard_normal(plan.num_weights) / np.sqrt(
          max(1.0, plan.num_weights / plan.out_channels)), dtype)
  dy = reference.round_to(rng.standard_normal(g.output_shape), dtype)
  expected = backend.reference(x, packed, plan, g, dy)

  runner = CoreRunner(core, backend, plan, math)
  x_arr, w_arr, dy_arr = (backend.array(v, dtype) for v in (x, packed, dy))
  y = backend.full_nan(g.output_shape, dtype)
  dx = backend.full_nan(g.input_shape, dtype)
  dw = backend.full_nan((plan.num_weights,), dtype)
  dw_again = backend.full_nan((plan.num_weights,), dtype)
  runner.forward(g, dtype, x_arr, w_arr, y)
  runner.backprop_input(g, dtype, dy_arr, w_arr, dx)
  runner.backprop_filter(g, dtype, x_arr, dy_arr, dw)
  runner.backprop_filter(g, dtype, x_arr, dy_arr, dw_again)
  backend.synchronize()
  actual = [backend.numpy(v) for v in (y, dx, dw)]
  tolerance = reference.TOLERANCES[dtype]
  row = {"case": case.name, "dtype": dtype, "math": math,
         "blocks": len(plan.blocks),
         "density": round(plan.density, 4), "tolerance": tolerance}
  for name, a, e in zip(("fwd", "dx", "dw"), actual, expected):
    row[f"{name} error"] = reference.relative_error(a, e)
  row["dw bitwise repeatable"] = bool(np.array_equal(
      backend.numpy(dw_again), actual[2], equal_nan=True))
  row["passed"] = bool(row["dw bitwise repeatable"] and all(
      row[f"{n} error"] <= tolerance for n in ("fwd", "dx", "dw")))
  return row


def check_errors(core, backend) -> List[Dict[str, object]]:
  """Bad calls must come back as SZ_INVALID_ARGUMENT with a message."""
  plan = schemes.plan_from_name("sw_sc", 3, 8, 8)
  runner = CoreRunner(core, backend, plan)
  g = binding.Geometry.of((1, 5, 5, 8), plan, 1, "SAME")
  wrong = dataclasses.replace(g, in_channels=9)
  x = backend.array(np.zeros(g.input_shape), "float32")
  rows = []
  for name, call in (
      ("channels differ from the plan",
       lambda: runner.device_plan.forward(wrong, "float32", 1, 1, 1)),
      ("null input",
       lambda: runner.device_plan.forward(g, "float32", 0, 1, 1)),
      ("workspace too small",
       lambda: runner.device_plan.backprop_filter(
           dataclasses.replace(g, batch=64, in_rows=64, in_cols=64,
                               out_rows=64, out_cols=64),
           "float32", backend.pointer(x), backend.pointer(x),
           backend.pointer(x), None, 0))):
    try:
      call()
      rows.append({"case": name, "passed": False, "message": "no error"})
    except binding.CoreError as e:
      rows.append({"case": name,
                   "passed": e.status == binding.INVALID_ARGUMENT,
                   "message": str(e)})
  return rows


# ---------------------------------------------------------------------------
# Timing.

def parse_shape(shape: str):
  """"28x256x512" -> (rows = cols = 28, in 256, out 512)."""
  try:
    size, c, n = (int(v) for v in shape.split("x"))
  except ValueError:
    raise ValueError(f"shape must be SIZExINxOUT, e.g. 28x256x256, got "
                     f"{shape!r}") from None
  if min(size, c, n) < 1:
    raise ValueError(f"shape sizes must be positive, got {shape!r}")
  return size, c, n


def time_interleaved(backend, fns: Dict[str, Callable[[], None]],
                     repeats: int, number: int) -> Dict[str, float]:
  """Minimum over `repeats` runs of the seconds per call of each function,
  the functions taking turns within each run."""
  for fn in fns.values():
    fn()
  backend.synchronize()
  return timing.interleaved_minimum(fns, repeats,
                                    lambda fn: backend.time(fn, number))


def time_case(core, backend, shape: str, batch: int, pattern: str,
              dtypes: Sequence[str], maths: Sequence[str], repeats: int,
              number: int, kernel_size: int = 3) -> List[Dict[str, object]]:
  """Rows of one shape and pattern: each pass of the core and of cuDNN's
  dense convolution, and their ratio."""
  size, c, n = parse_shape(shape)
  plan = make_plan(pattern, kernel_size, c, n)
  g = binding.Geometry.of((batch, size, size, c), plan, 1, "SAME")
  rng = np.random.default_rng(0)
  runners = {math: CoreRunner(core, backend, plan, math) for math in maths}
  rows = []
  for dtype in dtypes:
    x = backend.array(rng.standard_normal(g.input_shape), dtype)
    w = backend.array(rng.standard_normal(plan.num_weights) * 0.05, dtype)
    dy = backend.array(rng.standard_normal(g.output_shape), dtype)
    y = backend.full_nan(g.output_shape, dtype)
    dx = backend.full_nan(g.input_shape, dtype)
    dw = backend.full_nan((plan.num_weights,), dtype)
    dense = backend.cudnn_passes(g.input_shape, n, kernel_size, dtype)
    for name in ("fwd", "dx", "dw"):
      # Weight gradients run on CUDA cores in every math mode.
      for math in (maths if name != "dw" else maths[:1]):
        r = runners[math]
        fns = {"ours": {
            "fwd": lambda r=r: r.forward(g, dtype, x, w, y),
            "dx": lambda r=r: r.backprop_input(g, dtype, dy, w, dx),
            "dw": lambda r=r: r.backprop_filter(g, dtype, x, dy, dw),
        }[name]}
        if dense is not None:
          fns.update({layout: passes[name]
                      for layout, passes in dense.items()})
        times = time_interleaved(backend, fns, repeats, number)
        row = {"shape": f"{batch}x{size}x{size}x{c} -> {n}", "batch": batch,
               "pattern": pattern, "density": round(plan.density, 4),
               "dtype": dtype, "pass": name,
               "math": math if name != "dw" else "cuda_cores",
               "ms": times["ours"] * 1e3,
               "gflops": 2 * plan.num_weights * g.batch * g.out_rows *
                         g.out_cols / times["ours"] / 1e9}
        if dense is not None:
          layout = min(dense, key=lambda key: times[key])
          row.update({"cudnn ms": times[layout] * 1e3,
                      "cudnn layout": layout,
                      "ratio": times["ours"] / times[layout]})
        rows.append(row)
  return rows


# ---------------------------------------------------------------------------
# Reports.

def to_markdown(report: Dict[str, object]) -> str:
  """The BENCHMARKS.md section of a report."""
  settings = report["settings"]
  lines = [
      "# CUDA core: speed relative to cuDNN dense convolution",
      "",
      f"Generated by `tools/gpu_check.py` on {report['date']}: "
      f"{report['device']}, {report['backend']} {report['backend_version']}, "
      f"nvcc {report['nvcc']}; 3x3 kernels, stride 1, SAME padding. Times "
      f"are the minimum over {settings['repeats']} runs of "
      f"{settings['number']} calls (CUDA events), the core and cuDNN taking "
      "turns within each run; the ratio divides by cuDNN's dense "
      "convolution of the same shape and data type (the faster of NHWC and "
      "NCHW) measured in the same run, TF32 off on both sides (lower is "
      "faster; the ideal forward ratio at equal efficiency is the density). "
      "GFLOP/s counts the multiply-adds of the weights that exist. Math: "
      "`cuda_cores` multiplies with float32 FMA units, `tensor_cores` with "
      "tensor cores (float32 as 3xTF32: float32 accuracy); by default the "
      "op runs float16 / bfloat16 on tensor cores and float32 on CUDA "
      "cores. Weight gradients always run on CUDA cores.",
      "",
      f"Correctness: {report['checks_passed']} of {report['checks_run']} "
      "checks passed (forward and both gradients against the masked dense "
      "convolution in float64; float32, float16, bfloat16; weight gradients "
      "bitwise repeatable).",
      "",
      "| shape | pattern | density | dtype | pass | math | core ms | "
      "cuDNN ms | ratio | core GFLOP/s |",
      "|---|---|---|---|---|---|---|---|---|---|",
  ]
  for row in report["timings"]:
    lines.append(
        f"| {row['shape']} | {row['pattern']} | {row['density']:.3f} | "
        f"{row['dtype']} | {row['pass']} | {row['math']} | {row['ms']:.3f} | "
        + (f"{row['cudnn ms']:.3f} ({row['cudnn layout']}) | "
           f"{row['ratio']:.3f}" if "ratio" in row else "n/a | n/a")
        + f" | {row['gflops']:.0f} |")
  lines += ["", "Target (issue 17): SW-SC float32 forward <= 0.75 x cuDNN at "
            "28x28x256 and 14x14x512, batch 64.", ""]
  for row in report["timings"]:
    if (row["pattern"] == "sw_sc" and row["dtype"] == "float32" and
        row["pass"] == "fwd" and row["batch"] == 64 and
        row["shape"].split("x")[1] in ("28", "14") and "ratio" in row):
      lines.append(f"- {row['shape']}, {row['math']}: "
                   f"{row['ratio']:.3f} "
                   f"({'met' if row['ratio'] <= 0.75 else '**not met**'})")
  failed = [r for r in report["checks"] if not r["passed"]]
  if failed:
    lines += ["", "Failed checks:", ""]
    lines += [f"- {r['case']} ({r.get('dtype', '')}, {r.get('math', '')}): "
              + ", ".join(f"{k} {v:.2e}" for k, v in r.items()
                          if k.endswith("error"))
              + (f" {r['message']}" if "message" in r else "")
              for r in failed]
  return "\n".join(lines) + "\n"


def nvcc_version(nvcc: str = "nvcc") -> str:
  import subprocess  # pylint: disable=g-import-not-at-top
  try:
    out = subprocess.run([nvcc, "--version"], capture_output=True, text=True,
                         check=False).stdout
  except OSError:
    return "unknown"
  for line in out.splitlines():
    if "release" in line:
      return line.split("release", 1)[1].split(",")[0].strip()
  return "unknown"


def run(core, backend, shapes: Sequence[str], batches: Sequence[int],
        patterns_to_time: Sequence[str], timing_dtypes: Sequence[str],
        repeats: int, number: int,
        maths: Sequence[str] = ("cuda_cores", "tensor_cores"),
        check: bool = True,
        report_row: Optional[Callable[[dict], None]] = None,
        nvcc: str = "nvcc",
        save: Optional[Callable[[dict], None]] = None) -> Dict[str, object]:
  """Checks, then times; returns the report (JSON-serializable). `save`
  sees the report so far after every row."""
  rng = np.random.default_rng(0)
  checks, timings = [], []
  nvcc_release = nvcc_version(nvcc)
  version = "unknown"
  if backend.name == "torch":
    version = backend.torch.__version__
  elif backend.name == "cupy":
    version = backend.cp.__version__

  def report():
    return {
        "date": datetime.date.today().isoformat(),
        "device": backend.device_name(),
        "host": platform.node(),
        "backend": backend.name,
        "backend_version": version,
        "nvcc": nvcc_release,
        "library": core.path,
        "settings": {"repeats": repeats, "number": number,
                     "shapes": list(shapes), "batches": list(batches),
                     "patterns": list(patterns_to_time),
                     "dtypes": list(timing_dtypes), "maths": list(maths)},
        "checks_run": len(checks),
        "checks_passed": sum(bool(r["passed"]) for r in checks),
        "checks": checks,
        "timings": timings,
    }

  def show(row):
    if report_row:
      report_row(row)
    if save:
      save(report())

  if check:
    for case in correctness_cases():
      dtypes = ["float32"]
      if case.pattern in HALF_PATTERNS:
        dtypes += ["float16", "bfloat16"]
      for dtype in dtypes:
        for math in binding.MATH:
          checks.append(check_case(core, backend, case, dtype, rng, math))
          show(checks[-1])
    for row in check_errors(core, backend):
      checks.append(row)
      show(row)
  for shape in shapes:
    for batch in batches:
      for pattern in patterns_to_time:
        for row in time_case(core, backend, shape, batch, pattern,
                             timing_dtypes, maths, repeats, number):
          timings.append(row)
          show(row)
  return report()

