"""Builds the CUDA core with nvcc, checks it and times it against cuDNN.

    python3 tools/gpu_check.py --out_dir=/tmp/gpu_check --benchmarks=BENCHMARKS.md

Needs a CUDA GPU, nvcc, NumPy, absl-py, and PyTorch or CuPy (cuDNN timings
need PyTorch); not TensorFlow, which it never imports (the core is compiled
alone from custom_ops/cc/kernels/cuda/sparse_conv_cuda.cu and called
through its C interface). Checks every pattern family in float32,
float16 and bfloat16, forward and both gradients, against the masked dense
convolution in float64, then times forward, input and weight gradient on
the op benchmark's shapes against cuDNN's dense convolution. Writes
gpu_check.json to --out_dir (after every row, so an interrupted run keeps
what it measured) and, with --benchmarks, the `gpu_check` section of that
Markdown file. Exits 1 when a check fails.
"""

import os
import sys
import types

from absl import app
from absl import flags

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable=g-import-not-at-top,wrong-import-position
import _cli  # never imports TensorFlow

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _import_without_tensorflow() -> None:
  """Makes the package's NumPy-only modules importable without running
  sparsezoo_tf/__init__.py, which imports TensorFlow (absent on the GPU
  machines, and slow to import where it is installed)."""
  sys.path.insert(0, ROOT)
  if "sparsezoo_tf" in sys.modules:
    return
  for name in ("sparsezoo_tf", "sparsezoo_tf.ops"):
    module = types.ModuleType(name)
    module.__path__ = [os.path.join(ROOT, *name.split("."))]
    sys.modules[name] = module


_import_without_tensorflow()

from sparsezoo_tf.gpu_check import binding
from sparsezoo_tf.gpu_check import harness
from sparsezoo_tf import reports

FLAGS = flags.FLAGS
flags.DEFINE_string("out_dir", "build/gpu_check",
                    "Where the library and gpu_check.json go.")
flags.DEFINE_string("benchmarks", None,
                    "Markdown file whose `gpu_check` section to write.")
flags.DEFINE_string("nvcc", "nvcc", "The nvcc to build with.")
flags.DEFINE_string("arch", "native", "nvcc -arch (native: this GPU).")
flags.DEFINE_list("defines", [], "Extra -D macros for the build.")
flags.DEFINE_enum("backend", "auto", ["auto", "torch", "cupy"],
                  "GPU array library (auto: PyTorch, else CuPy).")
flags.DEFINE_list("shapes", list(harness.TABLE9_SHAPES),
                  "Timed shapes, SIZExINxOUT (3x3, stride 1, SAME).")
flags.DEFINE_list("batches", ["8", "64"], "Timed batch sizes.")
flags.DEFINE_list("patterns", ["sw_sc", "cw_sc", "psc4", "dense"],
                  "Timed schemes (sparsezoo_tf.schemes.list_schemes()).")
flags.DEFINE_list("dtypes", ["float32", "bfloat16"], "Timed data types.")
flags.DEFINE_list("math", ["cuda_cores", "tensor_cores"],
                  "Timed math modes of forward and input gradient "
                  "(default, cuda_cores, tensor_cores).")
flags.DEFINE_integer("repeats", 7, "Timed runs; the minimum is reported.")
flags.DEFINE_integer("number", 5, "Calls per timed run.")
flags.DEFINE_bool("check", True, "Run the correctness checks.")


def _validate_flags() -> None:
  """Rejects every bad argument before the build and the checks run."""
  for name in ("dtypes", "math", "batches", "shapes", "patterns"):
    if not FLAGS[name].value:
      raise app.UsageError(f"--{name} needs at least one value")
  for dtype in FLAGS.dtypes:
    if dtype not in binding.DTYPES:
      raise app.UsageError(f"--dtypes: unknown {dtype!r}; known: "
                           f"{sorted(binding.DTYPES)}")
  for math in FLAGS.math:
    if math not in binding.MATH:
      raise app.UsageError(f"--math: unknown {math!r}; known: "
                           f"{sorted(binding.MATH)}")
  for batch in FLAGS.batches:
    if not batch.isdigit() or int(batch) < 1:
      raise app.UsageError(f"--batches must be positive integers, got "
                           f"{batch!r}")
  for shape in FLAGS.shapes:
    try:
      _, c, n = harness.parse_shape(shape)
    except ValueError as e:
      raise app.UsageError(f"--shapes: {e}") from None
    for pattern in FLAGS.patterns:
      try:
        harness.make_plan(pattern, 3, c, n)
      except ValueError as e:
        raise app.UsageError(f"--patterns {pattern} at --shapes {shape}: "
                             f"{e}") from None
  if FLAGS.repeats < 1 or FLAGS.number < 1:
    raise app.UsageError("--repeats and --number must be positive")
  if FLAGS.benchmarks:
    folder = os.path.dirname(os.path.abspath(FLAGS.benchmarks))
    if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
      raise app.UsageError(f"--benchmarks: cannot write in {folder}")


def _fail(error: Exception) -> None:
  """Exits 1 with `gpu_check.py: error: <the first line of error>`, after
  its other lines (nvcc's command and output) as they are."""
  first, _, rest = str(error).partition("\n")
  if rest.strip():
    print(rest.rstrip(), file=sys.stderr)
    first = f"{first.rstrip(':')} (its output above)"
  _cli.fail(first, _cli.RUN_FAILED)


def _show(row) -> None:
  print({k: (f"{v:.3g}" if isinstance(v, float) else v)
         for k, v in row.items()}, flush=True)


def main(argv):
  del argv
  _validate_flags()
  try:
    backend = harness.make_backend(FLAGS.backend)
  except RuntimeError as e:
    _fail(e)
  os.makedirs(FLAGS.out_dir, exist_ok=True)
  library = os.path.join(FLAGS.out_dir, "libsparsezoo_cuda.so")
  print("building", " ".join(binding.nvcc_command(
      library, FLAGS.arch, FLAGS.nvcc, FLAGS.defines)), flush=True)
  try:
    binding.build_library(library, FLAGS.arch, FLAGS.nvcc, FLAGS.defines)
  except RuntimeError as e:
    _fail(e)
  core = binding.CoreLibrary(library)
  json_path = os.path.join(FLAGS.out_dir, "gpu_check.json")

  def save(report):
    report["defines"] = list(FLAGS.defines)
    reports.write_json(json_path, report)

  report = harness.run(
      core, backend, FLAGS.shapes, [int(b) for b in FLAGS.batches],
      FLAGS.patterns, FLAGS.dtypes, FLAGS.repeats, FLAGS.number,
      maths=FLAGS.math, check=FLAGS.check, report_row=_show, nvcc=FLAGS.nvcc,
      save=save)
  save(report)
  text = harness.to_markdown(report)
  print(text)
  if FLAGS.benchmarks:
    reports.write_markdown_section(FLAGS.benchmarks, "gpu_check", text)
  if report["checks_passed"] != report["checks_run"]:
    _cli.fail(f"{report['checks_run'] - report['checks_passed']} of "
              f"{report['checks_run']} checks failed", _cli.RUN_FAILED)


if __name__ == "__main__":
  _cli.run(main)
