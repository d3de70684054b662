"""`sparsify`: a user's tf_keras model with the convolutions of a scheme."""

import collections
import dataclasses
import math
import re
import warnings
from typing import Any, Dict, Optional, Sequence, Tuple

import tf_keras as keras

from sparsezoo_tf import schemes
from sparsezoo_tf.analysis import counting
from sparsezoo_tf.conversion import graph
from sparsezoo_tf.conversion import report as report_lib
from sparsezoo_tf.conversion import rewrite
from sparsezoo_tf.conversion import selection
from sparsezoo_tf.conversion import widths as widths_lib

MATCHES = ("flops", "params")

def sparsify(model: keras.Model,
             scheme: str,
             match: Optional[str] = None,
             include: selection.Selector = None,
             exclude: selection.Selector = None,
             *,
             convert_stem: bool = False,
             tolerance: float = 0.02,
             input_shape: Optional[Sequence[Optional[int]]] = None,
             implementation: str = "auto",
             seed: int = 0,
             options: Optional[Dict[str, Any]] = None
             ) -> Tuple[keras.Model, report_lib.ConversionReport]:
  """Rewrites a functional or Sequential tf_keras model with a scheme's
  convolutions (in the spirit of TF-MOT's `prune_low_magnitude`).

  Every eligible `Conv2D` becomes the layer the zoo builds for the scheme
  (`scheme.for_conv(kernel_size, index)`, as `ConvPolicy.conv` chooses:
  e.g. "sc" puts SW-SC on k x k and CW-SC on 1x1 convolutions). Kept, and
  listed in the report with the reason: the stem (convolutions reading the
  model's input, unless `convert_stem`), layers not selected by `include` /
  `exclude`, dilated or grouped convolutions, depthwise convolutions (no
  scheme has a depthwise form), other convolution classes, Dense layers,
  kernel sizes the scheme keeps dense or does not define, and channel
  counts its layer cannot split.

  The new layers keep the convolution's filters, kernel size, strides,
  padding, bias, activation, initializers, regularizers, dtype and name (a
  scheme block without an activation is followed by an Activation layer).
  Kept layers keep their weights; a converted layer built on the packed
  kernel (`SparseConv2DBase`) gets the original kernel at the positions
  its scheme keeps (and the bias), so a pretrained network can be
  fine-tuned into the sparse one; blocks (scFusion, IGC, paper 001's
  designs) and every layer whose shape changed are re-initialized
  (`report.reinitialized`).

  With `match`, the channels are widened by one multiplier w, as the
  papers widen their networks (paper 000's w), so that the new model's
  multiply-adds ("flops") or parameters ("params"), counted by
  `analysis.count_model` at the model's (or `input_shape`'s) static shape,
  are within `tolerance` of the original's. Every convolution's `filters`
  becomes `round(w * filters)` rounded to the multiple its scheme needs
  (even for CW-SC, alpha for scFusion); channels tied by Add / Multiply /
  normalization / pooling get the same width; convolutions whose output
  reaches a model output or a layer that fixes channel counts (Reshape,
  Lambda, ...) keep theirs, and Dense layers keep their units. When the
  tolerance cannot be reached, the closest w is used and a warning says so.

  A Sequential model gives a Sequential model; any other model a
  functional `keras.Model` of the same name, inputs and outputs.

  Args:
    model: a built functional or Sequential tf_keras model (e.g.
      `tf_keras.applications.ResNet50(weights=None)`).
    scheme: a registered scheme name (`schemes.list_schemes()`): "sc",
      "sw_sc", "cw_sc", "sc_comb", "sc_seq", "psc4", "scfusion4",
      "group4", "igcv2", "pwgconv4_dw_pwgconv4", ...
    match: None (keep the widths), "flops" or "params".
    include: which convolutions may be converted: names, fnmatch patterns
      ("conv4_*") or a callable(layer) -> bool; None: all.
    exclude: which to keep, in the same forms; None: none.
    convert_stem: also convert the convolutions reading the model's input.
    tolerance: the relative tolerance of `match`.
    input_shape: the input shape (no batch dimension) to count costs at,
      when the model's is not static (e.g. (224, 224, 3)).
    implementation: "auto", "op" or "reference" for the sparse layers.
    seed: added to the per-layer seeds of seeded schemes (pSConv).
    options: further arguments of the scheme's layers (as
      `ConvPolicy.conv(**options)`, e.g. {"branch_channels": 4} for
      "igcv2").

  Returns:
    (new model, `ConversionReport`); `print(report)` shows the table.

  Raises:
    ValueError: an unknown scheme (with the nearest names), an unknown
      `match`, a Sequential model that is not built, convolutions without
      a static channel count, `include` / `exclude` patterns that match no
      convolution, or `match` on a model whose costs cannot be counted.
    KerasVersionError: a Keras 3 model (`tf.keras` / `keras` in TF >=
      2.16; build it with tf_keras).
    TypeError: not a model, or a subclassed model.
  """
  graph.check_model(model)
  entry = schemes.get_scheme(scheme)
  if match not in (None,) + MATCHES:
    raise ValueError(f"match must be None, 'flops' or 'params', got "
                     f"{match!r}")
  if isinstance(tolerance, bool) or not isinstance(
      tolerance, (int, float)) or not 0 < tolerance < 1:
    raise ValueError(f"tolerance must be a number in (0, 1), got "
                     f"{tolerance!r}")
  decisions = selection.decide(model, entry, include, exclude, convert_stem)
  _check_channels(model, decisions)
  multiples = [(d.layer, d.part.in_multiple, d.part.out_multiple)
               for d in selection.candidates(decisions)]
  multiples += [(d.layer, d.layer.groups, d.layer.groups)
                for d in decisions.values()
                if getattr(d.layer, "groups", 1) > 1]
  classes = widths_lib.ChannelClasses(model, multiples)
  layer_options = {}
  if options:
    for part in _parts(entry):
      layer_options[part] = dict(layer_options.get(part, {}), **options)

  def build(multiplier):
    rewriter = rewrite.Rewriter(model, decisions, classes, multiplier,
                                implementation, seed, layer_options)
    return rewriter.rebuild(), rewriter

  before = _count(model, input_shape, required=match is not None)
  notes = []
  search = None
  if match is None:
    new_model, rewriter = build(None)
    multiplier = 1.0
  else:
    target = before.params if match == "params" else before.multiply_adds
    best = {}

    def cost(multiplier: float) -> int:
      candidate, candidate_rewriter = build(multiplier)
      counted = _count(candidate, input_shape, required=True)
      value = counted.params if match == "params" else counted.multiply_adds
      key = (abs(math.log(max(value, 1) / target)), multiplier)
      if not best or key < best["key"]:
        best.update(key=key, model=candidate, rewriter=candidate_rewriter,
                    multiplier=multiplier)
      return value

    search = widths_lib.search_multiplier(cost, target, tolerance)
    if best["multiplier"] != search.multiplier:
      best["model"], best["rewriter"] = build(search.multiplier)
    new_model, rewriter = best["model"], best["rewriter"]
    multiplier = search.multiplier
    if not search.within_tolerance:
      if len({value for _, value in search.evaluations}) == 1:
        why = ("no convolution can widen: their channels reach the model's "
               "outputs or layers that fix channel counts")
      else:
        why = ("widths are rounded to whole multiples, which a small "
               "network feels")
      message = (
          f"sparsify: no width multiplier brings the {match} of "
          f"{model.name!r} with scheme {entry.name!r} within "
          f"{tolerance:.1%} of the original; the closest, w = "
          f"{multiplier:.5g}, gives {search.ratio:.4f}x ({why})")
      warnings.warn(message, stacklevel=2)
      notes.append("WARNING: " + message)
  rewrite.transfer_weights(rewriter.built)
  after = _count(new_model, input_shape, required=False)
  if isinstance(model, keras.Sequential):
    notes.append("the Sequential model was rebuilt as a Sequential model")
  for layer in model.layers:
    if isinstance(layer, keras.Model):
      notes.append(f"nested model {layer.name!r} was copied as it is; "
                   f"sparsify it on its own to convert its convolutions")
  report = _report(model, new_model, entry, match, multiplier, tolerance,
                   decisions, classes, rewriter, before, after, input_shape,
                   search, notes)
  if not report.converted:
    message = (f"sparsify converted no layer of {model.name!r} with scheme "
               f"{entry.name!r}: see the report's 'kept because' column")
    warnings.warn(message, stacklevel=2)
    report = dataclasses.replace(report,
                                 notes=report.notes + ("WARNING: " + message,))
  return new_model, report


def _parts(entry: schemes.Scheme):
  names = {entry.name}
  for size in (1, 3):
    for index in range(max(1, len(entry.sequence))):
      names.add(entry.for_conv(size, index).name)
  return names


def _check_channels(model, decisions) -> None:
  for node in graph.ordered_nodes(model):
    decision = decisions.get(id(node.layer))
    if decision is not None and decision.candidate:
      shape = graph.input_tensor(node).shape
      if shape.rank != 4 or shape[-1] is None:
        raise ValueError(
            f"{node.layer.name}: the input channel count must be static to "
            f"convert the convolution, got shape {shape}; build the model "
            f"with keras.Input((rows, cols, channels))")


def _count(model, input_shape, required: bool):
  """count_model of the model, or None when shapes are not static (unless
  `required`)."""
  try:
    return counting.count_model(model, input_shape)
  except ValueError as error:
    if required:
      raise ValueError(
          f"sparsify(match=...) counts {model.name!r} at a static input "
          f"shape: pass input_shape=(rows, cols, channels) ({error})"
      ) from None
    return None


_CALL = re.compile(r" \(call \d+\)$")


def _per_layer(cost, model) -> Dict[str, Tuple[int, int]]:
  """Top-level layer name -> (params, multiply-adds), summed over the
  layer's calls and sublayers (names may hold "/", as DenseNet's do)."""
  if cost is None:
    return {}
  names = {layer.name for layer in model.layers}
  totals = collections.defaultdict(lambda: [0, 0])
  for row in cost.rows:
    parts = row.name.split("/")
    for end in range(len(parts), 0, -1):
      owner = _CALL.sub("", "/".join(parts[:end]))
      if owner in names:
        break
    totals[owner][0] += row.params
    totals[owner][1] += row.multiply_adds
  return {name: tuple(value) for name, value in totals.items()}


def _params(layer) -> int:
  return sum(math.prod(w.shape) for w in layer.trainable_weights)


def _report(model, new_model, entry, match, multiplier, tolerance,
            decisions, classes, rewriter, before, after, input_shape,
            search, notes) -> report_lib.ConversionReport:
  costs_before = _per_layer(before, model)
  costs_after = _per_layer(after, new_model)
  first_node = {}
  for node in graph.ordered_nodes(model):
    first_node.setdefault(id(node.layer), node)
  width = multiplier if match else None
  rows = []
  for key, decision in decisions.items():
    layer = decision.layer
    built = rewriter.built[key]
    node = first_node[key]
    tensor_in = graph.input_tensor(node)
    tensor_out = node.outputs if not isinstance(node.outputs, (
        list, tuple)) else node.outputs[0]
    new_names = [l.name for l in built.new]
    params_after = sum(costs_after.get(n, (None,))[0] or 0
                       for n in new_names) if costs_after else sum(
                           _params(l) for l in built.new)
    macs_after = (sum(costs_after.get(n, (0, 0))[1] for n in new_names)
                  if costs_after else None)
    old_cost = costs_before.get(layer.name)
    rows.append(report_lib.LayerConversion(
        name=layer.name, old_class=type(layer).__name__,
        new_class="+".join(type(l).__name__ for l in built.new),
        scheme=built.part.name if built.part is not None else None,
        reason=built.reason,
        channels_before=(_width(tensor_in), _width(tensor_out)),
        channels_after=(classes.width(tensor_in, width),
                        classes.width(tensor_out, width)),
        params_before=old_cost[0] if old_cost else _params(layer),
        params_after=params_after,
        macs_before=old_cost[1] if old_cost else None,
        macs_after=macs_after,
        weights=built.weights))
  reinitialized = tuple(
      layer.name for b in rewriter.built.values() if b.weights ==
      rewrite.REINITIALIZED for layer in b.new if layer.weights)
  shape = None
  if input_shape is not None:
    shape = tuple(input_shape)
  elif len(model.inputs) == 1:
    shape = tuple(model.inputs[0].shape.as_list()[1:])
  return report_lib.ConversionReport(
      model_name=model.name, scheme=entry.name, match=match,
      multiplier=float(multiplier), tolerance=tolerance if match else None,
      rows=tuple(rows),
      params_before=before.params if before else _total_params(model),
      params_after=after.params if after else _total_params(new_model),
      macs_before=before.multiply_adds if before else None,
      macs_after=after.multiply_adds if after else None,
      input_shape=shape, reinitialized=reinitialized,
      evaluations=search.evaluations if search else (),
      notes=tuple(notes))


def _width(tensor):
  shape = tensor.shape
  return None if shape.rank is None else shape[-1]


def _total_params(model) -> int:
  return sum(math.prod(w.shape) for w in model.trainable_weights)
