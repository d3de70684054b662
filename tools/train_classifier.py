"""Trains a zoo classifier from a YAML recipe with Keras `fit`.

    python tools/train_classifier.py \
        --config configs/classification/digits_cnn_sc.yaml \
        --model_dir /tmp/digits_cnn_sc [--params_override training.epochs=5]

Writes weights.h5 and metrics.json to --model_dir and prints the test
accuracy.
"""

import os
import sys

from absl import app
from absl import flags

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sparsezoo_tf import training  # pylint: disable=g-import-not-at-top

FLAGS = flags.FLAGS
flags.DEFINE_string("config", None, "YAML recipe.", required=True)
flags.DEFINE_string("model_dir", None, "Where to write weights and metrics.",
                    required=True)
flags.DEFINE_string("params_override", "",
                    "Comma-separated section.key=value overrides.")
flags.DEFINE_integer("verbose", 2, "Keras fit verbosity.")


def main(argv):
  del argv
  recipe = training.load_recipe(FLAGS.config, FLAGS.params_override)
  metrics = training.train(recipe, FLAGS.model_dir, verbose=FLAGS.verbose)
  print(f"{recipe.model.name}: top-1 {metrics['top1']:.4f} on the test "
        f"split, {metrics['params']:,} parameters; weights in "
        f"{FLAGS.model_dir}")


if __name__ == "__main__":
  app.run(main)
