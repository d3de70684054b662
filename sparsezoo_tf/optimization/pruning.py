"""Magnitude pruning of zoo models with TF Model Optimization (tfmot).

`prune(model, target_sparsity, ...)` wraps the chosen layers with
`tfmot.sparsity.keras.prune_low_magnitude` (Deep Compression-style
magnitude pruning, as papers 000-003 compare against). The zoo's sparse
layers are prunable on the weights that exist: `get_prunable_weights()` of
a `SparseConv2DBase` is its packed kernel, and of a block (`SCFusion`,
`KernelSequence` and its subclasses) all its inner kernels, so pruning
removes existing weights and never "creates" any. A layer that cannot be
pruned is skipped with a warning naming it and why (see `pruning_plan`),
never an error inside the wrapper.

Train the pruned model with `callbacks()` (tfmot's `UpdatePruningStep`),
then `strip(model)` removes the wrappers (what is exported and saved:
its weights load into the plain model) and `sparsity(model)` measures the
fraction of zero weights. `tools/train_classifier.py` does all of this from
a recipe's `training.pruning` section.

tfmot is imported on first use (`_tfmot.load`); `strip` and `sparsity`
work without it on models that have no pruning wrappers.
"""

import dataclasses
import fnmatch
import logging
from typing import Dict, List, Optional, Sequence

import numpy as np
import tensorflow as tf
import tf_keras as keras

from sparsezoo_tf import keras_compat
from sparsezoo_tf.optimization import _tfmot

SCHEDULES = ("polynomial", "constant")
# Weights counted by `sparsity` in layers without `get_prunable_weights`
# (Keras's own layers): their kernels, as tfmot's registry prunes them.
_KERNEL_NAMES = ("kernel", "depthwise_kernel", "pointwise_kernel",
                 "embeddings")

_NOTHING_TO_PRUNE = "has no kernel to prune"

_LOG = logging.getLogger(__name__)


def _variable_name(variable) -> str:
  return variable.name.split(":")[0].split("/")[-1]


def kernel_weights(layer: keras.layers.Layer) -> List[tf.Variable]:
  """The weights of `layer` that pruning acts on (and `sparsity` counts):
  `layer.get_prunable_weights()` when it has one (the zoo's layers: their
  packed kernels), else its kernels (`kernel`, `depthwise_kernel`,
  `pointwise_kernel`, `embeddings`); biases and batch-norm parameters are
  never counted."""
  wrapped = getattr(layer, "layer", None)
  if _is_pruning_wrapper(layer) and wrapped is not None:
    layer = wrapped
  if hasattr(layer, "get_prunable_weights") and layer.built:
    return list(layer.get_prunable_weights())
  return [w for w in layer.weights if _variable_name(w) in _KERNEL_NAMES]


def _is_pruning_wrapper(layer) -> bool:
  """Whether `layer` is tfmot's `PruneLowMagnitude` (False, without
  importing tfmot, while nobody has imported it)."""
  if not _tfmot.loaded():
    return False
  return isinstance(layer, _tfmot.pruning_wrapper_class())


def _selected(name: str, layers: Optional[Sequence[str]]) -> bool:
  return layers is None or any(fnmatch.fnmatchcase(name, pattern)
                               for pattern in layers)


def _unprunable_reason(layer: keras.layers.Layer) -> Optional[str]:
  """None when tfmot can wrap `layer`, else why not (without wrapping it)."""
  if isinstance(layer, keras.Model):
    return ("a nested model: prune its layers by pruning that model itself "
            "(prune() wraps the layers of one functional or Sequential "
            "model)")
  if not layer.built:
    return "not built"
  if hasattr(layer, "get_prunable_weights"):
    try:
      weights = list(layer.get_prunable_weights())
    except Exception as error:  # pylint: disable=broad-except
      return f"get_prunable_weights() failed: {error}"
    return None if weights else _NOTHING_TO_PRUNE
  if not _tfmot.prune_registry().supports(layer):
    return (f"{type(layer).__name__} is neither a layer tfmot knows nor has "
            f"get_prunable_weights()")
  if not kernel_weights(layer):
    return _NOTHING_TO_PRUNE
  return None


def pruning_plan(model: keras.Model,
                 layers: Optional[Sequence[str]] = None
                 ) -> Dict[str, Optional[str]]:
  """What `prune(model, layers=layers)` does with each layer that has
  weights: {layer name: None (pruned) or the reason it is skipped}.

  Layers without kernels (activations, pooling, inputs, batch norm) are
  left out unless `layers` names them; so are layers `layers` does not
  match.

  Args:
    model: a functional or Sequential `tf_keras` model.
    layers: layer names or shell-style patterns (`fnmatch`: "dense*",
      "fc?"); None: every layer with weights.

  Raises:
    ValueError: a pattern of `layers` matches no layer of the model.
    KerasVersionError, TypeError: not a tf_keras model.
  """
  keras_compat.check_tf_keras_model(model, "optimization.pruning_plan")
  if layers is not None:
    if isinstance(layers, str):
      layers = [layers]
    names = [layer.name for layer in model.layers]
    unmatched = [p for p in layers
                 if not any(fnmatch.fnmatchcase(n, p) for n in names)]
    if unmatched:
      raise ValueError(f"layers {unmatched} match no layer of {model.name} "
                       f"(its layers: {names})")
  plan = {}
  for layer in model.layers:
    if not layer.weights or not _selected(layer.name, layers):
      continue
    reason = _unprunable_reason(layer)
    if reason == _NOTHING_TO_PRUNE and layers is None:
      continue  # batch norm and the like: nothing to say
    plan[layer.name] = reason
  return plan


def make_schedule(target_sparsity: float,
                  initial_sparsity: float = 0.0,
                  begin_step: int = 0,
                  end_step: int = -1,
                  frequency: int = 100,
                  schedule: str = "polynomial"):
  """A tfmot pruning schedule.

  Args:
    target_sparsity: fraction of the pruned weights that are zero at the
      end, in [0, 1).
    initial_sparsity: the fraction at `begin_step` ("polynomial").
    begin_step: optimizer step at which pruning starts.
    end_step: step at which the target is reached ("polynomial", > begin);
      for "constant" the step after which masks stop changing (-1: never).
    frequency: steps between mask updates.
    schedule: "polynomial" (tfmot's `PolynomialDecay`, cubic, from the
      initial to the target sparsity) or "constant" (`ConstantSparsity`:
      the target from `begin_step` on).

  Raises:
    ValueError: for settings that cannot work.
  """
  if not 0.0 <= target_sparsity < 1.0:
    raise ValueError(f"target_sparsity must be in [0, 1), got "
                     f"{target_sparsity}")
  if not 0.0 <= initial_sparsity <= target_sparsity:
    raise ValueError(f"initial_sparsity must be in [0, target_sparsity="
                     f"{target_sparsity}], got {initial_sparsity}")
  if frequency < 1 or begin_step < 0:
    raise ValueError(f"frequency must be >= 1 and begin_step >= 0, got "
                     f"{frequency} and {begin_step}")
  if schedule not in SCHEDULES:
    raise ValueError(f"schedule must be one of {SCHEDULES}, got "
                     f"{schedule!r}")
  sparsity_lib = _tfmot.load().sparsity.keras
  if schedule == "constant":
    return sparsity_lib.ConstantSparsity(target_sparsity, begin_step,
                                         end_step, frequency)
  if end_step <= begin_step:
    raise ValueError(f"a polynomial schedule needs end_step > begin_step, "
                     f"got {end_step} <= {begin_step}")
  return sparsity_lib.PolynomialDecay(initial_sparsity, target_sparsity,
                                      begin_step, end_step, frequency=frequency)


def prune(model: keras.Model,
          target_sparsity: float,
          end_step: int = -1,
          initial_sparsity: float = 0.0,
          begin_step: int = 0,
          frequency: int = 100,
          schedule: str = "polynomial",
          layers: Optional[Sequence[str]] = None) -> keras.Model:
  """`model` with its prunable layers wrapped by tfmot's
  `prune_low_magnitude` (magnitude pruning with block size 1).

  The returned model shares its layers (and weights) with `model`, as
  tfmot's does. Train it with `callbacks()` among the `fit` callbacks,
  then `strip` it. Layers that cannot be pruned are skipped with a
  warning (`pruning_plan` says which and why).

  Args:
    model: a functional or Sequential `tf_keras` model (a zoo model).
    target_sparsity, end_step, initial_sparsity, begin_step, frequency,
      schedule: the schedule (see `make_schedule`); steps are optimizer
      steps.
    layers: names or patterns of the layers to prune (e.g. ["fc*"] for
      the fully connected layers, as Deep Compression on VGG-16's FC
      layers); None: every prunable layer.

  Returns:
    The model with pruning wrappers.

  Raises:
    ValueError: a bad schedule, a pattern that matches no layer, or no
      layer that can be pruned at all.
  """
  pruning_schedule = make_schedule(target_sparsity, initial_sparsity,
                                   begin_step, end_step, frequency, schedule)
  plan = pruning_plan(model, layers)
  skipped = {name: why for name, why in plan.items() if why is not None}
  for name, why in skipped.items():
    _LOG.warning("prune: skipping layer %s of %s: %s", name, model.name, why)
  chosen = {name for name, why in plan.items() if why is None}
  if not chosen:
    raise ValueError(f"no layer of {model.name} can be pruned: {skipped}")
  prune_low_magnitude = _tfmot.load().sparsity.keras.prune_low_magnitude

  def wrap(layer):
    if layer.name not in chosen:
      return layer
    return prune_low_magnitude(layer, pruning_schedule=pruning_schedule)

  pruned = keras.models.clone_model(model, clone_function=wrap)
  pruned.pruning_skipped = skipped
  return pruned


def callbacks(log_dir: Optional[str] = None) -> List[keras.callbacks.Callback]:
  """The callbacks `fit` needs for a pruned model: tfmot's
  `UpdatePruningStep` (advances the schedule and applies the masks), and
  `PruningSummaries` (sparsity per layer in TensorBoard) with a
  `log_dir`."""
  sparsity_lib = _tfmot.load().sparsity.keras
  result = [sparsity_lib.UpdatePruningStep()]
  if log_dir:
    result.append(sparsity_lib.PruningSummaries(log_dir=log_dir))
  return result


def is_pruned(model: keras.Model) -> bool:
  """Whether `model` (or a model nested in it) has pruning wrappers."""
  if not _tfmot.loaded():
    return False
  for layer in model.layers:
    if _is_pruning_wrapper(layer) or (isinstance(layer, keras.Model) and
                                      is_pruned(layer)):
      return True
  return False


def strip(model: keras.Model) -> keras.Model:
  """`model` without pruning wrappers: a model of the original layers
  whose pruned weights are zero, the one to evaluate, save and export.

  Returns `model` itself when it has no wrappers (without importing
  tfmot). The masks are applied to the weights first, so the result is
  sparse even when training ended without `UpdatePruningStep`'s last
  update. Like tfmot's `strip_pruning`, the result shares its layers with
  `model`.
  """
  keras_compat.check_tf_keras_model(model, "optimization.strip")
  if not is_pruned(model):
    return model
  for layer in model.layers:
    if _is_pruning_wrapper(layer):
      for weight, mask, _ in layer.pruning_vars:
        weight.assign(weight * tf.cast(mask, weight.dtype))
  stripped = _tfmot.load().sparsity.keras.strip_pruning(model)
  return stripped


@dataclasses.dataclass(frozen=True)
class Sparsity:
  """Zero weights of a model's prunable weights (see `kernel_weights`).

  Attributes:
    overall: zeros / weights over all counted layers.
    zeros: number of weights that are exactly zero.
    weights: number of weights counted.
    layers: {layer name: its fraction of zeros}.
  """
  overall: float
  zeros: int
  weights: int
  layers: Dict[str, float]

  def as_dict(self) -> Dict[str, object]:
    return dataclasses.asdict(self)


def sparsity(model: keras.Model,
             layers: Optional[Sequence[str]] = None) -> Sparsity:
  """The fraction of zero weights of `model`'s prunable weights, per layer
  and overall, measured after `strip` (a pruned model's masked weights).

  For the zoo's sparse layers the count is over the weights that exist
  (their packed kernels): 0.5 means half the pre-defined weights were
  pruned, on top of the scheme's own sparsity.

  Args:
    model: any `tf_keras` model, pruned or not.
    layers: names or patterns of the layers to count; None: all layers
      with kernels.
  """
  model = strip(model)
  per_layer, zeros, total = {}, 0, 0
  for layer in _flat_layers(model):
    if not _selected(layer.name, layers):
      continue
    arrays = [np.asarray(w.numpy()) for w in kernel_weights(layer)]
    size = sum(a.size for a in arrays)
    if not size:
      continue
    count = int(sum(np.count_nonzero(a == 0) for a in arrays))
    per_layer[layer.name] = count / size
    zeros += count
    total += size
  return Sparsity(zeros / total if total else 0.0, zeros, total, per_layer)


def _flat_layers(model: keras.Model) -> List[keras.layers.Layer]:
  result = []
  for layer in model.layers:
    if isinstance(layer, keras.Model):
      result.extend(_flat_layers(layer))
    else:
      result.append(layer)
  return result
