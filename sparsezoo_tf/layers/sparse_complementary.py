"""Sparse-complementary convolution (paper 000, SW-SC / CW-SC)."""

import tf_keras as keras

from sparsezoo_tf import ops
from sparsezoo_tf import schemes
from sparsezoo_tf.layers import base

SC_MODES = ("sw_sc", "cw_sc", "sc_comb", "seq_plus", "seq_cross")
# The modes' names before they became the schemes' names; configs saved
# with them still load.
LEGACY_MODES = {"spatial": "sw_sc", "channel": "cw_sc", "both": "sc_comb"}


def _is_sc_scheme(name) -> bool:
  """Whether `name` is a registered scheme built by this layer (the
  built-in SC_MODES or a scheme registered later with this layer)."""
  try:
    layer = schemes.get_scheme(name).layer
  except ValueError:
    return False
  return layer in ("SparseComplementaryConv2D", SparseComplementaryConv2D)


@keras.utils.register_keras_serializable(package="sparsezoo_tf")
class SparseComplementaryConv2D(base.SparseConv2DBase):
  """Sparse-complementary convolution (paper 000, sections 3.1-3.2).

  Modes (the names of their schemes in `sparsezoo_tf.schemes`):
    "sw_sc" (SW-SC): output channel 2m has the "+" kernel (odd linear
      positions and the centre), 2m+1 the complementary "x" kernel (even
      positions), each over all input channels: ceil(k^2/2) C K weights;
      an odd count of filters ends on a "+".
    "cw_sc" (CW-SC): outputs 0 .. K/2-1 read the even input channels,
      outputs K/2 .. K-1 the odd ones, with full k x k kernels: k^2 C K / 2
      weights. Writing the two kernel sets to the two output halves is the
      output reordering paper 000 builds into CW-SC, so that two stacked
      layers mix all channels (see `patterns.channel_sc`).
    "sc_comb": SW-SC and CW-SC in one kernel ("-comb", Table 8).
    "seq_plus" / "seq_cross": every output has the same shape, the layers
      of the sequential "-seq" ablation (Table 4).
  The modes' former names "spatial", "channel" and "both" are read as
  "sw_sc", "cw_sc" and "sc_comb".

  SW-SC, "sc_comb" and the "seq" shapes need an odd square kernel; CW-SC
  and "sc_comb" need even numbers of filters and input channels. Other
  arguments are those of `SparseConv2DBase`.
  """

  def __init__(self, filters, kernel_size=3, mode="sw_sc", **kwargs):
    mode = LEGACY_MODES.get(mode, mode)
    if not _is_sc_scheme(mode):
      raise ValueError(f"mode must be a scheme of this layer, one of "
                       f"{SC_MODES}, got {mode!r}")
    super().__init__(filters, kernel_size, **kwargs)
    self.mode = mode
    # Fails now, not at build, for even kernels and odd filter counts; any
    # even input count is checked here with a stand-in of 2 channels.
    self.make_plan(2)

  def make_plan(self, in_channels: int) -> ops.SparseConvPlan:
    k, c, f = self.kernel_size, in_channels, self.filters
    try:
      return schemes.plan_from_name(self.mode, k, c, f)
    except ValueError as error:
      raise ValueError(f"SparseComplementaryConv2D(mode={self.mode!r}, "
                       f"kernel_size={k}, filters={f}) on {c} input "
                       f"channels: {error}") from None

  def get_config(self):
    config = super().get_config()
    config["mode"] = self.mode
    return config


@keras.utils.register_keras_serializable(package="sparsezoo_tf")
class SpatialSCAnyWidth(SparseComplementaryConv2D):
  """SW-SC of any number of filters, as files saved before SW-SC took odd
  counts name it; new code uses `SparseComplementaryConv2D(mode="sw_sc")`.
  """
