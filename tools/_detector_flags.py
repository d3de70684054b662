"""The detection tools' model flags (tools/eval_detector.py,
tools/detect.py): the folder of a tools/train_detector.py run
(--model_dir), or a registered detector with its weights (--detector,
--weights). Like `_cli`, it imports TensorFlow only in
`load_detector`:

    import _cli
    import _detector_flags

    _detector_flags.define_flags()

    def main(argv):
      _detector_flags.check_flags()      # before TensorFlow: cheap errors
      model = _detector_flags.load_detector()
"""

import os
from typing import Optional

from absl import flags
import yaml

import _cli

RUN_CONFIG = "params.yaml"  # sparsezoo_tf.detection.inference.RUN_CONFIG
MODEL_FLAGS = ("model_dir", "detector", "weights")
WEIGHTS_SUFFIXES = (".h5", ".hdf5")


def define_flags() -> None:
  """--model_dir, --detector and --weights."""
  flags.DEFINE_string("model_dir", None, "A tools/train_detector.py run: its "
                      "detector.h5, or its latest checkpoint while it "
                      "trains.")
  flags.DEFINE_string("detector", None, "A registered detector (sparsezoo_tf."
                      "detection.detectors.list_detectors()), with --weights; "
                      "with --model_dir, the run's.")
  flags.DEFINE_string("weights", None, "With --detector: a registered weights "
                      "name of the detector or an .h5 file "
                      "(save_detector_weights / train_detector.py).")


def model_given() -> bool:
  """Whether any of --model_dir, --detector, --weights was given."""
  return any(flags.FLAGS[name].value for name in MODEL_FLAGS)


def run_detector_name(model_dir: str) -> str:
  """The detector a run folder trained (its params.yaml's task.detector;
  '' for a hand-made config), read without TensorFlow.

  Raises:
    ValueError: a folder that is not a run.
  """
  path = os.path.join(model_dir, RUN_CONFIG)
  try:
    with open(path, encoding="utf-8") as stream:
      config = yaml.safe_load(stream)
  except yaml.YAMLError as error:
    raise ValueError(f"{path} is not valid YAML ({error})") from None
  task = config.get("task") if isinstance(config, dict) else None
  if not isinstance(task, dict) or not isinstance(task.get("model"), dict):
    raise ValueError(f"--model_dir {model_dir}: {path} has no task.model; it "
                     f"is not the config of a tools/train_detector.py run")
  return str(task.get("detector") or "")


def check_flags() -> Optional[str]:
  """The model flags' errors found before TensorFlow is imported.

  Returns:
    The detector's name when known (--detector, or the run's), else None.

  Raises:
    ValueError: a flag combination that does not name one model, a
      --model_dir that is not a run folder, a missing weights file.
  """
  model_dir = flags.FLAGS.model_dir
  detector = flags.FLAGS.detector
  weights = flags.FLAGS.weights
  if model_dir and weights:
    raise ValueError("give --model_dir (a run, with its weights) or "
                     "--detector with --weights, not --model_dir and "
                     "--weights")
  if not model_dir and not (detector and weights):
    missing = "--weights" if detector else "--detector"
    raise ValueError(f"{missing} is missing: give --model_dir (a "
                     f"tools/train_detector.py run), or --detector with "
                     f"--weights (a registered weights name or an .h5 file)")
  if weights and weights.endswith(WEIGHTS_SUFFIXES) and not os.path.isfile(
      weights):
    raise ValueError(f"--weights {weights}: no such file")
  if not model_dir:
    return detector
  if not os.path.exists(model_dir):
    raise ValueError(f"--model_dir {model_dir}: no such folder")
  if not os.path.isdir(model_dir):
    raise ValueError(f"--model_dir {model_dir} is a file; give the folder of "
                     f"a tools/train_detector.py run (weights go to "
                     f"--weights, with --detector)")
  if not os.path.isfile(os.path.join(model_dir, RUN_CONFIG)):
    raise ValueError(f"--model_dir {model_dir} is not a "
                     f"tools/train_detector.py run: it has no {RUN_CONFIG}")
  trained = run_detector_name(model_dir)
  if detector and trained and detector != trained:
    raise ValueError(f"--detector {detector} but --model_dir {model_dir} "
                     f"trained {trained}")
  return trained or detector or None


def load_detector():
  """The detector the flags name, its weights loaded
  (`sparsezoo_tf.detection.inference.load_detector`)."""
  # pylint: disable=g-import-not-at-top
  from sparsezoo_tf.detection import inference
  return inference.load_detector(model_dir=flags.FLAGS.model_dir,
                                 detector=flags.FLAGS.detector,
                                 weights=flags.FLAGS.weights)


def describe(model) -> str:
  """`name (weights file or checkpoint)` of a loaded detector."""
  spec = getattr(model, "detector_spec", None)
  name = spec.name if spec is not None else "detector"
  return f"{name} ({model.weights_source})"
