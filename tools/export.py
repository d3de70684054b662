r"""Exports a zoo model as a SavedModel and a .keras file for serving.

    python tools/export.py --model digits_cnn_sc --weights digits \
        --output /tmp/digits_cnn_sc_export [--formats saved_model,keras] \
        [--implementation auto|op|reference] [--batch_size N] [--overwrite]
    python tools/export.py --model digits_cnn_sc \
        --checkpoint /tmp/digits_cnn_sc/weights.h5 --output /tmp/export

Weights come from --weights (a registered weights name or an .h5 file,
through the entry point's `weights=`) or --checkpoint (what training wrote:
an .h5 / .keras file, a TF checkpoint prefix or a directory of
checkpoints). --output receives saved_model/ (signature `serving_default`:
float32 `images` of the model's input shape, dynamic batch unless
--batch_size, returning the model's outputs), model.keras and export.json.
The output is written to a temporary sibling and renamed at the end (a
failed export leaves nothing); an existing non-empty --output is refused
unless --overwrite. Every artifact is reloaded and checked against the
model before it is published (--noverify skips that).

Who can load the SavedModel (the tool prints which case an export is):
  * --implementation=op, or auto with the op library built: the graph uses
    the custom op SparseZoo>SparseConv2D. `import sparsezoo_tf` (which
    loads the op library), then `tf.saved_model.load(path)`. Plain
    TensorFlow without the op library fails with "Op type not registered
    'SparseZoo>SparseConv2D'".
  * --implementation=reference (or no op library): standard TensorFlow ops
    only; loads with `tf.saved_model.load` anywhere, without sparsezoo_tf.
The .keras file always needs sparsezoo_tf's layers registered:
`tf_keras.models.load_model(path)` after `import sparsezoo_tf`.
"""

import os
import sys

from absl import app
from absl import flags
from absl import logging

FORMATS = ("saved_model", "keras")

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
flags.DEFINE_enum("implementation", "auto", ["auto", "op", "reference"],
                  "Path of the sparse layers: 'op' / 'auto' with the library "
                  "built give a SavedModel that needs the op library, "
                  "'reference' one that loads in plain TensorFlow.")
flags.DEFINE_string("output", None, "Output directory.", required=True)
flags.DEFINE_list("formats", list(FORMATS),
                  f"What to write, among {', '.join(FORMATS)}.")
flags.DEFINE_integer("batch_size", None,
                     "Fixed batch dimension of the serving signature "
                     "(default: dynamic).", lower_bound=1)
flags.DEFINE_bool("overwrite", False,
                  "Replace an existing non-empty --output.")
flags.DEFINE_bool("verify", True,
                  "Reload every artifact and compare it with the model "
                  "before publishing the export.")


def _fail(message: str) -> None:
  raise SystemExit(f"export.py: error: {message}")


def _check_cheap_flags() -> None:
  """Flag errors found before TensorFlow is imported (it takes seconds)."""
  unknown = [name for name in FLAGS.formats if name not in FORMATS]
  if unknown or not FLAGS.formats:
    _fail(f"--formats: unknown format(s) {unknown or '(none given)'}; known "
          f"formats: {', '.join(FORMATS)}")
  if FLAGS.weights is not None and FLAGS.checkpoint is not None:
    _fail("give --weights or --checkpoint, not both")
  output = FLAGS.output
  if os.path.isdir(output) and os.listdir(output) and not FLAGS.overwrite:
    _fail(f"--output {output} exists and is not empty; pass --overwrite to "
          f"replace it")


def _describe(paths) -> None:
  from sparsezoo_tf import export  # pylint: disable=g-import-not-at-top
  print(f"{FLAGS.model}: export written to "
        f"{os.path.dirname(paths['metadata'])}")
  if "saved_model" in paths:
    custom = export.saved_model_custom_ops(paths["saved_model"])
    if custom:
      print(f"  SavedModel {paths['saved_model']}: USES THE CUSTOM OP "
            f"({', '.join(custom)}). Load it after "
            f"`sparsezoo_tf.ops.load_library()` (or with "
            f"`sparsezoo_tf.export.load_saved_model`); plain TensorFlow "
            f"without the op library fails with 'Op type not registered'. "
            f"Export with --implementation=reference for a SavedModel that "
            f"loads anywhere.")
    else:
      print(f"  SavedModel {paths['saved_model']}: standard TensorFlow ops "
            f"only; loads with tf.saved_model.load in plain TensorFlow, "
            f"without sparsezoo_tf or the op library.")
  if "keras" in paths:
    print(f"  Keras model {paths['keras']}: reload with "
          f"sparsezoo_tf.export.load_keras_model (or tf_keras.models."
          f"load_model after import sparsezoo_tf).")


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f"unexpected arguments: {argv[1:]}")
  _check_cheap_flags()
  logging.set_verbosity(logging.WARNING)  # TF's SavedModel INFO chatter
  sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
      __file__))))
  from sparsezoo_tf import export  # pylint: disable=g-import-not-at-top
  try:
    paths = export.export_zoo_model(
        FLAGS.model, FLAGS.output, weights=FLAGS.weights,
        checkpoint=FLAGS.checkpoint,
        model_kwargs=export.parse_model_kwargs(FLAGS.model_kwargs),
        implementation=FLAGS.implementation, formats=FLAGS.formats,
        batch_size=FLAGS.batch_size, overwrite=FLAGS.overwrite,
        verify=FLAGS.verify)
  except (ValueError, FileExistsError, FileNotFoundError, RuntimeError) as e:
    _fail(str(e))
  _describe(paths)


if __name__ == "__main__":
  app.run(main)
