"""The zoo's speed targets: sparse models against their baselines at equal
or lower FLOPs, measured as CPU inference latency ratios in the same run.

A widened sparse model of equal FLOPs must not be slower than its dense
baseline (ratio <= 1.0: paper 000 claims equal speed on GPU); a sparser
model must not be slower than its FLOP ratio allows, with 30 % slack.
"""

import dataclasses
from typing import List, Optional, Sequence

from sparsezoo_tf.benchmarks import zoo_table

FLOPS_SLACK = 1.3


@dataclasses.dataclass(frozen=True)
class SpeedTarget:
  """`model` against `baseline` at `batch`; `bound` None means the FLOP
  ratio times FLOPS_SLACK."""
  model: str
  baseline: str
  batch: int = 8
  bound: Optional[float] = 1.0

  def __post_init__(self):
    if isinstance(self.batch, bool) or not isinstance(self.batch, int) or (
        self.batch < 1):
      raise ValueError(f"batch must be a positive int, got {self.batch!r}")
    if self.bound is not None and self.bound <= 0:
      raise ValueError(f"bound must be > 0 or None, got {self.bound!r}")


TARGETS = (
    SpeedTarget("resnet50_sc", "resnet50"),
    SpeedTarget("resnet18_sc", "resnet18"),
    SpeedTarget("resnet18_tiny_psc4", "resnet18_tiny_psc9", bound=None),
    SpeedTarget("vgg16_scfusion8", "vgg16", bound=None),
)


@dataclasses.dataclass
class SpeedResult:
  target: SpeedTarget
  flops_ratio: float
  bound: float
  latency_ratio: dict  # implementation -> ratio

  def met(self, implementation: str) -> bool:
    return self.latency_ratio[implementation] <= self.bound


def measure(targets: Sequence[SpeedTarget] = TARGETS,
            implementations: Sequence[str] = ("op", "reference"),
            repeats: int = 5, report=None) -> List[SpeedResult]:
  """Latency ratios of every target for every implementation of the sparse
  model (the baseline is the same Keras model each time)."""
  results = []
  for target in targets:
    flops_ratio = (zoo_table.model_cost(target.model).multiply_adds /
                   zoo_table.model_cost(target.baseline).multiply_adds)
    bound = (flops_ratio * FLOPS_SLACK if target.bound is None
             else target.bound)
    ratios = {}
    for implementation in implementations:
      ratios[implementation] = zoo_table.latency_ratio(
          target.model, target.baseline, target.batch, repeats,
          implementation=implementation)
    result = SpeedResult(target, flops_ratio, bound, ratios)
    if report:
      report(result)
    results.append(result)
  return results


def to_markdown(results: Sequence[SpeedResult],
                implementations: Sequence[str]) -> str:
  header = (["model", "baseline", "batch", "FLOPs ratio", "target"] +
            [f"latency ratio ({i})" for i in implementations] +
            [f"met ({i})" for i in implementations])
  lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
  for result in results:
    target = result.target
    bound = (f"<= {result.bound:.3f}" if target.bound is None else
             f"<= {target.bound:.2f}")
    cells = [target.model, target.baseline, str(target.batch),
             f"{result.flops_ratio:.3f}", bound]
    cells += [f"{result.latency_ratio[i]:.3f}" for i in implementations]
    cells += ["yes" if result.met(i) else "**no**" for i in implementations]
    lines.append("| " + " | ".join(cells) + " |")
  return "\n".join(lines)
