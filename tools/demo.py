"""The main job: check the op on every pattern, then measure its speed.

    make demo        (or: python tools/demo.py)

1. Small stacks of sparse convolutions of every pattern, on random input,
   through the op, the pure-TF reference and a masked dense tf.nn.conv2d:
   outputs and gradients must agree.
2. The speed table of tools/benchmark_ops.py (paper 000 Table 9 shapes).
Exits non-zero if a check fails.
"""

import os
import sys

from absl import app
from absl import flags

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sparsezoo_tf import ops  # pylint: disable=g-import-not-at-top
from sparsezoo_tf.ops import benchmark  # pylint: disable=g-import-not-at-top
from sparsezoo_tf.ops import selfcheck  # pylint: disable=g-import-not-at-top

FLAGS = flags.FLAGS
flags.DEFINE_list("patterns", list(selfcheck.DEFAULT_PATTERNS),
                  "Patterns to check.")
flags.DEFINE_bool("benchmark", True, "Also print the speed table.")
flags.DEFINE_list("benchmark_patterns", ["sw_sc", "cw_sc", "psconv4"],
                  "Patterns of the speed table.")
flags.DEFINE_integer("repeats", 3, "Timed runs per benchmark case.")


def format_check(rows) -> str:
  columns = ["pattern", "density", "weights", "dense weights",
             "op output error", "op gradient error", "reference output error",
             "reference gradient error", "ok"]
  lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
  for row in rows:
    cells = []
    for col in columns:
      value = row.get(col, "n/a")
      cells.append(f"{value:.2e}" if col.endswith("error") and
                   isinstance(value, float) else
                   f"{value:.3f}" if isinstance(value, float) else str(value))
    lines.append("| " + " | ".join(cells) + " |")
  return "\n".join(lines)


def main(argv):
  del argv
  reason = ops.unavailable_reason()
  print("op library:", "loaded from " + ops.library_path() if reason is None
        else f"NOT used ({reason}); checking the reference path only")
  rows = selfcheck.check_patterns(FLAGS.patterns)
  print("\nStacks of 3 sparse 3x3 convolutions (32 channels, 16x16, stride 2 "
        "in the middle), compared with a masked dense tf.nn.conv2d:\n")
  print(format_check(rows))
  if FLAGS.benchmark:
    settings = benchmark.BenchmarkSettings(repeats=FLAGS.repeats, number=2)
    print("\nSpeed (ratios to dense tf.nn.conv2d, same run):\n", flush=True)
    table_rows = benchmark.run_benchmark(benchmark.TABLE9_SHAPES,
                                         FLAGS.benchmark_patterns, settings)
    print(benchmark.to_markdown(table_rows, settings))
  failed = [row["pattern"] for row in rows if not row["ok"]]
  if failed:
    print("FAILED:", ", ".join(failed))
    return 1
  print("All checks passed.")
  return 0


if __name__ == "__main__":
  app.run(main)
