"""Timing of the sparse convolution against dense convolution, in one run.

Used by tools/benchmark_ops.py and tools/demo.py. Times are the minimum over
several runs; ratios divide by the dense time measured in the same run, so
that a noisy, shared machine still gives comparable numbers.
"""

import dataclasses
import datetime
import os
import platform
import time
from typing import Callable, Dict, List, Sequence

import numpy as np
import tensorflow as tf

from sparsezoo_tf.ops import loader
from sparsezoo_tf.ops import plans
from sparsezoo_tf.ops import sparse_conv
from sparsezoo_tf import timing
from sparsezoo_tf.reports import write_markdown_section  # noqa: F401

# Paper 000 Table 9 shapes (rows x cols, in, out channels), 3x3, stride 1.
TABLE9_SHAPES = ("28x256x256", "14x512x512", "7x1024x1024")


@dataclasses.dataclass
class BenchmarkSettings:
  batch: int = 8
  kernel_size: int = 3
  repeats: int = 7
  number: int = 3


def time_interleaved(fns: Dict[str, Callable[[], tf.Tensor]], repeats: int,
                     number: int) -> Dict[str, float]:
  """Minimum over `repeats` of the mean time of `number` calls, in seconds,
  for every function. The functions take turns within each repeat, so a
  change in machine load affects them alike."""
  for fn in fns.values():  # trace and warm up
    fn().numpy()
    fn().numpy()

  def seconds_per_call(fn):
    start = time.perf_counter()
    for _ in range(number):
      result = fn()
    result.numpy()
    return (time.perf_counter() - start) / number

  return timing.interleaved_minimum(fns, repeats, seconds_per_call)


def _forward(conv, x, w):

  @tf.function
  def run():
    return tf.reduce_sum(conv(x, w)[0, 0, 0])

  return run


def _forward_backward(conv, x, w):

  @tf.function
  def run():
    with tf.GradientTape() as tape:
      tape.watch([x, w])
      loss = tf.reduce_sum(conv(x, w))
    dx, dw = tape.gradient(loss, [x, w])
    return tf.reduce_sum(dx[0, 0, 0]) + tf.reduce_sum(dw[:1])

  return run


def parse_shape(shape: str):
  """"28x256x512" -> (rows = cols = 28, in 256, out 512)."""
  try:
    size, c, n = (int(v) for v in shape.split("x"))
  except ValueError:
    raise ValueError(f"shape must be SIZExINxOUT, e.g. 28x256x256, got "
                     f"{shape!r}") from None
  return size, c, n


def benchmark_case(shape: str, pattern: str, settings: BenchmarkSettings,
                   rng: np.random.Generator) -> Dict[str, object]:
  """Times dense, reference and (if usable) op, forward and forward+backward.

  Returns a row: dense times in ms, the others as ratios to dense.
  """
  size, c, n = parse_shape(shape)
  k = settings.kernel_size
  plan = plans.plan_from_name(pattern, k, c, n)
  x = tf.constant(rng.standard_normal((settings.batch, size, size, c)),
                  tf.float32)
  dense_w = tf.constant(rng.standard_normal((k, k, c, n)) * 0.05, tf.float32)
  packed_w = tf.constant(plan.pack(dense_w.numpy()))

  def dense(x, w):
    return tf.nn.conv2d(x, w, 1, "SAME")

  def sparse(implementation):
    return lambda x, w: sparse_conv.sparse_conv2d(
        x, w, plan, 1, "SAME", implementation=implementation)

  row = {"shape": f"{settings.batch}x{size}x{size}x{c} -> {n}",
         "pattern": pattern, "density": plan.density}
  impls = {"reference": sparse("reference")}
  if loader.op_available():
    impls["op"] = sparse("op")
  for mode, builder in (("fwd", _forward), ("fwd+bwd", _forward_backward)):
    fns = {"dense": builder(dense, x, dense_w)}
    fns.update({name: builder(conv, x, packed_w)
                for name, conv in impls.items()})
    times = time_interleaved(fns, settings.repeats, settings.number)
    row[f"dense {mode} ms"] = times["dense"] * 1e3
    for name in impls:
      row[f"{name} {mode}"] = times[name] / times["dense"]
  return row


def run_benchmark(shapes: Sequence[str], patterns: Sequence[str],
                  settings: BenchmarkSettings,
                  report: Callable[[dict], None] = None) -> List[dict]:
  """Runs every (shape, pattern) case; `report` sees each row when done."""
  rng = np.random.default_rng(0)
  rows = []
  for shape in shapes:
    for pattern in patterns:
      row = benchmark_case(shape, pattern, settings, rng)
      if report:
        report(row)
      rows.append(row)
  return rows


def _cpu_name() -> str:
  try:
    with open("/proc/cpuinfo") as f:
      return next(line.split(":", 1)[1].strip() for line in f
                  if line.startswith("model name"))
  except (OSError, StopIteration):
    return platform.processor() or platform.machine()


def to_markdown(rows: Sequence[dict], settings: BenchmarkSettings) -> str:
  """The rows as the Markdown document written to BENCHMARKS.md."""
  columns = ["shape", "pattern", "density", "dense fwd ms", "reference fwd",
             "op fwd", "dense fwd+bwd ms", "reference fwd+bwd", "op fwd+bwd"]
  k = settings.kernel_size
  lines = [
      "# Sparse convolution op: speed relative to dense convolution",
      "",
      f"Generated by `tools/benchmark_ops.py` on "
      f"{datetime.date.today().isoformat()}: {os.cpu_count()} cores "
      f"({_cpu_name()}), TensorFlow {tf.version.VERSION}, batch "
      f"{settings.batch}, {k}x{k} kernels, stride 1, SAME padding. Times are "
      f"the minimum over {settings.repeats} runs of {settings.number} calls, "
      "the implementations taking turns within each run; ratios are time / "
      "dense time measured in the same run (lower is "
      "faster; the ideal forward ratio is the density). Dense is "
      "`tf.nn.conv2d` (oneDNN).",
      "",
      "| " + " | ".join(columns) + " |",
      "|" + "---|" * len(columns),
  ]
  for row in rows:
    cells = []
    for col in columns:
      value = row.get(col)
      if value is None:
        cells.append("n/a")
      elif isinstance(value, float):
        cells.append(f"{value:.2f}" if col.endswith("ms") else f"{value:.3f}")
      else:
        cells.append(str(value))
    lines.append("| " + " | ".join(cells) + " |")
  if not loader.op_available():
    lines += ["", f"The op library was not used: {loader.unavailable_reason()}"]
  return "\n".join(lines) + "\n"
