"""Sparse-complementary convolution (paper 000, SW-SC / CW-SC)."""

import tf_keras as keras

from sparsezoo_tf import ops
from sparsezoo_tf.layers import base

SC_MODES = ("spatial", "channel", "both", "seq_plus", "seq_cross")


@keras.utils.register_keras_serializable(package="sparsezoo_tf")
class SparseComplementaryConv2D(base.SparseConv2DBase):
  """Sparse-complementary convolution (paper 000, sections 3.1-3.2).

  Modes:
    "spatial" (SW-SC): output channel 2m has the "+" kernel (odd linear
      positions and the centre), 2m+1 the complementary "x" kernel (even
      positions), each over all input channels: ceil(k^2/2) C K weights.
    "channel" (CW-SC): outputs 0 .. K/2-1 read the even input channels,
      outputs K/2 .. K-1 the odd ones, with full k x k kernels: k^2 C K / 2
      weights. Writing the two kernel sets to the two output halves is the
      output reordering paper 000 builds into CW-SC, so that two stacked
      layers mix all channels (see `patterns.channel_sc`).
    "both": SW-SC and CW-SC in one kernel ("-comb", Table 8).
    "seq_plus" / "seq_cross": every output has the same shape, the layers
      of the sequential "-seq" ablation (Table 4).

  SW-SC and the "seq" shapes need an odd square kernel; SW-SC, CW-SC and
  "both" need an even number of filters, CW-SC and "both" an even number of
  input channels. Other arguments are those of `SparseConv2DBase`.
  """

  def __init__(self, filters, kernel_size=3, mode="spatial", **kwargs):
    if mode not in SC_MODES:
      raise ValueError(f"mode must be one of {SC_MODES}, got {mode!r}")
    super().__init__(filters, kernel_size, **kwargs)
    self.mode = mode
    # Fails now, not at build, for even kernels and odd filter counts; any
    # even input count is checked here with a stand-in of 2 channels.
    self.make_plan(2)

  def make_plan(self, in_channels: int) -> ops.SparseConvPlan:
    k, c, f = self.kernel_size, in_channels, self.filters
    try:
      if self.mode == "spatial":
        return ops.spatial_sc_plan(k, c, f)
      if self.mode == "channel":
        return ops.channel_sc_plan(k, c, f)
      if self.mode == "both":
        return ops.spatial_channel_sc_plan(k, c, f)
      return ops.single_shape_plan(k, c, f, self.mode[len("seq_"):])
    except ValueError as error:
      raise ValueError(f"SparseComplementaryConv2D(mode={self.mode!r}, "
                       f"kernel_size={k}, filters={f}) on {c} input "
                       f"channels: {error}") from None

  def get_config(self):
    config = super().get_config()
    config["mode"] = self.mode
    return config
