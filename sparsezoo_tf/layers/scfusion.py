"""scFusion: pairwise and channel-wise fusion of SC kernels (paper 003)."""

from typing import Dict, Tuple

import tensorflow as tf
import tf_keras as keras

from sparsezoo_tf.layers import base
from sparsezoo_tf.layers import sparse_complementary


def _copy(initializer):
  """A fresh initializer of the same config (sublayers must not share one)."""
  return keras.initializers.get(keras.initializers.serialize(initializer))


@keras.utils.register_keras_serializable(package="sparsezoo_tf")
class SCFusion(base.Layer):
  """The scFusion module (paper 003, section 3.2, Fig. 2).

  Two SC convolutions with n = filters / alpha kernels each run on the same
  input: E with the "+" kernels (W_even) and O with the "x" kernels (W_odd).
  Pairwise fusion adds A = E + O and the inverse I = -(E + O); [E, O, A, I]
  is concatenated, passed through a ReLU and fused by a 1x1 convolution to
  `filters` channels. Multiply-adds per output pixel:
  2 ceil(k^2/2) C n + 4 n filters (Eq. 1).

  `use_addition=False` / `use_inverse=False` drop A / I (the ablation of
  Fig. 7: B = neither, C = addition only, D = both, the default).

  `components(x)` returns the parts [E, O, A, I] and `fuse(parts)` the
  module's output from them (`call` is the two in sequence), so that a part
  can be zeroed before the fusion (the per-component maps of Fig. 8).

  Args:
    filters: output channels (C_out).
    kernel_size: odd k of the SC kernels (3, 5, ...).
    alpha: complexity parameter, n = filters / alpha must be an integer.
    strides: strides of the SC convolutions.
    padding: "same" or "valid" (SC convolutions).
    use_addition: include A = E + O.
    use_inverse: include I = -(E + O).
    use_bias: biases on the SC and the 1x1 convolutions.
    kernel_initializer, bias_initializer, kernel_regularizer,
      bias_regularizer: for both convolutions (as `keras.layers.Conv2D`).
    implementation: "auto", "op" or "reference" for the SC convolution.
  """

  def __init__(self,
               filters: int,
               kernel_size=3,
               alpha=4,
               strides=1,
               padding: str = "same",
               use_addition: bool = True,
               use_inverse: bool = True,
               use_bias: bool = True,
               kernel_initializer="glorot_uniform",
               bias_initializer="zeros",
               kernel_regularizer=None,
               bias_regularizer=None,
               implementation: str = "auto",
               **kwargs):
    super().__init__(**kwargs)
    self.filters = base.positive_int("filters", filters)
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or (
        alpha <= 0):
      raise ValueError(f"alpha must be a positive number, got {alpha!r}")
    base_kernels = self.filters / alpha
    if base_kernels != int(base_kernels) or base_kernels < 1:
      raise ValueError(
          f"scFusion needs n = filters / alpha base kernels per phase to be a "
          f"positive integer; filters={self.filters}, alpha={alpha} gives "
          f"{base_kernels:g}")
    self.alpha = alpha
    self.base_kernels = int(base_kernels)
    self.kernel_size = kernel_size
    self.strides = strides
    self.padding = padding
    self.use_addition = bool(use_addition)
    self.use_inverse = bool(use_inverse)
    self.use_bias = bool(use_bias)
    self.kernel_initializer = keras.initializers.get(kernel_initializer)
    self.bias_initializer = keras.initializers.get(bias_initializer)
    self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
    self.bias_regularizer = keras.regularizers.get(bias_regularizer)
    self.implementation = implementation
    common = dict(
        use_bias=self.use_bias,
        kernel_initializer=_copy(self.kernel_initializer),
        bias_initializer=_copy(self.bias_initializer),
        kernel_regularizer=self.kernel_regularizer,
        bias_regularizer=self.bias_regularizer)
    # One SW-SC layer: even outputs are E ("+"), odd outputs are O ("x").
    self.sparse_conv = sparse_complementary.SparseComplementaryConv2D(
        2 * self.base_kernels, kernel_size, mode="sw_sc", strides=strides,
        padding=padding, implementation=implementation, name="sc_conv",
        **common)
    common.update(kernel_initializer=_copy(self.kernel_initializer),
                  bias_initializer=_copy(self.bias_initializer))
    self.fusion_conv = keras.layers.Conv2D(self.filters, 1, name="fusion_conv",
                                           **common)

  @property
  def fused_channels(self) -> int:
    """Channels entering the 1x1 fusion: n times the number of parts."""
    return self.base_kernels * (2 + self.use_addition + self.use_inverse)

  def build(self, input_shape):
    input_shape = tf.TensorShape(input_shape)
    # Name scopes keep the sublayers' weight names apart (HDF5 needs it).
    with tf.name_scope(self.sparse_conv.name):
      self.sparse_conv.build(input_shape)
    sparse_shape = self.sparse_conv.compute_output_shape(input_shape)
    with tf.name_scope(self.fusion_conv.name):
      self.fusion_conv.build(sparse_shape[:-1].concatenate(
          [self.fused_channels]))
    super().build(input_shape)

  @property
  def component_names(self) -> Tuple[str, ...]:
    """The parts entering the fusion, in concatenation order: "w_even" (E),
    "w_odd" (O), then "fusion_add" (A) and "fusion_inverse" (I) when used."""
    names = ["w_even", "w_odd"]
    if self.use_addition:
      names.append("fusion_add")
    if self.use_inverse:
      names.append("fusion_inverse")
    return tuple(names)

  def components(self, inputs) -> Dict[str, tf.Tensor]:
    """The parts [E, O, A, I] of a call on `inputs`, before the ReLU.

    `fuse(components(x))` is `call(x)`; zeroing some parts before `fuse`
    gives the module's output from the others alone (the per-component
    class activation maps of paper 003, Fig. 8).

    Args:
      inputs: a batch the built layer can take.

    Returns:
      {name: [batch, rows, cols, base_kernels] tensor} in the order of
      `component_names`.

    Raises:
      ValueError: when the layer is not built yet.
    """
    if not self.built:
      raise ValueError(f"{self.name} is not built; call it on a batch (or "
                       f"build it) before asking for its components")
    phases = self.sparse_conv(tf.cast(inputs, self.compute_dtype))
    even, odd = phases[..., 0::2], phases[..., 1::2]
    parts = {"w_even": even, "w_odd": odd}
    if self.use_addition or self.use_inverse:
      added = even + odd
      if self.use_addition:
        parts["fusion_add"] = added
      if self.use_inverse:
        parts["fusion_inverse"] = -added
    return parts

  def fuse(self, components: Dict[str, tf.Tensor]) -> tf.Tensor:
    """The channel-wise fusion: ReLU of the concatenated parts, then the 1x1
    convolution.

    Args:
      components: {name: tensor} with exactly the names of
        `component_names` (as `components` returns them).

    Raises:
      ValueError: when the names differ from `component_names`.
    """
    names = self.component_names
    if set(components) != set(names):
      raise ValueError(f"{self.name}.fuse needs the parts {names}, got "
                       f"{tuple(components)}; zero a part to leave it out")
    fused = tf.nn.relu(tf.concat([components[n] for n in names], axis=-1))
    return self.fusion_conv(fused)

  def call(self, inputs):
    return self.fuse(self.components(inputs))

  def compute_output_shape(self, input_shape):
    sparse_shape = self.sparse_conv.compute_output_shape(input_shape)
    return sparse_shape[:-1].concatenate([self.filters])

  def sublayer_calls(self, input_shape):
    """The sublayer calls of one call, for `sparsezoo_tf.analysis.count_model`.

    Args:
      input_shape: the full input shape, batch dimension included.

    Returns:
      `[(sparse_conv, input_shape), (fusion_conv, its input shape)]`; the 1x1
      fusion sees `fused_channels` channels.
    """
    input_shape = tf.TensorShape(input_shape)
    sparse_shape = self.sparse_conv.compute_output_shape(input_shape)
    return [(self.sparse_conv, input_shape),
            (self.fusion_conv,
             sparse_shape[:-1].concatenate([self.fused_channels]))]

  def get_prunable_weights(self):
    """The kernels magnitude pruning acts on: the SC convolution's packed
    kernel and the 1x1 fusion's kernel (TF Model Optimization's
    `PrunableLayer` protocol; see `sparsezoo_tf.optimization.pruning`)."""
    if not self.built:
      raise ValueError(f"{self.name} is not built yet")
    return [self.sparse_conv.kernel, self.fusion_conv.kernel]

  def get_config(self):
    config = super().get_config()
    config.update({
        "filters": self.filters,
        "kernel_size": self.kernel_size,
        "alpha": self.alpha,
        "strides": self.strides,
        "padding": self.padding,
        "use_addition": self.use_addition,
        "use_inverse": self.use_inverse,
        "use_bias": self.use_bias,
        "kernel_initializer":
            keras.initializers.serialize(self.kernel_initializer),
        "bias_initializer": keras.initializers.serialize(self.bias_initializer),
        "kernel_regularizer":
            keras.regularizers.serialize(self.kernel_regularizer),
        "bias_regularizer": keras.regularizers.serialize(self.bias_regularizer),
        "implementation": self.implementation,
    })
    return config
