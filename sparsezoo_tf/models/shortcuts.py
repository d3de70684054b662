"""Parameter-free shortcuts shared by the zoo's residual families."""

import tensorflow as tf
import tf_keras as keras

from sparsezoo_tf.layers import base as layers_base


@keras.utils.register_keras_serializable(package="sparsezoo_tf")
class ZeroPadShortcut(layers_base.Layer):
  """The parameter-free identity of a block that strides and widens:
  every `strides`-th position, padded with zero channels (ResNet's option A).

  Args:
    channels: output channels, at least the input's.
    strides: spatial subsampling.
  """

  def __init__(self, channels: int, strides: int = 1, **kwargs):
    super().__init__(**kwargs)
    self.channels = layers_base.positive_int("channels", channels)
    self.strides = layers_base.positive_int("strides", strides)

  def build(self, input_shape):
    missing = self.channels - int(input_shape[-1])
    if missing < 0:
      raise ValueError(f"{self.name}: cannot pad {input_shape[-1]} channels "
                       f"to {self.channels}")
    self.missing = missing
    super().build(input_shape)

  def call(self, inputs):
    step = self.strides
    outputs = inputs[:, ::step, ::step, :]
    return tf.pad(outputs, [[0, 0], [0, 0], [0, 0], [0, self.missing]])

  def compute_output_shape(self, input_shape):
    batch, rows, cols, _ = tf.TensorShape(input_shape).as_list()
    rows = None if rows is None else -(-rows // self.strides)
    cols = None if cols is None else -(-cols // self.strides)
    return tf.TensorShape([batch, rows, cols, self.channels])

  def get_config(self):
    config = super().get_config()
    config.update({"channels": self.channels, "strides": self.strides})
    return config
