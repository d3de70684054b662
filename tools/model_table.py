"""Prints the zoo as a Markdown table: parameters, FLOPs (multiply-adds),
the paper's values, ratios to the dense baseline and, with --latency,
CPU inference latency relative to the dense baseline (same run, minimum of
--repeats runs).

    python tools/model_table.py [--patterns 'resnet*,vgg16'] [--latency]
        [--batches 1,8] [--output ZOO.md]

Counting builds every model in a throwaway graph (no weights allocated):
the whole zoo takes several minutes on 2 cores.
"""

import os
import sys

from absl import app
from absl import flags

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sparsezoo_tf.models import zoo_table  # pylint: disable=g-import-not-at-top

FLAGS = flags.FLAGS
flags.DEFINE_list("patterns", ["*"], "Shell patterns of model names.")
flags.DEFINE_bool("latency", False, "Measure latency against the baseline.")
flags.DEFINE_list("batches", ["1", "8"], "Batch sizes of the latency.")
flags.DEFINE_integer("repeats", 5, "Timed runs per latency (minimum).")
flags.DEFINE_string("output", None, "Also write the table to this file.")


def main(argv):
  del argv
  try:
    names = zoo_table.select(FLAGS.patterns)
  except ValueError as error:
    raise app.UsageError(str(error)) from None
  batches = [int(b) for b in FLAGS.batches] if FLAGS.latency else []
  rows = zoo_table.zoo_rows(names, batches, FLAGS.repeats)
  table = zoo_table.to_markdown(rows, batches)
  print(table)
  if FLAGS.output:
    with open(FLAGS.output, "w") as stream:
      stream.write(table + "\n")


if __name__ == "__main__":
  app.run(main)
