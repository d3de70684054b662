"""The zoo as a table: parameters, multiply-adds, the papers' values, and
ratios to each model's dense baseline, including measured CPU latency.

Latency ratios divide by the dense baseline measured in the same run, the
two models taking turns (`ops.benchmark.time_interleaved`), minimum of
several runs: the only honest way on a shared, noisy machine.
"""

import contextlib
import dataclasses
from typing import Dict, List, Optional, Sequence

import numpy as np
import tensorflow as tf

from sparsezoo_tf import analysis
from sparsezoo_tf.models import registry
from sparsezoo_tf.ops import benchmark


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
  times = benchmark.time_interleaved(functions, repeats, number)
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
