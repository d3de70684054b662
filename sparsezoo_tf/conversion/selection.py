"""Which convolutions of a model `sparsify` converts, and to which part of
the scheme: `scheme.for_conv(kernel_size, index)`, the choice
`ConvPolicy.conv` makes for the zoo's body convolutions.
"""

import dataclasses
import fnmatch
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Union

import tf_keras as keras

from sparsezoo_tf import schemes
from sparsezoo_tf.conversion import graph

Selector = Union[None, str, Sequence[str], Callable[[keras.layers.Layer],
                                                     bool]]


@dataclasses.dataclass(frozen=True)
class Decision:
  """What `sparsify` means to do with one reported layer.

  Attributes:
    layer: the original layer.
    part: the layer or block scheme that replaces it (`for_conv`), or None
      when the layer is kept.
    reason: why it is kept ("" for a candidate); a candidate can still be
      kept when its layer refuses the channel counts (see the report).
  """
  layer: keras.layers.Layer
  part: Optional[schemes.Scheme]
  reason: str = ""

  @property
  def candidate(self) -> bool:
    return self.part is not None


def _pair(value) -> tuple:
  return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def _selector(value: Selector, what: str,
              names: Iterable[str]) -> Optional[Callable[..., bool]]:
  """A predicate on layers from names / fnmatch patterns / a callable."""
  if value is None:
    return None
  if callable(value):
    return value
  patterns = [value] if isinstance(value, str) else list(value)
  if not all(isinstance(p, str) for p in patterns):
    raise TypeError(f"{what} takes layer names, fnmatch patterns or a "
                    f"callable(layer) -> bool, got {value!r}")
  names = list(names)
  for pattern in patterns:
    if not any(fnmatch.fnmatchcase(name, pattern) for name in names):
      raise ValueError(f"{what}={pattern!r} matches no convolution of the "
                       f"model (its convolutions: "
                       f"{', '.join(names[:12])}"
                       f"{', ...' if len(names) > 12 else ''})")
  return lambda layer: any(
      fnmatch.fnmatchcase(layer.name, p) for p in patterns)


def _structural_reason(layer, scheme: schemes.Scheme) -> str:
  """Why no scheme layer can stand for this layer, or ""."""
  kind = type(layer).__name__
  if isinstance(layer, keras.layers.Dense):
    return "Dense: not a convolution (keeps its units)"
  if isinstance(layer, graph.DEPTHWISE_LAYERS):
    return f"{kind}: scheme {scheme.name!r} has no depthwise form"
  if type(layer) is not keras.layers.Conv2D:  # pylint: disable=unidiomatic-typecheck
    return f"{kind}: only Conv2D layers are converted"
  if layer.data_format != "channels_last":
    return "data_format='channels_first': the scheme layers are NHWC"
  if _pair(layer.dilation_rate) != (1, 1):
    return (f"dilation_rate={_pair(layer.dilation_rate)}: the schemes have "
            f"no dilated form")
  if layer.groups != 1:
    return (f"groups={layer.groups}: already a group convolution, which "
            f"the scheme cannot express")
  return ""


def decide(model: keras.Model, scheme: schemes.Scheme, include: Selector,
           exclude: Selector, convert_stem: bool) -> Dict[int, Decision]:
  """One `Decision` per reported layer (convolutions and Dense layers).

  Args:
    model: a checked functional or Sequential model.
    scheme: the registered scheme.
    include, exclude: layer names, fnmatch patterns or a callable.
    convert_stem: also convert convolutions that read the model's input.

  Returns:
    id(layer) -> Decision, for layers in `graph.REPORTED_LAYERS`.
  """
  nodes = graph.ordered_nodes(model)
  order = graph.layer_order(model)
  layers = sorted(graph.unique_layers(nodes),
                  key=lambda layer: order.get(id(layer), len(order)))
  reported = [layer for layer in layers
              if isinstance(layer, graph.REPORTED_LAYERS)]
  conv_names = [layer.name for layer in reported
                if isinstance(layer, keras.layers.Conv2D)]
  included = _selector(include, "include", conv_names)
  excluded = _selector(exclude, "exclude", conv_names)
  stems = {id(node.layer) for node in nodes
           if isinstance(node.layer, keras.layers.Conv2D) and
           graph.reads_model_input(model, node)}
  decisions: Dict[int, Decision] = {}
  spatial_count = 0
  for layer in reported:
    reason = _structural_reason(layer, scheme)
    if not reason and included is not None and not included(layer):
      reason = "not selected by include="
    if not reason and excluded is not None and excluded(layer):
      reason = "excluded by exclude="
    if not reason and id(layer) in stems and not convert_stem:
      reason = ("stem: reads the model's input, dense as in the papers "
                "(convert_stem=True converts it)")
    if reason:
      decisions[id(layer)] = Decision(layer, None, reason)
      continue
    part = scheme.for_conv(layer.kernel_size, spatial_count)
    if not schemes.is_pointwise(layer.kernel_size) and scheme.sequence:
      spatial_count += 1
    if part.name == "dense":
      rows, cols = layer.kernel_size
      decisions[id(layer)] = Decision(
          layer, None, f"scheme {scheme.name!r} keeps {rows}x{cols} "
                       f"convolutions dense")
    else:
      decisions[id(layer)] = Decision(layer, part)
  return decisions


def candidates(decisions: Dict[int, Decision]) -> List[Decision]:
  return [d for d in decisions.values() if d.candidate]
