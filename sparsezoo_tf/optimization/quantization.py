"""Quantization-aware training (QAT) of zoo models with TF Model
Optimization's 8-bit scheme.

`quantize(model)` annotates every layer and applies tfmot's default 8-bit
QAT (`quantize_annotate_layer` + `quantize_apply`): Keras's own layers get
tfmot's configs (with its Conv2D + BatchNorm folding), and each sparse
layer of the zoo gets the `QuantizeConfig` of its class:

- `SparseConv2DBase` layers (`SparseComplementaryConv2D`, `PSConv2D`,
  `GroupConv2D`): the packed kernel is fake-quantized to 8 bits, symmetric
  and per tensor (the packed kernel mixes output channels, so there is no
  per-channel axis), and the layer's activation output is quantized as
  for a Keras `Conv2D`.
- Blocks (`SCFusion`, `KernelSequence`, `IGCV1Block`, `IGCV2Block`,
  `XceptionBlock`, `SparseKernelBlock`): every inner kernel is
  fake-quantized (the SC packed kernel and the 1x1 fusion kernel; every
  step's kernel) and so is the block's output. Their inner batch norms
  and ReLUs stay in float (fake quantization does not model folding
  them).
- `ChannelShuffle`: a permutation, passed through unquantized.

The configs are registered Keras serializables ("sparsezoo_tf>..."), so a
quantized model saved whole loads inside `quantize_scope()`; its weights
(`save_weights`) load into `quantize(<the same float model>)` in order
(`load_weights(path)`, not `by_name`: tfmot's input `QuantizeLayer` is
named by how many this process made before). Evaluate
a quantized model before fine-tuning after `calibrate` (its weight ranges
are set by the first training-mode call).

Importing this module imports tfmot (through `_tfmot`, which keeps
`tf.keras` as it was); `import sparsezoo_tf` does not.
"""

import contextlib
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import tf_keras as keras

from sparsezoo_tf import keras_compat
from sparsezoo_tf import layers as zoo_layers
from sparsezoo_tf.optimization import _tfmot

_tfmot_module = _tfmot.load()
_qk = _tfmot_module.quantization.keras
_quantizers = _qk.quantizers


def _weight_quantizer():
  return _quantizers.LastValueQuantizer(num_bits=8, symmetric=True,
                                        narrow_range=True, per_axis=False)


def _activation_quantizer():
  return _quantizers.MovingAverageQuantizer(num_bits=8, symmetric=False,
                                            narrow_range=False,
                                            per_axis=False)


class _PrefixedLastValueQuantizer(_quantizers.LastValueQuantizer):
  """`LastValueQuantizer` whose range variables carry a prefix: a block's
  inner kernels are all named "kernel", and their ranges need distinct
  names in the wrapper (HDF5 weights files refuse duplicates)."""

  def __init__(self, prefix: str):
    super().__init__(num_bits=8, symmetric=True, narrow_range=True,
                     per_axis=False)
    self.prefix = prefix

  def build(self, tensor_shape, name, layer):
    return super().build(tensor_shape, f"{self.prefix}_{name}", layer)


@keras.utils.register_keras_serializable(package="sparsezoo_tf")
class SparseConvQuantizeConfig(_qk.QuantizeConfig):
  """8-bit QAT of a `SparseConv2DBase` layer: its packed kernel (per
  tensor, symmetric, narrow range) and its activation's output."""

  def get_weights_and_quantizers(self, layer):
    return [(layer.kernel, _weight_quantizer())]

  def get_activations_and_quantizers(self, layer):
    return [(layer.activation, _activation_quantizer())]

  def set_quantize_weights(self, layer, quantize_weights):
    (layer.kernel,) = quantize_weights

  def set_quantize_activations(self, layer, quantize_activations):
    (layer.activation,) = quantize_activations

  def get_output_quantizers(self, layer):
    return []

  def get_config(self):
    return {}


def block_kernels(layer: keras.layers.Layer
                  ) -> List[Tuple[keras.layers.Layer, str]]:
  """(sublayer, attribute) of every kernel of a block layer (`SCFusion`,
  `KernelSequence` and its subclasses), in a fixed order."""
  if isinstance(layer, zoo_layers.SCFusion):
    return [(layer.sparse_conv, "kernel"), (layer.fusion_conv, "kernel")]
  if isinstance(layer, zoo_layers.KernelSequence):
    return layer.kernel_attributes()
  raise ValueError(f"{layer.name} ({type(layer).__name__}) is not a block "
                   f"layer of sparsezoo_tf")


@keras.utils.register_keras_serializable(package="sparsezoo_tf")
class BlockQuantizeConfig(_qk.QuantizeConfig):
  """8-bit QAT of a block (`SCFusion`, `KernelSequence` family): all its
  inner kernels (per tensor, symmetric, narrow range) and its output."""

  def get_weights_and_quantizers(self, layer):
    return [(getattr(sub, name), _PrefixedLastValueQuantizer(sub.name))
            for sub, name in block_kernels(layer)]

  def get_activations_and_quantizers(self, layer):
    return []

  def set_quantize_weights(self, layer, quantize_weights):
    kernels = block_kernels(layer)
    if len(kernels) != len(quantize_weights):
      raise ValueError(f"{layer.name}: {len(kernels)} kernels, "
                       f"{len(quantize_weights)} quantized weights")
    for (sub, name), weight in zip(kernels, quantize_weights):
      setattr(sub, name, weight)

  def set_quantize_activations(self, layer, quantize_activations):
    pass

  def get_output_quantizers(self, layer):
    return [_activation_quantizer()]

  def get_config(self):
    return {}


@keras.utils.register_keras_serializable(package="sparsezoo_tf")
class PassThroughQuantizeConfig(_qk.QuantizeConfig):
  """A layer that only moves values (`ChannelShuffle`): nothing to
  quantize, its input's quantization carries over."""

  def get_weights_and_quantizers(self, layer):
    return []

  def get_activations_and_quantizers(self, layer):
    return []

  def set_quantize_weights(self, layer, quantize_weights):
    pass

  def set_quantize_activations(self, layer, quantize_activations):
    pass

  def get_output_quantizers(self, layer):
    return []

  def get_config(self):
    return {}


@keras.utils.register_keras_serializable(package="sparsezoo_tf")
class OutputQuantizeConfig(PassThroughQuantizeConfig):
  """Quantizes a layer's output only: the batch norms that follow the zoo's
  sparse layers (tfmot folds a batch norm into a Keras convolution before
  it, and refuses one after any other layer)."""

  def get_output_quantizers(self, layer):
    return [_activation_quantizer()]


# Most specific first.
_CONFIGS = (
    (zoo_layers.SparseConv2DBase, SparseConvQuantizeConfig),
    (zoo_layers.SCFusion, BlockQuantizeConfig),
    (zoo_layers.KernelSequence, BlockQuantizeConfig),
    (zoo_layers.ChannelShuffle, PassThroughQuantizeConfig),
)


def quantize_config_for(layer: keras.layers.Layer
                        ) -> Optional[_qk.QuantizeConfig]:
  """The `QuantizeConfig` of a sparsezoo layer, or None for other layers
  (tfmot's registry configures Keras's own)."""
  for cls, config in _CONFIGS:
    if isinstance(layer, cls):
      return config()
  return None


def custom_objects() -> Dict[str, type]:
  """The classes a quantized zoo model's file names: the configs and the
  package's layers, for `keras.utils.custom_object_scope`."""
  objects = {cls.__name__: cls for _, cls in _CONFIGS}
  objects.update({name: getattr(zoo_layers, name)
                  for name in zoo_layers.__all__
                  if isinstance(getattr(zoo_layers, name), type) and
                  issubclass(getattr(zoo_layers, name), keras.layers.Layer)})
  return objects


@contextlib.contextmanager
def quantize_scope() -> Iterator[None]:
  """tfmot's `quantize_scope` with the zoo's configs and layers: load a
  quantized model saved whole (`keras.models.load_model`) inside it. Save
  such models as HDF5 (`model.save("q.h5")`): tfmot's `QuantizeLayer`
  does not reload from the `.keras` format."""
  with _qk.quantize_scope(custom_objects()):
    yield


def annotate(model: keras.Model,
             layers: Optional[Sequence[str]] = None) -> keras.Model:
  """`model` with its layers annotated for quantization
  (`quantize_annotate_layer`), the zoo's layers with their configs.

  Args:
    model: a functional or Sequential `tf_keras` model.
    layers: names of the layers to annotate; None: all.

  Raises:
    ValueError: `model` is quantization-aware already.
    KerasVersionError, TypeError: not a tf_keras model.
  """
  keras_compat.check_tf_keras_model(model, "optimization.quantization")
  if is_quantized(model):
    raise ValueError(f"{model.name} is quantization-aware already (it has "
                     f"tfmot's quantization wrappers); quantize the float "
                     f"model it was made from")
  chosen = None if layers is None else set(layers)
  unfolded = _unfolded_batch_norms(model)

  def wrap(layer):
    if isinstance(layer, keras.layers.InputLayer) or (
        chosen is not None and layer.name not in chosen):
      return layer
    config = quantize_config_for(layer)
    if config is None and layer.name in unfolded:
      config = OutputQuantizeConfig()
    return _qk.quantize_annotate_layer(layer, config)

  return keras.models.clone_model(model, clone_function=wrap)


_FOLDED_INTO = (keras.layers.Conv2D, keras.layers.DepthwiseConv2D)


def _unfolded_batch_norms(model: keras.Model) -> List[str]:
  """Names of the batch norms tfmot does not fold into the Keras
  convolution before them (those after any other layer)."""
  names = []
  for layer in model.layers:
    if not isinstance(layer, keras.layers.BatchNormalization):
      continue
    inbound = [node.inbound_layers for node in layer.inbound_nodes]
    sources = [s for group in inbound
               for s in (group if isinstance(group, list) else [group])]
    if not sources or not all(isinstance(s, _FOLDED_INTO) and
                              len(s.outbound_nodes) == 1 for s in sources):
      names.append(layer.name)
  return names


def calibrate(model: keras.Model, batches) -> keras.Model:
  """Sets a quantized model's weight ranges (and moves its activation
  ranges) from a few batches without training it: forward passes in
  training mode with every batch norm frozen (inference statistics, no
  updates). Use it to evaluate a quantized model before fine-tuning; the
  first training step does the same for the weights.

  Args:
    model: a model returned by `quantize`.
    batches: an iterable of input batches (or (inputs, labels) pairs).

  Returns:
    `model`.
  """
  norms = [layer for layer in _all_layers(model)
           if isinstance(layer, keras.layers.BatchNormalization)]
  states = [layer.trainable for layer in norms]
  try:
    for layer in norms:
      layer.trainable = False
    for batch in batches:
      inputs = batch[0] if isinstance(batch, (tuple, list)) else batch
      model(inputs, training=True)
  finally:
    for layer, state in zip(norms, states):
      layer.trainable = state
  return model


def _all_layers(layer) -> List[keras.layers.Layer]:
  found, stack, seen = [], [layer], set()
  while stack:
    current = stack.pop()
    if id(current) in seen:
      continue
    seen.add(id(current))
    found.append(current)
    stack.extend(current._flatten_layers(include_self=False, recursive=False))  # pylint: disable=protected-access
  return found


def quantize(model: keras.Model,
             layers: Optional[Sequence[str]] = None) -> keras.Model:
  """A quantization-aware copy of `model` (tfmot's default 8-bit scheme):
  every layer (or the named `layers`) annotated, then `quantize_apply`.

  The result has `model`'s weights (copied: training it leaves `model` as
  it was) plus the quantizers' ranges; compile and `fit` it as usual.
  Its weights saved with `save_weights` load into `quantize(model)` of the
  same float architecture.

  Args:
    model: a functional or Sequential `tf_keras` model (a zoo model), not
      pruned (strip it first).
    layers: names of the layers to quantize; None: all.

  Raises:
    ValueError: a layer that neither tfmot nor this module can quantize
      (tfmot's message names it).
  """
  annotated = annotate(model, layers)
  with quantize_scope():
    return _qk.quantize_apply(annotated)


# Whether a model has tfmot's quantization layers (one check, in `_tfmot`).
is_quantized = _tfmot.is_quantized
