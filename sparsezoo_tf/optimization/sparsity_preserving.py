"""Fine-tuning that keeps zero weights zero (paper 003, section 4.3: "we
disabled updating of any zero weight").

`PreserveSparsity` is a Keras callback: when training begins it records
where the chosen weights are exactly zero, and after every training step it
sets those positions back to zero (one compiled assignment per weight),
whatever the optimizer, momentum or weight decay did to them. The other
weights train as usual. Use it to fine-tune a pruned model, for example a
detection backbone pruned with `pruning.prune` and stripped with
`pruning.strip`, or a model whose `weights.h5` came from a pruning run:

    model = models.create_model("digits_cnn", weights="pruned.h5")
    model.compile(...)
    model.fit(data, epochs=2, callbacks=[PreserveSparsity()])
    # pruning.sparsity(model) is what it was before fitting

The masks are recorded once, at the first `on_train_begin` (the zeros the
model has when the first `fit` starts), so several `fit` calls keep the
same zeros; `reset()` records them again at the next `fit`. Without it,
keeping tfmot's pruning wrappers on with a `ConstantSparsity` schedule
keeps the sparsity too, but re-selects which weights are zero.
"""

from typing import List, Optional, Sequence

import tensorflow as tf
import tf_keras as keras

from sparsezoo_tf import keras_compat
from sparsezoo_tf.optimization import pruning


class PreserveSparsity(keras.callbacks.Callback):
  """Keeps the zero weights of a model zero while it trains.

  Args:
    layers: names or shell-style patterns of the layers whose weights are
      kept sparse; None: every layer.
    weights: which weights of those layers: "kernels" (the prunable
      kernels, `pruning.kernel_weights`: the packed kernels of the zoo's
      sparse layers, Keras kernels) or "trainable" (every trainable weight,
      biases and batch-norm scales included).
  """

  def __init__(self, layers: Optional[Sequence[str]] = None,
               weights: str = "kernels"):
    super().__init__()
    if weights not in ("kernels", "trainable"):
      raise ValueError(f"weights must be 'kernels' or 'trainable', got "
                       f"{weights!r}")
    self.layers = [layers] if isinstance(layers, str) else layers
    self.weights = weights
    self._variables: List[tf.Variable] = []
    self._masks: List[tf.Variable] = []
    self._apply = None

  @property
  def masks(self) -> List[tf.Variable]:
    """The recorded masks (1 where a weight may change), one per kept
    variable (`variables`)."""
    return list(self._masks)

  @property
  def variables(self) -> List[tf.Variable]:
    """The weights kept sparse."""
    return list(self._variables)

  def reset(self) -> None:
    """Records the zeros again when the next `fit` begins."""
    self._variables, self._masks, self._apply = [], [], None

  def _chosen(self) -> List[tf.Variable]:
    chosen, seen = [], set()
    for layer in pruning._flat_layers(self.model):  # pylint: disable=protected-access
      if self.layers is not None and not pruning._selected(  # pylint: disable=protected-access
          layer.name, self.layers):
        continue
      variables = (pruning.kernel_weights(layer) if self.weights == "kernels"
                   else layer.trainable_weights)
      for variable in variables:
        if id(variable) not in seen:
          seen.add(id(variable))
          chosen.append(variable)
    return chosen

  def on_train_begin(self, logs=None):
    if self._apply is not None:
      return
    keras_compat.check_tf_keras_model(self.model, "PreserveSparsity")
    self._variables = self._chosen()
    if not self._variables:
      raise ValueError(f"PreserveSparsity: no weights of {self.model.name} "
                       f"match layers={self.layers}")
    self._masks = [
        tf.Variable(tf.cast(tf.not_equal(v, 0), v.dtype), trainable=False,
                    name="keep_mask")
        for v in self._variables]
    pairs = list(zip(self._variables, self._masks))

    @tf.function
    def apply():
      for variable, mask in pairs:
        variable.assign(variable * mask)

    self._apply = apply
    apply()

  def on_train_batch_end(self, batch, logs=None):
    del batch, logs
    self._apply()
