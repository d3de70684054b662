"""The zoo's models as TF Model Garden backbones (`official.vision`).

Importing this module registers the backbone builder "sparsezoo" with
`official.vision.modeling.backbones.factory`, so that a Model Garden model
config whose backbone is this module's `Backbone` builds any zoo model that
has `features_only` endpoints:

    from sparsezoo_tf.detection import backbones

    backbone = backbones.Backbone(
        type="sparsezoo",
        sparsezoo=backbones.SparseZooBackbone(model_name="resnet18_sc"))
    model = official.vision.modeling.backbones.factory.build_backbone(
        input_specs=tf_keras.layers.InputSpec(shape=[None, 128, 128, 3]),
        backbone_config=backbone, norm_activation_config=None)
    model.output_specs  # {'2': TensorShape([None, 32, 32, 64]), ..., '5': ...}

The backbone's outputs are keyed by level, the base-2 logarithm of the
endpoint's stride (Model Garden's convention: '2'..'5' for an ImageNet
ResNet), whatever the zoo model calls its endpoints; where several
endpoints share a stride, the deepest one is the level's. Model Garden's
anchors and decoders assume that the map of level l is the image size
divided by 2^l, so the image size must be divisible by the largest stride.

The module imports Model Garden's vision modules, which `sparsezoo_tf.
detection` itself does not: import it explicitly.
"""

import dataclasses
import json
import math
from typing import Any, Dict, Optional, Sequence, Union

import tensorflow as tf
import tf_keras as keras

from official.modeling import hyperparams
from official.vision.configs import backbones as mg_backbones
from official.vision.modeling.backbones import factory

from sparsezoo_tf.models import registry

# The key of the backbone builder and the `Backbone` config's field.
BACKBONE_TYPE = "sparsezoo"


@dataclasses.dataclass
class SparseZooBackbone(hyperparams.Config):
  """A zoo model as a backbone (`task.model.backbone.sparsezoo`).

  Attributes:
    model_name: a registered zoo model (`sparsezoo_tf.models.list_models`).
    weights: '' (random initialization), a registered weights name of the
      model (e.g. "digits"), or the path of a Keras HDF5 weights file of
      the classifier; loaded by layer name into the backbone after the
      zoo's checks (registered files against their SHA-256, a file with a
      `.sha256` record against it, every backbone layer present in the file
      with the same shapes, nothing else in the file but the head).
    implementation: "auto", "op" or "reference" for the sparse layers; ''
      leaves the model's default (dense models take no such argument).
    model_kwargs: further keyword arguments of the model's entry point, as
      a JSON object (e.g. '{"width": 0.5}'); '' for none.
  """
  model_name: str = ""
  weights: str = ""
  implementation: str = ""
  model_kwargs: str = ""


@dataclasses.dataclass
class Backbone(mg_backbones.Backbone):
  """Model Garden's `Backbone` one-of config with the zoo's type added:
  `type="sparsezoo"` selects the `sparsezoo` field."""
  sparsezoo: SparseZooBackbone = dataclasses.field(
      default_factory=SparseZooBackbone)


def _model_kwargs(config: SparseZooBackbone) -> Dict[str, Any]:
  """The entry point's keyword arguments the config asks for."""
  kwargs = {}
  if config.model_kwargs:
    try:
      kwargs = json.loads(config.model_kwargs)
    except json.JSONDecodeError as error:
      raise ValueError(f"sparsezoo backbone: model_kwargs must be a JSON "
                       f"object, got {config.model_kwargs!r} ({error})"
                       ) from None
    if not isinstance(kwargs, dict):
      raise ValueError(f"sparsezoo backbone: model_kwargs must be a JSON "
                       f"object, got {config.model_kwargs!r}")
  fixed = {"features_only", "input_shape", "input_tensor", "weights",
           "include_top"} & set(kwargs)
  if fixed:
    raise ValueError(f"sparsezoo backbone: model_kwargs may not set "
                     f"{sorted(fixed)}: the backbone config and the input "
                     f"specs set them")
  if config.implementation:
    kwargs["implementation"] = config.implementation
  return kwargs


def _image_shape(input_specs: Union[keras.layers.InputSpec,
                                    Sequence[keras.layers.InputSpec]],
                 model_name: str):
  """(height, width, channels) of Model Garden's input specs."""
  if isinstance(input_specs, (list, tuple)):
    if len(input_specs) != 1:
      raise ValueError(f"sparsezoo backbone {model_name}: takes one input, "
                       f"got {len(input_specs)} input specs")
    input_specs = input_specs[0]
  shape = tuple(input_specs.shape)
  if len(shape) != 4 or any(d is None for d in shape[1:]):
    raise ValueError(
        f"sparsezoo backbone {model_name}: needs a fixed NHWC input shape "
        f"[batch, height, width, channels], got {list(shape)} (set the "
        f"model's input_size)")
  return tuple(int(d) for d in shape[1:])


def _nominal_level(size: int, image: int) -> int:
  """The level a map of `size` pixels of an image of `image` pixels is
  nearest to (its stride rounded to a power of two)."""
  return max(round(math.log2(image / size)), 0)


def levels_of(model: keras.Model, model_name: str,
              image_shape: Sequence[int]) -> Dict[str, tf.Tensor]:
  """The endpoints of a zoo `features_only` model, keyed by level.

  Args:
    model: the model, its output a dict {endpoint name: map}.
    model_name: its zoo name (for the messages).
    image_shape: the (height, width, ...) it was built at.

  Returns:
    {str(level): map}, ascending levels, the deepest endpoint of each
    stride (in the model's `endpoint_names` order).

  Raises:
    ValueError: an endpoint whose size is not the image's divided by a
      power of two (an image size not divisible by the model's largest
      stride), or different strides along height and width.
  """
  outputs = model.output
  if not isinstance(outputs, dict):
    raise ValueError(f"sparsezoo backbone {model_name}: the model's "
                     f"features_only output is not a dict of endpoints")
  order = getattr(model, "endpoint_names", None) or tuple(outputs)
  sizes = {endpoint: tuple(outputs[endpoint].shape[1:3])
           for endpoint in order}
  largest = 2**max(_nominal_level(size, image)
                   for endpoint_sizes in sizes.values()
                   for size, image in zip(endpoint_sizes, image_shape))
  by_level = {}
  for endpoint in order:
    found = [_nominal_level(size, image)
             for size, image in zip(sizes[endpoint], image_shape)]
    if any(size * 2**level != image for size, image, level in
           zip(sizes[endpoint], image_shape, found)):
      raise ValueError(
          f"sparsezoo backbone {model_name}: endpoint {endpoint!r} is "
          f"{sizes[endpoint]} for an image of {tuple(image_shape[:2])}, not "
          f"the image divided by a power of two: the image's height and "
          f"width must be divisible by the model's largest stride, "
          f"{largest}")
    if found[0] != found[1]:
      raise ValueError(f"sparsezoo backbone {model_name}: endpoint "
                       f"{endpoint!r} has strides {2**found[0]} and "
                       f"{2**found[1]} along height and width")
    by_level[found[0]] = outputs[endpoint]  # later (deeper) endpoints win
  return {str(level): by_level[level] for level in sorted(by_level)}


def build_sparsezoo_backbone(
    input_specs: Union[keras.layers.InputSpec,
                       Sequence[keras.layers.InputSpec]],
    backbone_config: hyperparams.Config,
    norm_activation_config: Optional[hyperparams.Config] = None,
    l2_regularizer: Optional[keras.regularizers.Regularizer] = None,
    **kwargs) -> keras.Model:
  """Model Garden's backbone builder for `type="sparsezoo"`.

  Args:
    input_specs: the image's `InputSpec` ([batch, height, width, channels],
      height and width fixed).
    backbone_config: a `Backbone` whose `type` is "sparsezoo".
    norm_activation_config: ignored: the zoo model fixes its normalization
      and activations (batch normalization and ReLU as its paper has them).
    l2_regularizer: when given, its penalty of every trainable weight of
      rank 2 or more (the convolution and dense kernels, not the batch
      normalization's) is added to the model's `losses`.
    **kwargs: Model Garden's further builder arguments; none is used.

  Returns:
    A `tf_keras.Model` whose outputs are {str(level): map}, with
    `output_specs` {str(level): TensorShape} (`levels_of`).

  Raises:
    ValueError: an unknown model (with the registry's nearest names), a
      model without `features_only` endpoints, weights that do not fit the
      model (the zoo's checks; nothing is loaded then), an image size not
      divisible by the model's largest stride, or a bad config.
  """
  del norm_activation_config, kwargs  # the zoo model fixes its own
  if backbone_config.type != BACKBONE_TYPE:
    raise ValueError(f"the sparsezoo backbone builder got a config of type "
                     f"{backbone_config.type!r}")
  config = backbone_config.get()
  name = config.model_name
  if not name:
    raise ValueError("sparsezoo backbone: set model_name to a zoo model "
                     "(sparsezoo_tf.models.list_models())")
  registry.model_info(name)  # unknown names: the registry's suggestions
  image_shape = _image_shape(input_specs, name)
  model_kwargs = _model_kwargs(config)
  try:
    model = registry.create_model(
        name, features_only=True, include_top=False, input_shape=image_shape,
        weights=config.weights or None, **model_kwargs)
  except ValueError as error:
    if "features_only" in str(error):
      raise ValueError(f"sparsezoo backbone: {name} has no features_only "
                       f"endpoints, so it cannot serve as a backbone "
                       f"({error})") from None
    raise
  if not isinstance(model.output, dict):
    raise ValueError(f"sparsezoo backbone: {name} has no features_only "
                     f"endpoints (its features_only model returns "
                     f"{type(model.output).__name__}), so it cannot serve "
                     f"as a backbone")
  levels = levels_of(model, name, image_shape)
  backbone = keras.Model(model.input, levels, name=f"{name}_backbone")
  backbone.output_specs = {level: tensor.shape
                           for level, tensor in levels.items()}
  backbone.model_name = name
  if l2_regularizer is not None:
    for weight in backbone.trainable_weights:
      if weight.shape.rank >= 2:
        backbone.add_loss(
            lambda weight=weight: l2_regularizer(weight))
  return backbone


def _register() -> None:
  """Registers the builder once (importing or reloading this module again
  must not meet Model Garden's "already registered" KeyError)."""
  # pylint: disable=protected-access
  if BACKBONE_TYPE not in factory._REGISTERED_BACKBONE_CLS:
    factory.register_backbone_builder(BACKBONE_TYPE)(build_sparsezoo_backbone)


_register()
