r"""Exports a zoo model for serving: SavedModel, .keras file, TFLite.

    python tools/export.py --model digits_cnn_sc --weights digits \
        --output /tmp/digits_cnn_sc_export [--formats saved_model,keras] \
        [--implementation reference|op] [--batch_size N] [--overwrite]
    python tools/export.py --model digits_cnn_sc \
        --checkpoint /tmp/digits_cnn_sc/weights.h5 --output /tmp/export
    python tools/export.py --model digits_cnn_sc --weights digits \
        --output /tmp/digits_tflite --formats tflite,tflite_int8 \
        [--dataset digits] [--data_dir DIR] [--calibration_examples 256] \
        [--evaluation_examples 512] [--int8_io float32|int8]

Weights come from --weights (a registered weights name or an .h5 file,
through the entry point's `weights=`) or --checkpoint (what training wrote:
an .h5 / .keras file, a TF checkpoint prefix or a directory of
checkpoints). A weights file with a SHA-256 record next to it
(`weights.h5.sha256`, as the trainer writes) must match it, and must have
the model's layers and shapes; otherwise nothing is exported. --output
receives saved_model/ (signature `serving_default`: float32 `images` of
the model's input shape, dynamic batch unless --batch_size, returning the
model's outputs), model.keras with its SHA-256 record model.keras.sha256,
and export.json (the manifest). The output is written to a temporary
sibling and renamed at the end (a failed export leaves nothing); an
existing non-empty --output is refused unless --overwrite. Every artifact
is reloaded and checked against the model before it is published
(--noverify skips that).

Who can load the SavedModel (the tool prints it; export.json records it
under saved_model.requires):
  * --implementation reference (the default): builtin TensorFlow ops only.
    It runs anywhere TensorFlow does: tf.saved_model.load in plain
    TensorFlow, saved_model_cli run, TF Serving, without sparsezoo_tf.
  * --implementation op: the graph uses the custom op SparseZoo>SparseConv2D
    (faster where this package is installed). Loading it needs
    `import sparsezoo_tf` first; plain TensorFlow fails with "Op type not
    registered 'SparseZoo>SparseConv2D'".
The .keras file keeps the zoo layers' own setting ("auto": the op where
the library is built) and needs `import sparsezoo_tf` before
`tf_keras.models.load_model(path)`.

TFLite (`--formats tflite,tflite_int8`, not written by default):
model.tflite (float32) and model_int8.tflite (post-training full-integer
quantization; float32 input and output unless --int8_io int8), each with a
.sha256 record, traced on the pure-TF path (whatever --implementation
says): builtin TFLite ops only, runnable by any TFLite / LiteRT
interpreter. The int8 ranges are calibrated on --calibration_examples
images of the train split of --dataset (default: the registered weights'
dataset, else the model's; the digits datasets are embedded, the others
need --data_dir); without usable data, tflite_int8 is refused (random
data is never used to calibrate). Each file is checked with the TFLite
interpreter on the dataset's evaluation split (at most
--evaluation_examples images): the float file must match the model within
1e-4 of its outputs' scale, the int8 file must agree with the model's top-1
class on 90 % of the images; export.json records the sizes in bytes, ops,
quantization and the parity and accuracy measured.
"""

import os
import sys
from typing import Any, Dict, List

from absl import flags
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable=g-import-not-at-top,wrong-import-position
import _cli  # before TensorFlow: quiet logs, the repository on sys.path

FORMATS = ("saved_model", "keras", "tflite", "tflite_int8")
DEFAULT_FORMATS = ("saved_model", "keras")
TFLITE_FORMATS = ("tflite", "tflite_int8")
IMPLEMENTATIONS = ("reference", "op")
# sparsezoo_tf.data.DATASETS (checked before TensorFlow is imported).
DATASETS = ("digits", "digits_canvas", "imagenet", "cifar10", "cifar100",
            "tiny_imagenet")
INT8_IO = ("float32", "int8")

FLAGS = flags.FLAGS
flags.DEFINE_string("model", None, "Registered model name.", required=True)
flags.DEFINE_string("weights", None,
                    "Registered weights name (e.g. digits) or an .h5 file.")
flags.DEFINE_string("checkpoint", None,
                    "Weights written by training: .h5 / .keras file, TF "
                    "checkpoint prefix or directory of checkpoints.")
flags.DEFINE_string("model_kwargs", "",
                    "Comma-separated key=value entry-point arguments, values "
                    "in YAML (classes=5,input_shape=[16,16,1]).")
flags.DEFINE_enum("implementation", "reference", list(IMPLEMENTATIONS),
                  "Path of the sparse layers in the SavedModel: 'reference' "
                  "(builtin TensorFlow ops, runs anywhere) or 'op' (the "
                  "custom op; loading needs `import sparsezoo_tf`).")
flags.DEFINE_string("output", None, "Output directory.", required=True)
flags.DEFINE_list("formats", list(DEFAULT_FORMATS),
                  f"What to write, among {', '.join(FORMATS)}.")
flags.DEFINE_integer("batch_size", None,
                     "Fixed batch dimension of the serving signature "
                     "(default: dynamic).", lower_bound=1)
flags.DEFINE_bool("overwrite", False,
                  "Replace an existing non-empty --output.")
flags.DEFINE_bool("verify", True,
                  "Reload every artifact and compare it with the model "
                  "before publishing the export.")
flags.DEFINE_enum("dataset", None, list(DATASETS),
                  "TFLite: the dataset whose images calibrate int8 and "
                  "check parity (default: the registered weights' dataset, "
                  "else the model's).")
flags.DEFINE_string("data_dir", "",
                    "TFLite: the folder (or archive) of --dataset's files "
                    "(not needed for the digits datasets).")
flags.DEFINE_integer("calibration_examples", None,
                     "tflite_int8: train images that calibrate the int8 "
                     "ranges (default 256).", lower_bound=1)
flags.DEFINE_integer("evaluation_examples", None,
                     "TFLite: at most this many evaluation images for the "
                     "parity check (default 512; 0: the whole split).",
                     lower_bound=0)
flags.DEFINE_enum("int8_io", "float32", list(INT8_IO),
                  "tflite_int8: dtype of the file's input and output.")


def _split_top_level(text: str) -> List[str]:
  """Splits at commas outside brackets and quotes ("a=[1,2],b=3")."""
  parts, depth, quote, current = [], 0, None, []
  for char in text:
    if quote:
      quote = None if char == quote else quote
    elif char in "'\"":
      quote = char
    elif char in "([{":
      depth += 1
    elif char in ")]}":
      depth -= 1
    elif char == "," and depth == 0:
      parts.append("".join(current))
      current = []
      continue
    current.append(char)
  if depth or quote:
    raise ValueError(f"model kwargs {text!r}: unbalanced brackets or quotes")
  parts.append("".join(current))
  return [part.strip() for part in parts if part.strip()]


def parse_model_kwargs(text: str) -> Dict[str, Any]:
  """"key=value,key=value" (--model_kwargs) -> keyword arguments of a zoo
  entry point.

  Values are read as YAML ("classes=5,input_shape=[16,16,1],
  include_top=false"); `None` is None.

  Raises:
    ValueError: an item without "=", a key that is not an identifier, or a
      key given twice.
  """
  kwargs = {}
  for item in _split_top_level(text or ""):
    key, sep, value = item.partition("=")
    key = key.strip()
    if not sep or not key.isidentifier():
      raise ValueError(f"model kwarg {item!r} must look like key=value")
    if key in kwargs:
      raise ValueError(f"model kwarg {key!r} is given twice")
    value = value.strip()
    kwargs[key] = None if value == "None" else yaml.safe_load(value)
  return kwargs


def _check_cheap_flags() -> None:
  """Flag errors found before TensorFlow is imported (it takes seconds)."""
  unknown = [name for name in FLAGS.formats if name not in FORMATS]
  if unknown or not FLAGS.formats:
    _cli.fail(f"--formats: unknown format(s) {unknown or '(none given)'}; "
              f"known formats: {', '.join(FORMATS)}")
  if FLAGS.weights is not None and FLAGS.checkpoint is not None:
    _cli.fail("give --weights or --checkpoint, not both")
  if FLAGS.weights is None and FLAGS.checkpoint is None:
    _cli.warn(f"no --weights or --checkpoint: exporting {FLAGS.model} with "
              f"its random initial weights")
  if "saved_model" not in FLAGS.formats:
    _cli.warn_ignored_flag("implementation", "it applies to the SavedModel, "
                           "and --formats has no saved_model")
    if not set(FLAGS.formats) & set(TFLITE_FORMATS):
      _cli.warn_ignored_flag("batch_size", "it applies to the SavedModel "
                             "and TFLite files, and --formats has neither")
  if not set(FLAGS.formats) & set(TFLITE_FORMATS):
    for name in ("dataset", "data_dir", "evaluation_examples"):
      _cli.warn_ignored_flag(name, "it applies to TFLite files, and "
                             "--formats has no tflite or tflite_int8")
  if "tflite_int8" not in FLAGS.formats:
    for name in ("calibration_examples", "int8_io"):
      _cli.warn_ignored_flag(name, "it applies to int8 TFLite files, and "
                             "--formats has no tflite_int8")
  if FLAGS.data_dir and not os.path.exists(FLAGS.data_dir):
    _cli.fail(f"--data_dir {FLAGS.data_dir} does not exist")
  output = FLAGS.output
  if os.path.isdir(output) and os.listdir(output) and not FLAGS.overwrite:
    _cli.fail(f"--output {output} exists and is not empty; pass "
              f"--overwrite to replace it")


def _describe(paths) -> None:
  from sparsezoo_tf import export  # pylint: disable=g-import-not-at-top
  print(f"{FLAGS.model}: export written to "
        f"{os.path.dirname(paths['metadata'])}")
  for line in export.loading_instructions(paths["metadata"]):
    print(f"  {line}")


def main(argv):
  del argv
  _check_cheap_flags()
  _cli.initialize_tensorflow()
  from sparsezoo_tf import export  # pylint: disable=g-import-not-at-top
  try:
    # The TFLite converter's and interpreter's C++ logs ignore
    # TF_CPP_MIN_LOG_LEVEL: only their error lines are shown.
    with _cli.native_stderr_filtered(_cli.converter_errors_only):
      paths = export.export_zoo_model(
          FLAGS.model, FLAGS.output, weights=FLAGS.weights,
          checkpoint=FLAGS.checkpoint,
          model_kwargs=parse_model_kwargs(FLAGS.model_kwargs),
          implementation=FLAGS.implementation, formats=FLAGS.formats,
          batch_size=FLAGS.batch_size, overwrite=FLAGS.overwrite,
          verify=FLAGS.verify, dataset=FLAGS.dataset,
          data_dir=FLAGS.data_dir,
          calibration_examples=FLAGS.calibration_examples,
          evaluation_examples=FLAGS.evaluation_examples,
          int8_io=FLAGS.int8_io)
  except RuntimeError as error:  # no op library, or a failed check
    _cli.fail(_cli.error_message(error), _cli.RUN_FAILED)
  _describe(paths)


if __name__ == "__main__":
  _cli.run(main)
