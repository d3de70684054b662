"""VGG-16 with sparse kernels: scFusion on ImageNet (paper 003) and pSConv
on CIFAR-10 / Tiny ImageNet (paper 004).

One builder, `vgg16_net`, makes every variant (the registered models,
`vgg16` among them, are its entry points); the first convolution (3 input
channels) is dense in every scheme, the fully connected layers are dense.

Variants (`variant=`):
  "imagenet"  Simonyan & Zisserman's VGG-16 (paper 003): 13 3x3
              convolutions with biases and ReLU, no BatchNorm, five max
              pools, flatten (7x7x512) and FC 4096-4096-classes with dropout
              0.5. `gap=True` is the localization model of paper 003
              (appendix B): no pool5, a 3x3 convolution with 1024 outputs
              after conv5_3, global average pooling and the classifier.
  "cifar"     paper 004's VGG16 for 32x32: every convolution followed by
  "tiny"      BatchNorm and ReLU, the same pools, then (an identity 1x1
              average pool, omitted) flatten and FC 4096-4096-classes with
              ReLU. The flattened features are 1x1x512 on CIFAR-10 and
              2x2x512 on Tiny ImageNet (64x64): the parameter counts of
              Tables IV and V (33.65 M, 40.72 M) need exactly that.
`width` scales every convolution (0.5 is paper 004's "HC", half channels);
the FC layers keep 4096 units.
"""

import dataclasses
import functools
from typing import Callable, Dict, Optional, Tuple

import tf_keras as keras

from sparsezoo_tf.models import common
from sparsezoo_tf.models import convs
from sparsezoo_tf.models.registry import register_model

STAGES = ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512),
          (512, 512, 512))
GAP_FILTERS = 1024
FC_UNITS = 4096


@dataclasses.dataclass(frozen=True)
class Variant:
  """What differs between the VGG-16 of the datasets.

  Attributes:
    dataset: dataset name of `ModelInfo`.
    input_shape: the input the paper's counts refer to.
    classes: default classes.
    preprocessing: preprocessing mode.
    batch_norm: BatchNorm after every convolution.
    dropout: dropout after each hidden FC layer.
    levels: the endpoint levels (stride 2^level) the features expose.
  """
  dataset: str
  input_shape: Tuple[int, int, int]
  classes: int
  preprocessing: str
  batch_norm: bool
  dropout: float
  levels: Tuple[int, ...]


VARIANTS = {
    "imagenet": Variant("imagenet", (224, 224, 3), 1000, "imagenet", False,
                        0.5, (2, 3, 4, 5)),
    "cifar": Variant("cifar10", (32, 32, 3), 10, "cifar10", True, 0.0,
                     (0, 1, 2, 3, 4, 5)),
    "tiny": Variant("tiny_imagenet", (64, 64, 3), 200, "tiny_imagenet", True,
                    0.0, (0, 1, 2, 3, 4, 5)),
}


def _conv_block(x, policy: convs.ConvPolicy, filters: int, label: str,
                role: str, batch_norm: bool):
  x = policy.conv(filters, 3, name=label, role=role)(x)
  if batch_norm:
    x = keras.layers.BatchNormalization(name=f"{label}_bn")(x)
  return keras.layers.ReLU(name=f"{label}_relu")(x)


def _features(x, policy: convs.ConvPolicy, width: float, batch_norm: bool,
              gap: bool) -> Tuple[object, Dict[int, object]]:
  """The convolutional layers; returns the last map and maps by level."""
  by_level = {}
  for stage, widths in enumerate(STAGES, start=1):
    for index, filters in enumerate(widths, start=1):
      role = "stem" if stage == 1 and index == 1 else "body"
      x = _conv_block(x, policy, _scaled(filters, width),
                      f"block{stage}_conv{index}", role, batch_norm)
    by_level[stage - 1] = x
    if gap and stage == len(STAGES):
      break
    x = keras.layers.MaxPooling2D(2, name=f"block{stage}_pool")(x)
  if gap:
    x = _conv_block(x, policy, _scaled(GAP_FILTERS, width), "cam_conv",
                    "body", batch_norm)
    by_level[len(STAGES) - 1] = x
  else:
    by_level[len(STAGES)] = x
  return x, by_level


def _scaled(filters: int, width: float) -> int:
  scaled = int(round(filters * width))
  if scaled < 1:
    raise ValueError(f"width={width} leaves no channels of {filters}")
  return scaled


def _fc_head(x, classes: int, classifier_activation, dropout: float):
  x = keras.layers.Flatten(name="flatten")(x)
  for index in (1, 2):
    x = keras.layers.Dense(FC_UNITS, activation="relu", name=f"fc{index}")(x)
    if dropout:
      x = keras.layers.Dropout(dropout, name=f"fc{index}_dropout")(x)
  return keras.layers.Dense(classes, activation=classifier_activation,
                            name="predictions")(x)


def vgg16_net(scheme: str = "dense",
              variant: str = "imagenet",
              gap: bool = False,
              include_top: bool = True,
              weights: Optional[str] = None,
              input_tensor=None,
              input_shape=None,
              pooling: Optional[str] = None,
              classes: Optional[int] = None,
              classifier_activation="softmax",
              width: float = 1.0,
              implementation: str = "auto",
              features_only: bool = False,
              name: Optional[str] = None) -> keras.Model:
  """VGG-16 whose 3x3 convolutions (all but the first) use `scheme`.

  Args:
    scheme: a `convs.make_policy` scheme; registered: "dense",
      "scfusion<alpha>" (paper 003), "psc<kss>" (paper 004).
    variant: "imagenet", "cifar" or "tiny" (see the module docstring).
    gap: the localization model (paper 003): no pool5, a 1024-channel 3x3
      convolution, global average pooling and the classifier.
    include_top, weights, input_tensor, input_shape, pooling,
      classifier_activation: as in Keras Applications. With the FC head
      (`include_top` and not `gap`) the input must be the variant's size.
    classes: classes of the classifier (default: the variant's dataset).
    width: multiplier of every convolution's channels (0.5: paper 004's HC).
    implementation: "auto", "op" or "reference" for the sparse layers.
    features_only: return the maps by level: {str(l): map of stride 2^l},
      the last map of each stride (levels 2-5 on ImageNet, 0-5 on the small
      datasets; the GAP model stops at its stride-16 `cam_conv`).
    name: model name.

  Returns:
    The `tf_keras` model.

  Raises:
    ValueError: for an unknown scheme or variant, a width the scheme cannot
      split, or a bad Keras Applications argument.
  """
  if variant not in VARIANTS:
    raise ValueError(f"variant must be one of {tuple(VARIANTS)}, got "
                     f"{variant!r}")
  spec = VARIANTS[variant]
  classes = spec.classes if classes is None else classes
  name = name or model_name(scheme, variant, gap, width)
  resolved = common.check_arguments(name, weights, include_top, classes,
                                    pooling, classifier_activation)
  pools = len(STAGES) - 1 if gap else len(STAGES)
  inputs, x = common.image_input(
      input_tensor, input_shape, spec.input_shape, min_size=2**pools,
      fixed_size=include_top and not gap and not features_only)
  policy = convs.make_policy(scheme, implementation=implementation,
                             use_bias=True)
  x, by_level = _features(x, policy, width, spec.batch_norm, gap)
  endpoints = {str(level): by_level[level] for level in spec.levels
               if level in by_level}
  if include_top and not gap:
    outputs = _fc_head(x, classes, classifier_activation, spec.dropout)
  else:
    outputs = common.classification_head(x, include_top, pooling, classes,
                                         classifier_activation)
  return common.finish(inputs, outputs, name, endpoints, features_only,
                       resolved)


def model_name(scheme: str, variant: str, gap: bool = False,
               width: float = 1.0) -> str:
  """The registered name of a configuration, e.g. "vgg16_hc_cifar_psc4"."""
  parts = ["vgg16"]
  if width == 0.5:
    parts.append("hc")
  elif width != 1.0:
    parts.append(f"w{width:g}")
  if variant != "imagenet":
    parts.append(variant)
  if scheme != "dense":
    parts.append(scheme)
  if gap:
    parts.append("gap")
  return "_".join(parts)


def _variant_model(variant: str) -> Callable[..., Callable]:
  spec = VARIANTS[variant]
  return functools.partial(
      register_model, family="vgg", dataset=spec.dataset,
      input_shape=spec.input_shape, classes=spec.classes,
      preprocessing=spec.preprocessing)


_imagenet_model = _variant_model("imagenet")
_cifar_model = _variant_model("cifar")
_tiny_model = _variant_model("tiny")


def _create_vgg(name: str, scheme: str = "dense", variant: str = "imagenet",
                gap: bool = False, /, **kwargs) -> keras.Model:
  return vgg16_net(scheme=scheme, variant=variant, gap=gap, name=name,
                   **kwargs)


@_imagenet_model()
def vgg16(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """VGG-16.

  Other arguments as `vgg16_net` (without `scheme`, `variant`, `gap`).
  """
  return _create_vgg("vgg16", weights=weights, **kwargs)


@_imagenet_model(scheme="scfusion2", baseline="vgg16")
def vgg16_scfusion2(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """VGG-16 scFusion-2 (paper 003).

  Other arguments as `vgg16_net` (without `scheme`, `variant`, `gap`).
  """
  return _create_vgg("vgg16_scfusion2", "scfusion2", weights=weights, **kwargs)


@_imagenet_model(scheme="scfusion4", baseline="vgg16")
def vgg16_scfusion4(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """VGG-16 scFusion-4 (paper 003).

  Other arguments as `vgg16_net` (without `scheme`, `variant`, `gap`).
  """
  return _create_vgg("vgg16_scfusion4", "scfusion4", weights=weights, **kwargs)


@_imagenet_model(scheme="scfusion8", baseline="vgg16")
def vgg16_scfusion8(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """VGG-16 scFusion-8 (paper 003).

  Other arguments as `vgg16_net` (without `scheme`, `variant`, `gap`).
  """
  return _create_vgg("vgg16_scfusion8", "scfusion8", weights=weights, **kwargs)


@_imagenet_model()
def vgg16_gap(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """VGG-16 with the GAP localization head.

  Other arguments as `vgg16_net` (without `scheme`, `variant`, `gap`).
  """
  return _create_vgg("vgg16_gap", "dense", "imagenet", True, weights=weights,
                     **kwargs)


@_imagenet_model(scheme="scfusion2", baseline="vgg16_gap")
def vgg16_scfusion2_gap(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """VGG-16 scFusion-2 with the GAP localization head (paper 003).

  Other arguments as `vgg16_net` (without `scheme`, `variant`, `gap`).
  """
  return _create_vgg("vgg16_scfusion2_gap", "scfusion2", "imagenet", True,
                     weights=weights, **kwargs)


@_imagenet_model(scheme="scfusion4", baseline="vgg16_gap")
def vgg16_scfusion4_gap(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """VGG-16 scFusion-4 with the GAP localization head (paper 003).

  Other arguments as `vgg16_net` (without `scheme`, `variant`, `gap`).
  """
  return _create_vgg("vgg16_scfusion4_gap", "scfusion4", "imagenet", True,
                     weights=weights, **kwargs)


@_imagenet_model(scheme="scfusion8", baseline="vgg16_gap")
def vgg16_scfusion8_gap(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """VGG-16 scFusion-8 with the GAP localization head (paper 003).

  Other arguments as `vgg16_net` (without `scheme`, `variant`, `gap`).
  """
  return _create_vgg("vgg16_scfusion8_gap", "scfusion8", "imagenet", True,
                     weights=weights, **kwargs)


@_cifar_model()
def vgg16_cifar(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """VGG16 for CIFAR-10 (paper 004's standard model).

  Other arguments as `vgg16_net` (without `scheme`, `variant`, `gap`).
  """
  return _create_vgg("vgg16_cifar", "dense", "cifar", weights=weights, **kwargs)


@_cifar_model(scheme="psc9", baseline="vgg16_cifar")
def vgg16_cifar_psc9(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """VGG16_pSC9 for CIFAR-10 (paper 004).

  Other arguments as `vgg16_net` (without `scheme`, `variant`, `gap`).
  """
  return _create_vgg("vgg16_cifar_psc9", "psc9", "cifar", weights=weights,
                     **kwargs)


@_cifar_model(scheme="psc4", baseline="vgg16_cifar")
def vgg16_cifar_psc4(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """VGG16_pSC4 for CIFAR-10 (paper 004).

  Other arguments as `vgg16_net` (without `scheme`, `variant`, `gap`).
  """
  return _create_vgg("vgg16_cifar_psc4", "psc4", "cifar", weights=weights,
                     **kwargs)


@_cifar_model(scheme="psc2", baseline="vgg16_cifar")
def vgg16_cifar_psc2(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """VGG16_pSC2 for CIFAR-10 (paper 004).

  Other arguments as `vgg16_net` (without `scheme`, `variant`, `gap`).
  """
  return _create_vgg("vgg16_cifar_psc2", "psc2", "cifar", weights=weights,
                     **kwargs)


@_cifar_model()
def vgg16_hc_cifar(weights: Optional[str] = None, width: float = 0.5,
                   **kwargs) -> keras.Model:
  """VGG16_HC for CIFAR-10 (paper 004's standard model).

  Other arguments as `vgg16_net` (without `scheme`, `variant`, `gap`).
  """
  return _create_vgg("vgg16_hc_cifar", "dense", "cifar", weights=weights,
                     width=width, **kwargs)


@_cifar_model(scheme="psc9", baseline="vgg16_hc_cifar")
def vgg16_hc_cifar_psc9(weights: Optional[str] = None, width: float = 0.5,
                        **kwargs) -> keras.Model:
  """VGG16_HC_pSC9 for CIFAR-10 (paper 004).

  Other arguments as `vgg16_net` (without `scheme`, `variant`, `gap`).
  """
  return _create_vgg("vgg16_hc_cifar_psc9", "psc9", "cifar", weights=weights,
                     width=width, **kwargs)


@_cifar_model(scheme="psc4", baseline="vgg16_hc_cifar")
def vgg16_hc_cifar_psc4(weights: Optional[str] = None, width: float = 0.5,
                        **kwargs) -> keras.Model:
  """VGG16_HC_pSC4 for CIFAR-10 (paper 004).

  Other arguments as `vgg16_net` (without `scheme`, `variant`, `gap`).
  """
  return _create_vgg("vgg16_hc_cifar_psc4", "psc4", "cifar", weights=weights,
                     width=width, **kwargs)


@_cifar_model(scheme="psc2", baseline="vgg16_hc_cifar")
def vgg16_hc_cifar_psc2(weights: Optional[str] = None, width: float = 0.5,
                        **kwargs) -> keras.Model:
  """VGG16_HC_pSC2 for CIFAR-10 (paper 004).

  Other arguments as `vgg16_net` (without `scheme`, `variant`, `gap`).
  """
  return _create_vgg("vgg16_hc_cifar_psc2", "psc2", "cifar", weights=weights,
                     width=width, **kwargs)


@_tiny_model()
def vgg16_tiny(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """VGG16 for Tiny ImageNet (paper 004's standard model).

  Other arguments as `vgg16_net` (without `scheme`, `variant`, `gap`).
  """
  return _create_vgg("vgg16_tiny", "dense", "tiny", weights=weights, **kwargs)


@_tiny_model(scheme="psc9", baseline="vgg16_tiny")
def vgg16_tiny_psc9(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """VGG16_pSC9 for Tiny ImageNet (paper 004).

  Other arguments as `vgg16_net` (without `scheme`, `variant`, `gap`).
  """
  return _create_vgg("vgg16_tiny_psc9", "psc9", "tiny", weights=weights,
                     **kwargs)


@_tiny_model(scheme="psc4", baseline="vgg16_tiny")
def vgg16_tiny_psc4(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """VGG16_pSC4 for Tiny ImageNet (paper 004).

  Other arguments as `vgg16_net` (without `scheme`, `variant`, `gap`).
  """
  return _create_vgg("vgg16_tiny_psc4", "psc4", "tiny", weights=weights,
                     **kwargs)


@_tiny_model(scheme="psc2", baseline="vgg16_tiny")
def vgg16_tiny_psc2(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """VGG16_pSC2 for Tiny ImageNet (paper 004).

  Other arguments as `vgg16_net` (without `scheme`, `variant`, `gap`).
  """
  return _create_vgg("vgg16_tiny_psc2", "psc2", "tiny", weights=weights,
                     **kwargs)


@_tiny_model()
def vgg16_hc_tiny(weights: Optional[str] = None, width: float = 0.5,
                  **kwargs) -> keras.Model:
  """VGG16_HC for Tiny ImageNet (paper 004's standard model).

  Other arguments as `vgg16_net` (without `scheme`, `variant`, `gap`).
  """
  return _create_vgg("vgg16_hc_tiny", "dense", "tiny", weights=weights,
                     width=width, **kwargs)


@_tiny_model(scheme="psc9", baseline="vgg16_hc_tiny")
def vgg16_hc_tiny_psc9(weights: Optional[str] = None, width: float = 0.5,
                       **kwargs) -> keras.Model:
  """VGG16_HC_pSC9 for Tiny ImageNet (paper 004).

  Other arguments as `vgg16_net` (without `scheme`, `variant`, `gap`).
  """
  return _create_vgg("vgg16_hc_tiny_psc9", "psc9", "tiny", weights=weights,
                     width=width, **kwargs)


@_tiny_model(scheme="psc4", baseline="vgg16_hc_tiny")
def vgg16_hc_tiny_psc4(weights: Optional[str] = None, width: float = 0.5,
                       **kwargs) -> keras.Model:
  """VGG16_HC_pSC4 for Tiny ImageNet (paper 004).

  Other arguments as `vgg16_net` (without `scheme`, `variant`, `gap`).
  """
  return _create_vgg("vgg16_hc_tiny_psc4", "psc4", "tiny", weights=weights,
                     width=width, **kwargs)


@_tiny_model(scheme="psc2", baseline="vgg16_hc_tiny")
def vgg16_hc_tiny_psc2(weights: Optional[str] = None, width: float = 0.5,
                       **kwargs) -> keras.Model:
  """VGG16_HC_pSC2 for Tiny ImageNet (paper 004).

  Other arguments as `vgg16_net` (without `scheme`, `variant`, `gap`).
  """
  return _create_vgg("vgg16_hc_tiny_psc2", "psc2", "tiny", weights=weights,
                     width=width, **kwargs)
