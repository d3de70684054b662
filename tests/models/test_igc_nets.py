"""The IGC networks of paper 002 (`sparsezoo_tf.models.families.igc`)."""

import functools

import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras

from sparsezoo_tf import analysis
from sparsezoo_tf import layers
from sparsezoo_tf import models
from sparsezoo_tf.benchmarks import zoo_table
from sparsezoo_tf.models.families import igc

# Structure and counts: the op path only (see the Makefile).
pytestmark = pytest.mark.single_path

TINY = dict(input_shape=(16, 16, 3), classes=5)


@functools.lru_cache(maxsize=None)
def _tiny(name):
  """A model on 16x16 inputs with 5 classes, built once per module (the
  pure-TF path makes building the group convolutions slow)."""
  return models.create_model(name, **TINY)


@functools.lru_cache(maxsize=None)
def _cost(name):
  """count_model of the model with its default (paper) arguments."""
  return zoo_table.model_cost(name)


def _count(model, kind):
  return sum(isinstance(layer, kind) for layer in model.layers)


@pytest.mark.parametrize("name", ["xception_c35_d8", "igcv1_c48_d8",
                                  "igcv2_c64_d8", "igc_dense_c64_d8"])
def test_forward_pass_on_a_tiny_input(name):
  model = _tiny(name)
  x = np.random.default_rng(0).standard_normal((2, 16, 16, 3)).astype(
      np.float32)
  out = model(x, training=False)
  assert out.shape == (2, 5)
  assert np.all(np.isfinite(out.numpy()))
  np.testing.assert_allclose(out.numpy().sum(-1), 1.0, rtol=1e-5)


def test_igcv2star_and_zero_padded_shortcut_run():
  model = igc.igc_net(igc.IGCNetSpec("igcv2star", 72, 8), **TINY)
  assert model.get_layer("stage1_unit1_shortcut_pad").output_shape == (
      None, 16, 16, 72)
  out = model(np.ones((1, 16, 16, 3), np.float32))
  assert out.shape == (1, 5) and np.all(np.isfinite(out.numpy()))
  block = model.get_layer("stage3_unit1_block2")
  assert block.structure(288).num_group_convs == 4  # ceil(log_8 288) + 1


def test_features_only_endpoints_by_stride():
  model = models.create_model("igcv2_c64_d8", features_only=True)
  assert {k: v[1:] for k, v in model.output_shape.items()} == {
      "0": (32, 32, 64), "1": (16, 16, 128), "2": (8, 8, 256)}
  tiny_imagenet = models.create_model("xception_c35_d8", features_only=True,
                                      input_shape=(64, 64, 3),
                                      stem_strides=2)
  assert {k: v[1:] for k, v in tiny_imagenet.output_shape.items()} == {
      "1": (32, 32, 35), "2": (16, 16, 70), "3": (8, 8, 140)}


@pytest.mark.parametrize("pooling,shape", [(None, (None, 4, 4, 140)),
                                           ("avg", (None, 140)),
                                           ("max", (None, 140))])
def test_include_top_false_and_pooling(pooling, shape):
  model = models.xception_c35_d8(include_top=False, pooling=pooling,
                                 input_shape=(16, 16, 3))
  assert model.output_shape == shape


def test_baseline_is_built_by_the_same_code():
  info = models.model_info("igcv2_c64_d8")
  assert info.baseline == "igc_dense_c64_d8"
  assert models.model_info(info.baseline).scheme == "dense"
  sparse = _tiny("igcv2_c64_d8")
  dense = _tiny(info.baseline)
  assert [l.name for l in sparse.layers[1:]] == [
      l.name for l in dense.layers[1:]]
  kinds = {type(l).__name__ for l in sparse.layers} - {
      type(l).__name__ for l in dense.layers}
  assert kinds == {"IGCV2Block", "GroupConv2D"}
  assert (dense.get_layer("stage2_unit1_block1").built_steps[0].kind ==
          "conv")


def test_scheme_layers_are_used():
  igcv2 = _tiny("igcv2_c64_d8")
  assert _count(igcv2, layers.IGCV2Block) == 6
  assert _count(igcv2, layers.GroupConv2D) == 2  # the two projections
  xception = _tiny("xception_c35_d8")
  assert _count(xception, layers.XceptionBlock) == 6
  igcv1 = _tiny("igcv1_c48_d8")
  assert _count(igcv1, layers.IGCV1Block) == 4
  transition = igcv1.get_layer("stage3_unit1_block1")
  assert [(s.kind, s.groups) for s in transition.built_steps] == [
      ("gconv", 24), ("pwgconv", 8)]


def test_blocks_compose_dense_kernels():
  model = _tiny("igcv2_c64_d8")
  for stage, width in ((1, 64), (2, 128), (3, 256)):
    field = analysis.information_field_of(
        model.get_layer(f"stage{stage}_unit1_block2"))
    assert field.as_tuple() == (3, 3, width)
  igcv1 = _tiny("igcv1_c48_d8")
  field = analysis.information_field_of(igcv1.get_layer("stage2_unit1_block2"))
  assert field.as_tuple() == (3, 3, 96)


@pytest.mark.parametrize("kwargs,error,message", [
    (dict(pooling="sum"), ValueError, "pooling must be one of"),
    (dict(classes=0), ValueError, "classes must be a positive int"),
    (dict(input_shape=(32, 32, 1)), ValueError, "takes 3 input channels"),
    (dict(stem_strides=3), ValueError, "stem_strides"),
    (dict(widht=2), ValueError, "takes no argument .widht."),
])
def test_bad_arguments_say_what_is_wrong(kwargs, error, message):
  with pytest.raises(error, match=message):
    models.create_model("igcv2_c64_d8", **kwargs)


@pytest.mark.parametrize("kwargs,message", [
    (dict(block="igcv3", width=64, depth=8), "block must be one of"),
    (dict(block="igcv1", width=48, depth=11), "depth must be 3B"),
    (dict(block="igcv1", width=48, depth=17), "depth must be 3B"),
    (dict(block="igcv2", width=64, depth=8), "branch_channels"),
    (dict(block="igcv1", width=47, depth=8), "x must be even"),
])
def test_bad_specs(kwargs, message):
  with pytest.raises(ValueError, match=message):
    igc.IGCNetSpec(**kwargs)


def test_hand_computed_counts_of_igcv2_c64_d8():
  # Convolution weights (paper 002's count).
  stem = 3 * 3 * 3 * 64
  stage1 = 2 * (9 * 64 + 64 * 8 + 64 * 8)
  stage2 = ((9 * 64 + 64 * 16 + 128 * 16) + (9 * 128 + 2 * 128 * 16) +
            64 * 128 // 32)
  stage3 = ((9 * 128 + 128 * 32 + 256 * 32) + (9 * 256 + 2 * 256 * 32) +
            128 * 256 // 64)
  convolutions = stem + stage1 + stage2 + stage3
  assert convolutions == 46_720
  # BN gamma and beta after every convolution, and the classifier.
  batch_norm = 2 * (64 + 2 * 3 * 64 + (64 + 64 + 128) + 3 * 128 + 128 +
                    (128 + 128 + 256) + 3 * 256 + 256)
  classifier = 256 * 100 + 100
  cost = _cost("igcv2_c64_d8")
  assert cost.convolution_params == convolutions
  assert cost.params == convolutions + batch_norm + classifier == 77_924
  multiply_adds = (stem * 32 * 32 + stage1 * 32 * 32 + stage2 * 16 * 16 +
                   stage3 * 8 * 8 + 256 * 100)
  assert cost.multiply_adds == multiply_adds == 9_503_744


def test_hand_computed_counts_of_xception_c35_d8():
  blocks = (2 * (9 * 35 + 35 * 35) + (9 * 35 + 35 * 70) +
            (9 * 70 + 70 * 70) + (9 * 70 + 70 * 140) + (9 * 140 + 140 * 140))
  projections = 35 * 70 + 70 * 140
  cost = _cost("xception_c35_d8")
  assert cost.convolution_params == 27 * 35 + blocks + projections
  assert cost.convolution_params == 55_860  # Table 4: 0.056 M


def test_model_round_trips_through_its_config():
  model = igc.igc_net(igc.IGCNetSpec("xception", 40, 8), **TINY)
  clone = keras.Model.from_config(model.get_config())
  clone.set_weights(model.get_weights())
  x = tf.random.stateless_normal((2, 16, 16, 3), seed=(1, 2))
  np.testing.assert_allclose(clone(x), model(x), rtol=1e-5, atol=1e-6)


def _check_rows(name):
  """The paper's convention: convolution weights round to the printed
  value, multiply-adds within 6 %."""
  conv, total = igc.PAPER_COUNTS[name]
  cost = _cost(name)
  assert (cost.convolution_params, cost.params) == (conv, total)
  for row in models.model_info(name).rows:
    assert row.params_counted == "convolutions" and not row.mismatch
    assert abs(conv - row.params) <= row.params_unit / 2, (name, row.table)
    if row.flops is not None:
      assert cost.multiply_adds == pytest.approx(row.flops, rel=0.06)


@pytest.mark.parametrize("name", ["xception_c35_d8", "igcv1_c48_d8",
                                  "igcv2_c64_d8", "igcv2_c80_d8"])
def test_paper_rows_with_the_papers_convention(name):
  _check_rows(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(igc.PAPER_COUNTS))
def test_all_paper_rows_with_the_papers_convention(name):
  _check_rows(name)


def test_every_sparse_model_has_rows_and_a_registered_baseline():
  names = models.list_models("*", paper="002")
  assert sorted(names) == sorted(igc.PAPER_COUNTS)
  assert len(names) == 21
  for name in names:
    info = models.model_info(name)
    assert info.family == "igc" and info.classes == 100
    assert models.model_info(info.baseline).scheme == "dense"


def _block_cost(block, channels):
  block.build((None, 32, 32, channels))
  cost = analysis.count_model(block, (32, 32, channels))
  return cost.convolution_params, cost.multiply_adds


def _igcv2_first_design(channels, branch):
  return layers.KernelSequence([
      layers.KernelStep("gconv", filters=channels, groups=channels // 2,
                        shuffle=True),
      layers.KernelStep("pwgconv", filters=channels,
                        groups=channels // branch, shuffle=True),
      layers.KernelStep("pwgconv", filters=channels,
                        groups=channels // branch)])


# Tables 2 and 5: one block of the 8-layer network without down-sampling
# ("calculated within each block"), printed as approximations for groups
# of networks (one or two significant digits): exact counts, and the
# printed values within 10 %.
BLOCK_ROWS = [
    ("Table 2 Xception C64", lambda: layers.XceptionBlock(64), 64,
     4_672, 4700, 4.8e6),
    ("Table 2 IGC-V2 C144", lambda: layers.IGCV2Block(144, branch_channels=12,
                                                      num_group_convs=3), 144,
     4_752, 4700, 4.8e6),
    ("Table 2 Xception C96", lambda: layers.XceptionBlock(96), 96,
     10_080, 10000, 1e7),
    ("Table 2 IGC-V2 C256", lambda: layers.IGCV2Block(256, branch_channels=16,
                                                      num_group_convs=3), 256,
     10_496, 10000, 1e7),
    ("Table 2 Xception C128", lambda: layers.XceptionBlock(128), 128,
     17_536, 17000, 1.7e7),
    ("Table 2 IGC-V2 C361", lambda: layers.IGCV2Block(361, branch_channels=19,
                                                      num_group_convs=3), 361,
     16_967, 17000, 1.7e7),
    ("Table 5 IGC-V1 C64", lambda: layers.IGCV1Block(64), 64,
     3_200, 3000, 3.2e6),
    ("Table 5 IGC-V2 I C98", lambda: _igcv2_first_design(98, 7), 98,
     3_136, 3000, 3.2e6),
    ("Table 5 IGC-V2 II C100", lambda: layers.IGCV2Block(
        100, branch_channels=10, num_group_convs=3), 100, 2_900, 3000, 3.2e6),
    ("Table 5 IGC-V1 C96", lambda: layers.IGCV1Block(96), 96,
     6_336, 6000, 6.1e6),
    ("Table 5 IGC-V2 I C162", lambda: _igcv2_first_design(162, 9), 162,
     5_832, 6000, 6.1e6),
    ("Table 5 IGC-V2 II C169", lambda: layers.IGCV2Block(
        169, branch_channels=13, num_group_convs=3), 169, 5_915, 6000, 6.1e6),
    ("Table 5 IGC-V1 C128", lambda: layers.IGCV1Block(128), 128,
     10_496, 10000, 1.1e7),
    ("Table 5 IGC-V2 I C242", lambda: _igcv2_first_design(242, 11), 242,
     9_680, 10000, 1.1e7),
    ("Table 5 IGC-V2 II C256", lambda: layers.IGCV2Block(
        256, branch_channels=16, num_group_convs=3), 256, 10_496, 10000,
     1.1e7),
]


@pytest.mark.parametrize("label,make,channels,exact,params,flops", BLOCK_ROWS,
                         ids=[row[0] for row in BLOCK_ROWS])
def test_block_rows_of_tables_2_and_5(label, make, channels, exact, params,
                                      flops):
  block = make()
  weights, multiply_adds = _block_cost(block, channels)
  assert weights == exact, label
  assert multiply_adds == exact * 32 * 32
  assert weights == pytest.approx(params, rel=0.1)
  assert multiply_adds == pytest.approx(flops, rel=0.1)
  assert analysis.information_field_of(block).full_channels
