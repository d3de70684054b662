"""Small CNNs for scikit-learn's 8x8 digits: one per scheme, the models the
package ships trained weights for (the datasets of the papers cannot be
trained on this project's machines).

Layout: dense 3x3 stem (32), then two stages of two convolutions of the
scheme (32 and 64 channels, the second stage starting with stride 2), each
followed by BN and ReLU, global average pooling and one dense layer. The
dense model `digits_cnn` is built by the same code.

The `digits_cam_cnn*` models are the same network for the 64x64 digits
canvases (`sparsezoo_tf.data.digits_canvas`), with a stride-2 stem and a
stride-1 second stage: their last maps are 32x32, their head GAP + dense, so they localize digits with
class activation maps (`sparsezoo_tf.localization`, paper 003 section 4.2).
"""

import functools
from typing import Optional

import tf_keras as keras

from sparsezoo_tf.models import common
from sparsezoo_tf.models import convs
from sparsezoo_tf.models.registry import register_model

INPUT_SHAPE = (8, 8, 1)
CANVAS_SHAPE = (64, 64, 1)
WIDTHS = (32, 64)
# What this family fixes for block schemes (IGC-V2 branches of 8 channels).
BLOCK_OPTIONS = {"igcv2": {"branch_channels": 8}}


def build_digits_cnn(scheme: str = "dense",
                     include_top: bool = True,
                     weights: Optional[str] = None,
                     input_tensor=None,
                     input_shape=None,
                     pooling: Optional[str] = None,
                     classes: int = 10,
                     classifier_activation="softmax",
                     implementation: str = "auto",
                     features_only: bool = False,
                     name: Optional[str] = None,
                     stem_strides: int = 1,
                     stage_strides: int = 2,
                     default_input_shape=INPUT_SHAPE) -> keras.Model:
  """A small CNN for 8x8 digits whose body convolutions use `scheme`.

  Args:
    scheme: any registered scheme (`sparsezoo_tf.schemes`); the zoo has
      "dense", "sc", "sc_comb", "psc4", "scfusion2", "igcv2" and
      "pwgconv4_dw_pwgconv4".
    include_top, weights, input_tensor, input_shape, pooling, classes,
      classifier_activation: as in Keras Applications.
    implementation: "auto", "op" or "reference" for the sparse layers.
    features_only: return {"1": stem features, "2": stage 1, "3": stage 2}.
    name: model name (default digits_cnn[_scheme]).
    stem_strides: strides of the stem (2 for the 64x64 canvases).
    stage_strides: strides of the second stage's first convolution.
    default_input_shape: the input shape when neither `input_tensor` nor
      `input_shape` is given.
  """
  name = name or ("digits_cnn" if scheme == "dense" else f"digits_cnn_{scheme}")
  resolved = common.check_arguments(name, weights, include_top, classes,
                                    pooling, classifier_activation)
  inputs, x = common.image_input(
      input_tensor, input_shape, default_input_shape,
      min_size=2 * stem_strides * stage_strides)
  policy = convs.make_policy(scheme, implementation=implementation)
  options = BLOCK_OPTIONS.get(policy.scheme, {})
  endpoints = {}
  x = convs.make_policy("dense").dense(WIDTHS[0], 3, stem_strides,
                                      name="stem_conv")(x)
  x = keras.layers.BatchNormalization(name="stem_bn")(x)
  x = keras.layers.ReLU(name="stem_relu")(x)
  endpoints["1"] = x
  for stage, width in enumerate(WIDTHS, start=1):
    for index in range(2):
      strides = stage_strides if stage > 1 and index == 0 else 1
      label = f"stage{stage}_conv{index}"
      x = policy.conv(width, 3, strides, name=label, **options)(x)
      x = keras.layers.BatchNormalization(name=f"{label}_bn")(x)
      x = keras.layers.ReLU(name=f"{label}_relu")(x)
    endpoints[str(stage + 1)] = x
  outputs = common.classification_head(x, include_top, pooling, classes,
                                       classifier_activation)
  return common.finish(inputs, outputs, name, endpoints, features_only,
                       resolved)


_digits_model = functools.partial(
    register_model, family="digits_cnn", dataset="digits",
    input_shape=INPUT_SHAPE, classes=10, preprocessing="digits")


def _create_digits_cnn(name: str, scheme: str = "dense", /,
                       **kwargs) -> keras.Model:
  return build_digits_cnn(scheme=scheme, name=name, **kwargs)


@_digits_model()
def digits_cnn(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """Small dense CNN for 8x8 digits.

  Other arguments as `build_digits_cnn` (without `scheme`).
  """
  return _create_digits_cnn("digits_cnn", weights=weights, **kwargs)


@_digits_model(scheme="sc", baseline="digits_cnn")
def digits_cnn_sc(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """Small CNN with SW-SC convolutions (paper 000).

  Other arguments as `build_digits_cnn` (without `scheme`).
  """
  return _create_digits_cnn("digits_cnn_sc", "sc", weights=weights, **kwargs)


@_digits_model(scheme="sc_comb", baseline="digits_cnn")
def digits_cnn_sc_comb(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """Small CNN with SW-SC + CW-SC convolutions (paper 000).

  Other arguments as `build_digits_cnn` (without `scheme`).
  """
  return _create_digits_cnn("digits_cnn_sc_comb", "sc_comb", weights=weights,
                            **kwargs)


@_digits_model(scheme="psc4", baseline="digits_cnn")
def digits_cnn_psc4(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """Small CNN with pSConv KSS=4 (paper 004).

  Other arguments as `build_digits_cnn` (without `scheme`).
  """
  return _create_digits_cnn("digits_cnn_psc4", "psc4", weights=weights,
                            **kwargs)


@_digits_model(scheme="scfusion2", baseline="digits_cnn")
def digits_cnn_scfusion2(weights: Optional[str] = None,
                         **kwargs) -> keras.Model:
  """Small CNN with scFusion-2 modules (paper 003).

  Other arguments as `build_digits_cnn` (without `scheme`).
  """
  return _create_digits_cnn("digits_cnn_scfusion2", "scfusion2",
                            weights=weights, **kwargs)


@_digits_model(scheme="igcv2", baseline="digits_cnn")
def digits_cnn_igcv2(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """Small CNN with IGC-V2 (paper 002) blocks.

  Other arguments as `build_digits_cnn` (without `scheme`).
  """
  return _create_digits_cnn("digits_cnn_igcv2", "igcv2", weights=weights,
                            **kwargs)


@_digits_model(scheme="pwgconv4_dw_pwgconv4", baseline="digits_cnn")
def digits_cnn_pwgconv_dw_pwgconv(weights: Optional[str] = None,
                                  **kwargs) -> keras.Model:
  """Small CNN with PWGConv+DW+PWGConv (paper 001) blocks.

  Other arguments as `build_digits_cnn` (without `scheme`).
  """
  return _create_digits_cnn("digits_cnn_pwgconv_dw_pwgconv",
                            "pwgconv4_dw_pwgconv4", weights=weights,
                            **kwargs)


_canvas_model = functools.partial(
    register_model, family="digits_cnn", dataset="digits_canvas",
    input_shape=CANVAS_SHAPE, classes=10, preprocessing="digits_canvas")


def _create_digits_cam_cnn(name: str, scheme: str = "dense", /,
                           **kwargs) -> keras.Model:
  return build_digits_cnn(scheme=scheme, name=name, stem_strides=2,
                          stage_strides=1, default_input_shape=CANVAS_SHAPE,
                          **kwargs)


@_canvas_model()
def digits_cam_cnn(weights: Optional[str] = None, **kwargs) -> keras.Model:
  """Small dense CNN for 64x64 digits canvases, GAP + dense head (CAM).

  Other arguments as `build_digits_cnn` (without `scheme`, `stem_strides`,
  `stage_strides`, `default_input_shape`).
  """
  return _create_digits_cam_cnn("digits_cam_cnn", weights=weights, **kwargs)


@_canvas_model(scheme="scfusion2", baseline="digits_cam_cnn")
def digits_cam_cnn_scfusion2(weights: Optional[str] = None,
                             **kwargs) -> keras.Model:
  """Small CNN with scFusion-2 modules for 64x64 digits canvases, GAP +
  dense head (CAM; paper 003's scFusion-alpha-GAP localization models).

  Other arguments as `build_digits_cnn` (without `scheme`, `stem_strides`,
  `stage_strides`, `default_input_shape`).
  """
  return _create_digits_cam_cnn("digits_cam_cnn_scfusion2", "scfusion2",
                                weights=weights, **kwargs)
