"""Small CNNs for scikit-learn's 8x8 digits: one per scheme, the models the
package ships trained weights for (the datasets of the papers cannot be
trained on this project's machines).

Layout: dense 3x3 stem (32), then two stages of two convolutions of the
scheme (32 and 64 channels, the second stage starting with stride 2), each
followed by BN and ReLU, global pooling and the classifier. The dense
model `digits_cnn` is built by the same code.
"""

from typing import Optional

import tf_keras as keras

from sparsezoo_tf import layers as sz_layers
from sparsezoo_tf.models import common
from sparsezoo_tf.models import convs
from sparsezoo_tf.models.registry import ModelInfo
from sparsezoo_tf.models.registry import register_model

INPUT_SHAPE = (8, 8, 1)
WIDTHS = (32, 64)
# Schemes built by a ConvPolicy, and block schemes of papers 001 and 002.
POLICY_SCHEMES = ("dense", "sc", "sc_comb", "psc4", "scfusion2")
BLOCK_SCHEMES = {"igcv2": "IGC-V2 (paper 002)",
                 "pwgconv_dw_pwgconv": "PWGConv+DW+PWGConv (paper 001)"}


def _block_conv(scheme: str, filters: int, strides: int, name: str,
                implementation: str):
  if scheme == "igcv2":
    return sz_layers.IGCV2Block(filters, branch_channels=8, strides=strides,
                                implementation=implementation, name=name)
  return sz_layers.SparseKernelBlock(filters, "pwgconv4+dw+pwgconv4",
                                     strides=strides,
                                     implementation=implementation, name=name)


def digits_cnn(scheme: str = "dense",
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
  """A small CNN for 8x8 digits whose body convolutions use `scheme`.

  Args:
    scheme: one of POLICY_SCHEMES or BLOCK_SCHEMES.
    include_top, weights, input_tensor, input_shape, pooling, classes,
      classifier_activation: as in Keras Applications.
    implementation: "auto", "op" or "reference" for the sparse layers.
    features_only: return {"1": stem features, "2": stage 1, "3": stage 2}.
    name: model name (default digits_cnn[_scheme]).
  """
  name = name or ("digits_cnn" if scheme == "dense" else f"digits_cnn_{scheme}")
  resolved = common.check_arguments(name, weights, include_top, classes,
                                    pooling, classifier_activation)
  inputs, x = common.image_input(input_tensor, input_shape, INPUT_SHAPE,
                                 min_size=4)
  policy = (convs.make_policy(scheme, implementation=implementation)
            if scheme in POLICY_SCHEMES else None)
  if policy is None and scheme not in BLOCK_SCHEMES:
    raise ValueError(f"scheme must be one of "
                     f"{POLICY_SCHEMES + tuple(BLOCK_SCHEMES)}, got {scheme!r}")
  endpoints = {}
  x = convs.make_policy("dense").dense(WIDTHS[0], 3, name="stem_conv")(x)
  x = keras.layers.BatchNormalization(name="stem_bn")(x)
  x = keras.layers.ReLU(name="stem_relu")(x)
  endpoints["1"] = x
  for stage, width in enumerate(WIDTHS, start=1):
    for index in range(2):
      strides = 2 if stage > 1 and index == 0 else 1
      label = f"stage{stage}_conv{index}"
      if policy is not None:
        x = policy.conv(width, 3, strides, name=label)(x)
      else:
        x = _block_conv(scheme, width, strides, label, implementation)(x)
      x = keras.layers.BatchNormalization(name=f"{label}_bn")(x)
      x = keras.layers.ReLU(name=f"{label}_relu")(x)
    endpoints[str(stage + 1)] = x
  outputs = common.classification_head(x, include_top, pooling, classes,
                                       classifier_activation)
  return common.finish(inputs, outputs, name, endpoints, features_only,
                       resolved)


def _register(scheme: str, description: str) -> None:
  name = "digits_cnn" if scheme == "dense" else f"digits_cnn_{scheme}"
  info = ModelInfo(
      name=name, family="digits_cnn", scheme=scheme, dataset="digits",
      input_shape=INPUT_SHAPE, classes=10, preprocessing="digits",
      baseline=None if scheme == "dense" else "digits_cnn",
      description=description)

  def entry_point(**kwargs):
    return digits_cnn(scheme=scheme, name=name, **kwargs)
  entry_point.__name__ = name
  entry_point.__doc__ = (f"{description}; arguments as `digits_cnn` "
                         f"(without `scheme`).")
  register_model(info)(entry_point)


_register("dense", "Small dense CNN for 8x8 digits")
_register("sc", "Small CNN with SW-SC convolutions (paper 000)")
_register("sc_comb", "Small CNN with SW-SC + CW-SC convolutions (paper 000)")
_register("psc4", "Small CNN with pSConv KSS=4 (paper 004)")
_register("scfusion2", "Small CNN with scFusion-2 modules (paper 003)")
for _scheme, _label in BLOCK_SCHEMES.items():
  _register(_scheme, f"Small CNN with {_label} blocks")
