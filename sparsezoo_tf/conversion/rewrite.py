"""The layer-by-layer rewrite of `sparsify`: every layer call of the model
is replayed on new tensors with a new layer (the scheme's layer for a
converted convolution, a copy of the layer otherwise, with new widths
under `match`), then the weights that still fit are copied over.
"""

import dataclasses
from typing import Any, Dict, List, Optional

import numpy as np
import tensorflow as tf
import tf_keras as keras

from sparsezoo_tf import layers as sz_layers
from sparsezoo_tf.conversion import graph
from sparsezoo_tf.conversion import selection
from sparsezoo_tf.conversion import widths as widths_lib
from sparsezoo_tf.layers import kernel_sequence
from sparsezoo_tf.models import convs

# Weight states of the report.
COPIED = "copied"
MASKED = "masked copy"
REINITIALIZED = "re-initialized"

# Conv2D arguments a SparseConv2DBase layer takes as they are.
_SPARSE_ARGUMENTS = ("use_bias", "activation", "kernel_initializer",
                     "bias_initializer", "kernel_regularizer",
                     "bias_regularizer", "activity_regularizer")
# Those a layer of a scheme with `conv_arguments` takes (SCFusion).
_BLOCK_ARGUMENTS = ("use_bias", "kernel_initializer", "bias_initializer",
                    "kernel_regularizer", "bias_regularizer")


@dataclasses.dataclass
class Built:
  """What the rewrite made of one layer.

  Attributes:
    old: the original layer.
    new: the layers standing for it, in call order (a scheme's block may
      be followed by an Activation).
    part: the scheme part it was converted to, or None when kept.
    reason: why it is kept ("" when converted).
    weights: COPIED, MASKED or REINITIALIZED (after `transfer_weights`).
  """
  old: keras.layers.Layer
  new: List[keras.layers.Layer]
  part: Any = None
  reason: str = ""
  weights: str = ""


class Rewriter:
  """Rebuilds a model with converted convolutions.

  Args:
    model: the checked original model.
    decisions: `selection.decide` of the model.
    classes: the model's channel classes.
    multiplier: the width multiplier, or None to keep the widths.
    implementation: of the sparse layers.
    seed: added to the per-layer seeds of seeded schemes.
    options: further arguments of the scheme's layers.
  """

  def __init__(self, model: keras.Model,
               decisions: Dict[int, selection.Decision],
               classes: widths_lib.ChannelClasses,
               multiplier: Optional[float], implementation: str = "auto",
               seed: int = 0, options: Optional[Dict[str, Any]] = None):
    self.model = model
    self.decisions = decisions
    self.classes = classes
    self.multiplier = multiplier
    self.implementation = implementation
    self.seed = seed
    self.options = dict(options or {})
    self.built: Dict[int, Built] = {}
    self._names = {layer.name for layer in model.layers}

  def rebuild(self) -> keras.Model:
    """The new model (Sequential for a Sequential model)."""
    tensors: Dict[int, Any] = {}
    new_inputs = []
    for tensor, layer in zip(self.model.inputs, self.model._input_layers):  # pylint: disable=protected-access
      new = keras.Input(batch_shape=tensor.shape, dtype=tensor.dtype,
                        name=layer.name)
      tensors[id(tensor)] = new
      new_inputs.append(new)
    if isinstance(self.model, keras.Sequential):
      return self._sequential(new_inputs[0], tensors)
    for node in graph.ordered_nodes(self.model):
      self._replay(node, tensors)
    nested_inputs = getattr(self.model, "_nested_inputs", self.model.inputs)
    nested_outputs = getattr(self.model, "_nested_outputs",
                             self.model.outputs)
    inputs = tf.nest.map_structure(lambda t: tensors[id(t)], nested_inputs)
    outputs = tf.nest.map_structure(lambda t: tensors[id(t)], nested_outputs)
    return keras.Model(inputs, outputs, name=self.model.name)

  def _sequential(self, new_input, tensors) -> keras.Sequential:
    """Adds each new layer to a new Sequential model, so that every layer
    has one call (its `input` / `output` work as in the original)."""
    model = keras.Sequential(name=self.model.name)
    model.add(new_input)
    for node in graph.ordered_nodes(self.model):
      self._make(node, tensors)
      for new in self.built[id(node.layer)].new:
        model.add(new)
      tensors[id(tf.nest.flatten(node.outputs)[0])] = model.outputs[0]
    return model

  def _map(self, structure, tensors):
    return tf.nest.map_structure(
        lambda v: tensors.get(id(v), v) if keras.backend.is_keras_tensor(v)
        else v, structure)

  def _replay(self, node, tensors: Dict[int, Any]) -> None:
    layer = node.layer
    if id(layer) not in self.built:
      self._make(node, tensors)
    built = self.built[id(layer)]
    args = self._map(node.call_args, tensors)
    kwargs = self._map(node.call_kwargs, tensors)
    outputs = built.new[0](*args, **kwargs)
    for extra in built.new[1:]:
      outputs = extra(outputs)
    for old, new in zip(tf.nest.flatten(node.outputs),
                        tf.nest.flatten(outputs)):
      tensors[id(old)] = new

  def _out_width(self, node) -> Optional[int]:
    return self.classes.width(tf.nest.flatten(node.outputs)[0],
                              self.multiplier)

  def _make(self, node, tensors) -> None:
    layer = node.layer
    decision = self.decisions.get(id(layer))
    if decision is not None and decision.candidate:
      new_input = tensors[id(graph.input_tensor(node))]
      converted = self._convert(layer, decision.part, self._out_width(node),
                                new_input)
      if isinstance(converted, list):
        self.built[id(layer)] = Built(layer, converted, decision.part)
        return
      reason = converted
    else:
      reason = decision.reason if decision is not None else ""
    self.built[id(layer)] = Built(layer, [self._copy(layer, node)],
                                  reason=reason)

  def _copy(self, layer, node) -> keras.layers.Layer:
    """A fresh layer of the same config (widened `filters`)."""
    if isinstance(layer, keras.Model):
      return keras.models.clone_model(layer)
    config = layer.get_config()
    if isinstance(layer, graph.FILTER_LAYERS) and "filters" in config:
      width = self._out_width(node)
      if width is not None:
        config["filters"] = width
    return type(layer).from_config(config)

  def _convert(self, layer: keras.layers.Conv2D, part, filters: int,
               new_input):
    """The scheme's layers for a Conv2D, or the reason it is kept."""
    config = layer.get_config()
    cls = convs.layer_class(part)
    sparse = issubclass(cls, sz_layers.SparseConv2DBase)
    names = _SPARSE_ARGUMENTS if sparse else _BLOCK_ARGUMENTS
    arguments = {key: config[key] for key in names
                 if key in config and part.conv_arguments}
    extra = []
    if not sparse:
      if config.get("activity_regularizer") is not None:
        return (f"{part.name}: {cls.__name__} has no activity_regularizer, "
                f"which this layer has")
      activation = keras.activations.get(config.get("activation"))
      if activation is not keras.activations.linear:
        extra.append(keras.layers.Activation(
            config["activation"], name=self._fresh(f"{layer.name}_act")))
    if not part.conv_arguments and config["padding"] != "same" and (
        max(layer.kernel_size) > 1 or max(layer.strides) > 1):
      return (f"{part.name}: {cls.__name__} pads 'same', this layer "
              f"padding={config['padding']!r}")
    options = dict(self.options.get(part.name, {}))
    strides = tuple(layer.strides)
    kernel_size = tuple(layer.kernel_size)
    if not sparse:
      # The blocks take int kernel sizes and strides.
      if len(set(strides)) != 1 or len(set(kernel_size)) != 1:
        return (f"{part.name}: {cls.__name__} takes square kernels and "
                f"strides, this layer has kernel_size={kernel_size}, "
                f"strides={strides}")
      strides, kernel_size = strides[0], kernel_size[0]
    try:
      new = convs.scheme_layer(
          part, filters, kernel_size, strides, name=layer.name,
          padding=config["padding"], implementation=self.implementation,
          conv_arguments=arguments, seed=self.seed, dtype=config.get("dtype"),
          trainable=layer.trainable, **options)
      shape = tf.TensorShape(new_input.shape)
      if sparse:
        new.check_channels(int(shape[-1]))
      elif isinstance(new, kernel_sequence.KernelSequence):
        kernel_sequence.check_widths(new.make_steps(int(shape[-1])),
                                     int(shape[-1]))
      expected = tf.TensorShape(layer.compute_output_shape(shape))
      got = tf.TensorShape(new.compute_output_shape(shape))
      if got[1:-1] != expected[1:-1] or got[-1] != filters:
        return (f"{part.name}: {cls.__name__} gives shape {got}, the "
                f"convolution {expected[:-1].concatenate([filters])}")
    except (ValueError, TypeError) as error:
      return f"{part.name}: {error}"
    return [new] + extra

  def _fresh(self, name: str) -> str:
    candidate, index = name, 1
    while candidate in self._names:
      index += 1
      candidate = f"{name}_{index}"
    self._names.add(candidate)
    return candidate


def _masked_kernel(old_kernel: np.ndarray, new) -> Optional[np.ndarray]:
  plan = new.plan
  if plan is None or tuple(plan.dense_shape) != old_kernel.shape:
    return None
  return old_kernel.reshape(-1)[plan.packed_index]


def transfer_weights(built: Dict[int, Built]) -> None:
  """Copies the original weights into the new layers where they fit.

  A layer whose new weights have the original shapes gets them; a
  converted `SparseConv2DBase` whose dense kernel has the original
  kernel's shape gets the original kernel at its existing positions (and
  the bias); anything else keeps its fresh initialization. Sets
  `Built.weights`.
  """
  for entry in built.values():
    old_weights = entry.old.get_weights()
    new = entry.new[0]
    new_weights = new.get_weights()
    if entry.part is None or not isinstance(new, sz_layers.SparseConv2DBase):
      if [w.shape for w in old_weights] == [w.shape for w in new_weights]:
        if old_weights:
          new.set_weights(old_weights)
        entry.weights = COPIED
      else:
        entry.weights = REINITIALIZED
      continue
    kernel = _masked_kernel(entry.old.kernel.numpy(), new)
    if kernel is None:
      entry.weights = REINITIALIZED
      continue
    values = [kernel]
    if new.use_bias:
      if entry.old.use_bias:
        values.append(entry.old.bias.numpy())
      else:
        values.append(np.zeros(new.bias.shape, new.bias.dtype.as_numpy_dtype))
    new.set_weights(values)
    entry.weights = MASKED
