"""CIFAR and Tiny ImageNet ResNets of papers 000, 003 and 004.

`resnet_cifar`: the pre-activation ResNet of depth 6n + 2 (He et al.
2016b) that papers 000 and 003 use on CIFAR: a 3x3 stem with BN-ReLU, three
stages of n basic blocks (16, 32, 64 channels times w; stride 2 at the
first block of stages 2 and 3, with a dense 1x1 projection shortcut), a
final BN-ReLU, global pooling and the classifier. Paper 000 Table 8 pins
it down: ResNet-164 has basic blocks (n = 27: "only 3x3 convolutional
layers", 2.62 M parameters, 380.6 M multiply-adds), the multiply-adds of
every row include the 1x1 projections, and the widths are 16 w, 32 w, 64 w
unrounded (21, 42, 84 for w = 1.3125; SW-SC of odd width ends on a "+").

`resnet18_small`: the ResNet18 of paper 004 (section IV-B): a dense 3x3
stem (stride 1, no max pool), four stages of two post-activation basic
blocks (64, 128, 256, 512 channels times w; w = 0.5 is "HC"), 1x1
down-sampling shortcuts with BN, and the classifier on the flattened 4x4
average pool of the last map. At the 64 x 64 Tiny ImageNet input that
pool leaves 2 x 2 x 512 features for the 200-way layer: Table III's 11.58 M
parameters (a global pool would give 11.27 M).

Default heads: Table 8 of paper 000 prints one parameter column for its
C10 and C100 results, sometimes the 100-class model's count; the models
whose row only the 100-class head matches (resnet50_cifar_sc,
resnet110_cifar_sc_comb, resnet164_cifar; and resnet50_cifar, the
baseline of the first) default to 100 classes, the others to 10.
"""

import functools
import math
from typing import Optional

import tf_keras as keras

from sparsezoo_tf.models import common
from sparsezoo_tf.models import convs
from sparsezoo_tf.models.families import resnet
from sparsezoo_tf.models.registry import register_model

CIFAR_SHAPE = (32, 32, 3)
TINY_SHAPE = (64, 64, 3)
CIFAR_WIDTHS = (16, 32, 64)
SMALL_WIDTHS = (64, 128, 256, 512)
SMALL_DATASETS = {"cifar10": (CIFAR_SHAPE, 10), "tiny_imagenet": (TINY_SHAPE,
                                                                   200)}
SMALL_NAMES = {"cifar10": "cifar", "tiny_imagenet": "tiny"}
# The 4x4 average pool before paper 004's classifier.
SMALL_HEAD_POOL = 4


def _level(stride: int) -> str:
  return str(int(math.log2(stride)))


def _preact_block(x, policy: convs.ConvPolicy, width: int, strides: int,
                  name: str, preactivated: bool):
  if preactivated:
    preact = x
  else:
    preact = resnet.batch_norm(f"{name}_preact_bn")(x)
    preact = keras.layers.ReLU(name=f"{name}_preact_relu")(preact)
  shortcut = x
  if strides != 1 or x.shape[-1] != width:
    shortcut = policy.conv(width, 1, strides, f"{name}_0_conv",
                           role="shortcut")(preact)
  y = resnet.conv_bn(preact, policy, width, 3, strides, f"{name}_1")
  y = policy.conv(width, 3, 1, f"{name}_2_conv")(y)
  return keras.layers.Add(name=f"{name}_out")([shortcut, y])


def resnet_cifar(depth: int,
                 scheme: str = "dense",
                 width: float = 1.0,
                 include_top: bool = True,
                 weights: Optional[str] = None,
                 input_tensor=None,
                 input_shape=None,
                 pooling: Optional[str] = None,
                 classes: int = 10,
                 classifier_activation="softmax",
                 implementation: str = "auto",
                 features_only: bool = False,
                 name: Optional[str] = None) -> keras.Model:
  """A pre-activation CIFAR ResNet of depth 6n + 2 using `scheme`.

  Args:
    depth: 6n + 2 (32, 50, 110, 164, 194, 290, ...).
    scheme: "dense", "sc", "sc_comb", "sc_seq" or "scfusion<alpha>".
    width: multiplier of the stem and of every block convolution.
    include_top, weights, input_tensor, input_shape, pooling, classes,
      classifier_activation: as in Keras Applications.
    implementation: "auto", "op" or "reference" for the sparse layers.
    features_only: return the endpoints {'0', '1', '2'} (strides 1, 2, 4).
    name: the model name.

  Returns:
    The Keras model.
  """
  if (isinstance(depth, bool) or not isinstance(depth, int) or depth < 8 or
      (depth - 2) % 6):
    raise ValueError(f"depth must be 6n + 2 with n >= 1, got {depth!r}")
  width = resnet.check_width(width)
  name = name or f"resnet{depth}_cifar" + ("" if scheme == "dense" else
                                           f"_{scheme}")
  resolved = common.check_arguments(name, weights, include_top, classes,
                                    pooling, classifier_activation)
  inputs, x = common.image_input(input_tensor, input_shape, CIFAR_SHAPE,
                                 min_size=4)
  policy = convs.make_policy(scheme, implementation=implementation)
  multiple = policy.channel_multiple((3,))
  widths = [resnet.scaled(base, width, multiple) for base in CIFAR_WIDTHS]
  x = resnet.conv_bn(x, policy, widths[0], 3, 1, "conv1", role="stem")
  endpoints, stride = {}, 1
  for stage, stage_width in enumerate(widths):
    for index in range((depth - 2) // 6):
      strides = 2 if stage > 0 and index == 0 else 1
      stride *= strides
      x = _preact_block(x, policy, stage_width, strides,
                        f"conv{stage + 2}_block{index + 1}",
                        preactivated=stage == 0 and index == 0)
    endpoints[_level(stride)] = x
  x = resnet.batch_norm("post_bn")(x)
  x = keras.layers.ReLU(name="post_relu")(x)
  endpoints[_level(stride)] = x
  outputs = common.classification_head(x, include_top, pooling, classes,
                                       classifier_activation)
  return common.finish(inputs, outputs, name, endpoints, features_only,
                       resolved)


def _small_head(x, dataset: str, include_top: bool, pooling: Optional[str],
                classes: int, classifier_activation):
  if not include_top or dataset == "cifar10":
    return common.classification_head(x, include_top, pooling, classes,
                                       classifier_activation)
  x = keras.layers.AveragePooling2D(SMALL_HEAD_POOL, name="avg_pool")(x)
  x = keras.layers.Flatten(name="flatten")(x)
  return keras.layers.Dense(classes, activation=classifier_activation,
                            name="predictions")(x)


def resnet18_small(dataset: str = "cifar10",
                   scheme: str = "dense",
                   width: float = 1.0,
                   include_top: bool = True,
                   weights: Optional[str] = None,
                   input_tensor=None,
                   input_shape=None,
                   pooling: Optional[str] = None,
                   classes: Optional[int] = None,
                   classifier_activation="softmax",
                   implementation: str = "auto",
                   seed: int = 0,
                   features_only: bool = False,
                   name: Optional[str] = None) -> keras.Model:
  """Paper 004's ResNet18 for CIFAR-10 (32 x 32) or Tiny ImageNet (64 x 64).

  Args:
    dataset: "cifar10" or "tiny_imagenet" (input size, classes and head).
    scheme: "dense" or "psc<kss>" (pSConv on every 3x3 but the stem).
    width: channel multiplier (0.5 is the paper's "HC").
    include_top, weights, input_tensor, input_shape, pooling, classes,
      classifier_activation: as in Keras Applications (classes defaults to
      10 or 200). With `include_top`, Tiny ImageNet needs 64 x 64 inputs
      (the classifier reads the flattened 2 x 2 pooled map) unless
      `features_only`.
    implementation: "auto", "op" or "reference" for the sparse layers.
    seed: added to the per-layer seeds of the pSConv supports.
    features_only: return the endpoints {'0'..'3'} (strides 1 to 8).
    name: the model name.

  Returns:
    The Keras model.
  """
  if dataset not in SMALL_DATASETS:
    raise ValueError(f"dataset must be one of {sorted(SMALL_DATASETS)}, got "
                     f"{dataset!r}")
  default_shape, default_classes = SMALL_DATASETS[dataset]
  classes = default_classes if classes is None else classes
  width = resnet.check_width(width)
  name = name or f"resnet18_{SMALL_NAMES[dataset]}" + (
      "" if scheme == "dense" else f"_{scheme}")
  resolved = common.check_arguments(name, weights, include_top, classes,
                                    pooling, classifier_activation)
  head = include_top and not features_only
  fixed_size = head and dataset == "tiny_imagenet"
  inputs, x = common.image_input(input_tensor, input_shape, default_shape,
                                 min_size=8, fixed_size=fixed_size)
  policy = convs.make_policy(scheme, implementation=implementation, seed=seed)
  widths = [resnet.scaled(base, width, 1) for base in SMALL_WIDTHS]
  x = resnet.conv_bn(x, policy, widths[0], 3, 1, "conv1", role="stem")
  endpoints, stride = {"0": x}, 1
  for stage, stage_width in enumerate(widths):
    for index in range(2):
      strides = 2 if stage > 0 and index == 0 else 1
      stride *= strides
      x = resnet.residual_block(x, policy, stage_width, strides, False,
                                f"conv{stage + 2}_block{index + 1}",
                                zero_gamma=False)
    endpoints[_level(stride)] = x
  outputs = _small_head(x, dataset, head, pooling, classes,
                        classifier_activation)
  return common.finish(inputs, outputs, name, endpoints, features_only,
                       resolved)


_cifar10_model = functools.partial(
    register_model, family="resnet", dataset="cifar10",
    input_shape=CIFAR_SHAPE, classes=10, preprocessing="cifar10")
_cifar100_model = functools.partial(
    register_model, family="resnet", dataset="cifar100",
    input_shape=CIFAR_SHAPE, classes=100, preprocessing="cifar100")
_tiny_model = functools.partial(
    register_model, family="resnet", dataset="tiny_imagenet",
    input_shape=TINY_SHAPE, classes=200, preprocessing="tiny_imagenet")


def _create_resnet_cifar(name: str, depth: int, scheme: str = "dense",
                         /, **kwargs) -> keras.Model:
  return resnet_cifar(depth, scheme=scheme, name=name, **kwargs)


def _create_resnet18_small(name: str, dataset: str, scheme: str = "dense",
                           /, **kwargs) -> keras.Model:
  return resnet18_small(dataset, scheme=scheme, name=name, **kwargs)


@_cifar10_model()
def resnet32_cifar(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """CIFAR ResNet-32, w = 1: pre-activation (paper 000).

  Other arguments as `resnet_cifar` (without `depth`, `scheme`).
  """
  return _create_resnet_cifar("resnet32_cifar", 32, weights=weights, **kwargs)


@_cifar10_model(scheme="sc", baseline="resnet32_cifar")
def resnet32_cifar_sc(weights: Optional[str] = None, width: float = 1.3125,
                      **kwargs) -> keras.Model:
  """CIFAR ResNet-32, w = 1.3125: SW-SC on every 3x3 (paper 000).

  Other arguments as `resnet_cifar` (without `depth`, `scheme`).
  """
  return _create_resnet_cifar("resnet32_cifar_sc", 32, "sc", weights=weights,
                              width=width, **kwargs)


@_cifar10_model(scheme="sc_comb", baseline="resnet32_cifar")
def resnet32_cifar_sc_comb(weights: Optional[str] = None, width: float = 1.875,
                           **kwargs) -> keras.Model:
  """CIFAR ResNet-32, w = 1.875: SW-SC + CW-SC on every 3x3 (paper 000).

  Other arguments as `resnet_cifar` (without `depth`, `scheme`).
  """
  return _create_resnet_cifar("resnet32_cifar_sc_comb", 32, "sc_comb",
                              weights=weights, width=width, **kwargs)


@_cifar10_model(scheme="sc_seq", baseline="resnet32_cifar")
def resnet32_cifar_sc_seq(weights: Optional[str] = None, width: float = 1.3125,
                          **kwargs) -> keras.Model:
  """CIFAR ResNet-32-sc-seq, w = 1.3125: alternating whole + and x layers
  (Table 4) (paper 000).

  Other arguments as `resnet_cifar` (without `depth`, `scheme`).
  """
  return _create_resnet_cifar("resnet32_cifar_sc_seq", 32, "sc_seq",
                              weights=weights, width=width, **kwargs)


@_cifar10_model(scheme="sc", baseline="resnet32_cifar")
def resnet32_cifar_sc_w1(weights: Optional[str] = None,
                         **kwargs) -> keras.Model:
  """CIFAR ResNet-32, w = 1: SW-SC on every 3x3 (paper 000).

  Other arguments as `resnet_cifar` (without `depth`, `scheme`).
  """
  return _create_resnet_cifar("resnet32_cifar_sc_w1", 32, "sc", weights=weights,
                              **kwargs)


@_cifar10_model(scheme="scfusion2", baseline="resnet32_cifar")
def resnet32_cifar_scfusion2(weights: Optional[str] = None,
                             **kwargs) -> keras.Model:
  """CIFAR ResNet-32 scFusion-2 (paper 003).

  Other arguments as `resnet_cifar` (without `depth`, `scheme`).
  """
  return _create_resnet_cifar("resnet32_cifar_scfusion2", 32, "scfusion2",
                              weights=weights, **kwargs)


@_cifar10_model(scheme="scfusion4", baseline="resnet32_cifar")
def resnet32_cifar_scfusion4(weights: Optional[str] = None,
                             **kwargs) -> keras.Model:
  """CIFAR ResNet-32 scFusion-4 (paper 003).

  Other arguments as `resnet_cifar` (without `depth`, `scheme`).
  """
  return _create_resnet_cifar("resnet32_cifar_scfusion4", 32, "scfusion4",
                              weights=weights, **kwargs)


@_cifar100_model()
def resnet50_cifar(weights: Optional[str] = None, classes: int = 100,
                   **kwargs) -> keras.Model:
  """CIFAR ResNet-50, pre-activation (paper 000's equal-FLOPs -sc baseline).

  Other arguments as `resnet_cifar` (without `depth`, `scheme`).
  """
  return _create_resnet_cifar("resnet50_cifar", 50, weights=weights,
                              classes=classes, **kwargs)


@_cifar100_model(scheme="sc", baseline="resnet50_cifar")
def resnet50_cifar_sc(weights: Optional[str] = None, classes: int = 100,
                      **kwargs) -> keras.Model:
  """CIFAR ResNet-50, w = 1: SW-SC on every 3x3 (paper 000).

  Other arguments as `resnet_cifar` (without `depth`, `scheme`).
  """
  return _create_resnet_cifar("resnet50_cifar_sc", 50, "sc", weights=weights,
                              classes=classes, **kwargs)


@_cifar10_model()
def resnet110_cifar(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """CIFAR ResNet-110, w = 1: pre-activation (paper 000).

  Other arguments as `resnet_cifar` (without `depth`, `scheme`).
  """
  return _create_resnet_cifar("resnet110_cifar", 110, weights=weights, **kwargs)


@_cifar10_model(scheme="sc", baseline="resnet110_cifar")
def resnet110_cifar_sc(weights: Optional[str] = None, width: float = 1.3125,
                       **kwargs) -> keras.Model:
  """CIFAR ResNet-110, w = 1.3125: SW-SC on every 3x3 (paper 000).

  Other arguments as `resnet_cifar` (without `depth`, `scheme`).
  """
  return _create_resnet_cifar("resnet110_cifar_sc", 110, "sc", weights=weights,
                              width=width, **kwargs)


@_cifar100_model(scheme="sc_comb", baseline="resnet110_cifar")
def resnet110_cifar_sc_comb(weights: Optional[str] = None, width: float = 1.875,
                            classes: int = 100, **kwargs) -> keras.Model:
  """CIFAR ResNet-110, w = 1.875: SW-SC + CW-SC on every 3x3 (paper 000).

  Other arguments as `resnet_cifar` (without `depth`, `scheme`).
  """
  return _create_resnet_cifar("resnet110_cifar_sc_comb", 110, "sc_comb",
                              weights=weights, width=width, classes=classes,
                              **kwargs)


@_cifar10_model(scheme="sc_seq", baseline="resnet110_cifar")
def resnet110_cifar_sc_seq(weights: Optional[str] = None, width: float = 1.3125,
                           **kwargs) -> keras.Model:
  """CIFAR ResNet-110-sc-seq, w = 1.3125: alternating whole + and x layers
  (Table 4) (paper 000).

  Other arguments as `resnet_cifar` (without `depth`, `scheme`).
  """
  return _create_resnet_cifar("resnet110_cifar_sc_seq", 110, "sc_seq",
                              weights=weights, width=width, **kwargs)


@_cifar10_model(scheme="sc", baseline="resnet110_cifar")
def resnet110_cifar_sc_w1(weights: Optional[str] = None,
                          **kwargs) -> keras.Model:
  """CIFAR ResNet-110, w = 1: SW-SC on every 3x3 (paper 000).

  Other arguments as `resnet_cifar` (without `depth`, `scheme`).
  """
  return _create_resnet_cifar("resnet110_cifar_sc_w1", 110, "sc",
                              weights=weights, **kwargs)


@_cifar100_model()
def resnet164_cifar(weights: Optional[str] = None, classes: int = 100,
                    **kwargs) -> keras.Model:
  """CIFAR ResNet-164, w = 1: pre-activation (paper 000).

  Other arguments as `resnet_cifar` (without `depth`, `scheme`).
  """
  return _create_resnet_cifar("resnet164_cifar", 164, weights=weights,
                              classes=classes, **kwargs)


@_cifar10_model(scheme="sc", baseline="resnet164_cifar")
def resnet164_cifar_sc(weights: Optional[str] = None, width: float = 1.3125,
                       **kwargs) -> keras.Model:
  """CIFAR ResNet-164, w = 1.3125: SW-SC on every 3x3 (paper 000).

  Other arguments as `resnet_cifar` (without `depth`, `scheme`).
  """
  return _create_resnet_cifar("resnet164_cifar_sc", 164, "sc", weights=weights,
                              width=width, **kwargs)


@_cifar10_model(scheme="sc_comb", baseline="resnet164_cifar")
def resnet164_cifar_sc_comb(weights: Optional[str] = None, width: float = 1.875,
                            **kwargs) -> keras.Model:
  """CIFAR ResNet-164, w = 1.875: SW-SC + CW-SC on every 3x3 (paper 000).

  Other arguments as `resnet_cifar` (without `depth`, `scheme`).
  """
  return _create_resnet_cifar("resnet164_cifar_sc_comb", 164, "sc_comb",
                              weights=weights, width=width, **kwargs)


@_cifar10_model(scheme="sc_seq", baseline="resnet164_cifar")
def resnet164_cifar_sc_seq(weights: Optional[str] = None, width: float = 1.3125,
                           **kwargs) -> keras.Model:
  """CIFAR ResNet-164-sc-seq, w = 1.3125: alternating whole + and x layers
  (Table 4) (paper 000).

  Other arguments as `resnet_cifar` (without `depth`, `scheme`).
  """
  return _create_resnet_cifar("resnet164_cifar_sc_seq", 164, "sc_seq",
                              weights=weights, width=width, **kwargs)


@_cifar10_model(scheme="sc", baseline="resnet164_cifar")
def resnet164_cifar_sc_w1(weights: Optional[str] = None,
                          **kwargs) -> keras.Model:
  """CIFAR ResNet-164, w = 1: SW-SC on every 3x3 (paper 000).

  Other arguments as `resnet_cifar` (without `depth`, `scheme`).
  """
  return _create_resnet_cifar("resnet164_cifar_sc_w1", 164, "sc",
                              weights=weights, **kwargs)


@_cifar10_model(scheme="scfusion2", baseline="resnet164_cifar")
def resnet164_cifar_scfusion2(weights: Optional[str] = None,
                              **kwargs) -> keras.Model:
  """CIFAR ResNet-164 scFusion-2 (paper 003).

  Other arguments as `resnet_cifar` (without `depth`, `scheme`).
  """
  return _create_resnet_cifar("resnet164_cifar_scfusion2", 164, "scfusion2",
                              weights=weights, **kwargs)


@_cifar10_model(scheme="scfusion4", baseline="resnet164_cifar")
def resnet164_cifar_scfusion4(weights: Optional[str] = None,
                              **kwargs) -> keras.Model:
  """CIFAR ResNet-164 scFusion-4 (paper 003).

  Other arguments as `resnet_cifar` (without `depth`, `scheme`).
  """
  return _create_resnet_cifar("resnet164_cifar_scfusion4", 164, "scfusion4",
                              weights=weights, **kwargs)


@_cifar10_model()
def resnet194_cifar(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """CIFAR ResNet-194, pre-activation (paper 000's equal-FLOPs -sc baseline).

  Other arguments as `resnet_cifar` (without `depth`, `scheme`).
  """
  return _create_resnet_cifar("resnet194_cifar", 194, weights=weights, **kwargs)


@_cifar10_model(scheme="sc", baseline="resnet194_cifar")
def resnet194_cifar_sc(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """CIFAR ResNet-194, w = 1: SW-SC on every 3x3 (paper 000).

  Other arguments as `resnet_cifar` (without `depth`, `scheme`).
  """
  return _create_resnet_cifar("resnet194_cifar_sc", 194, "sc", weights=weights,
                              **kwargs)


@_cifar10_model()
def resnet290_cifar(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """CIFAR ResNet-290, pre-activation (paper 000's equal-FLOPs -sc baseline).

  Other arguments as `resnet_cifar` (without `depth`, `scheme`).
  """
  return _create_resnet_cifar("resnet290_cifar", 290, weights=weights, **kwargs)


@_cifar10_model(scheme="sc", baseline="resnet290_cifar")
def resnet290_cifar_sc(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """CIFAR ResNet-290, w = 1: SW-SC on every 3x3 (paper 000).

  Other arguments as `resnet_cifar` (without `depth`, `scheme`).
  """
  return _create_resnet_cifar("resnet290_cifar_sc", 290, "sc", weights=weights,
                              **kwargs)


@_cifar10_model()
def resnet18_cifar(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """ResNet18 for cifar10 (paper 004).

  Other arguments as `resnet18_small` (without `dataset`, `scheme`).
  """
  return _create_resnet18_small("resnet18_cifar", "cifar10", weights=weights,
                                **kwargs)


@_cifar10_model(scheme="psc9", baseline="resnet18_cifar")
def resnet18_cifar_psc9(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """ResNet18 for cifar10, pSConv KSS 9 (paper 004).

  Other arguments as `resnet18_small` (without `dataset`, `scheme`).
  """
  return _create_resnet18_small("resnet18_cifar_psc9", "cifar10", "psc9",
                                weights=weights, **kwargs)


@_cifar10_model(scheme="psc4", baseline="resnet18_cifar")
def resnet18_cifar_psc4(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """ResNet18 for cifar10, pSConv KSS 4 (paper 004).

  Other arguments as `resnet18_small` (without `dataset`, `scheme`).
  """
  return _create_resnet18_small("resnet18_cifar_psc4", "cifar10", "psc4",
                                weights=weights, **kwargs)


@_cifar10_model(scheme="psc2", baseline="resnet18_cifar")
def resnet18_cifar_psc2(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """ResNet18 for cifar10, pSConv KSS 2 (paper 004).

  Other arguments as `resnet18_small` (without `dataset`, `scheme`).
  """
  return _create_resnet18_small("resnet18_cifar_psc2", "cifar10", "psc2",
                                weights=weights, **kwargs)


@_cifar10_model()
def resnet18_hc_cifar(weights: Optional[str] = None, width: float = 0.5,
                      **kwargs) -> keras.Model:
  """ResNet18 HC for cifar10 (paper 004).

  Other arguments as `resnet18_small` (without `dataset`, `scheme`).
  """
  return _create_resnet18_small("resnet18_hc_cifar", "cifar10", weights=weights,
                                width=width, **kwargs)


@_cifar10_model(scheme="psc9", baseline="resnet18_hc_cifar")
def resnet18_hc_cifar_psc9(weights: Optional[str] = None, width: float = 0.5,
                           **kwargs) -> keras.Model:
  """ResNet18 HC for cifar10, pSConv KSS 9 (paper 004).

  Other arguments as `resnet18_small` (without `dataset`, `scheme`).
  """
  return _create_resnet18_small("resnet18_hc_cifar_psc9", "cifar10", "psc9",
                                weights=weights, width=width, **kwargs)


@_cifar10_model(scheme="psc4", baseline="resnet18_hc_cifar")
def resnet18_hc_cifar_psc4(weights: Optional[str] = None, width: float = 0.5,
                           **kwargs) -> keras.Model:
  """ResNet18 HC for cifar10, pSConv KSS 4 (paper 004).

  Other arguments as `resnet18_small` (without `dataset`, `scheme`).
  """
  return _create_resnet18_small("resnet18_hc_cifar_psc4", "cifar10", "psc4",
                                weights=weights, width=width, **kwargs)


@_cifar10_model(scheme="psc2", baseline="resnet18_hc_cifar")
def resnet18_hc_cifar_psc2(weights: Optional[str] = None, width: float = 0.5,
                           **kwargs) -> keras.Model:
  """ResNet18 HC for cifar10, pSConv KSS 2 (paper 004).

  Other arguments as `resnet18_small` (without `dataset`, `scheme`).
  """
  return _create_resnet18_small("resnet18_hc_cifar_psc2", "cifar10", "psc2",
                                weights=weights, width=width, **kwargs)


@_tiny_model()
def resnet18_tiny(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """ResNet18 for tiny_imagenet (paper 004).

  Other arguments as `resnet18_small` (without `dataset`, `scheme`).
  """
  return _create_resnet18_small("resnet18_tiny", "tiny_imagenet",
                                weights=weights, **kwargs)


@_tiny_model(scheme="psc9", baseline="resnet18_tiny")
def resnet18_tiny_psc9(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """ResNet18 for tiny_imagenet, pSConv KSS 9 (paper 004).

  Other arguments as `resnet18_small` (without `dataset`, `scheme`).
  """
  return _create_resnet18_small("resnet18_tiny_psc9", "tiny_imagenet", "psc9",
                                weights=weights, **kwargs)


@_tiny_model(scheme="psc4", baseline="resnet18_tiny")
def resnet18_tiny_psc4(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """ResNet18 for tiny_imagenet, pSConv KSS 4 (paper 004).

  Other arguments as `resnet18_small` (without `dataset`, `scheme`).
  """
  return _create_resnet18_small("resnet18_tiny_psc4", "tiny_imagenet", "psc4",
                                weights=weights, **kwargs)


@_tiny_model(scheme="psc2", baseline="resnet18_tiny")
def resnet18_tiny_psc2(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """ResNet18 for tiny_imagenet, pSConv KSS 2 (paper 004).

  Other arguments as `resnet18_small` (without `dataset`, `scheme`).
  """
  return _create_resnet18_small("resnet18_tiny_psc2", "tiny_imagenet", "psc2",
                                weights=weights, **kwargs)


@_tiny_model()
def resnet18_hc_tiny(weights: Optional[str] = None, width: float = 0.5,
                     **kwargs) -> keras.Model:
  """ResNet18 HC for tiny_imagenet (paper 004).

  Other arguments as `resnet18_small` (without `dataset`, `scheme`).
  """
  return _create_resnet18_small("resnet18_hc_tiny", "tiny_imagenet",
                                weights=weights, width=width, **kwargs)


@_tiny_model(scheme="psc9", baseline="resnet18_hc_tiny")
def resnet18_hc_tiny_psc9(weights: Optional[str] = None, width: float = 0.5,
                          **kwargs) -> keras.Model:
  """ResNet18 HC for tiny_imagenet, pSConv KSS 9 (paper 004).

  Other arguments as `resnet18_small` (without `dataset`, `scheme`).
  """
  return _create_resnet18_small("resnet18_hc_tiny_psc9", "tiny_imagenet",
                                "psc9", weights=weights, width=width, **kwargs)


@_tiny_model(scheme="psc4", baseline="resnet18_hc_tiny")
def resnet18_hc_tiny_psc4(weights: Optional[str] = None, width: float = 0.5,
                          **kwargs) -> keras.Model:
  """ResNet18 HC for tiny_imagenet, pSConv KSS 4 (paper 004).

  Other arguments as `resnet18_small` (without `dataset`, `scheme`).
  """
  return _create_resnet18_small("resnet18_hc_tiny_psc4", "tiny_imagenet",
                                "psc4", weights=weights, width=width, **kwargs)


@_tiny_model(scheme="psc2", baseline="resnet18_hc_tiny")
def resnet18_hc_tiny_psc2(weights: Optional[str] = None, width: float = 0.5,
                          **kwargs) -> keras.Model:
  """ResNet18 HC for tiny_imagenet, pSConv KSS 2 (paper 004).

  Other arguments as `resnet18_small` (without `dataset`, `scheme`).
  """
  return _create_resnet18_small("resnet18_hc_tiny_psc2", "tiny_imagenet",
                                "psc2", weights=weights, width=width, **kwargs)
