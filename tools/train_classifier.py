r"""Trains a zoo classifier from a YAML recipe with Keras `fit`.

    python tools/train_classifier.py \
        --config configs/classification/digits_cnn_sc.yaml \
        --model_dir /tmp/digits_cnn_sc [--params_override training.epochs=5] \
        [--data_dir /data/cifar10] [--strategy mirrored]

Writes weights.h5 and metrics.json (top-1 / top-5 on the evaluation split,
optimizer steps, the recipe) to --model_dir, TensorBoard logs to
--model_dir/logs, and backs up the training state in --model_dir/backup
while it runs: after an interruption, the same command continues from the
last backup (every epoch, or every training.checkpoint_every_steps steps).
A --model_dir that holds a finished run is refused unless --overwrite.

Multi-worker: start the same command on every worker with TF_CONFIG set
and --strategy multi_worker_mirrored; --model_dir must be a folder all
workers see (the chief writes the outputs, the others write theirs to
--model_dir/worker_<i>).
"""

import os
import sys

from absl import flags

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable=g-import-not-at-top,wrong-import-position
import _cli  # before TensorFlow: quiet logs, the repository on sys.path

from sparsezoo_tf import data
from sparsezoo_tf import training
from sparsezoo_tf.training import distribute

FLAGS = flags.FLAGS
flags.DEFINE_string("config", None, "YAML recipe.", required=True)
flags.DEFINE_string("model_dir", None,
                    "Where to write weights, metrics, logs and backups.",
                    required=True)
flags.DEFINE_string("params_override", "",
                    "Overrides: comma-separated section.key=value (lists "
                    "allowed: training.boundaries=[30,60,90]), a YAML/JSON "
                    "mapping, or a YAML file.")
flags.DEFINE_string("data_dir", None,
                    "The dataset's folder (overrides data.data_dir).")
flags.DEFINE_enum("strategy", "default", distribute.STRATEGIES,
                  "tf.distribute strategy.")
flags.DEFINE_string("tpu", "", "TPU address or name for --strategy=tpu "
                    "(grpc://host:port, a Cloud TPU name, or 'local').")
flags.DEFINE_bool("overwrite", False,
                  "Train into a --model_dir that holds a finished run; its "
                  "outputs are replaced when this run finishes.")
flags.DEFINE_integer("verbose", 1, "Keras fit verbosity (0 silent, 1 "
                     "progress bar, 2 one line per epoch).")


def main(argv):
  del argv
  # Before anything runs TensorFlow ops: collective ops are configured
  # when the multi-worker strategy is created.
  try:
    strategy = distribute.make_strategy(FLAGS.strategy, FLAGS.tpu)
  except RuntimeError as error:  # no TPU reachable
    _cli.fail(_cli.error_message(error))
  try:
    recipe = training.load_recipe(FLAGS.config, FLAGS.params_override)
  except (OSError, ValueError) as error:
    _cli.fail(f"--config {FLAGS.config}: {_cli.error_message(error)}")
  if FLAGS.data_dir is not None:
    if data.dataset_info(recipe.data.dataset).uses_data_dir:
      recipe.data.data_dir = FLAGS.data_dir
    else:
      _cli.warn_ignored_flag("data_dir", f"{recipe.data.dataset} needs no "
                             f"files")
  metrics = training.train(recipe, FLAGS.model_dir, verbose=FLAGS.verbose,
                           strategy=strategy, overwrite=FLAGS.overwrite)
  print(f"{recipe.model.name}: top-1 {metrics['top1']:.4f}, top-5 "
        f"{metrics['top5']:.4f} on {metrics['dataset']} {metrics['split']} "
        f"({metrics['examples']} images), {metrics['params']:,} parameters, "
        f"{metrics['steps']} steps; outputs in {FLAGS.model_dir}")


if __name__ == "__main__":
  _cli.run(main)
