"""Class activation maps (CAM; Zhou et al., CVPR 2016) of the zoo's GAP
classifiers, and the maps of each part of an scFusion module (paper 003,
appendix B and Fig. 8).

A classifier whose head is global average pooling of the last feature maps
f_k followed by one Dense layer (w, b) scores class c with
logit_c = sum_k w[k, c] mean(f_k) + b[c]. Its CAM is
CAM_c = sum_k w[k, c] f_k, a map at the features' resolution whose mean is
logit_c - b[c]. As Zhou et al., the bias is left out: it would only add the
constant b[c] to every pixel. `class_activation_maps` upsamples the maps to
the input's size by bilinear interpolation (half-pixel centers, as OpenCV's
`resize` that Zhou et al. use).

The functions take images as the model consumes them: already
preprocessed (`sparsezoo_tf.models.preprocess_input`, resized or cropped).

Per-component maps (`scfusion_component_maps`). The scFusion module
concatenates E (the "+" kernels, W_even), O (the "x" kernels, W_odd),
A = E + O (fusion-add) and I = -(E + O) (fusion-inverse), applies a ReLU and
fuses them with a 1x1 convolution. The map of a component is the CAM the
network gives when only that component reaches the fusion: the other parts'
channels are zeroed after the ReLU (the 1x1 convolution keeps its bias), and
the rest of the network, from the module's output to the classifier, runs
in inference mode on this modified output (BatchNorm with its moving
statistics, no dropout). Keeping all the parts gives the model's own CAM.
The class is fixed beforehand (by default the unmodified model's top-1), so
that every component's map is of the same class. When more layers follow the
module (the usual case: BatchNorm, ReLU, further stages) the maps are not
additive: ReLUs after the module make the whole more than the sum of its
parts, which is what paper 003 reads from Fig. 8 ("combining all of the
elements leads to a stronger activation").
"""

import dataclasses
from typing import Optional, Sequence, Tuple, Union

import numpy as np
import tensorflow as tf
import tf_keras as keras

from sparsezoo_tf.layers import scfusion
from sparsezoo_tf.models import registry

# Layers that may sit between the pooling and the classifier: identities at
# inference.
_PASS_THROUGH = (keras.layers.Dropout,)
_CHAIN_SHOWN = 6


@dataclasses.dataclass(frozen=True)
class CamHead:
  """Where a classifier's maps come from.

  Attributes:
    features: the Keras tensor the pooling averages ([B, h, w, C]).
    pooling: the GlobalAveragePooling2D layer.
    dense: the Dense layer producing the model's output; its kernel [C,
      classes] weighs the feature maps.
  """
  features: object
  pooling: keras.layers.GlobalAveragePooling2D
  dense: keras.layers.Dense


@dataclasses.dataclass(frozen=True)
class CamResult:
  """Class activation maps of the top-k classes.

  Attributes:
    classes: int64 [B, k] the classes, best first.
    scores: float32 [B, k] the model's outputs for them (probabilities with
      a softmax classifier).
    maps: float32 [B, k, H, W] the maps at the input's resolution.
    raw_maps: float32 [B, k, h, w] the maps at the features' resolution.
    feature_maps: float32 [B, h, w, C] the features the pooling averages
      (with `return_features=True`, else None).
  """
  classes: np.ndarray
  scores: np.ndarray
  maps: np.ndarray
  raw_maps: np.ndarray
  feature_maps: Optional[np.ndarray] = None


@dataclasses.dataclass(frozen=True)
class ComponentMaps:
  """Maps of an scFusion module's components (paper 003, Fig. 8).

  Attributes:
    layer: name of the SCFusion layer.
    names: the components kept for each map, "+"-joined
      ("w_even", "w_odd", "fusion_add", "fusion_inverse", or e.g.
      "w_even+w_odd").
    classes: int64 [B] the class of every map of an image.
    maps: float32 [B, len(names), H, W] at the input's resolution.
    cam: float32 [B, H, W] the model's own CAM of the class.
  """
  layer: str
  names: Tuple[str, ...]
  classes: np.ndarray
  maps: np.ndarray
  cam: np.ndarray


def _producer(tensor):
  """(the layer that made `tensor`, the Keras tensors it took)."""
  history = getattr(tensor, "_keras_history", None)
  if history is None:
    return None, []
  # pylint: disable-next=protected-access
  node = history.layer._inbound_nodes[history.node_index]
  return history.layer, list(node.keras_inputs)


def _describe_output(model) -> str:
  """The last layers on the path to the model's output, oldest first."""
  chain = []
  tensor = model.outputs[0] if model.outputs else None
  while tensor is not None and len(chain) < _CHAIN_SHOWN:
    layer, inputs = _producer(tensor)
    if layer is None:
      break
    chain.append(f"{layer.name} ({type(layer).__name__})")
    tensor = inputs[0] if inputs else None
  return " -> ".join(reversed(chain)) or "no layers"


def _head_error(model, problem: str) -> ValueError:
  message = (
      f"class activation maps need a model whose head is a "
      f"GlobalAveragePooling2D followed by one Dense layer (a Dropout "
      f"between them is fine); {model.name} has {problem}: its output comes "
      f"from {_describe_output(model)}.")
  if "vgg" in model.name.lower():
    gap_models = ", ".join(registry.list_models("vgg16*_gap"))
    message += (f" For VGG-16 use a _gap variant ({gap_models}): a 3x3 "
                f"convolution after conv5_3, global average pooling and the "
                f"classifier (paper 003, appendix B).")
  else:
    message += (" Build the model with include_top=True and a GAP head, or "
                "add GlobalAveragePooling2D and Dense(classes) on its "
                "features.")
  return ValueError(message)


def cam_head(model: keras.Model) -> CamHead:
  """Finds the GlobalAveragePooling2D -> [Dropout] -> Dense head of `model`.

  Raises:
    ValueError: when the model is not a single-input, single-output
      functional model ending in that head, naming what it has instead.
  """
  if not isinstance(model, keras.Model):
    raise ValueError(f"class activation maps need a tf_keras model, got "
                     f"{type(model).__name__}")
  if not getattr(model, "_is_graph_network", False) or not model.outputs:
    raise ValueError(f"class activation maps need a functional or "
                     f"Sequential model built on an Input (its layers' "
                     f"graph); {model.name} is a subclassed or unbuilt model")
  if len(model.inputs) != 1 or len(model.outputs) != 1:
    raise ValueError(f"class activation maps need one input and one output; "
                     f"{model.name} has {len(model.inputs)} inputs and "
                     f"{len(model.outputs)} outputs")
  dense, inputs = _producer(model.outputs[0])
  if not isinstance(dense, keras.layers.Dense):
    raise _head_error(model, "no Dense layer producing its output")
  layer, pooled = _producer(inputs[0])
  while isinstance(layer, _PASS_THROUGH):
    layer, pooled = _producer(pooled[0])
  if not isinstance(layer, keras.layers.GlobalAveragePooling2D):
    found = "nothing" if layer is None else (
        f"{layer.name} ({type(layer).__name__})")
    raise _head_error(
        model, f"{found} instead of a GlobalAveragePooling2D feeding its "
        f"last Dense layer {dense.name}")
  if layer.data_format != "channels_last" or layer.keepdims:
    raise _head_error(
        model, f"a GlobalAveragePooling2D {layer.name} with "
        f"data_format={layer.data_format!r}, keepdims={layer.keepdims} "
        f"(channels_last without keepdims is supported)")
  return CamHead(features=pooled[0], pooling=layer, dense=dense)


def _check_images(model: keras.Model, images) -> tf.Tensor:
  images = tf.convert_to_tensor(images)
  if not images.dtype.is_floating:
    images = tf.cast(images, tf.float32)
  if images.shape.rank != 4:
    raise ValueError(f"images must be a preprocessed batch [B, rows, cols, "
                     f"channels], got shape {images.shape}")
  expected = tuple(model.inputs[0].shape[1:])
  for axis, (want, got) in enumerate(zip(expected, images.shape[1:])):
    if want is not None and want != got:
      raise ValueError(f"{model.name} takes inputs [B, "
                       f"{', '.join(str(s) for s in expected)}], got images "
                       f"of shape {images.shape} (axis {axis + 1} differs)")
  if images.shape[0] == 0:
    raise ValueError("images is an empty batch")
  return images


def _check_batch_size(batch_size: Optional[int], images: int) -> int:
  if batch_size is None:
    return images
  if isinstance(batch_size, bool) or not isinstance(
      batch_size, (int, np.integer)) or batch_size < 1:
    raise ValueError(f"batch_size must be a positive int or None (the whole "
                     f"batch at once), got {batch_size!r}")
  return int(batch_size)


def _class_maps(features, kernel, classes):
  """CAMs [B, k, h, w] of `classes` [B, k] from features [B, h, w, C] and
  the Dense kernel [C, classes]."""
  weights = tf.gather(tf.transpose(tf.cast(kernel, tf.float32)), classes)
  return tf.einsum("bhwc,bkc->bkhw", tf.cast(features, tf.float32), weights)


def _upsample(maps, size):
  """Bilinear resize of [B, k, h, w] maps to [B, k, *size]."""
  resized = tf.image.resize(tf.transpose(maps, [0, 2, 3, 1]), size,
                            method="bilinear")
  return tf.transpose(resized, [0, 3, 1, 2])


def maps_of_classes(head: CamHead, feature_maps, class_ids,
                    size=None) -> np.ndarray:
  """CAMs of given classes from features a forward pass returned (e.g.
  `CamResult.feature_maps`): the GT-known maps of the true classes.

  Args:
    head: the model's `cam_head`.
    feature_maps: [B, h, w, C] features of the GAP's input.
    class_ids: [B] or [B, k] class indices.
    size: (rows, cols) to upsample to (bilinear); None keeps [h, w].

  Returns:
    float32 maps [B, h', w'] for [B] ids, [B, k, h', w'] for [B, k].
  """
  ids = np.asarray(class_ids)
  if ids.ndim not in (1, 2) or ids.shape[0] != np.shape(feature_maps)[0]:
    raise ValueError(f"class_ids must be [B] or [B, k] with B = "
                     f"{np.shape(feature_maps)[0]} images, got shape "
                     f"{ids.shape}")
  classes = head.dense.units
  if ids.size and (ids.min() < 0 or ids.max() >= classes):
    raise ValueError(f"class_ids must be in [0, {classes}), got "
                     f"{ids.min()}..{ids.max()}")
  maps = _class_maps(feature_maps, head.dense.kernel,
                     ids.reshape(ids.shape[0], -1))
  if size is not None:
    maps = _upsample(maps, tuple(int(side) for side in size))
  maps = maps.numpy().astype(np.float32)
  return maps[:, 0] if ids.ndim == 1 else maps


def class_activation_maps(model: keras.Model, images, top_k: int = 5,
                          batch_size: Optional[int] = None,
                          return_features: bool = False) -> CamResult:
  """CAMs of each image's `top_k` classes, one forward pass per batch.

  Args:
    model: a classifier whose head is GlobalAveragePooling2D, an optional
      Dropout and one Dense layer (the zoo's models with include_top=True
      except the FC VGG-16s: use the `_gap` variants).
    images: [B, rows, cols, channels] preprocessed images (as the model
      consumes them).
    top_k: classes per image, best first.
    batch_size: images per forward pass (default all at once).
    return_features: also return the pooled features.

  Returns:
    A `CamResult`.

  Raises:
    ValueError: for a model without that head (naming what it has), images
      of the wrong shape, or a bad `top_k` / `batch_size`.
  """
  head = cam_head(model)
  images = _check_images(model, images)
  classes = head.dense.units
  if isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)) or (
      not 1 <= top_k <= classes):
    raise ValueError(f"top_k must be an int in [1, {classes}] (the model's "
                     f"classes), got {top_k!r}")
  step = _check_batch_size(batch_size, images.shape[0])
  network = keras.Model(model.inputs, [head.features, model.outputs[0]])
  size = images.shape[1:3]
  kernel = head.dense.kernel

  @tf.function(reduce_retracing=True)
  def run(batch):
    features, outputs = network(batch, training=False)
    scores, top = tf.math.top_k(tf.cast(outputs, tf.float32), k=int(top_k))
    raw = _class_maps(features, kernel, top)
    return top, scores, raw, _upsample(raw, size), features

  parts = [run(images[start:start + step])
           for start in range(0, images.shape[0], step)]
  joined = [np.concatenate([p[i].numpy() for p in parts]) for i in range(5)]
  return CamResult(
      classes=joined[0].astype(np.int64),
      scores=joined[1].astype(np.float32),
      raw_maps=joined[2].astype(np.float32),
      maps=joined[3].astype(np.float32),
      feature_maps=(joined[4].astype(np.float32) if return_features
                    else None))


def _scfusion_layer(model: keras.Model, layer) -> scfusion.SCFusion:
  if layer is None:
    found = [l for l in model.layers if isinstance(l, scfusion.SCFusion)]
    if not found:
      raise ValueError(f"{model.name} has no SCFusion layer among its layers; "
                       f"component maps need an scFusion model (e.g. "
                       f"vgg16_scfusion4_gap)")
    return found[-1]
  if isinstance(layer, str):
    names = [l.name for l in model.layers]
    if layer not in names:
      raise ValueError(f"{model.name} has no layer named {layer!r}")
    layer = model.get_layer(layer)
  elif all(l is not layer for l in model.layers):
    raise ValueError(f"layer {getattr(layer, 'name', layer)!r} is not a "
                     f"layer of {model.name}")
  if not isinstance(layer, scfusion.SCFusion):
    raise ValueError(f"layer {layer.name} is a {type(layer).__name__}, not "
                     f"an SCFusion layer")
  calls = len(layer._inbound_nodes)  # pylint: disable=protected-access
  if calls != 1:
    raise ValueError(f"SCFusion layer {layer.name} is called {calls} times; "
                     f"component maps need a layer called once")
  return layer


def _selections(layer: scfusion.SCFusion, components):
  """The components kept for each map: tuples of names."""
  names = layer.component_names
  if components is None:
    return [(name,) for name in names]
  if isinstance(components, str):
    components = [components]
  selections = []
  for item in components:
    selection = (item,) if isinstance(item, str) else tuple(item)
    unknown = [n for n in selection if n not in names]
    if unknown or not selection:
      raise ValueError(f"components of {layer.name} are {names} (or tuples "
                       f"of them); got {item!r}")
    selections.append(selection)
  return selections


def scfusion_component_maps(
    model: keras.Model, images, class_ids=None, layer=None,
    components: Optional[Sequence[Union[str, Sequence[str]]]] = None,
    batch_size: Optional[int] = None) -> ComponentMaps:
  """The CAM of a class from each component of an scFusion module alone.

  See the module docstring for what "alone" means.

  Args:
    model: a CAM classifier (see `class_activation_maps`) with SCFusion
      layers.
    images: [B, rows, cols, channels] preprocessed images.
    class_ids: the class of the maps: None (each image's top-1 class), one
      int for all images, or one per image [B].
    layer: the SCFusion layer (or its name); default the model's last.
    components: the maps to make: each a component name or a tuple of names
      kept together; default each of `layer.component_names` alone.
    batch_size: images per forward pass (default all at once).

  Returns:
    A `ComponentMaps`.

  Raises:
    ValueError: for a model without a CAM head or SCFusion layer, a layer
      that is not one of its SCFusion layers, unknown components or bad
      class ids.
  """
  head = cam_head(model)
  module = _scfusion_layer(model, layer)
  selections = _selections(module, components)
  images = _check_images(model, images)
  count = images.shape[0]
  step = _check_batch_size(batch_size, count)
  units = head.dense.units
  if class_ids is not None:
    ids = np.asarray(class_ids)
    if ids.ndim == 0:
      ids = np.full(count, ids)
    if ids.shape != (count,) or not np.issubdtype(ids.dtype, np.integer) or (
        ids.min() < 0 or ids.max() >= units):
      raise ValueError(f"class_ids must be None, one int or one int per image "
                       f"({count}), each in [0, {units}); got {class_ids!r}")
  before = keras.Model(model.inputs,
                       [module.input, head.features, model.outputs[0]])
  needs_images = False
  if module.output is head.features:
    after = None
  else:
    try:
      after = keras.Model(module.output, head.features)
    except ValueError:
      # Other paths (shortcuts) reach the features from the images.
      after = keras.Model(model.inputs + [module.output], head.features)
      needs_images = True
  kernel = head.dense.kernel
  size = images.shape[1:3]
  names = module.component_names

  @tf.function(reduce_retracing=True)
  def run(batch, ids):
    inputs, features, outputs = before(batch, training=False)
    if ids is None:
      ids = tf.argmax(outputs, axis=-1, output_type=tf.int32)
    ids = tf.cast(ids, tf.int32)[:, None]
    parts = module.components(inputs)
    maps = []
    for selection in selections:
      kept = {n: parts[n] if n in selection else tf.zeros_like(parts[n])
              for n in names}
      output = module.fuse(kept)
      if after is None:
        changed = output
      else:
        changed = after([batch, output] if needs_images else output,
                        training=False)
      maps.append(_class_maps(changed, kernel, ids)[:, 0])
    cam = _class_maps(features, kernel, ids)
    return (ids[:, 0], _upsample(tf.stack(maps, axis=1), size),
            _upsample(cam, size)[:, 0])

  results = []
  for start in range(0, count, step):
    batch_ids = None if class_ids is None else tf.constant(
        ids[start:start + step])
    results.append(run(images[start:start + step], batch_ids))
  return ComponentMaps(
      layer=module.name,
      names=tuple("+".join(s) for s in selections),
      classes=np.concatenate([r[0].numpy() for r in results]).astype(np.int64),
      maps=np.concatenate([r[1].numpy() for r in results]).astype(np.float32),
      cam=np.concatenate([r[2].numpy() for r in results]).astype(np.float32))
