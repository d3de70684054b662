"""Prints the zoo as a Markdown table: parameters, FLOPs (multiply-adds),
the paper's values, ratios to the dense baseline and, with --latency,
CPU inference latency relative to the dense baseline (same run, minimum of
--repeats runs).

    python tools/model_table.py [--patterns 'resnet*,vgg16'] [--latency]
        [--batches 1,8] [--output ZOO.md]

With --readme, it regenerates one of README.md's generated tables between
its markers, with that table's own settings (`zoo_table.README_TABLES`):

    python tools/model_table.py --readme zoo_table       # every model
    python tools/model_table.py --readme zoo_latency     # timed: minutes
    python tools/model_table.py --readme digits_weights  # the digits weights
    python tools/model_table.py --readme cam_weights     # the CAM weights
    python tools/model_table.py --readme tflite          # digits TFLite
    python tools/model_table.py --readme detection_weights  # detectors

Counting builds every model in a throwaway graph (no weights allocated):
the whole zoo takes several minutes on 2 cores.
"""

import os
import sys

from absl import app
from absl import flags

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable=g-import-not-at-top,wrong-import-position
import _cli  # before TensorFlow: quiet logs, the repository on sys.path

ROOT = _cli.ROOT

from sparsezoo_tf import reports
from sparsezoo_tf.benchmarks import zoo_table

README = os.path.join(ROOT, "README.md")

FLAGS = flags.FLAGS
flags.DEFINE_list("patterns", ["*"], "Shell patterns of model names.")
flags.DEFINE_bool("latency", False, "Measure latency against the baseline.")
flags.DEFINE_list("batches", ["1", "8"], "Batch sizes of the latency.")
flags.DEFINE_integer("repeats", 5, "Timed runs per latency (minimum).",
                     lower_bound=1)
flags.DEFINE_string("output", None, "Also write the table to this file "
                    "(with --readme: the Markdown file that holds the "
                    "section, default the repository's README.md).")
flags.DEFINE_enum("readme", None, sorted(zoo_table.README_TABLES),
                  "Regenerate this table of README.md (between its markers) "
                  "with its own settings (zoo_table.README_TABLES); "
                  "--patterns, --latency, --batches and --repeats must be "
                  "left out.")
flags.register_validator(
    "batches", lambda values: all(v.isdigit() and int(v) > 0 for v in values),
    "--batches takes positive integers (--batches 1,8)")


def write_readme_table(key: str, path: str) -> None:
  """Prints README table `key` and writes it between its markers in the
  Markdown file `path`, which must have them."""
  markers = [f"<!-- {key}: {end} -->" for end in ("begin", "end")]
  try:
    with open(path) as stream:
      content = stream.read()
  except OSError as error:
    raise app.UsageError(f"cannot read {path}: {error.strerror}") from None
  if not all(marker in content for marker in markers):
    raise app.UsageError(f"{path} has no {markers[0]!r} / {markers[1]!r} "
                         f"markers; put them where the table goes")
  table = zoo_table.readme_table(key)
  print(table)
  reports.write_markdown_section(path, key, table)


def _check_output(path: str) -> None:
  """Raises app.UsageError when --output cannot be written (checked before
  the table is computed)."""
  folder = os.path.dirname(os.path.abspath(path))
  if os.path.isdir(path):
    raise app.UsageError(f"--output {path} is a folder; give a file")
  if not os.path.isdir(folder):
    raise app.UsageError(f"--output {path}: the folder {folder} does not "
                         f"exist")


def main(argv):
  del argv
  if FLAGS.output:
    _check_output(FLAGS.output)
  if FLAGS.readme:
    given = [f"--{name}" for name in ("patterns", "latency", "batches",
                                      "repeats")
             if FLAGS[name].present]
    if given:
      raise app.UsageError(
          f"--readme {FLAGS.readme} writes the table with its own "
          f"settings (zoo_table.README_TABLES); drop {', '.join(given)}")
    write_readme_table(FLAGS.readme, FLAGS.output or README)
    return
  try:
    names = zoo_table.select(FLAGS.patterns)
  except ValueError as error:
    raise app.UsageError(str(error)) from None
  if not FLAGS.latency:
    for name in ("batches", "repeats"):
      _cli.warn_ignored_flag(name, "it applies to --latency only")
  batches = [int(b) for b in FLAGS.batches] if FLAGS.latency else []
  rows = zoo_table.zoo_rows(names, batches, FLAGS.repeats)
  table = zoo_table.to_markdown(rows, batches)
  print(table)
  if FLAGS.output:
    with open(FLAGS.output, "w") as stream:
      stream.write(table + "\n")


if __name__ == "__main__":
  _cli.run(main)
