"""Detector latency: paper 003's sparse Faster R-CNN detectors against the
dense VGG-16 baseline, as CPU inference latency measured in the same run.

Paper 003 Table 9 (VOC2007 test, one K80 GPU, Caffe) reports test time
per image: the VGG-16 baseline 275 ms and scFusion-8 202 ms at
600x1000 (single-scale training), scFusion-8 126 ms and its compact
sp2-fc512 variant 93 ms at 512x512 (multi-scale training): 0.73, 0.46 and
0.34 of the baseline. `COMPARISONS` are those three ratios, and a cheap
pair of small detectors (`fasterrcnn_digits_resnet18_sc` against
`fasterrcnn_digits_resnet18`, 96x96) at batch 1 and 8.

Input sizes are multiples of 32 (the backbones' largest stride): the
paper's 600x1000 is measured at 608x1024. Each comparison times one
end-to-end inference call (backbone, RPN, proposal generation and NMS,
RoIAlign, box head, detection NMS: `model(images, image_shape,
anchor_boxes, training=False)` in a `tf.function`) of the two detectors,
taking turns within each run (`benchmarks.ops.time_interleaved`), minimum
over runs; weights are random (the work per call does not depend on them,
up to the number of boxes the final NMS sees).
"""

import dataclasses
import fnmatch
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import tensorflow as tf
import tf_keras as keras

from sparsezoo_tf.benchmarks import ops as op_benchmark
from sparsezoo_tf.ops import sparse_conv

# The paper's 600x1000 (py-faster-rcnn's shorter side 600, longer side at
# most 1000), rounded up to multiples of 32.
LARGE_SIZE = (608, 1024)
COMPACT_SIZE = (512, 512)
DIGITS_SIZE = (96, 96)
# Paper 003 Table 9: test time in ms per image on a K80, by (detector,
# test size; its 600x1000 as LARGE_SIZE).
PAPER_003_TABLE_9_MS = {
    ("fasterrcnn_vgg16", LARGE_SIZE): 275.0,
    ("fasterrcnn_vgg16_scfusion8", LARGE_SIZE): 202.0,
    ("fasterrcnn_vgg16_scfusion8", COMPACT_SIZE): 126.0,
    ("fasterrcnn_vgg16_scfusion8_sp2_fc512", COMPACT_SIZE): 93.0,
}


def _size(value: Sequence[int], label: str) -> Tuple[int, int]:
  size = tuple(value)
  if len(size) != 2 or any(
      isinstance(s, bool) or not isinstance(s, int) or s < 32 or s % 32
      for s in size):
    raise ValueError(f"{label} must be (height, width), positive multiples "
                     f"of 32, got {tuple(value)!r}")
  return size


@dataclasses.dataclass(frozen=True)
class DetectorComparison:
  """`detector` at `input_size` against `baseline` at `baseline_input_size`.

  Attributes:
    detector: the sparse detector (`detection.list_detectors()`).
    baseline: the dense detector it is compared with.
    input_size: the detector's (height, width), multiples of 32.
    baseline_input_size: the baseline's (height, width); None: the same.
    batch: images per call (both detectors).
    paper_ms: paper 003 Table 9's times (detector, baseline) in ms per
      image on a K80, if it reports them.
  """
  detector: str
  baseline: str
  input_size: Tuple[int, int]
  baseline_input_size: Optional[Tuple[int, int]] = None
  batch: int = 1
  paper_ms: Optional[Tuple[float, float]] = None

  def __post_init__(self):
    object.__setattr__(self, "input_size",
                       _size(self.input_size, "input_size"))
    object.__setattr__(self, "baseline_input_size", _size(
        self.baseline_input_size or self.input_size, "baseline_input_size"))
    if isinstance(self.batch, bool) or not isinstance(self.batch, int) or (
        self.batch < 1):
      raise ValueError(f"batch must be a positive int, got {self.batch!r}")
    if self.paper_ms is not None and (
        len(self.paper_ms) != 2 or min(self.paper_ms) <= 0):
      raise ValueError(f"paper_ms must be two times > 0 or None, got "
                       f"{self.paper_ms!r}")

  @property
  def paper_ratio(self) -> Optional[float]:
    """The paper's detector time over its baseline time (None: no times)."""
    if self.paper_ms is None:
      return None
    return self.paper_ms[0] / self.paper_ms[1]


def _table_9(detector: str, size: Tuple[int, int]) -> DetectorComparison:
  """`detector` at `size` against the VGG-16 baseline at 608x1024, with
  the paper's times."""
  baseline = ("fasterrcnn_vgg16", LARGE_SIZE)
  return DetectorComparison(
      detector, baseline[0], size, baseline[1],
      paper_ms=(PAPER_003_TABLE_9_MS[(detector, size)],
                PAPER_003_TABLE_9_MS[baseline]))


COMPARISONS = (
    _table_9("fasterrcnn_vgg16_scfusion8", LARGE_SIZE),
    _table_9("fasterrcnn_vgg16_scfusion8", COMPACT_SIZE),
    _table_9("fasterrcnn_vgg16_scfusion8_sp2_fc512", COMPACT_SIZE),
    DetectorComparison("fasterrcnn_digits_resnet18_sc",
                       "fasterrcnn_digits_resnet18", DIGITS_SIZE, batch=1),
    DetectorComparison("fasterrcnn_digits_resnet18_sc",
                       "fasterrcnn_digits_resnet18", DIGITS_SIZE, batch=8),
)


def select(patterns: Sequence[str],
           comparisons: Optional[Sequence[DetectorComparison]] = None
           ) -> List[DetectorComparison]:
  """The comparisons (default: `COMPARISONS`) whose detector matches any of
  the shell patterns, in their order.

  Raises:
    ValueError: a pattern that matches no comparison's detector.
  """
  comparisons = COMPARISONS if comparisons is None else comparisons
  for pattern in patterns:
    if not any(fnmatch.fnmatchcase(c.detector, pattern) for c in comparisons):
      names = sorted({c.detector for c in comparisons})
      raise ValueError(f"no detector comparison matches {pattern!r}; the "
                       f"detectors are {names}")
  return [c for c in comparisons
          if any(fnmatch.fnmatchcase(c.detector, p) for p in patterns)]


@dataclasses.dataclass
class DetectorLatency:
  """One comparison's measurement.

  Attributes:
    comparison: what was measured.
    flops_ratio: the detector's multiply-adds per image over the
      baseline's (`detectors.count_flops`, the box head on the config's
      test proposals), each at its own input size.
    detector_ms: the detector's time per call (one batch), minimum over
      runs.
    baseline_ms: the baseline's, measured in the same runs.
  """
  comparison: DetectorComparison
  flops_ratio: float
  detector_ms: float
  baseline_ms: float

  @property
  def latency_ratio(self) -> float:
    return self.detector_ms / self.baseline_ms

  @property
  def faster(self) -> bool:
    return self.latency_ratio < 1.0


@dataclasses.dataclass
class _Timed:
  function: Callable[[], tf.Tensor]
  flops: int


def _inference_function(name: str, input_size: Tuple[int, int], batch: int,
                        implementation: Optional[str]) -> _Timed:
  """A detector with random weights, one random batch and its anchors, as
  a `tf.function` of no arguments (one end-to-end inference call), with its
  multiply-adds per image."""
  # Model Garden's vision modules load on first use: only here.
  # pylint: disable=g-import-not-at-top
  from sparsezoo_tf.detection import detectors
  from sparsezoo_tf.detection import inference
  kwargs = {}
  if implementation is not None:
    kwargs = dict(implementation=implementation,
                  backbone_kwargs={"implementation": implementation})
  model = detectors.create_detector(name, input_size=input_size, **kwargs)
  config = model.detector_config
  flops = detectors.count_flops(
      model, num_rois=config.roi_generator.test_num_proposals)
  height, width = input_size
  anchors = inference.anchor_boxes(config, [height, width], batch)
  images = tf.random.stateless_normal([batch, height, width, 3], seed=(0, 1))
  image_shape = tf.constant([[height, width]] * batch, tf.float32)

  @tf.function
  def call():
    outputs = model(images, image_shape=image_shape, anchor_boxes=anchors,
                    training=False)
    return (tf.reduce_sum(outputs["detection_boxes"]) +
            tf.reduce_sum(outputs["detection_scores"]))

  return _Timed(call, flops)


def measure(comparisons: Optional[Sequence[DetectorComparison]] = None,
            implementation: str = "auto", repeats: int = 3,
            report: Optional[Callable[[DetectorLatency], None]] = None
            ) -> List[DetectorLatency]:
  """Times every comparison: the two detectors take turns within each of
  `repeats` runs of one call each (after two warm-up calls each), minimum
  over runs.

  A detector at an input size and batch is built once per call of
  `measure` and reused by the comparisons that share it (the baseline of
  the VGG-16 rows), so each ratio still divides by the baseline's time in
  the same runs.

  Args:
    comparisons: what to measure (default: `COMPARISONS`).
    implementation: "auto", "op" or "reference" for the sparse layers of
      each comparison's detector (its backbone and RPN); the baseline is
      built as it is.
    repeats: timed runs (minimum).
    report: called with each result as soon as it is measured.

  Returns:
    One `DetectorLatency` per comparison, in order.

  Raises:
    ValueError: a bad count or implementation, or an unknown detector
      (before anything is built).
  """
  if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
    raise ValueError(f"repeats must be a positive int, got {repeats!r}")
  if implementation not in sparse_conv.IMPLEMENTATIONS:
    raise ValueError(f"implementation must be one of "
                     f"{sparse_conv.IMPLEMENTATIONS}, got {implementation!r}")
  comparisons = COMPARISONS if comparisons is None else comparisons
  # pylint: disable-next=g-import-not-at-top
  from sparsezoo_tf.detection import detectors
  for comparison in comparisons:
    detectors.detector_spec(comparison.detector)
    detectors.detector_spec(comparison.baseline)
  built: Dict[tuple, _Timed] = {}

  def get(name, size, batch, sparse_implementation):
    key = (name, size, batch, sparse_implementation)
    if key not in built:
      built[key] = _inference_function(name, size, batch,
                                       sparse_implementation)
    return built[key]

  results = []
  for comparison in comparisons:
    sparse = get(comparison.detector, comparison.input_size, comparison.batch,
                 implementation)
    dense = get(comparison.baseline, comparison.baseline_input_size,
                comparison.batch, None)
    times = op_benchmark.time_interleaved(
        {"detector": sparse.function, "baseline": dense.function},
        repeats, number=1)
    result = DetectorLatency(comparison, sparse.flops / dense.flops,
                             times["detector"] * 1e3,
                             times["baseline"] * 1e3)
    if report:
      report(result)
    results.append(result)
  built.clear()
  keras.backend.clear_session()
  return results


def _size_text(size: Tuple[int, int]) -> str:
  return f"{size[0]}x{size[1]}"


def to_markdown(results: Sequence[DetectorLatency]) -> str:
  """The results as a Markdown table: detector, baseline, input sizes,
  batch, FLOPs ratio, the two times, the latency ratio, the paper's ratio
  and whether the detector is faster than its baseline."""
  header = ["detector", "baseline", "input (detector / baseline)", "batch",
            "FLOPs ratio", "detector ms", "baseline ms", "latency ratio",
            "paper ratio (K80)", "faster"]
  lines = ["| " + " | ".join(header) + " |",
           "|---|---|---|" + "---:|" * (len(header) - 4) + "---|"]
  for result in results:
    comparison = result.comparison
    paper = ("" if comparison.paper_ms is None else
             f"{comparison.paper_ratio:.2f} ({comparison.paper_ms[0]:g} / "
             f"{comparison.paper_ms[1]:g} ms)")
    cells = [comparison.detector, comparison.baseline,
             f"{_size_text(comparison.input_size)} / "
             f"{_size_text(comparison.baseline_input_size)}",
             str(comparison.batch), f"{result.flops_ratio:.3f}",
             f"{result.detector_ms:.1f}", f"{result.baseline_ms:.1f}",
             f"{result.latency_ratio:.3f}", paper,
             "yes" if result.faster else "**no**"]
    lines.append("| " + " | ".join(cells) + " |")
  return "\n".join(lines)
