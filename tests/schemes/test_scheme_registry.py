"""The scheme registry: one entry per scheme, one name everywhere, and a
scheme added from outside the package reaching a zoo model."""

import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras

from sparsezoo_tf import analysis
from sparsezoo_tf import layers
from sparsezoo_tf import models
from sparsezoo_tf import ops
from sparsezoo_tf import schemes
from sparsezoo_tf.models.families import digits

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


@pytest.mark.parametrize("name, expected", [
    ("dense", lambda: ops.dense_plan(3, 8, 8)),
    ("sw_sc", lambda: ops.spatial_sc_plan(3, 8, 8)),
    ("cw_sc", lambda: ops.channel_sc_plan(3, 8, 8)),
    ("sc_comb", lambda: ops.spatial_channel_sc_plan(3, 8, 8)),
    ("seq_cross", lambda: ops.single_shape_plan(3, 8, 8, "cross")),
    ("psc4", lambda: ops.psconv_plan(3, 8, 8, 4, seed=0)),
    ("group2", lambda: ops.group_plan(3, 8, 8, 2)),
    ("group4_shuffle", lambda: ops.group_plan(3, 8, 8, 4, shuffle=True)),
    ("sc", lambda: ops.spatial_sc_plan(3, 8, 8)),
])
def test_plan_from_name(name, expected):
  assert schemes.plan_from_name(name, 3, 8, 8) == expected()


def test_composite_schemes_choose_their_part_by_kernel_size_and_turn():
  sc = schemes.get_scheme("sc")
  assert sc.kind == "composite"
  assert sc.for_conv(3).name == "sw_sc" and sc.for_conv(1).name == "cw_sc"
  assert schemes.plan_from_name("sc", 1, 8, 8) == ops.channel_sc_plan(1, 8, 8)
  seq = schemes.get_scheme("sc_seq")
  assert [seq.for_conv(3, i).name for i in range(3)] == [
      "seq_plus", "seq_cross", "seq_plus"]
  assert seq.for_conv(1).name == "dense"
  assert schemes.get_scheme("psc4").for_conv(1).name == "dense"


@pytest.mark.parametrize("name, kernel_sizes, multiple", [
    ("sc", (3,), 1), ("sc", (1, 3), 2), ("sc_comb", (3,), 2),
    ("scfusion4", (3,), 4), ("psc2", (1, 3), 1), ("group8", (1,), 8),
    ("dense", (1, 3), 1)])
def test_width_rules(name, kernel_sizes, multiple):
  assert schemes.get_scheme(name).channel_multiple(kernel_sizes) == multiple


@pytest.mark.parametrize("name", ["psconv4", "sw_cw_sc", "groupx",
                                  "group2_twist", "sparse", "psc0", 3])
def test_unknown_names_are_refused_with_the_known_ones(name):
  with pytest.raises(ValueError, match="unknown scheme .*known: .*sw_sc"):
    schemes.plan_from_name(name, 3, 8, 8)


def test_close_names_are_suggested():
  with pytest.raises(ValueError, match="did you mean sc_comb"):
    schemes.get_scheme("sc_cmb")


def test_block_schemes_have_no_single_plan():
  with pytest.raises(ValueError, match="block of several convolutions"):
    schemes.plan_from_name("scfusion2", 3, 8, 8)


def test_a_name_is_registered_once():
  with pytest.raises(ValueError, match="registered twice"):
    schemes.register_scheme(schemes.Scheme(name="sc", description="again"))


def test_the_sparse_complementary_modes_are_the_schemes_names():
  for mode in layers.SC_MODES:
    entry = schemes.get_scheme(mode)
    assert entry.layer == "SparseComplementaryConv2D"
    assert entry.layer_options["mode"] == mode


def test_every_registered_layer_class_exists():
  for name in schemes.list_schemes():
    example = name.replace("<kss>", "4").replace("<alpha>", "2").replace(
        "<groups>", "2").replace("<design>", "pw_dw_pw")
    entry = schemes.get_scheme(example)
    for index in range(2):
      part = entry.for_conv(3, index)
      if part.layer is not None:
        assert issubclass(models.convs.layer_class(part), keras.layers.Layer)


def test_every_model_names_a_registered_scheme():
  for name in models.list_models():
    schemes.get_scheme(models.model_info(name).scheme)


def test_the_registry_imports_without_tensorflow():
  code = (
      "import os, sys, types\n"
      f"root = {ROOT!r}\n"
      "for name in ('sparsezoo_tf', 'sparsezoo_tf.ops'):\n"
      "  module = types.ModuleType(name)\n"
      "  module.__path__ = [os.path.join(root, *name.split('.'))]\n"
      "  sys.modules[name] = module\n"
      "from sparsezoo_tf import schemes\n"
      "schemes.plan_from_name('sc_comb', 3, 8, 8)\n"
      "assert 'tensorflow' not in sys.modules, 'tensorflow was imported'\n")
  result = subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, timeout=120, check=False)
  assert result.returncode == 0, result.stderr


# A scheme added the way README's "Schemes, and adding one" shows: one pattern
# function, one layer, one registry entry; then a zoo model with it.
def _diagonal(kernel_size, in_channels, out_channels):
  size = kernel_size if isinstance(kernel_size, int) else kernel_size[0]
  mask = np.eye(size, dtype=bool)
  return np.broadcast_to(mask[:, :, None, None],
                         (size, size, in_channels, out_channels)).copy()


class _DiagonalConv2D(layers.SparseConv2DBase):

  def make_plan(self, in_channels):
    return schemes.plan_from_name("test_diagonal", self.kernel_size,
                                  in_channels, self.filters)


@pytest.fixture
def diagonal_model():
  schemes.register_scheme(schemes.Scheme(
      name="test_diagonal", description="diagonal taps only",
      pattern=_diagonal, layer=_DiagonalConv2D))

  @models.register_model(family="digits_cnn", scheme="test_diagonal",
                         dataset="digits", input_shape=(8, 8, 1), classes=10,
                         preprocessing="digits", baseline="digits_cnn")
  def digits_cnn_test_diagonal(weights=None, **kwargs):
    """Small CNN with diagonal kernels (a test's scheme)."""
    return digits.build_digits_cnn(scheme="test_diagonal", weights=weights,
                                   name="digits_cnn_test_diagonal", **kwargs)
  try:
    yield digits_cnn_test_diagonal
  finally:
    models.registry.unregister_model("digits_cnn_test_diagonal")
    schemes.unregister_scheme("test_diagonal")


def test_a_new_scheme_builds_a_zoo_model(diagonal_model):
  del diagonal_model
  assert "test_diagonal" in schemes.list_schemes()
  assert models.list_models(scheme="test_diagonal") == [
      "digits_cnn_test_diagonal"]
  model = models.create_model("digits_cnn_test_diagonal",
                              implementation="reference")
  convs = [l for l in model.layers if isinstance(l, _DiagonalConv2D)]
  assert [l.name for l in convs] == [
      "stage1_conv0", "stage1_conv1", "stage2_conv0", "stage2_conv1"]
  dense = models.create_model("digits_cnn")
  sparse_params = sum(l.count_params() for l in convs)
  dense_params = sum(dense.get_layer(l.name).count_params() for l in convs)
  assert sparse_params * 3 == dense_params  # 3 of 9 taps
  cost = analysis.count_model(model)
  assert cost.params + cost.non_trainable_params == model.count_params()
  assert all(row.known for row in cost.rows)

  rng = np.random.default_rng(0)
  layer = convs[1]
  x = rng.standard_normal((2, 8, 8, 32)).astype(np.float32)
  kernel = rng.standard_normal((3, 3, 32, 32)).astype(np.float32) * _diagonal(
      3, 32, 32)
  layer.set_weights([layer.plan.pack(kernel)])
  np.testing.assert_allclose(layer(x), tf.nn.conv2d(x, kernel, 1, "SAME"),
                             rtol=1e-4, atol=1e-4)


def test_design_names_have_one_spelling():
  assert schemes.get_scheme("dw_pw").layer_options["design"] == "dw+pw"
  for name in ("DW_PW", "dw_ pw"):
    with pytest.raises(ValueError, match="unknown scheme"):
      schemes.get_scheme(name)


def test_a_tuple_pointwise_kernel_does_not_advance_a_sequence():
  policy = models.make_policy("sc_seq", implementation="reference")
  modes = [getattr(policy.conv(8, size), "mode", "dense")
           for size in (3, (1, 1), 3, 1, 3)]
  assert modes == ["seq_plus", "dense", "seq_cross", "dense", "seq_plus"]
