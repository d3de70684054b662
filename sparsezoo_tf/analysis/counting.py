"""Parameter and multiply-add counts of Keras models and layers.

`count_model` walks a built `tf_keras` model (functional or Sequential,
nested models included) or a single layer and returns a `ModelCost`: one
`LayerCost` row per layer call with its parameters and its multiply-adds
(MACs, what the papers call FLOPs) for one example.

Conventions:
  * `params` counts trainable weights (the papers' convention: BatchNorm
    gamma/beta are counted, its moving mean/variance are non-trainable and
    reported apart); a layer called several times is counted once.
  * Multiply-adds are counted for convolutions and dense layers only, per
    call (a shared layer called twice counts twice), for a batch of one:
      Conv1D/2D/3D          prod(kernel) (C_in / groups) C_out * out positions
      DepthwiseConv1D/2D    prod(kernel) C_in depth_multiplier * out positions
      SeparableConv1D/2D    the depthwise plus the pointwise convolution
      Conv1D/2D/3DTranspose prod(kernel) C_in C_out * input positions
      Dense                 in * units * prod(extra non-batch input dims)
      SparseConv2DBase      existing weights (`plan.num_weights`) * out pixels
    Bias additions, normalization, activations, pooling and element-wise
    merges are 0. A layer with weights of any other type has its parameters
    counted, 0 MACs, `known=False`, and is named in one logged warning.
  * Output sizes come from each layer's `compute_output_shape`, so the shapes
    must be fully defined (except the batch dimension).

Composite layers (the extension protocol):
  A layer that runs sublayers inside its `call` exposes them by defining

      def sublayer_calls(self, input_shape):
        return [(sublayer, sublayer_input_shape), ...]

  `input_shape` is the full `tf.TensorShape` of the layer's input, batch
  dimension included (as `compute_output_shape` receives it); it returns one
  pair per sublayer call made by one call of the layer, in call order, each
  with the full input shape that sublayer sees (a list of shapes for a
  sublayer with several inputs). A sublayer called twice appears twice. The
  counter then counts those calls (recursively: a sublayer may be composite
  itself) as rows named `layer/sublayer`, instead of treating the layer as a
  leaf. Work the layer does outside its sublayers is not counted, and
  weights the layer holds outside them form a row `layer` with `known=False`.
  See `CompositeLayer` and `sparsezoo_tf.layers.SCFusion.sublayer_calls`.
"""

import collections
import dataclasses
import logging
import math
from typing import (Any, Callable, Dict, List, Optional, Protocol, Sequence,
                    Tuple, runtime_checkable)

import tensorflow as tf
import tf_keras as keras

from sparsezoo_tf.layers import base

_LOG = logging.getLogger(__name__)

SUBLAYER_CALLS_METHOD = "sublayer_calls"

ShapeLike = Any  # A TensorShape, a sequence of ints / None, or a list of them.


@runtime_checkable
class CompositeLayer(Protocol):
  """A layer whose cost is the cost of the sublayers it calls.

  Implement `sublayer_calls` on a Keras layer that runs sublayers inside its
  `call` (see the module docstring): the counter then recurses into them.
  """

  def sublayer_calls(
      self, input_shape: tf.TensorShape
  ) -> Sequence[Tuple[keras.layers.Layer, ShapeLike]]:
    """The sublayer calls one call of the layer makes.

    Args:
      input_shape: the full input shape of the layer, batch dimension
        included (what `compute_output_shape` receives).

    Returns:
      `(sublayer, sublayer_input_shape)` pairs in call order, one per call,
      each shape full (batch dimension included).
    """


@dataclasses.dataclass(frozen=True)
class LayerCost:
  """The cost of one layer call.

  Attributes:
    name: the layer name, prefixed by its enclosing models or composite
      layers (`outer/inner`); a repeated call is suffixed ` (call k)`.
    class_name: the layer's class.
    output_shape: the output shape without the batch dimension (a tuple of
      such shapes for a layer with several outputs).
    params: trainable parameters not counted in an earlier row.
    non_trainable_params: non-trainable parameters not counted earlier.
    multiply_adds: multiply-adds of this call for one example.
    known: False when the layer has weights the counter does not understand
      (its multiply-adds are then 0, not counted).
  """
  name: str
  class_name: str
  output_shape: Tuple[Any, ...]
  params: int
  non_trainable_params: int
  multiply_adds: int
  known: bool = True


@dataclasses.dataclass(frozen=True)
class ModelCost:
  """Per-layer costs of a model (see `count_model`)."""
  rows: List[LayerCost]

  @property
  def params(self) -> int:
    """Trainable parameters."""
    return sum(row.params for row in self.rows)

  @property
  def non_trainable_params(self) -> int:
    return sum(row.non_trainable_params for row in self.rows)

  @property
  def convolution_params(self) -> int:
    """Trainable parameters outside BatchNormalization and Dense layers:
    the weights of the convolutions (paper 002's convention)."""
    return sum(row.params for row in self.rows
               if row.class_name not in ("BatchNormalization", "Dense"))

  @property
  def multiply_adds(self) -> int:
    """Multiply-adds of one forward pass of one example."""
    return sum(row.multiply_adds for row in self.rows)

  @property
  def unknown_classes(self) -> List[str]:
    """Classes of the layers whose multiply-adds were not counted."""
    return sorted({row.class_name for row in self.rows if not row.known})

  def to_markdown(self) -> str:
    """A Markdown table: one line per row, then the total."""
    lines = [
        "| layer | type | output shape | params | non-trainable | MACs |",
        "|---|---|---|---:|---:|---:|",
    ]
    for row in self.rows:
      macs = f"{row.multiply_adds:,}" if row.known else "?"
      lines.append(f"| {row.name} | {row.class_name} | "
                   f"{_format_shape(row.output_shape)} | {row.params:,} | "
                   f"{row.non_trainable_params:,} | {macs} |")
    lines.append(f"| **total** | | | {_millions(self.params)} | "
                 f"{self.non_trainable_params:,} | "
                 f"{_millions(self.multiply_adds)} |")
    if self.unknown_classes:
      lines.append("")
      lines.append(f"?: multiply-adds not counted (layers of class "
                   f"{', '.join(self.unknown_classes)}).")
    return "\n".join(lines)

  def summary(self) -> str:
    """One line: parameters and multiply-adds."""
    text = (f"{_millions(self.params)} params, "
            f"{self.non_trainable_params:,} non-trainable, "
            f"{_millions(self.multiply_adds)} multiply-adds per example")
    if self.unknown_classes:
      text += (f" (not counted: multiply-adds of "
               f"{', '.join(self.unknown_classes)})")
    return text


def count_model(model_or_layer: keras.layers.Layer,
                input_shape: Optional[ShapeLike] = None) -> ModelCost:
  """Counts the parameters and multiply-adds of a model or a layer.

  Args:
    model_or_layer: a built `tf_keras` functional or Sequential model, any
      other model or layer (a layer that is not built is built for
      `input_shape`).
    input_shape: the input shape of one example, without the batch
      dimension as in `keras.Input(shape)` (a list of shapes for several
      inputs); a leading None, or a leading entry when the input rank is
      known, is taken as the batch dimension. Without it, the shapes the
      model or the layer was called with are used (every recorded call of a
      single layer is counted).

  Returns:
    The per-layer costs.

  Raises:
    ValueError: the model or layer is not built and no `input_shape` is
      given, or a shape needed for a count is not fully defined.
  """
  if not isinstance(model_or_layer, keras.layers.Layer):
    raise TypeError(f"count_model needs a tf_keras Model or Layer, got "
                    f"{type(model_or_layer).__name__}")
  counter = _Counter()
  name = "" if isinstance(model_or_layer, keras.Model) else (
      model_or_layer.name)
  for shape in _input_shapes(model_or_layer, input_shape):
    counter.count_call(model_or_layer, shape, name)
  cost = ModelCost(counter.rows)
  if cost.unknown_classes:
    _LOG.warning(
        "count_model: multiply-adds of layers of class %s are not counted "
        "(0): the counter does not understand their weights. Implement "
        "`%s` on composite layers (see sparsezoo_tf.analysis.counting).",
        ", ".join(cost.unknown_classes), SUBLAYER_CALLS_METHOD)
  return cost


class _Counter:
  """Walks layer calls and collects rows; each weight is counted once."""

  def __init__(self):
    self.rows: List[LayerCost] = []
    self._seen_weights = set()

  def count_call(self, layer: keras.layers.Layer, input_shape,
                 name: str, recorded_output=None):
    """Counts one call of `layer` on `input_shape`; returns its output
    shape(s)."""
    prefix = f"{name}/" if name else ""
    if isinstance(layer, CompositeLayer):
      output = self._count_composite(layer, input_shape, prefix)
    elif getattr(layer, "_is_graph_network", False):
      output = self._count_graph(layer, input_shape, prefix)
    elif isinstance(layer, keras.Sequential):
      output = self._count_sequence(layer, input_shape, prefix)
    else:
      return self._count_leaf(layer, input_shape, name, recorded_output)
    output = _as_shapes(output)
    self._count_own_weights(layer, name or layer.name, output)
    return output if recorded_output is None else recorded_output

  def _count_composite(self, layer, input_shape, prefix):
    calls = getattr(layer, SUBLAYER_CALLS_METHOD)(input_shape)
    names = _CallNames()
    for call in calls:
      if (not isinstance(call, (tuple, list)) or len(call) != 2 or
          not isinstance(call[0], keras.layers.Layer)):
        raise TypeError(
            f"{layer.name}.{SUBLAYER_CALLS_METHOD} must return (sublayer, "
            f"input_shape) pairs, got {call!r}")
      sublayer, shape = call
      self.count_call(sublayer, _as_shapes(shape),
                      prefix + names.next(sublayer.name))
    return layer.compute_output_shape(input_shape)

  def _count_graph(self, model: keras.Model, input_shape, prefix):
    flat_shapes = tf.nest.flatten(input_shape)
    shape_of = {id(x): s for x, s in zip(model.inputs, flat_shapes)}
    names = _CallNames()
    nodes_by_depth = model._nodes_by_depth  # pylint: disable=protected-access
    for depth in sorted(nodes_by_depth, reverse=True):
      for node in nodes_by_depth[depth]:
        if node.is_input:
          continue
        recorded = None
        if all(shape_of.get(id(t)) == t.shape for t in node.keras_inputs):
          recorded = tf.nest.map_structure(lambda t: t.shape, node.outputs)
        shapes = tf.nest.map_structure(
            lambda t: shape_of.get(id(t), getattr(t, "shape", None)),
            _first_argument(node))
        output = self.count_call(node.layer, shapes,
                                 prefix + names.next(node.layer.name),
                                 recorded)
        for tensor, shape in zip(tf.nest.flatten(node.outputs),
                                 tf.nest.flatten(output)):
          shape_of[id(tensor)] = tf.TensorShape(shape)
    outputs = [shape_of[id(t)] for t in model.outputs]
    return outputs[0] if len(outputs) == 1 else outputs

  def _count_sequence(self, model: keras.Sequential, input_shape, prefix):
    names = _CallNames()
    shape = input_shape
    for layer in model.layers:
      shape = tf.TensorShape(
          self.count_call(layer, shape, prefix + names.next(layer.name)))
    return shape

  def _count_leaf(self, layer, input_shape, name, recorded_output):
    params, non_trainable = self._take_weights(layer)
    rule = _mac_rule(layer)
    known = rule is not None or not layer.weights or isinstance(
        layer, _ZERO_MAC_LAYERS)
    if rule is None:
      output = recorded_output
      if output is None:
        output = _output_shape(layer, input_shape, name)
      output = _as_shapes(output)
      macs = 0
    else:
      _check_defined(name, "input", input_shape)
      output = tf.TensorShape(layer.compute_output_shape(input_shape))
      _check_defined(name, "output", output)
      macs = rule(layer, tf.TensorShape(input_shape), output)
    self.rows.append(
        LayerCost(name, type(layer).__name__, _example_shape(output), params,
                  non_trainable, int(macs), known))
    return output

  def _count_own_weights(self, layer, name, output):
    """A row for weights a model or composite layer holds outside the
    sublayers counted so far."""
    params, non_trainable = self._take_weights(layer)
    if params or non_trainable:
      self.rows.append(
          LayerCost(name, type(layer).__name__, _example_shape(output),
                    params, non_trainable, 0, known=False))

  def _take_weights(self, layer) -> Tuple[int, int]:
    counts = []
    for weights in (layer.trainable_weights, layer.non_trainable_weights):
      fresh = [w for w in weights if id(w) not in self._seen_weights]
      self._seen_weights.update(id(w) for w in fresh)
      counts.append(sum(math.prod(w.shape) for w in fresh))
    return counts[0], counts[1]


class _CallNames:
  """Row names: the layer name, then `name (call k)` for repeated calls."""

  def __init__(self):
    self._calls = collections.Counter()

  def next(self, name: str) -> str:
    self._calls[name] += 1
    calls = self._calls[name]
    return name if calls == 1 else f"{name} (call {calls})"


def _conv_macs(layer, input_shape, output_shape) -> int:
  in_channels = input_shape[_channel_axis(layer)]
  per_position = math.prod(layer.kernel_size) * (
      in_channels // layer.groups) * layer.filters
  return per_position * _positions(layer, output_shape)


def _depthwise_macs(layer, input_shape, output_shape) -> int:
  in_channels = input_shape[_channel_axis(layer)]
  return (math.prod(layer.kernel_size) * in_channels *
          layer.depth_multiplier * _positions(layer, output_shape))


def _separable_macs(layer, input_shape, output_shape) -> int:
  in_channels = input_shape[_channel_axis(layer)]
  depthwise = math.prod(layer.kernel_size) * in_channels * (
      layer.depth_multiplier)
  pointwise = in_channels * layer.depth_multiplier * layer.filters
  return (depthwise + pointwise) * _positions(layer, output_shape)


def _transpose_macs(layer, input_shape, output_shape) -> int:
  del output_shape
  in_channels = input_shape[_channel_axis(layer)]
  return (math.prod(layer.kernel_size) * in_channels * layer.filters *
          _positions(layer, input_shape))


def _dense_macs(layer, input_shape, output_shape) -> int:
  del output_shape
  return input_shape[-1] * layer.units * math.prod(input_shape[1:-1])


def _sparse_conv_macs(layer, input_shape, output_shape) -> int:
  del input_shape
  return layer.multiply_adds_per_pixel * math.prod(output_shape[1:3])


# First match wins: subclasses before their bases.
_MAC_RULES: Tuple[Tuple[Tuple[type, ...], Callable[..., int]], ...] = (
    ((base.SparseConv2DBase,), _sparse_conv_macs),
    ((keras.layers.SeparableConv1D, keras.layers.SeparableConv2D),
     _separable_macs),
    ((keras.layers.DepthwiseConv1D, keras.layers.DepthwiseConv2D),
     _depthwise_macs),
    ((keras.layers.Conv1DTranspose, keras.layers.Conv2DTranspose,
      keras.layers.Conv3DTranspose), _transpose_macs),
    ((keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D),
     _conv_macs),
    ((keras.layers.Dense,), _dense_macs),
)

_ZERO_MAC_LAYERS = (
    keras.layers.BatchNormalization,
    keras.layers.experimental.SyncBatchNormalization,
    keras.layers.LayerNormalization,
    keras.layers.GroupNormalization,
    keras.layers.Normalization,
    keras.layers.PReLU,
    keras.layers.Embedding,
)


def _mac_rule(layer) -> Optional[Callable[..., int]]:
  for classes, rule in _MAC_RULES:
    if isinstance(layer, classes):
      return rule
  return None


def _channel_axis(layer) -> int:
  return 1 if getattr(layer, "data_format", None) == "channels_first" else -1


def _positions(layer, shape: tf.TensorShape) -> int:
  """Spatial positions of an NHWC / NCHW (any rank) activation shape."""
  dims = shape.as_list()[1:]
  spatial = dims[1:] if _channel_axis(layer) == 1 else dims[:-1]
  return math.prod(spatial)


def _check_defined(name: str, which: str, shapes) -> None:
  for shape in tf.nest.flatten(shapes):
    shape = tf.TensorShape(shape)
    if shape.rank is None or None in shape.as_list()[1:]:
      raise ValueError(
          f"{name}: the {which} shape must be fully defined (except the "
          f"batch dimension) to count multiply-adds, got {shape}; pass "
          f"input_shape=... (one example, e.g. (224, 224, 3)) to "
          f"count_model")


def _output_shape(layer, input_shape, name: str):
  try:
    return layer.compute_output_shape(input_shape)
  except (NotImplementedError, TypeError, ValueError) as error:
    raise ValueError(
        f"{name}: cannot infer the output shape of this "
        f"{type(layer).__name__} for input shape {input_shape} ({error}); "
        f"count the model at the input shape it was built with") from error


def _first_argument(node):
  """The first call argument of a node (the layer's `inputs`)."""
  if node.call_args:
    return node.call_args[0]
  kwargs = node.call_kwargs
  return kwargs["inputs"] if "inputs" in kwargs else next(iter(
      kwargs.values()))


def _example_shape(output) -> Tuple[Any, ...]:
  shapes = tf.nest.flatten(output)
  tuples = [tuple(tf.TensorShape(s).as_list()[1:]) for s in shapes]
  return tuples[0] if len(tuples) == 1 else tuple(tuples)


def _format_shape(shape: Tuple[Any, ...]) -> str:
  if shape and all(isinstance(s, tuple) for s in shape):
    return ", ".join(_format_shape(s) for s in shape)
  return "x".join("?" if d is None else str(d) for d in shape) or "scalar"


def _millions(value: int) -> str:
  return f"{value:,} ({value / 1e6:.2f}M)"


def _is_single_shape(value) -> bool:
  if isinstance(value, tf.TensorShape):
    return True
  return isinstance(value, (tuple, list)) and all(
      v is None or isinstance(v, int) for v in value)


def _as_shapes(value):
  """A shape or a (nested) list of shapes -> TensorShape(s)."""
  if _is_single_shape(value):
    return tf.TensorShape(value)
  if isinstance(value, dict):
    return {key: _as_shapes(v) for key, v in value.items()}
  if isinstance(value, (tuple, list)):
    return [_as_shapes(v) for v in value]
  raise TypeError(f"not a shape or a list of shapes: {value!r}")


def _with_batch(shape: tf.TensorShape, rank: Optional[int]) -> tf.TensorShape:
  """Adds (or clears) the batch dimension of a user-given shape."""
  dims = shape.as_list()
  if rank is not None:
    if len(dims) == rank - 1:
      dims = [None] + dims
    elif len(dims) != rank:
      raise ValueError(f"input_shape {tuple(shape.as_list())} does not have "
                       f"the rank {rank - 1} (or {rank} with the batch "
                       f"dimension) of the model's input")
  elif not dims or dims[0] is not None:
    dims = [None] + dims
  return tf.TensorShape([None] + dims[1:])


def _expected_ranks(layer) -> List[Optional[int]]:
  if getattr(layer, "_is_graph_network", False):
    return [x.shape.rank for x in layer.inputs]
  specs = tf.nest.flatten(layer.input_spec) if layer.input_spec else []
  return [getattr(spec, "ndim", None) for spec in specs] or [None]


def _user_shapes(layer, input_shape):
  shapes = _as_shapes(input_shape)
  flat = tf.nest.flatten(shapes)
  ranks = _expected_ranks(layer)
  if len(ranks) != len(flat):
    if getattr(layer, "_is_graph_network", False):
      raise ValueError(f"{layer.name} has {len(ranks)} inputs, input_shape "
                       f"gives {len(flat)} shapes")
    ranks = [None] * len(flat)
  full = [_with_batch(s, rank) for s, rank in zip(flat, ranks)]
  return tf.nest.pack_sequence_as(shapes, full)


def _input_shapes(layer, input_shape) -> List[Any]:
  """The input shapes of the calls to count, batch dimension included."""
  if input_shape is not None:
    shapes = _user_shapes(layer, input_shape)
    if not layer.built:
      layer.build(shapes)
    return [shapes]
  if not layer.built:
    raise ValueError(
        f"{layer.name} is not built: build it (call it on an input) or pass "
        f"input_shape=... (one example, e.g. (224, 224, 3)) to count_model")
  if getattr(layer, "_is_graph_network", False):
    shapes = [x.shape for x in layer.inputs]
    return [shapes[0] if len(shapes) == 1 else shapes]
  calls = [
      tf.nest.map_structure(lambda t: t.shape, _first_argument(node))
      for node in layer.inbound_nodes if not node.is_input
  ]
  if not calls:
    raise ValueError(
        f"{layer.name} was built without a recorded input shape: pass "
        f"input_shape=... (one example, without the batch dimension) to "
        f"count_model")
  return calls
