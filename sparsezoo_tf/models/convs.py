"""Which convolution a model builds where: one `ConvPolicy` per scheme.

Families call `policy.conv(filters, kernel_size, strides, name, role)` for
every convolution; the policy asks the scheme (`sparsezoo_tf.schemes`)
which layer stands for it. Roles:
  "stem"      the first convolution(s) on the image: dense in every paper.
  "body"      convolutions inside blocks: the scheme applies here.
  "shortcut"  1x1 projections of residual shortcuts: dense (paper 000,
              Table 10 reading; paper 004 leaves 1x1 down-sampling dense).
  "transition" DenseNet transition 1x1 convolutions: treated as "body".

Any registered scheme works: e.g. "dense", "sc" (SW-SC on k x k, CW-SC on
1x1), "sw_sc", "sc_comb", "sc_seq", "scfusion<alpha>", "psc<kss>" (the seed
of each pSConv layer comes from its name), "group<g>", or a block scheme
such as "igcv2" or "pwgconv4_dw_pwgconv4" (its layer stands for the whole
convolution; `conv(..., **options)` passes block arguments on).
"""

import math
import zlib
from typing import Optional

import tf_keras as keras

from sparsezoo_tf import layers as sz_layers
from sparsezoo_tf import schemes

ROLES = ("stem", "body", "shortcut", "transition")


def layer_class(scheme: schemes.Scheme) -> type:
  """The Keras layer class of a layer or block scheme."""
  if isinstance(scheme.layer, type):
    return scheme.layer
  found = getattr(sz_layers, scheme.layer or "", None)
  if not isinstance(found, type):
    raise ValueError(f"scheme {scheme.name!r} names layer {scheme.layer!r}, "
                     f"which sparsezoo_tf.layers does not have")
  return found


def layer_seed(name: Optional[str], seed: int = 0) -> int:
  """The seed of a seeded scheme's layer (pSConv): from its name, plus
  `seed`."""
  return (zlib.crc32((name or "").encode()) + seed) % (2**31)


def scheme_layer(part: schemes.Scheme, filters: int, kernel_size,
                 strides=1, name: Optional[str] = None, padding: str = "same",
                 implementation: str = "auto",
                 conv_arguments: Optional[dict] = None, seed: int = 0,
                 **options) -> keras.layers.Layer:
  """The layer of a layer or block scheme (not "dense") for one convolution.

  Args:
    part: the scheme of this convolution (`scheme.for_conv(...)`).
    filters, kernel_size, strides, name, padding: of the convolution.
    implementation: "auto", "op" or "reference".
    conv_arguments: `Conv2D` arguments (use_bias, initializers,
      regularizers, ...) given to layers whose scheme takes them
      (`part.conv_arguments`); padding is given to those only as well.
    seed: added to the per-layer seed of a seeded scheme (`layer_seed`).
    **options: further arguments of the layer (not those the scheme
      fixes, `part.layer_options`).
  """
  fixed = sorted(key for key in options if key in part.layer_options and
                 options[key] != part.layer_options[key])
  if fixed:
    values = ", ".join(f"{k}={part.layer_options[k]!r}" for k in fixed)
    raise ValueError(f"scheme {part.name!r} fixes {values}; use another "
                     f"scheme for other values")
  options = {k: v for k, v in options.items() if k not in part.layer_options}
  arguments = dict(part.layer_options, kernel_size=kernel_size,
                   strides=strides, implementation=implementation, name=name)
  if part.conv_arguments:
    arguments.update(conv_arguments or {}, padding=padding)
  if part.seeded:
    arguments["seed"] = layer_seed(name, seed)
  return layer_class(part)(filters, **arguments, **options)


class ConvPolicy:
  """Builds the convolutions of one scheme (see the module docstring).

  Args:
    scheme: a registered scheme name.
    implementation: "auto", "op" or "reference" for the sparse layers.
    kernel_initializer, kernel_regularizer: for every convolution.
    use_bias: biases on the convolutions.
    seed: added to the per-layer seeds of seeded schemes (pSConv).
  """

  def __init__(self, scheme: str = "dense", implementation: str = "auto",
               kernel_initializer="he_normal", kernel_regularizer=None,
               use_bias: bool = False, seed: int = 0):
    self.entry = schemes.get_scheme(scheme)
    self.scheme = self.entry.name
    self.implementation = implementation
    self.kernel_initializer = kernel_initializer
    self.kernel_regularizer = kernel_regularizer
    self.use_bias = use_bias
    self.seed = seed
    self._spatial_count = 0

  def channel_multiple(self, kernel_sizes=(3,), minimum: int = 1) -> int:
    """The multiple every width must be for this scheme's layers of these
    kernel sizes (and of `minimum`)."""
    return math.lcm(max(1, minimum),
                    self.entry.channel_multiple(kernel_sizes))

  def _common(self, name: Optional[str]) -> dict:
    return dict(use_bias=self.use_bias, name=name,
                kernel_initializer=keras.initializers.get(
                    self.kernel_initializer),
                kernel_regularizer=keras.regularizers.get(
                    self.kernel_regularizer))

  def dense(self, filters: int, kernel_size: int, strides: int = 1,
            name: Optional[str] = None, padding: str = "same"):
    """A dense Conv2D with this policy's initializer and regularizer."""
    return keras.layers.Conv2D(filters, kernel_size, strides=strides,
                               padding=padding, **self._common(name))

  def conv(self, filters: int, kernel_size: int, strides: int = 1,
           name: Optional[str] = None, role: str = "body",
           padding: str = "same", **options):
    """The layer of this scheme for one convolution of a model.

    Args:
      filters, kernel_size, strides, name, padding: of the convolution.
      role: one of ROLES.
      **options: further arguments of a block scheme's layer (e.g.
        `branch_channels` of an IGC-V2 block).
    """
    if role not in ROLES:
      raise ValueError(f"role must be one of {ROLES}, got {role!r}")
    if role in ("stem", "shortcut"):
      return self.dense(filters, kernel_size, strides, name, padding)
    part = self.entry.for_conv(kernel_size, self._spatial_count)
    if not schemes.is_pointwise(kernel_size) and self.entry.sequence:
      self._spatial_count += 1
    if part.name == "dense":
      return self.dense(filters, kernel_size, strides, name, padding)
    return scheme_layer(part, filters, kernel_size, strides, name=name,
                        padding=padding, implementation=self.implementation,
                        conv_arguments=self._common(name), seed=self.seed,
                        **options)


def make_policy(scheme: str = "dense", **kwargs) -> ConvPolicy:
  """A fresh `ConvPolicy` (policies keep state for sequence schemes)."""
  return ConvPolicy(scheme, **kwargs)
