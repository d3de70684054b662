"""The layer graph of a functional or Sequential `tf_keras` model, as
`sparsify` reads it: checks that the model can be rewritten, its layer
calls in order, and which convolutions read the model's input (the stem).
"""

from typing import Dict, List, Sequence

import tf_keras as keras

from sparsezoo_tf import keras_compat

# Layers with a `filters` argument whose output width is that argument.
FILTER_LAYERS = (
    keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D,
    keras.layers.SeparableConv1D, keras.layers.SeparableConv2D,
)
DEPTHWISE_LAYERS = (keras.layers.DepthwiseConv1D, keras.layers.DepthwiseConv2D)
# Rows of the report: every convolution and every Dense layer.
REPORTED_LAYERS = FILTER_LAYERS + DEPTHWISE_LAYERS + (keras.layers.Dense,)


def check_model(model) -> None:
  """Raises a clear error for what `sparsify` cannot rewrite.

  Raises:
    KerasVersionError: a Keras 3 model (`tf.keras` / `keras` in TF >= 2.16).
    TypeError: not a model, or a subclassed model.
    ValueError: a model that is not built.
  """
  if keras_compat.is_keras3(model):
    raise keras_compat.KerasVersionError(
        f"sparsify was given a Keras 3 {type(model).__name__} "
        f"({getattr(model, 'name', '?')!r}); build the same model with "
        f"tf_keras, e.g. `tf_keras.applications.ResNet50(weights=None)` or "
        f"`tf_keras.Sequential([...])`, and sparsify that")
  if not isinstance(model, keras.Model):
    raise TypeError(f"sparsify takes a tf_keras functional or Sequential "
                    f"model, got {type(model).__name__}")
  if isinstance(model, keras.Sequential) and not model.built:
    raise ValueError(
        f"Sequential model {model.name!r} is not built, so its channel "
        f"counts are unknown: start it with keras.Input(shape) or call "
        f"model.build((None, rows, cols, channels)) first")
  if not getattr(model, "_is_graph_network", False):
    raise TypeError(
        f"{model.name!r} is a subclassed model ({type(model).__name__}): its "
        f"call() is Python code that sparsify cannot rewrite. Build it with "
        f"the functional API or keras.Sequential, or build its convolutions "
        f"with sparsezoo_tf.models.ConvPolicy(scheme).conv(...)")


def ordered_nodes(model: keras.Model) -> List:
  """The model's layer calls (nodes), inputs first; InputLayers skipped."""
  nodes = []
  by_depth = model._nodes_by_depth  # pylint: disable=protected-access
  for depth in sorted(by_depth, reverse=True):
    nodes.extend(node for node in by_depth[depth] if not node.is_input)
  return nodes


def unique_layers(nodes: Sequence) -> List[keras.layers.Layer]:
  """The layers of `nodes`, each once, in the order of their first call."""
  seen: Dict[int, keras.layers.Layer] = {}
  for node in nodes:
    seen.setdefault(id(node.layer), node.layer)
  return list(seen.values())


def layer_order(model: keras.Model) -> Dict[int, int]:
  """id(layer) -> its position in `model.layers` (the construction order)."""
  return {id(layer): index for index, layer in enumerate(model.layers)}


def input_tensor(node):
  """The first input tensor of a node."""
  return node.keras_inputs[0]


def reads_model_input(model: keras.Model, node) -> bool:
  """Whether a convolution call reads the model's input: its input comes
  from a model input through layers with one input that are not
  convolutions, Dense layers or models (padding, rescaling, normalization,
  ...): the stem of the network."""
  inputs = {id(t) for t in model.inputs}
  tensor = input_tensor(node)
  for _ in range(10_000):
    if id(tensor) in inputs:
      return True
    history = getattr(tensor, "_keras_history", None)
    if history is None:
      return False
    layer = history.layer
    if isinstance(layer, keras.layers.InputLayer):
      return True
    if isinstance(layer, REPORTED_LAYERS + (keras.Model,)):
      return False
    producer = layer._inbound_nodes[history.node_index]  # pylint: disable=protected-access
    if len(producer.keras_inputs) != 1:
      return False
    tensor = producer.keras_inputs[0]
  return False
