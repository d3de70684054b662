"""Channel widths under `sparsify(match=...)`: which tensors' channel
counts are tied together, which may widen, to what multiple each must
round, and the search for the width multiplier w.

Every tensor's channel dimension belongs to a class. A class is
  * a source: it holds the output of a convolution with `filters` (it
    widens to `round(w * width)`, rounded to its multiple), unless fixed;
  * fixed: it holds a model input or output, the output of a Dense or of a
    layer this module does not know, or the input of such a layer (a
    Reshape, a Lambda, a nested model, ...): its width stays;
  * derived: the output of a Concatenate (the sum of its inputs), a Flatten
    (input width times the positions) or a depthwise convolution with
    depth_multiplier m (m times the input width).
Channel-preserving layers (normalization, activation, pooling, padding,
dropout, depthwise with m = 1) and element-wise merges (Add, Multiply,
...) tie their inputs and output into one class, so that every tensor an
Add meets gets the same new width.
"""

import dataclasses
import math
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import tensorflow as tf
import tf_keras as keras

from sparsezoo_tf.conversion import graph

_PRESERVING = (
    keras.layers.BatchNormalization, keras.layers.LayerNormalization,
    keras.layers.Activation, keras.layers.ReLU, keras.layers.LeakyReLU,
    keras.layers.ELU, keras.layers.Softmax, keras.layers.ThresholdedReLU,
    keras.layers.PReLU, keras.layers.Dropout, keras.layers.SpatialDropout1D,
    keras.layers.SpatialDropout2D, keras.layers.GaussianNoise,
    keras.layers.GaussianDropout, keras.layers.AlphaDropout,
    keras.layers.ActivityRegularization, keras.layers.MaxPooling1D,
    keras.layers.MaxPooling2D, keras.layers.AveragePooling1D,
    keras.layers.AveragePooling2D, keras.layers.GlobalAveragePooling1D,
    keras.layers.GlobalAveragePooling2D, keras.layers.GlobalMaxPooling1D,
    keras.layers.GlobalMaxPooling2D, keras.layers.ZeroPadding1D,
    keras.layers.ZeroPadding2D, keras.layers.Cropping1D,
    keras.layers.Cropping2D, keras.layers.UpSampling1D,
    keras.layers.UpSampling2D, keras.layers.Rescaling,
)
_MERGES = (keras.layers.Add, keras.layers.Subtract, keras.layers.Multiply,
           keras.layers.Average, keras.layers.Maximum, keras.layers.Minimum)


def round_width(width: int, multiplier: float, multiple: int) -> int:
  """`width * multiplier` rounded to a positive multiple of `multiple` (the
  zoo's rule, `families.resnet.scaled`)."""
  return max(multiple, multiple * int(round(width * multiplier / multiple)))


def _channels(tensor) -> Optional[int]:
  shape = tensor.shape
  if shape.rank is None or shape.rank < 2 or shape[-1] is None:
    return None
  return int(shape[-1])


@dataclasses.dataclass
class _Class:
  width: Optional[int]
  source: bool = False
  fixed: bool = False
  # ("sum", parents) / ("scale", parent, factor) for a derived class.
  derived: Optional[tuple] = None
  multiple: int = 1


class ChannelClasses:
  """The channel classes of a model's tensors (see the module docstring).

  Args:
    model: a checked functional or Sequential model.
    multiples: (layer, input multiple, output multiple) requirements of
      the layers that will be converted or that need them (group
      convolutions), applied to every call of the layer.
  """

  def __init__(self, model: keras.Model,
               multiples: Sequence[Tuple[keras.layers.Layer, int, int]] = ()):
    self._parent: List[int] = []
    self._classes: List[_Class] = []
    self._of_tensor: Dict[int, int] = {}
    nodes = graph.ordered_nodes(model)
    for tensor in model.inputs:
      self._new(tensor, fixed=True)
    calls: Dict[int, list] = {}
    for node in nodes:
      self._add_node(node)
      calls.setdefault(id(node.layer), []).append(node)
    # A layer called several times sees the same widths every time.
    for layer_calls in calls.values():
      if len(layer_calls) > 1 and layer_calls[0].layer.weights:
        first = layer_calls[0]
        for other in layer_calls[1:]:
          for a, b in zip(first.keras_inputs, other.keras_inputs):
            self._union(self.of(a), self.of(b))
          for a, b in zip(tf.nest.flatten(first.outputs),
                          tf.nest.flatten(other.outputs)):
            self._union(self.of(a), self.of(b))
    for tensor in model.outputs:
      self._fix(self.of(tensor))
    self._propagate_fixed()
    layer_nodes = {id(n.layer): [] for n in nodes}
    for node in nodes:
      layer_nodes[id(node.layer)].append(node)
    for layer, in_multiple, out_multiple in multiples:
      for node in layer_nodes.get(id(layer), []):
        self._require(self.of(node.keras_inputs[0]), in_multiple)
        for tensor in tf.nest.flatten(node.outputs):
          self._require(self.of(tensor), out_multiple)

  # The union-find.
  def _new(self, tensor, **kwargs) -> int:
    index = len(self._classes)
    self._classes.append(_Class(_channels(tensor), **kwargs))
    self._parent.append(index)
    self._of_tensor[id(tensor)] = index
    return index

  def _find(self, index: int) -> int:
    while self._parent[index] != index:
      self._parent[index] = self._parent[self._parent[index]]
      index = self._parent[index]
    return index

  def of(self, tensor) -> int:
    """The class (root) of a tensor of the model."""
    if id(tensor) not in self._of_tensor:
      return self._new(tensor, fixed=True)
    return self._find(self._of_tensor[id(tensor)])

  def _union(self, a: int, b: int) -> int:
    a, b = self._find(a), self._find(b)
    if a == b:
      return a
    first, second = self._classes[a], self._classes[b]
    if first.width != second.width:
      # Not the same channels (broadcasting): fix both rather than guess.
      self._fix(a)
      self._fix(b)
      return a
    self._parent[b] = a
    first.source = first.source or second.source
    first.fixed = first.fixed or second.fixed
    first.multiple = math.lcm(first.multiple, second.multiple)
    if first.derived is not None or second.derived is not None:
      # A derived width tied to another class: keep both as they are.
      first.fixed = True
      for derived in (first.derived, second.derived):
        if derived is not None:
          for parent in self._parents(derived):
            self._fix(parent)
      first.derived = first.derived or second.derived
    return a

  def _fix(self, index: int) -> None:
    self._classes[self._find(index)].fixed = True

  @staticmethod
  def _parents(derived: tuple) -> List[int]:
    return list(derived[1]) if derived[0] == "sum" else [derived[1]]

  def _propagate_fixed(self) -> None:
    changed = True
    while changed:
      changed = False
      for index, entry in enumerate(self._classes):
        if self._find(index) != index or not entry.fixed or (
            entry.derived is None):
          continue
        for parent in self._parents(entry.derived):
          parent = self._find(parent)
          if not self._classes[parent].fixed:
            self._classes[parent].fixed = True
            changed = True

  def _require(self, index: int, multiple: int) -> None:
    if multiple <= 1:
      return
    index = self._find(index)
    entry = self._classes[index]
    entry.multiple = math.lcm(entry.multiple, multiple)
    if entry.derived is not None and not entry.fixed:
      if entry.derived[0] == "sum":
        for parent in entry.derived[1]:
          self._require(parent, multiple)
      else:
        factor = entry.derived[2]
        self._require(entry.derived[1], multiple // math.gcd(multiple,
                                                             factor))

  # The layers.
  def _add_node(self, node) -> None:
    layer = node.layer
    inputs = list(node.keras_inputs)
    outputs = tf.nest.flatten(node.outputs)
    single = len(inputs) == 1 and len(outputs) == 1
    if isinstance(layer, graph.FILTER_LAYERS) and single and (
        getattr(layer, "data_format", "channels_last") == "channels_last"):
      self._new(outputs[0], source=True)
    elif isinstance(layer, keras.layers.Dense) and single:
      self._new(outputs[0], fixed=True)
    elif isinstance(layer, graph.DEPTHWISE_LAYERS) and single and (
        layer.data_format == "channels_last"):
      if layer.depth_multiplier == 1:
        self._tie(inputs, outputs)
      else:
        self._derive(outputs[0], ("scale", self.of(inputs[0]),
                                  int(layer.depth_multiplier)))
    elif isinstance(layer, _PRESERVING) and single and (
        getattr(layer, "data_format", "channels_last") == "channels_last"):
      self._tie(inputs, outputs)
    elif isinstance(layer, _MERGES) and len(outputs) == 1:
      width = _channels(outputs[0])
      self._tie([t for t in inputs if _channels(t) == width], outputs)
      for tensor in inputs:
        if _channels(tensor) != width:
          self._fix(self.of(tensor))
    elif isinstance(layer, keras.layers.Concatenate) and len(outputs) == 1:
      rank = outputs[0].shape.rank
      if layer.axis in (-1, (rank or 0) - 1):
        self._derive(outputs[0], ("sum", [self.of(t) for t in inputs]))
      else:
        self._tie(inputs, outputs)
    elif isinstance(layer, keras.layers.Flatten) and single:
      before, after = _channels(inputs[0]), _channels(outputs[0])
      if before and after and after % before == 0:
        self._derive(outputs[0], ("scale", self.of(inputs[0]),
                                  after // before))
      else:
        self._unknown(inputs, outputs)
    else:
      self._unknown(inputs, outputs)

  def _tie(self, inputs, outputs) -> None:
    classes = [self.of(t) for t in inputs]
    for tensor in outputs:
      self._of_tensor[id(tensor)] = classes[0] if classes else self._new(
          tensor, fixed=True)
    for other in classes[1:]:
      self._union(classes[0], other)

  def _derive(self, tensor, derived: tuple) -> None:
    self._new(tensor, derived=derived)

  def _unknown(self, inputs, outputs) -> None:
    for tensor in inputs:
      self._fix(self.of(tensor))
    for tensor in outputs:
      self._new(tensor, fixed=True)

  # The widths.
  def scalable(self, tensor) -> bool:
    """Whether the tensor's channels widen with w."""
    entry = self._classes[self.of(tensor)]
    return entry.source and not entry.fixed and entry.derived is None

  def multiple(self, tensor) -> int:
    return self._classes[self.of(tensor)].multiple

  def width(self, tensor, multiplier: Optional[float]) -> Optional[int]:
    """The new channel count of a tensor at width multiplier `multiplier`
    (None: the original widths)."""
    return self._width(self.of(tensor), multiplier)

  def _width(self, index: int, multiplier: Optional[float]) -> Optional[int]:
    entry = self._classes[self._find(index)]
    if multiplier is None or entry.fixed or entry.width is None:
      return entry.width
    if entry.derived is not None:
      if entry.derived[0] == "sum":
        parts = [self._width(p, multiplier) for p in entry.derived[1]]
        return None if None in parts else sum(parts)
      part = self._width(entry.derived[1], multiplier)
      return None if part is None else part * entry.derived[2]
    if entry.source:
      return round_width(entry.width, multiplier, entry.multiple)
    return entry.width


@dataclasses.dataclass(frozen=True)
class SearchResult:
  """The width multiplier `search_multiplier` found.

  Attributes:
    multiplier: the chosen w.
    cost: its cost.
    target: the cost to match.
    tolerance: the relative tolerance asked for.
    evaluations: (w, cost) of every evaluation, in order.
  """
  multiplier: float
  cost: int
  target: int
  tolerance: float
  evaluations: Tuple[Tuple[float, int], ...]

  @property
  def ratio(self) -> float:
    return self.cost / self.target

  @property
  def within_tolerance(self) -> bool:
    return abs(self.ratio - 1.0) <= self.tolerance


def search_multiplier(cost: Callable[[float], int], target: int,
                      tolerance: float, max_evaluations: int = 12,
                      bounds: Tuple[float, float] = (1 / 16, 16.0)
                      ) -> SearchResult:
  """Finds w with `cost(w)` within `tolerance` of `target`.

  A safeguarded secant search on log cost against log w (cost grows about
  as w^2: first step w = 1 / sqrt(cost(1) / target)), bisecting the
  bracket when the secant leaves it; it stops once within half the
  tolerance, when the bracket cannot shrink, or after `max_evaluations`,
  and returns the best w evaluated. Costs are step functions of w (widths
  are rounded), so the tolerance may be unreachable for tiny networks:
  `SearchResult.within_tolerance` says so.

  Args:
    cost: w -> the cost (multiply-adds or parameters) at w.
    target: the cost to match (> 0).
    tolerance: the relative tolerance, e.g. 0.02.
    max_evaluations: the most calls of `cost`.
    bounds: the range of w.
  """
  if target <= 0:
    raise ValueError(f"the cost to match must be positive, got {target}")
  evaluations: List[Tuple[float, int]] = []
  below = above = None  # the bracket: largest w under, smallest w over.
  w = 1.0
  for _ in range(max_evaluations):
    value = cost(w)
    evaluations.append((w, value))
    ratio = value / target
    if value > 0 and abs(ratio - 1.0) <= tolerance / 2:
      break
    if ratio < 1:
      below = w if below is None else max(below, w)
    else:
      above = w if above is None else min(above, w)
    if below is not None and above is not None and above / below < 1.0005:
      break
    slope = 2.0
    distinct = [(x, c) for x, c in evaluations if c > 0]
    if len(distinct) >= 2:
      (x0, c0), (x1, c1) = distinct[-2], distinct[-1]
      if x0 != x1 and c0 != c1:
        estimate = math.log(c1 / c0) / math.log(x1 / x0)
        if 0.25 <= estimate <= 4:
          slope = estimate
    following = w * (1.0 / ratio)**(1.0 / slope) if value > 0 else w * 2
    if below is not None and above is not None and not (
        below < following < above):
      following = math.sqrt(below * above)
    following = min(max(following, bounds[0]), bounds[1])
    if any(abs(following / x - 1.0) < 1e-6 for x, _ in evaluations):
      break
    w = following
  best_w, best_cost = min(
      evaluations, key=lambda e: (abs(math.log(max(e[1], 1) / target)),
                                  e[0]))
  return SearchResult(best_w, best_cost, target, tolerance,
                      tuple(evaluations))
