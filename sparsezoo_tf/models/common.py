"""What every entry point shares: the Keras Applications arguments
(`include_top`, `weights`, `input_tensor`, `input_shape`, `pooling`,
`classes`, `classifier_activation`), the classification head, feature
extraction by level and loading weights.
"""

from typing import Dict, Optional, Sequence, Tuple

import tensorflow as tf
import tf_keras as keras

from sparsezoo_tf import keras_compat
from sparsezoo_tf.models import weights as weights_lib

POOLINGS = (None, "avg", "max")


@keras.utils.register_keras_serializable(
    package=keras_compat.PACKAGE, name=keras_compat.ZOO_MODEL_CLASS)
class ZooModel(keras_compat.RefusesKeras3, keras.Model):
  """The class of the zoo's models: a `tf_keras` functional model,
  `ZooModel(inputs, outputs, name=...)`, registered as
  "sparsezoo_tf>ZooModel".

  Its `.keras` files name the package at the top of their config, so that
  `tf_keras.models.load_model` imports `sparsezoo_tf` itself when it is
  installed (and says that `sparsezoo_tf...` cannot be imported when it is
  not), and Keras 3 refuses them with `keras_compat.KERAS3_MESSAGE`. It
  refuses Keras 3 inputs as the package's layers do, and Keras 3
  optimizers, losses, metrics and callbacks given to `compile`, `fit`,
  `evaluate` and `predict`.
  """

  def _validate_compile(self, optimizer, metrics, **kwargs):
    # `compile` calls this first, after recording all its arguments in
    # `_compile_config`. (Overriding `compile` itself would make tf_keras
    # skip compiling the model when it loads a compiled file.)
    arguments = getattr(getattr(self, "_compile_config", None), "config",
                        (optimizer, metrics))
    keras_compat.check_not_keras3(arguments,
                                  f"an argument of {self.name}.compile()")
    return super()._validate_compile(optimizer, metrics, **kwargs)

  def fit(self, *args, callbacks=None, **kwargs):
    keras_compat.check_not_keras3(callbacks,
                                  f"a callback of {self.name}.fit()")
    return super().fit(*args, callbacks=callbacks, **kwargs)

  def evaluate(self, *args, callbacks=None, **kwargs):
    keras_compat.check_not_keras3(callbacks,
                                  f"a callback of {self.name}.evaluate()")
    return super().evaluate(*args, callbacks=callbacks, **kwargs)

  def predict(self, *args, callbacks=None, **kwargs):
    keras_compat.check_not_keras3(callbacks,
                                  f"a callback of {self.name}.predict()")
    return super().predict(*args, callbacks=callbacks, **kwargs)


# Saved files store the class's `__name__`: the legacy .h5 format as the
# only name of the model's class, and the .keras format beside the module
# that tf_keras imports and looks the name up in when the class is not
# registered yet. Named like its registration, an .h5 file loaded without
# the package fails with "Unknown layer: 'sparsezoo_tf>ZooModel'" (naming
# the package), and a .keras file loads after tf_keras imports this module.
ZooModel.__name__ = f"{keras_compat.PACKAGE}>{keras_compat.ZOO_MODEL_CLASS}"
globals()[ZooModel.__name__] = ZooModel


def check_arguments(model_name: str, weights: Optional[str],
                    include_top: bool, classes: int, pooling: Optional[str],
                    classifier_activation) -> Optional[weights_lib.Resolved]:
  """Validates the Keras Applications arguments; returns the resolved
  weights (None for random initialization).

  Raises:
    ValueError: for a pooling mode, a class count or a weights name that
      cannot work, saying which and why.
  """
  if pooling not in POOLINGS:
    raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
  if isinstance(classes, bool) or not isinstance(classes, int) or classes < 1:
    raise ValueError(f"classes must be a positive int, got {classes!r}")
  keras.activations.get(classifier_activation)
  resolved = weights_lib.resolve(model_name, weights)
  if resolved is not None and resolved.entry is not None and include_top:
    expected = resolved.entry.classes
    if classes != expected:
      raise ValueError(
          f"weights={weights!r} were trained with {expected} classes; "
          f"with include_top=True, classes must be {expected} (got "
          f"{classes}). Use include_top=False for a new head.")
  if resolved is not None and include_top and classifier_activation not in (
      None, "softmax"):
    raise ValueError(
        f"with pretrained weights and include_top=True, "
        f"classifier_activation must be None or 'softmax', got "
        f"{classifier_activation!r}")
  return resolved


def image_input(input_tensor, input_shape: Optional[Sequence[int]],
                default_shape: Tuple[int, int, int], min_size: int,
                fixed_size: bool = False):
  """The model's input: (the Keras input to build the model from, the
  tensor the network starts from).

  Args:
    input_tensor: an optional Keras tensor (or a tensor to wrap) to use as
      the input; a Keras 3 tensor raises `keras_compat.KerasVersionError`.
    input_shape: optional (rows, cols, channels); rows/cols may be None
      unless `fixed_size`.
    default_shape: used when neither is given.
    min_size: smallest rows/cols the network can take.
    fixed_size: the head needs exactly `default_shape` (a flattening FC
      head); any other shape is an error.
  """
  keras_compat.check_not_keras3(input_tensor, "input_tensor")
  if input_shape is None and input_tensor is not None:
    shape = tuple(keras.backend.int_shape(input_tensor)[1:])
  else:
    shape = tuple(default_shape if input_shape is None else input_shape)
  if len(shape) != 3:
    raise ValueError(f"input_shape must be (rows, cols, channels), got "
                     f"{shape}")
  if shape[-1] != default_shape[-1]:
    raise ValueError(f"the model takes {default_shape[-1]} input channels, "
                     f"got input_shape {shape}")
  for size in shape[:2]:
    if size is not None and size < min_size:
      raise ValueError(f"input rows and cols must be at least {min_size}, "
                       f"got input_shape {shape}")
  if fixed_size and tuple(shape) != tuple(default_shape):
    raise ValueError(f"with include_top=True this model's flattening head "
                     f"needs input_shape {default_shape}, got {shape}; use "
                     f"include_top=False for other sizes")
  if input_tensor is None:
    inputs = keras.Input(shape)
    return inputs, inputs
  if not keras.backend.is_keras_tensor(input_tensor):
    inputs = keras.Input(tensor=input_tensor, shape=shape)
    return inputs, inputs
  return input_tensor, input_tensor


def classification_head(x, include_top: bool, pooling: Optional[str],
                        classes: int, classifier_activation,
                        dropout: float = 0.0):
  """Global average pooling + Dense(classes) with `include_top`, else the
  `pooling` of the features (or the features themselves)."""
  if include_top:
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if dropout:
      x = keras.layers.Dropout(dropout, name="head_dropout")(x)
    return keras.layers.Dense(classes, activation=classifier_activation,
                              name="predictions")(x)
  if pooling == "avg":
    return keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
  if pooling == "max":
    return keras.layers.GlobalMaxPooling2D(name="max_pool")(x)
  return x


def finish(inputs, outputs, name: str, endpoints: Dict[str, tf.Tensor],
           features_only: bool,
           resolved: Optional[weights_lib.Resolved]) -> keras.Model:
  """Builds the model (or its feature extractor: outputs {level: tensor},
  Model Garden's `endpoints`) and loads the weights."""
  if features_only:
    model = ZooModel(inputs, dict(endpoints), name=f"{name}_features")
  else:
    model = ZooModel(inputs, outputs, name=name)
  model.endpoint_names = tuple(endpoints)
  if resolved is not None:
    weights_lib.load_into(model, resolved)
  return model
