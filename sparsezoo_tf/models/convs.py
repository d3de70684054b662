"""Which convolution a model builds where: one `ConvPolicy` per scheme.

Families call `policy.conv(filters, kernel_size, strides, name, role)` for
every convolution; the policy returns the scheme's layer. Roles:
  "stem"      the first convolution(s) on the image: dense in every paper.
  "body"      convolutions inside blocks: the scheme applies here.
  "shortcut"  1x1 projections of residual shortcuts: dense (paper 000,
              Table 10 reading; paper 004 leaves 1x1 down-sampling dense).
  "transition" DenseNet transition 1x1 convolutions: treated as "body".

Schemes (the `scheme` argument of `make_policy`):
  "dense"          Conv2D everywhere.
  "sc"             SW-SC on k x k (k > 1) body convolutions, CW-SC on 1x1
                   body convolutions (paper 000).
  "sc_spatial"     SW-SC on k x k body convolutions, 1x1 dense.
  "sc_comb"        SW-SC + CW-SC on k x k, CW-SC on 1x1 (paper 000 "-comb").
  "sc_seq"         alternating whole "+" and "x" layers on k x k body
                   convolutions, 1x1 dense (paper 000 "-seq" ablation).
  "scfusion<a>"    scFusion modules with alpha = a on k x k body
                   convolutions (paper 003).
  "psc<kss>"       pSConv with KSS = kss on 3x3 body convolutions (paper
                   004); the seed of each layer comes from its name.
"""

import re
import zlib
from typing import Optional

import tf_keras as keras

from sparsezoo_tf import layers as sz_layers

ROLES = ("stem", "body", "shortcut", "transition")
_SCHEME = re.compile(r"^(dense|sc|sc_spatial|sc_comb|sc_seq|scfusion(\d+)|"
                     r"psc(\d+))$")


class ConvPolicy:
  """Builds the convolutions of one scheme (see the module docstring).

  Args:
    scheme: the scheme name.
    implementation: "auto", "op" or "reference" for the sparse layers.
    kernel_initializer, kernel_regularizer: for every convolution.
    use_bias: biases on the convolutions.
    seed: added to the per-layer seeds of pSConv supports.
  """

  def __init__(self, scheme: str = "dense", implementation: str = "auto",
               kernel_initializer="he_normal", kernel_regularizer=None,
               use_bias: bool = False, seed: int = 0):
    match = _SCHEME.match(scheme) if isinstance(scheme, str) else None
    if not match:
      raise ValueError(
          f"unknown scheme {scheme!r}; known: dense, sc, sc_spatial, "
          f"sc_comb, sc_seq, scfusion<alpha>, psc<kss>")
    self.scheme = scheme
    self.alpha = int(match.group(2)) if match.group(2) else None
    self.kss = int(match.group(3)) if match.group(3) else None
    self.implementation = implementation
    self.kernel_initializer = kernel_initializer
    self.kernel_regularizer = kernel_regularizer
    self.use_bias = use_bias
    self.seed = seed
    self._seq_count = 0

  def _common(self, name: str) -> dict:
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
           padding: str = "same"):
    """The layer of this scheme for one convolution of a model."""
    if role not in ROLES:
      raise ValueError(f"role must be one of {ROLES}, got {role!r}")
    if role in ("stem", "shortcut") or self.scheme == "dense":
      return self.dense(filters, kernel_size, strides, name, padding)
    sparse = dict(strides=strides, padding=padding,
                  implementation=self.implementation, **self._common(name))
    if kernel_size == 1:
      if self.scheme in ("sc", "sc_comb"):
        return sz_layers.SparseComplementaryConv2D(filters, 1, mode="channel",
                                                   **sparse)
      return self.dense(filters, kernel_size, strides, name, padding)
    if self.scheme == "sc" or self.scheme == "sc_spatial":
      return sz_layers.SparseComplementaryConv2D(filters, kernel_size,
                                                 mode="spatial", **sparse)
    if self.scheme == "sc_comb":
      return sz_layers.SparseComplementaryConv2D(filters, kernel_size,
                                                 mode="both", **sparse)
    if self.scheme == "sc_seq":
      mode = ("seq_plus", "seq_cross")[self._seq_count % 2]
      self._seq_count += 1
      return sz_layers.SparseComplementaryConv2D(filters, kernel_size,
                                                 mode=mode, **sparse)
    if self.alpha is not None:
      return sz_layers.SCFusion(filters, kernel_size, alpha=self.alpha,
                                **sparse)
    seed = (zlib.crc32((name or "").encode()) + self.seed) % (2**31)
    return sz_layers.PSConv2D(filters, kernel_size, kss=self.kss, seed=seed,
                              **sparse)


def make_policy(scheme: str = "dense", **kwargs) -> ConvPolicy:
  """A fresh `ConvPolicy` (policies keep state for "sc_seq")."""
  return ConvPolicy(scheme, **kwargs)
