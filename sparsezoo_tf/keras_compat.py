"""Which Keras: the zoo is `tf_keras` (Keras 2); Keras 3 objects are refused.

In TensorFlow 2.16 and later, `tf.keras` and `import keras` are Keras 3.
This package is built on `tf_keras` (Keras 2) because TF Model Garden and
TF Model Optimization need Keras 2, and the two Kerases cannot be mixed: a
Keras 3 tensor, model or file meeting a sparsezoo layer or model fails deep
inside one of them with an error that does not say why. Every place that
can see a Keras 3 object raises `KerasVersionError` with `KERAS3_MESSAGE`
instead:

- a sparsezoo layer called on a Keras 3 tensor (`tf.keras.Input(...)`),
- a sparsezoo layer added first to a `tf.keras.Sequential`,
- `input_tensor=` from Keras 3 given to a zoo model,
- a zoo `.keras` file loaded with Keras 3 (`tf.keras.models.load_model`).

`register_keras3_stubs()` does the last one: it registers, on the Keras 3
side, a stand-in under the zoo models' registered name whose `from_config`
raises the error.
"""

import sys

import tf_keras as keras

# The serializable name of the zoo's models (`sparsezoo_tf.models.ZooModel`),
# on both the tf_keras side and the Keras 3 stand-in.
PACKAGE = "sparsezoo_tf"
ZOO_MODEL_CLASS = "ZooModel"

KERAS3_MESSAGE = (
    "sparsezoo_tf is built on tf_keras (Keras 2) and cannot take Keras 3 "
    "objects: in TensorFlow 2.16 and later, `tf.keras` and `import keras` "
    "are Keras 3. Use tf_keras for the models that hold sparsezoo layers: "
    "`import tf_keras as keras` and then keras.Input, keras.Sequential, "
    "keras.Model, keras.models.load_model; or set the environment variable "
    "TF_USE_LEGACY_KERAS=1 before TensorFlow is imported, which makes "
    "`tf.keras` tf_keras. (README.md, \"Which Keras\".)")


class KerasVersionError(ValueError):
  """A Keras 3 object met a sparsezoo layer, model or loader."""

  def __init__(self, what: str):
    super().__init__(f"{KERAS3_MESSAGE} Got: {what}.")


def is_keras3(value) -> bool:
  """Whether `value` is an object of Keras 3 (its class comes from the
  `keras` package, e.g. a `keras.KerasTensor` from `tf.keras.Input`)."""
  module = getattr(type(value), "__module__", None) or ""
  return module == "keras" or module.startswith("keras.")


def check_not_keras3(value, what: str) -> None:
  """Raises `KerasVersionError` when `value`, or anything nested in it (a
  list, tuple or dict of tensors), is a Keras 3 object.

  Args:
    value: the object to check (tensors, nested structures of tensors).
    what: what `value` is, for the message, e.g. "the inputs of layer
      'conv1'".
  """
  stack = [value]
  while stack:
    item = stack.pop()
    if isinstance(item, (list, tuple)):
      stack.extend(item)
    elif isinstance(item, dict):
      stack.extend(item.values())
    elif is_keras3(item):
      raise KerasVersionError(f"{what} is a Keras 3 {type(item).__name__}")


def check_tf_keras_model(model, caller: str) -> None:
  """Raises a clear error unless `model` is a `tf_keras` model.

  Args:
    model: what a function of the package was given.
    caller: the function, for the message (e.g. "optimization.prune").

  Raises:
    KerasVersionError: a Keras 3 model (`tf.keras` / `keras` in TF >= 2.16).
    TypeError: anything else that is not a `tf_keras.Model`.
  """
  if is_keras3(model):
    raise KerasVersionError(
        f"{caller} was given a Keras 3 {type(model).__name__} "
        f"({getattr(model, 'name', '?')!r}); build it with tf_keras")
  if not isinstance(model, keras.Model):
    raise TypeError(f"{caller} takes a tf_keras model, got "
                    f"{type(model).__name__}")


class RefusesKeras3:
  """Mixin of the package's layers and models (before the tf_keras base
  class): calling one on a Keras 3 tensor, or adding one first to a Keras 3
  `Sequential`, raises `KerasVersionError`."""

  def __call__(self, *args, **kwargs):
    check_not_keras3(args[0] if args else kwargs.get("inputs"),
                     f"the input of {self.name!r}")
    return super().__call__(*args, **kwargs)

  @property
  def _input_shape_arg(self):
    # Keras 3's Sequential.add reads this attribute of its first layer
    # before it checks the layer's class (keras/src/models/sequential.py);
    # tf_keras never reads it.
    raise KerasVersionError(
        f"{self.name!r} ({type(self).__name__}, a tf_keras object) was added "
        f"to a Keras 3 Sequential model")


def register_keras3_stubs() -> bool:
  """Registers with Keras 3 a stand-in for the zoo's models, so that Keras 3
  loading a zoo `.keras` file raises `KerasVersionError`.

  Only when Keras 3 is already imported (TensorFlow 2.20 imports it with
  itself), so that this never adds Keras 3's import time.

  Returns:
    Whether the stand-in is registered.
  """
  keras3 = sys.modules.get("keras")
  saving = getattr(keras3, "saving", None)
  register = getattr(saving, "register_keras_serializable", None)
  if register is None:
    return False

  class Keras3ZooModelStub:
    """Keras 3 stand-in for `sparsezoo_tf>ZooModel`: refuses to load."""

    def get_config(self):
      return {}

    @classmethod
    def from_config(cls, config, custom_objects=None):
      del custom_objects
      name = config.get("name") if isinstance(config, dict) else None
      raise KerasVersionError(
          f"Keras 3 is loading the sparsezoo_tf model {name!r}, written by "
          f"tf_keras; load it with tf_keras.models.load_model or "
          f"sparsezoo_tf.export.load_keras_model")

  register(package=PACKAGE, name=ZOO_MODEL_CLASS)(Keras3ZooModelStub)
  return True
