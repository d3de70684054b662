r"""Trains and evaluates the zoo's Faster R-CNN detectors with TF Model
Garden (its experiment configs, task, Orbit trainer and COCO evaluator).

    # The embedded digits_detection set (written once to
    # $SPARSEZOO_HOME/data/digits_detection, about 25 s):
    python tools/train_detector.py --model_dir runs/digits_sc \
        --experiment fasterrcnn_digits_resnet18_sc

    # Paper 003 on PASCAL VOC (records from tools/voc_to_coco.py and Model
    # Garden's converter; see the README's Detection section):
    python tools/train_detector.py --model_dir runs/voc_scfusion8 \
        --experiment fasterrcnn_vgg16_scfusion8_voc --mode train_and_eval \
        --params_override task.train_data.input_path=/data/voc/tfrecords/trainval0712*

Model Garden's flags: --experiment (`sparsezoo_tf.detection.experiments.
list_experiments()`, or Model Garden's own; default
fasterrcnn_digits_resnet18_sc), --config_file (YAML, several
allowed), --params_override (YAML / JSON / key=value), --model_dir,
--mode train | eval | train_and_eval | continuous_eval.

The run's checkpoints (every trainer.checkpoint_interval steps) and
params.yaml go to --model_dir; the same command after an interruption
continues from the last checkpoint. When training ends, the tool writes
--model_dir/detector.h5 (the weights, with detector.h5.sha256), which
`tools/eval_detector.py --model_dir` and `tools/detect.py --model_dir` load,
and metrics.json (the last evaluation's COCO metrics, when there was one).
"""

import glob
import json
import os
import sys

from absl import flags

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable=g-import-not-at-top,wrong-import-position
import _cli  # before TensorFlow: quiet logs, the repository on sys.path

from official.common import flags as tfm_flags

DEFAULT_EXPERIMENT = "fasterrcnn_digits_resnet18_sc"
WEIGHTS = "detector.h5"
METRICS = "metrics.json"

tfm_flags.define_flags()
FLAGS = flags.FLAGS
FLAGS.set_default("experiment", DEFAULT_EXPERIMENT)
FLAGS.set_default("mode", "train_and_eval")
flags.mark_flag_as_required("model_dir")


def _check_input_paths(params) -> None:
  """A clear error for records that are not there (Model Garden's reader
  would fail deep in tf.data)."""
  data = [("task.train_data", params.task.train_data)] if (
      "train" in FLAGS.mode) else []
  if "eval" in FLAGS.mode:
    data.append(("task.validation_data", params.task.validation_data))
  for name, config in data:
    paths = config.input_path
    patterns = paths.split(",") if isinstance(paths, str) else list(paths)
    if not any(patterns) or not all(glob.glob(p) for p in patterns):
      raise ValueError(
          f"{name}.input_path={paths!r} matches no file: convert the set to "
          f"TFRecords (tools/voc_to_coco.py, then Model Garden's "
          f"create_coco_tf_record) and set it with --params_override "
          f"{name}.input_path=<pattern>")
  annotations = params.task.annotation_file
  if "eval" in FLAGS.mode and annotations and not os.path.isfile(
      annotations):
    raise ValueError(f"task.annotation_file={annotations!r} does not exist: "
                     f"set it to the validation set's COCO JSON with "
                     f"--params_override task.annotation_file=<file>")


def _check_types(defaults, values, where: str = "") -> None:
  """A number or boolean of the experiment's config overridden by a string
  (`--params_override trainer.train_steps=abc`) is an error naming it."""
  for key, default in defaults.items():
    value = values.get(key) if isinstance(values, dict) else None
    name = f"{where}{key}"
    if isinstance(default, dict):
      _check_types(default, value if isinstance(value, dict) else {},
                   f"{name}.")
    elif isinstance(default, (bool, int, float)) and isinstance(value, str):
      kind = {bool: "boolean", int: "integer", float: "number"}[
          type(default)]
      article = "an" if kind[0] in "aeiou" else "a"
      raise ValueError(f"{name}={value!r}: the experiment's {name} is "
                       f"{article} {kind} ({default!r})")


def _run_of(model_dir: str):
  """(detector, experiment config dict) of the run in `model_dir`, or None
  when it holds none."""
  import yaml  # pylint: disable=g-import-not-at-top
  path = os.path.join(model_dir, "params.yaml")
  if not os.path.isfile(path):
    return None
  with open(path, encoding="utf-8") as stream:
    values = yaml.safe_load(stream) or {}
  task = values.get("task") or {}
  return task.get("detector", ""), task


def _check_run_folder(params, model_dir: str) -> None:
  """Refuses, before anything is written, a --model_dir holding a run of
  another detector or model, and --mode eval where there is nothing to
  evaluate."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  if os.path.exists(model_dir) and not os.path.isdir(model_dir):
    raise ValueError(f"--model_dir {model_dir} is a file")
  run = _run_of(model_dir)
  if run is not None:
    detector, task = run
    backbone = ((task.get("model") or {}).get("backbone") or {}).get(
        "sparsezoo") or {}
    ours = params.task.model.backbone.get()
    theirs_name = backbone.get("model_name", "")
    if detector != params.task.detector or theirs_name != getattr(
        ours, "model_name", theirs_name):
      raise ValueError(
          f"--model_dir {model_dir} holds a run of {detector or 'another'} "
          f"detector (backbone {theirs_name or '?'}; its params.yaml), not of "
          f"{params.task.detector or FLAGS.experiment}: give that run's "
          f"--experiment to continue it, or another --model_dir")
  if FLAGS.mode == "eval" and not (
      os.path.isdir(model_dir) and tf.train.latest_checkpoint(model_dir)):
    raise ValueError(f"--mode eval: {model_dir} has no checkpoint to "
                     f"evaluate (ckpt-N, written while a run trains)")


def _reads_embedded_set(params, root: str) -> bool:
  """Whether the run reads the prepared digits_detection set (which is then
  written first, once)."""
  paths = [params.task.train_data.input_path,
           params.task.validation_data.input_path,
           params.task.annotation_file or ""]
  prefix = os.path.join(os.path.abspath(root), "")
  return any(isinstance(path, str) and os.path.abspath(path).startswith(
      prefix) for path in paths if path)


def _scalars(logs) -> dict:
  """The JSON-able scalar metrics of Model Garden's evaluation logs."""
  scalars = {}
  for key, value in (logs or {}).items():
    try:
      scalars[key] = float(value)
    except (TypeError, ValueError):
      continue
  return scalars


def main(argv):
  del argv
  _cli.initialize_tensorflow()
  from official.common import distribute_utils
  from official.core import exp_factory
  from official.core import task_factory
  from official.core import train_lib
  from official.core import train_utils

  from sparsezoo_tf.detection import detectors
  from sparsezoo_tf.detection import experiments
  from sparsezoo_tf.detection import records
  from sparsezoo_tf.training import runs

  try:
    params = train_utils.parse_configuration(FLAGS)
  except KeyError as error:  # a --params_override / --config_file key
    message = str(error.args[0] if error.args else error).split(
        " To extend the existing keys", 1)[0]
    raise ValueError(f"{message}: check the key's spelling in "
                     f"--params_override / --config_file") from None
  except LookupError as error:
    if FLAGS.experiment not in str(error):
      raise
    raise ValueError(
        f"--experiment={FLAGS.experiment} is not registered; the zoo's are "
        f"{', '.join(experiments.list_experiments('*digits*'))}, "
        f"fasterrcnn_vgg16*_voc / _coco and fasterrcnn_fpn_<resnet>_coco "
        f"(sparsezoo_tf.detection.experiments.list_experiments())") from None
  _check_types(exp_factory.get_exp_config(FLAGS.experiment).as_dict(),
               params.as_dict())
  model_dir = FLAGS.model_dir
  _check_run_folder(params, model_dir)
  if _reads_embedded_set(params, records.digits_detection_paths().root):
    records.prepare_digits_detection()
  _check_input_paths(params)
  os.makedirs(model_dir, exist_ok=True)
  if "train" in FLAGS.mode:
    train_utils.serialize_config(params, model_dir)
  strategy = distribute_utils.get_distribution_strategy(
      distribution_strategy=params.runtime.distribution_strategy,
      all_reduce_alg=params.runtime.all_reduce_alg,
      num_gpus=params.runtime.num_gpus, tpu_address=params.runtime.tpu)
  with strategy.scope():
    task = task_factory.get_task(params.task, logging_dir=model_dir)
  evaluations = []  # each evaluation's logs (an Orbit eval action)
  model, _ = train_lib.run_experiment(
      distribution_strategy=strategy, task=task, mode=FLAGS.mode,
      params=params, model_dir=model_dir,
      eval_actions=[evaluations.append])
  logs = evaluations[-1] if evaluations else {}
  if "train" in FLAGS.mode:
    weights = os.path.join(model_dir, WEIGHTS)
    sha256 = detectors.save_detector_weights(model, weights)
    print(f"Wrote {weights} (sha256 {sha256})")
  metrics = _scalars(logs)
  if metrics:
    runs.write_json(os.path.join(model_dir, METRICS),
                    {"experiment": FLAGS.experiment, "mode": FLAGS.mode,
                     **metrics})
    print(json.dumps({k: round(v, 4) for k, v in metrics.items()}))


if __name__ == "__main__":
  _cli.run(main)
