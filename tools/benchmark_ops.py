"""Speed of the sparse convolution op against dense convolution, in one run.

    python tools/benchmark_ops.py --output BENCHMARKS.md

For every shape and pattern: dense `tf.nn.conv2d` (oneDNN), the pure-TF
reference path and the custom op, forward and forward+backward, as ratios to
the dense time of the same run (minimum over --repeats runs). Default
shapes: paper 000 Table 9 at batch 8.
"""

import os
import sys

from absl import flags

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable=g-import-not-at-top,wrong-import-position
import _cli  # before TensorFlow: quiet logs, the repository on sys.path

from sparsezoo_tf import reports
from sparsezoo_tf.benchmarks import ops as op_benchmark

FLAGS = flags.FLAGS
flags.DEFINE_integer("batch", 8, "Batch size.", lower_bound=1)
flags.DEFINE_list("shapes", list(op_benchmark.TABLE9_SHAPES),
                  "Shapes as SIZExINxOUT (square inputs).")
flags.DEFINE_list("patterns", ["sw_sc", "cw_sc", "psc4"],
                  "Scheme names (sparsezoo_tf.schemes.list_schemes()).")
flags.DEFINE_integer("kernel_size", 3, "Kernel size.", lower_bound=1)
flags.DEFINE_integer("repeats", 7, "Timed runs; the minimum is reported.",
                     lower_bound=1)
flags.DEFINE_integer("number", 3, "Calls per timed run.", lower_bound=1)
flags.DEFINE_string("output", None, "Markdown file to write the table to.")


def main(argv):
  del argv
  settings = op_benchmark.BenchmarkSettings(
      batch=FLAGS.batch, kernel_size=FLAGS.kernel_size,
      repeats=FLAGS.repeats, number=FLAGS.number)
  rows = op_benchmark.run_benchmark(
      FLAGS.shapes, FLAGS.patterns, settings,
      report=lambda row: print(
          {k: round(v, 3) if isinstance(v, float) else v
           for k, v in row.items()}, flush=True))
  table = op_benchmark.to_markdown(rows, settings)
  print(table)
  if FLAGS.output:
    reports.write_markdown_section(FLAGS.output, "benchmark_ops", table)


if __name__ == "__main__":
  _cli.run(main)
