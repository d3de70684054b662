r"""Top-1 / top-5 accuracy of a zoo classifier on a dataset split, with the
papers' evaluation protocol (the data pipeline's evaluation transform:
ImageNet resized to 256 on the shorter side and centre-cropped to 224,
CIFAR and Tiny ImageNet at their native size).

    # A training run (its weights.h5 and the recipe in its metrics.json):
    python tools/eval_classifier.py --model_dir /tmp/digits_cnn_sc
    # Registered weights, or an .h5 file:
    python tools/eval_classifier.py --model digits_cnn_sc --weights digits
    python tools/eval_classifier.py --model resnet50_sc \
        --weights /path/resnet50_sc.h5 --dataset imagenet \
        --data_dir /data/imagenet

The dataset, data_dir and image size default to the run's recipe (or the
registered weights' dataset, else the model's); --split defaults to the
dataset's evaluation split (test, or validation for ImageNet and Tiny
ImageNet).
Prints a summary and, on the last line, the result as JSON.
"""

import json
import os
import sys

from absl import flags

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable=g-import-not-at-top,wrong-import-position
import _cli  # before TensorFlow: quiet logs, the repository on sys.path

FLAGS = flags.FLAGS
_cli.define_model_flags()
flags.DEFINE_string("dataset", None, "Dataset (default: the run's or the "
                    "registered weights', else the model's).")
flags.DEFINE_string("data_dir", None, "The dataset's folder.")
flags.DEFINE_string("split", None, "Split (default: the evaluation split).")
flags.DEFINE_integer("batch_size", 100, "Evaluation batch size.",
                     lower_bound=1)
flags.DEFINE_integer("image_size", None, "Input size (default: the run's, "
                     "else the dataset's).", lower_bound=0)
flags.DEFINE_integer("verbose", 1, "1: progress bar.")


def _model_and_data():
  """(model, name, {dataset, data_dir, image_size} defaults)."""
  # pylint: disable=g-import-not-at-top
  from sparsezoo_tf import models
  from sparsezoo_tf import training
  if FLAGS.model_dir:
    model, recipe = training.load_trained(FLAGS.model_dir)
    if FLAGS.model and FLAGS.model != recipe.model.name:
      raise ValueError(f"--model {FLAGS.model} but {FLAGS.model_dir} "
                       f"trained {recipe.model.name}")
    return model, recipe.model.name, {
        "dataset": recipe.data.dataset, "data_dir": recipe.data.data_dir,
        "image_size": recipe.data.image_size}
  registered = {e.name: e for e in models.list_weights(FLAGS.model)}
  entry = registered.get(FLAGS.weights)
  info = models.model_info(FLAGS.model)
  kwargs = {}
  if FLAGS.image_size:
    kwargs["input_shape"] = (FLAGS.image_size,) * 2 + info.input_shape[2:]
  model = models.create_model(FLAGS.model, weights=FLAGS.weights, **kwargs)
  return model, FLAGS.model, {
      "dataset": entry.dataset if entry else info.dataset, "data_dir": "",
      "image_size": 0}


def main(argv):
  del argv
  _cli.check_model_dir_flag()
  # pylint: disable=g-import-not-at-top
  _cli.initialize_tensorflow()
  from sparsezoo_tf import data
  from sparsezoo_tf import evaluation
  model, name, defaults = _model_and_data()
  dataset = FLAGS.dataset or defaults["dataset"]
  info = data.dataset_info(dataset)
  split = FLAGS.split or info.splits[-1]
  image_size = (defaults["image_size"] if FLAGS.image_size is None
                else FLAGS.image_size)
  data_dir = (defaults["data_dir"] if FLAGS.data_dir is None
              else FLAGS.data_dir)
  if not info.uses_data_dir:
    _cli.warn_ignored_flag("data_dir", f"{dataset} needs no files")
  examples = data.make_dataset(dataset, split, batch_size=FLAGS.batch_size,
                               training=False, data_dir=data_dir,
                               image_size=image_size)
  result = evaluation.evaluate(model, examples, verbose=FLAGS.verbose)
  result.update(model=name, dataset=dataset, split=split)
  print(f"{name} on {dataset} {split}: top-1 {result['top1']:.4f}, top-5 "
        f"{result['top5']:.4f} ({result['examples']} images)")
  print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
  _cli.run(main)
