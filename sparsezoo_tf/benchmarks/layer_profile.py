"""Where a model's inference time goes: each top-level layer of a zoo
model timed on its own, at the input it gets inside the model, beside its
multiply-adds, and matched by name against the model's dense baseline.

    sparse, dense = layer_profile.profile_models(
        [("resnet18_sc", "op"), ("resnet18", None)], batch=8)
    print(layer_profile.to_markdown(sparse))
    print(layer_profile.comparison_markdown(sparse, dense))

Every layer's call (`layer(inputs, training=False)` in its own
`tf.function`, on random inputs of the shapes it receives in the model) and
the whole model's call, of every model profiled together, take turns
within each of `repeats` runs; each time
is the minimum over runs of the mean of `number` calls (`benchmarks.ops.
time_interleaved`). A layer alone pays its own memory traffic and launch
overhead, which a fused graph may hide: the layers' sum is usually a little
above the whole model's time, and the row "(whole model)" shows by how
much.
"""

import dataclasses
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import tensorflow as tf
import tf_keras as keras

from sparsezoo_tf import analysis
from sparsezoo_tf.benchmarks import ops as op_benchmark
from sparsezoo_tf.models import registry

WHOLE_MODEL = "(whole model)"


@dataclasses.dataclass(frozen=True)
class LayerTime:
  """One top-level layer of a model.

  Attributes:
    name: the layer's name in the model.
    class_name: its class.
    output_shape: its output shape without the batch dimension.
    multiply_adds: multiply-adds per example (`analysis.count_model`, the
      layer's sublayers included).
    seconds: one call on a batch, in seconds.
  """
  name: str
  class_name: str
  output_shape: Tuple
  multiply_adds: int
  seconds: float


@dataclasses.dataclass(frozen=True)
class Profile:
  """A model's per-layer times (see `profile_model`)."""
  model: str
  batch: int
  implementation: Optional[str]
  rows: List[LayerTime]
  whole_model_seconds: float

  @property
  def layers_seconds(self) -> float:
    """The sum of the layers' times."""
    return sum(row.seconds for row in self.rows)


def _check_positive(label: str, value) -> int:
  if isinstance(value, bool) or not isinstance(value, int) or value < 1:
    raise ValueError(f"{label} must be a positive int, got {value!r}")
  return value


def _layer_macs(model: keras.Model, input_shape) -> Dict[str, int]:
  """Multiply-adds per example of each top-level layer (its sublayers'
  rows summed)."""
  macs: Dict[str, int] = {}
  for row in analysis.count_model(model, input_shape).rows:
    top = row.name.split("/", 1)[0].split(" (call ", 1)[0]
    macs[top] = macs.get(top, 0) + row.multiply_adds
  return macs


def _random_like(tensor, batch: int, rng: np.random.Generator) -> tf.Tensor:
  shape = (batch,) + tuple(int(d) for d in tensor.shape[1:])
  return tf.constant(rng.standard_normal(shape).astype(np.float32))


def _layer_inputs(layer: keras.layers.Layer, batch: int,
                  rng: np.random.Generator):
  """Random inputs of the shapes `layer` receives in the model (its first
  call), nested as it receives them."""
  inputs = layer.inbound_nodes[0].input_tensors
  return tf.nest.map_structure(lambda t: _random_like(t, batch, rng), inputs)


def _output_shape(layer: keras.layers.Layer) -> Tuple:
  output = layer.output
  if isinstance(output, (list, tuple, dict)):
    return tuple(tuple(t.shape[1:]) for t in tf.nest.flatten(output))
  return tuple(output.shape[1:])


def _reduced(outputs) -> tf.Tensor:
  """One scalar of every output, so the call cannot be pruned away."""
  return tf.add_n([tf.reduce_sum(t) for t in tf.nest.flatten(outputs)])


def _timed_functions(name: str, batch: int, implementation: Optional[str],
                     rng: np.random.Generator):
  """{layer name or WHOLE_MODEL: a tf.function of no arguments} of a zoo
  model, and [(layer, multiply-adds)] in layer order."""
  info = registry.model_info(name)
  kwargs = {} if implementation is None else {
      "implementation": implementation}
  model = registry.create_model(name, weights=None, **kwargs)
  macs = _layer_macs(model, info.input_shape)
  functions, rows = {}, []
  for layer in model.layers:
    if isinstance(layer, keras.layers.InputLayer):
      continue
    inputs = _layer_inputs(layer, batch, rng)
    functions[layer.name] = tf.function(
        lambda layer=layer, inputs=inputs: _reduced(
            layer(inputs, training=False)))
    rows.append((layer, macs.get(layer.name, 0)))
  x = tf.constant(rng.standard_normal(
      (batch,) + tuple(info.input_shape)).astype(np.float32))
  functions[WHOLE_MODEL] = tf.function(
      lambda: _reduced(model(x, training=False)))
  return functions, rows


def profile_models(models: Sequence[Tuple[str, Optional[str]]],
                   batch: int = 8, repeats: int = 5,
                   number: int = 2) -> List[Profile]:
  """Times every top-level layer of zoo models (random weights, default
  input sizes) and each whole model, all interleaved in the same runs (so
  that a model and its baseline meet the same machine load).

  Args:
    models: (registered name, implementation) pairs; implementation "op",
      "reference" or "auto" for the sparse layers, None for the model's
      default.
    batch: examples per call.
    repeats: timed runs (minimum over them).
    number: calls per run and function (their mean).

  Returns:
    One `Profile` per model, rows in the model's layer order (input layers
    left out).

  Raises:
    ValueError: an unknown model (the registry's suggestions), a bad
      count or implementation.
  """
  for label, value in (("batch", batch), ("repeats", repeats),
                       ("number", number)):
    _check_positive(label, value)
  rng = np.random.default_rng(0)
  functions, layers = {}, []
  for index, (name, implementation) in enumerate(models):
    model_functions, rows = _timed_functions(name, batch, implementation,
                                             rng)
    functions.update({(index, key): fn
                      for key, fn in model_functions.items()})
    layers.append(rows)
  times = op_benchmark.time_interleaved(functions, repeats, number)
  return [Profile(
      model=name, batch=batch, implementation=implementation,
      rows=[LayerTime(layer.name, type(layer).__name__,
                      _output_shape(layer), layer_macs,
                      times[(index, layer.name)])
            for layer, layer_macs in layers[index]],
      whole_model_seconds=times[(index, WHOLE_MODEL)])
          for index, (name, implementation) in enumerate(models)]


def _shape(shape: Tuple) -> str:
  if shape and isinstance(shape[0], tuple):
    return ", ".join(_shape(s) for s in shape)
  return "x".join(str(d) for d in shape)


def _gmacs(row: LayerTime, batch: int) -> str:
  if not row.multiply_adds or row.seconds <= 0:
    return ""
  return f"{row.multiply_adds * batch / row.seconds / 1e9:.1f}"


def to_markdown(profile: Profile, top: Optional[int] = None) -> str:
  """The profile as a table, slowest layers first: layer, class, output,
  millions of multiply-adds per example, ms per batch, share of the
  layers' time, and GMAC/s; then the layers' sum and the whole model.
  `top` keeps the slowest `top` layers and sums the others in one row."""
  rows = sorted(profile.rows, key=lambda row: -row.seconds)
  shown, rest = (rows, []) if top is None else (rows[:top], rows[top:])
  total = profile.layers_seconds
  lines = ["| layer | class | output | MMACs | ms | share | GMAC/s |",
           "|---|---|---|---:|---:|---:|---:|"]
  for row in shown:
    lines.append(
        f"| {row.name} | {row.class_name} | {_shape(row.output_shape)} | "
        f"{row.multiply_adds / 1e6:.2f} | {row.seconds * 1e3:.3f} | "
        f"{row.seconds / total:.1%} | {_gmacs(row, profile.batch)} |")
  if rest:
    seconds = sum(row.seconds for row in rest)
    macs = sum(row.multiply_adds for row in rest)
    lines.append(f"| ({len(rest)} other layers) | | | {macs / 1e6:.2f} | "
                 f"{seconds * 1e3:.3f} | {seconds / total:.1%} | |")
  macs = sum(row.multiply_adds for row in rows)
  lines.append(f"| (sum of the layers) | | | {macs / 1e6:.2f} | "
               f"{total * 1e3:.3f} | 100.0% | |")
  lines.append(f"| {WHOLE_MODEL} | | | | "
               f"{profile.whole_model_seconds * 1e3:.3f} | "
               f"{profile.whole_model_seconds / total:.1%} | |")
  return "\n".join(lines)


def comparison_markdown(profile: Profile, baseline: Profile,
                        top: Optional[int] = None) -> str:
  """The layers of `profile` beside the baseline's layers of the same
  name (a zoo model and its baseline share their layer names where they
  share the architecture), by the largest time difference first: ms of
  each, their ratio, and the multiply-adds' ratio; layers of one model
  only are listed with the other's cells blank. Both must be at the same
  batch."""
  if profile.batch != baseline.batch:
    raise ValueError(f"profiles at batch {profile.batch} and "
                     f"{baseline.batch} cannot be compared")
  ours = {row.name: row for row in profile.rows}
  theirs = {row.name: row for row in baseline.rows}
  names = list(ours) + [name for name in theirs if name not in ours]

  def seconds(rows, name):
    return rows[name].seconds if name in rows else 0.0

  names.sort(key=lambda n: -abs(seconds(ours, n) - seconds(theirs, n)))
  if top is not None:
    names = names[:top]
  lines = [f"| layer | {profile.model} ms | {baseline.model} ms | "
           f"time ratio | MACs ratio |",
           "|---|---:|---:|---:|---:|"]
  for name in names:
    a, b = ours.get(name), theirs.get(name)
    cells = [name, f"{a.seconds * 1e3:.3f}" if a else "",
             f"{b.seconds * 1e3:.3f}" if b else ""]
    cells.append(f"{a.seconds / b.seconds:.2f}" if a and b and b.seconds
                 else "")
    cells.append(f"{a.multiply_adds / b.multiply_adds:.2f}"
                 if a and b and b.multiply_adds else "")
    lines.append("| " + " | ".join(cells) + " |")
  ours_total, theirs_total = (profile.whole_model_seconds,
                              baseline.whole_model_seconds)
  lines.append(f"| {WHOLE_MODEL} | {ours_total * 1e3:.3f} | "
               f"{theirs_total * 1e3:.3f} | {ours_total / theirs_total:.2f} "
               f"| |")
  return "\n".join(lines)
