"""The zoo as a table: parameters, multiply-adds, the papers' values, and
ratios to each model's dense baseline, including measured CPU latency; the
table of the registered weights; and the README's generated tables.

Latency ratios divide by the dense baseline measured in the same run, the
two models taking turns (`benchmarks.ops.time_interleaved`), minimum of
several runs: the only honest way on a shared, noisy machine.

README.md's tables of the zoo, of its latency, of the digits weights, of
their TFLite files and of the digits detectors' weights are generated: each lives between
`<!-- key: begin -->` / `<!-- key: end -->` markers, `README_TABLES[key]`
says how it is made, and `python tools/model_table.py --readme key`
rewrites it (`tests/test_readme.py`, and `tests/test_tflite.py` for the
TFLite table, fail when one drifts from what this module writes).
"""

import contextlib
import dataclasses
import fnmatch
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import tensorflow as tf
import tf_keras as keras

from sparsezoo_tf import analysis
from sparsezoo_tf import data
from sparsezoo_tf.benchmarks import ops as op_benchmark
from sparsezoo_tf.models import registry
from sparsezoo_tf.models import weights as weights_lib


@dataclasses.dataclass
class ZooRow:
  """One model's line of the table."""
  name: str
  scheme: str
  params: int
  flops: int
  paper: str = ""
  paper_params: Optional[float] = None
  paper_flops: Optional[float] = None
  baseline: Optional[str] = None
  params_ratio: Optional[float] = None
  flops_ratio: Optional[float] = None
  latency_ratio: Dict[int, float] = dataclasses.field(default_factory=dict)


_COSTS: Dict[str, analysis.ModelCost] = {}


def model_cost(name: str, allocate: bool = True) -> analysis.ModelCost:
  """Parameters and multiply-adds of a registered model at its default
  input (cached).

  Args:
    name: a registered model.
    allocate: build the model eagerly (fast); False builds it in a
      throwaway graph, where variables are never initialized: about twice
      as slow, but a 1.5 G-parameter baseline then costs no memory.
  """
  if name not in _COSTS:
    info = registry.model_info(name)
    with contextlib.nullcontext() if allocate else tf.Graph().as_default():
      if not allocate:
        # A graph-level seed: with op determinism on (after `training.train`)
        # unseeded random ops, e.g. dropout, refuse to be built.
        tf.random.set_seed(0)
      model = registry.create_model(name, weights=None)
      _COSTS[name] = analysis.count_model(model, info.input_shape)
  return _COSTS[name]


def latency_ratio(name: str, baseline: str, batch: int, repeats: int = 5,
                  number: int = 2, **model_kwargs) -> float:
  """Inference time of `name` / time of `baseline` at `batch`, default
  input size, measured in the same run; `model_kwargs` go to `name`'s
  entry point (e.g. `implementation="reference"`)."""
  for label, value in (("batch", batch), ("repeats", repeats),
                       ("number", number)):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
      raise ValueError(f"{label} must be a positive int, got {value!r}")
  info = registry.model_info(name)
  registry.model_info(baseline)
  x = tf.constant(np.random.default_rng(0).standard_normal(
      (batch,) + tuple(info.input_shape)).astype(np.float32))
  functions = {}
  for model_name in (name, baseline):
    kwargs = model_kwargs if model_name == name else {}
    model = registry.create_model(model_name, weights=None, **kwargs)
    functions[model_name] = tf.function(
        lambda m=model: tf.reduce_sum(m(x, training=False)))
  times = op_benchmark.time_interleaved(functions, repeats, number)
  return times[name] / times[baseline]


def select(patterns: Sequence[str]) -> List[str]:
  """Registered names matching any of the shell patterns, in registry
  order; a pattern that matches nothing is an error."""
  chosen = set()
  for pattern in patterns:
    matched = registry.list_models(pattern)
    if not matched:
      raise ValueError(f"no registered model matches {pattern!r}")
    chosen.update(matched)
  return [name for name in registry.list_models() if name in chosen]


def zoo_rows(names: Sequence[str], batches: Sequence[int] = (),
             repeats: int = 5, allocate: bool = False) -> List[ZooRow]:
  """Rows of the table; latency ratios for `batches` (none when empty).
  `allocate` as in `model_cost` (False: the zoo's largest dense baselines
  hold up to 1.5 G parameters)."""
  rows = []
  for name in names:
    info = registry.model_info(name)
    cost = model_cost(name, allocate)
    row = ZooRow(name, info.scheme, cost.params, cost.multiply_adds,
                 baseline=info.baseline)
    if info.rows:
      first = info.rows[0]
      row.paper = "; ".join(f"{r.paper} {r.table}: {r.row}"
                            for r in info.rows)
      row.paper_params, row.paper_flops = first.params, first.flops
    if info.baseline:
      base = model_cost(info.baseline, allocate)
      row.params_ratio = cost.params / base.params
      row.flops_ratio = cost.multiply_adds / base.multiply_adds
      for batch in batches:
        row.latency_ratio[batch] = latency_ratio(name, info.baseline, batch,
                                                 repeats)
    rows.append(row)
  return rows


def _millions(value: Optional[float]) -> str:
  return "" if value is None else f"{value / 1e6:.3f}"


def _ratio(value: Optional[float]) -> str:
  return "" if value is None else f"{value:.3f}"


def to_markdown(rows: Sequence[ZooRow], batches: Sequence[int] = ()) -> str:
  """The table; params and FLOPs (multiply-adds) in millions. The paper's
  values are those of the model's first row."""
  header = (["model", "scheme", "params (M)", "FLOPs (M)", "paper row",
             "paper params (M)", "paper FLOPs (M)", "baseline",
             "params / baseline", "FLOPs / baseline"] +
            [f"latency b{b} / baseline" for b in batches])
  lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
  for row in rows:
    cells = [row.name, row.scheme, _millions(row.params),
             _millions(row.flops), row.paper, _millions(row.paper_params),
             _millions(row.paper_flops), row.baseline or "",
             _ratio(row.params_ratio), _ratio(row.flops_ratio)]
    cells += [_ratio(row.latency_ratio.get(b)) for b in batches]
    lines.append("| " + " | ".join(cells) + " |")
  return "\n".join(lines)


def latency_markdown(rows: Sequence[ZooRow], batches: Sequence[int]) -> str:
  """The latency table: one line per row that has a baseline, with its
  ratios to the baseline only (a latency the rows do not carry is
  blank)."""
  header = (["model", "scheme", "baseline", "params / baseline",
             "FLOPs / baseline"] +
            [f"latency b{b} / baseline" for b in batches])
  lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
  for row in rows:
    if row.baseline:
      cells = [row.name, row.scheme, row.baseline, _ratio(row.params_ratio),
               _ratio(row.flops_ratio)]
      cells += [_ratio(row.latency_ratio.get(b)) for b in batches]
      lines.append("| " + " | ".join(cells) + " |")
  return "\n".join(lines)


LOCALIZATION_METRICS = (("top1_loc", "top-1 loc"), ("top5_loc", "top-5 loc"),
                        ("gt_known_loc", "GT-known"))


def weights_markdown(entries: Sequence[weights_lib.WeightsEntry],
                     split: str = "test") -> str:
  """The table of registered weights files: name, scheme, trainable
  parameters and the top-1 accuracy their recipe measured on `split` of
  their dataset (as a fraction and as correct / examples), and the
  localization accuracies when every entry has them."""
  localization = bool(entries) and all(
      key in entry.metrics for entry in entries
      for key, _ in LOCALIZATION_METRICS)
  extra = [label for _, label in LOCALIZATION_METRICS] if localization else []
  lines = ["| " + " | ".join(["weights", "scheme", "params",
                              f"{split} top-1"] + extra) + " |",
           "|---|---|---:|---:|" + "---:|" * len(extra)]
  for entry in entries:
    if "top1" not in entry.metrics:
      raise ValueError(f"weights {entry.name!r} of {entry.model!r} have no "
                       f"measured top1 to list; register them with "
                       f"metrics={{'top1': ...}}")
    examples = data.num_examples(entry.dataset, split)
    cells = [f"`{entry.model}` \"{entry.name}\"",
             registry.model_info(entry.model).scheme,
             f"{model_cost(entry.model).params:,}"]
    keys = ["top1"] + ([key for key, _ in LOCALIZATION_METRICS]
                       if localization else [])
    for key in keys:
      value = entry.metrics[key]
      cells.append(f"{value:.4f} ({round(value * examples)}/{examples})")
    lines.append("| " + " | ".join(cells) + " |")
  return "\n".join(lines)


# The COCO metrics of a detector's weights entry, as the table lists them.
DETECTION_METRICS = ("AP", "AP50", "AP75", "ARmax100")


def detection_weights_markdown(entries: Sequence[weights_lib.WeightsEntry],
                               split: str = "test") -> str:
  """The table of registered detector weights: detector, backbone and its
  scheme, parameters, multiply-adds at the detector's input size (box head
  on 64 RoIs, its test proposals) and the COCO metrics
  `tools/eval_detector.py` measured on `split`."""
  # pylint: disable-next=g-import-not-at-top
  from sparsezoo_tf.detection import detectors  # imports Model Garden
  lines = ["| " + " | ".join(
      ["weights", "backbone", "scheme", "params", "MACs (M)"]
      + [f"{split} {key}" for key in DETECTION_METRICS]) + " |",
           "|---|---|---|---:|---:|" + "---:|" * len(DETECTION_METRICS)]
  for entry in entries:
    missing = [key for key in DETECTION_METRICS if key not in entry.metrics]
    if missing:
      raise ValueError(f"weights {entry.name!r} of {entry.model!r} have no "
                       f"measured {missing} to list")
    spec = detectors.detector_spec(entry.model)
    config = detectors.detector_config(entry.model)
    info = detectors.detector_info(
        entry.model, num_rois=config.roi_generator.test_num_proposals)
    cells = [f"`{entry.model}` \"{entry.name}\"", spec.backbone,
             registry.model_info(spec.backbone).scheme,
             f"{info.params:,}", _millions(info.flops)]
    cells += [f"{entry.metrics[key]:.4f}" for key in DETECTION_METRICS]
    lines.append("| " + " | ".join(cells) + " |")
  return "\n".join(lines)


def _accuracy(value: float, examples: int) -> str:
  return f"{value:.4f} ({round(value * examples)}/{examples})"


def tflite_markdown(entries: Sequence[weights_lib.WeightsEntry],
                    split: str = "test") -> str:
  """The TFLite table of registered weights files: for each, the model's
  float32 size (parameters x 4), the sizes in bytes of its float32 and int8
  `.tflite` files (`sparsezoo_tf.tflite.convert`; int8 calibrated on the
  first `tflite.DEFAULT_CALIBRATION_EXAMPLES` train images), and top-1
  accuracy on the whole `split` of the weights' dataset: the Keras model
  (on the pure-TF path, which the files are traced from), the float32
  file, the int8 file, and the int8 file's top-1 agreement with the Keras
  model. The files run in the TFLite interpreter."""
  # pylint: disable-next=g-import-not-at-top
  from sparsezoo_tf import export, tflite
  header = ["weights", "scheme", "float32 size (bytes)",
            "TFLite float32 (bytes)", "TFLite int8 (bytes)",
            f"Keras {split} top-1", "TFLite float32 top-1",
            "TFLite int8 top-1", "int8 / Keras top-1 agreement"]
  lines = ["| " + " | ".join(header) + " |",
           "|---|---|" + "---:|" * (len(header) - 2)]
  for entry in entries:
    info = registry.model_info(entry.model)
    model = registry.create_model(entry.model, weights=entry.name)
    model = export.serving_model(model, "reference")
    data = tflite.RepresentativeData(entry.dataset, evaluation_split=split,
                                     evaluation_examples=0)
    images, labels = tflite.evaluation_set(data, model)
    expected = tflite.keras_outputs(model, images)
    float_file = tflite.convert(model)
    int8_file = tflite.convert(model, "int8",
                               tflite.calibration_images(data, model))
    float_parity = tflite.compare(model, float_file, images, labels,
                                  expected)
    int8_parity = tflite.compare(model, int8_file, images, labels, expected)
    examples = len(labels)
    cells = [f"`{entry.model}` \"{entry.name}\"", info.scheme,
             f"{info.float32_bytes:,}", f"{len(float_file):,}",
             f"{len(int8_file):,}",
             _accuracy(float_parity.keras_top1, examples),
             _accuracy(float_parity.tflite_top1, examples),
             _accuracy(int8_parity.tflite_top1, examples),
             _accuracy(int8_parity.top1_agreement, examples)]
    lines.append("| " + " | ".join(cells) + " |")
    keras.backend.clear_session()
  return "\n".join(lines)


@dataclasses.dataclass(frozen=True)
class ReadmeTable:
  """How one of README.md's generated tables is made.

  Attributes:
    kind: "zoo" (`to_markdown`), "latency" (`latency_markdown`: the models
      with a baseline), "weights" (`weights_markdown`: the models'
      registered weights files on `dataset`) or "tflite"
      (`tflite_markdown`: the same weights files as TFLite files) or
      "detection" (`detection_weights_markdown`: registered detector
      weights on `dataset`; patterns match detector names).
    patterns: shell patterns of the model names (`select`).
    batches: batch sizes of the latency columns.
    repeats: timed runs per latency (minimum).
    dataset: the weights' dataset (kind "weights").
  """
  kind: str
  patterns: Tuple[str, ...] = ("*",)
  batches: Tuple[int, ...] = ()
  repeats: int = 3
  dataset: Optional[str] = None


README_TABLES = {
    # Every model: minutes to count (every model built in a throwaway graph).
    "zoo_table": ReadmeTable("zoo"),
    # The models small enough to time on 2 cores in a few minutes.
    "zoo_latency": ReadmeTable(
        "latency", patterns=("densenet40_cifar_scfusion*", "digits_cnn_*",
                             "igcv1_c48_d20", "igcv2_c64_d20",
                             "resnet18_cifar_psc*", "resnet32_cifar_*",
                             "vgg16_cifar_psc*", "xception_c35_d20"),
        batches=(1, 8), repeats=3),
    "digits_weights": ReadmeTable("weights", patterns=("digits_cnn*",),
                                  dataset="digits"),
    "cam_weights": ReadmeTable("weights", patterns=("digits_cam_cnn*",),
                               dataset="digits_canvas"),
    # Converts each digits weights file twice: about 40 s on 2 cores.
    "tflite": ReadmeTable("tflite", patterns=("digits_cnn*",),
                          dataset="digits"),
    # The Faster R-CNN detectors' weights (detector names, not models).
    "detection_weights": ReadmeTable("detection",
                                     patterns=("fasterrcnn_digits_*",),
                                     dataset="digits_detection"),
}
# The kinds whose lines are registered weights files.
_WEIGHTS_KINDS = ("weights", "tflite", "detection")


def _readme_spec(key: str) -> ReadmeTable:
  if key not in README_TABLES:
    raise ValueError(f"README.md has no generated table {key!r}; the tables "
                     f"are {sorted(README_TABLES)}")
  return README_TABLES[key]


def readme_models(key: str) -> List[str]:
  """The models, in registry order, whose lines README table `key` has."""
  spec = _readme_spec(key)
  if spec.kind == "detection":
    names = sorted({e.model for e in weights_lib.list_weights()
                    if e.available and e.dataset == spec.dataset
                    and any(fnmatch.fnmatchcase(e.model, pattern)
                            for pattern in spec.patterns)})
    return names
  names = select(spec.patterns)
  if spec.kind == "latency":
    return [n for n in names if registry.model_info(n).baseline]
  if spec.kind in _WEIGHTS_KINDS:
    with_files = {e.model for e in weights_lib.list_weights()
                  if e.available and e.dataset == spec.dataset}
    return [n for n in names if n in with_files]
  return names


def readme_table(key: str, names: Optional[Sequence[str]] = None,
                 measure: bool = True) -> str:
  """README table `key` as `tools/model_table.py --readme key` writes it.

  Args:
    key: a key of `README_TABLES`.
    names: only these models' lines (default: `readme_models(key)`); the
      drift test recomputes a cheap subset this way.
    measure: time the latency columns (False leaves them blank).

  Returns:
    The Markdown table, without the section markers.
  """
  spec = _readme_spec(key)
  names = readme_models(key) if names is None else list(names)
  if spec.kind in _WEIGHTS_KINDS:
    entries = [e for e in weights_lib.list_weights()
               if e.available and e.dataset == spec.dataset]
    missing = sorted(set(names) - {e.model for e in entries})
    if missing:
      raise ValueError(f"no {spec.dataset} weights file is registered for "
                       f"{missing}; README table {key!r} lists "
                       f"{readme_models(key)}")
    chosen = sorted((e for e in entries if e.model in names),
                    key=lambda e: (names.index(e.model), e.name))
    if spec.kind == "tflite":
      return tflite_markdown(chosen)
    if spec.kind == "detection":
      return detection_weights_markdown(chosen)
    return weights_markdown(chosen)
  batches = spec.batches if measure else ()
  rows = zoo_rows(names, batches, spec.repeats)
  if spec.kind == "latency":
    return latency_markdown(rows, spec.batches)
  return to_markdown(rows)
