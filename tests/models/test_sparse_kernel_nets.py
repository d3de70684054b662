"""Paper 001's ImageNet networks (`sparse_kernel_nets`): the Table 1 layout,
its units, arguments, endpoints, InfoSize and hand-counted parameters."""

import numpy as np
import pytest
import tf_keras as keras

from sparsezoo_tf import analysis
from sparsezoo_tf import layers
from sparsezoo_tf import models
from sparsezoo_tf.models.families import sparse_kernel_nets as skn

# Structure and counts: the op path only (see the Makefile).
pytestmark = pytest.mark.single_path

TINY = dict(input_shape=(32, 32, 3), classes=5)
ALL_SPECS = skn.SPECS


def _inner_layers(model):
  for layer in model.layers:
    yield layer
    for sub in getattr(layer, "convolutions", []):
      yield sub


def _count(model, cls):
  return sum(isinstance(layer, cls) for layer in _inner_layers(model))


@pytest.mark.parametrize("name,kwargs", [
    ("skn_dw_pw_w72", dict(width=8, blocks=1)),
    ("skn_pwgconv4_dw_pwgconv4_w560", dict(width=32, blocks=1)),
    ("skn_gconv16_pwgconv16_w256", dict(width=32, blocks=2)),
    ("skn98_pw_gconv32_pw_w256", dict(width=128, blocks=1)),
])
def test_forward_pass_is_finite_and_a_distribution(name, kwargs):
  model = models.create_model(name, **TINY, **kwargs)
  x = np.random.default_rng(0).normal(size=(2, 32, 32, 3)).astype(np.float32)
  out = model(x, training=False).numpy()
  assert out.shape == (2, 5)
  assert np.all(np.isfinite(out))
  np.testing.assert_allclose(out.sum(-1), 1.0, rtol=1e-5)


def test_registered_names_and_baselines():
  names = models.list_models("skn*")
  assert {"skn_standard_w64", "skn_dw_pw_w72", "skn_dw_pw_w280",
          "skn_gconv4_pwgconv32_w128", "skn_gconv16_pwgconv16_w256",
          "skn_pw_dw_pw_w400", "skn_pwgconv4_dw_pwgconv4_w560",
          "skn_gconv100_pwgconv2_w200", "skn_pwgconv100_dw_pwgconv2_w700",
          "skn_pw_conv_pw_w192", "skn_pw_gconv16_pw_w192",
          "skn98_pw_gconv1_pw_w128", "skn194_pw_gconv1_pw_w128",
          "skn98_pw_gconv64_pw_w512"} <= set(names)
  for name in names:
    info = models.model_info(name)
    assert info.family == "sparse_kernel" and info.classes == 1000
    assert info.input_shape == (224, 224, 3)
    if info.scheme == "dense":
      assert info.baseline is None
    else:
      assert models.model_info(info.baseline).scheme == "dense"
  assert models.model_info("skn_dw_pw_w280").baseline == (
      "skn_standard_w280_b2")
  assert models.list_models("skn*", paper="001") == sorted(
      spec.name for spec in ALL_SPECS)


def test_table_2_names_carry_the_printed_depth():
  depths = {spec.name: spec.depth for spec in ALL_SPECS if spec.depth_in_name}
  assert depths["skn98_pw_gconv1_pw_w128"] == 98
  assert depths["skn194_pw_gconv1_pw_w128"] == 194


def test_features_only_gives_endpoints_by_level():
  model = models.skn_dw_pw_w72(features_only=True, width=8, blocks=1,
                               input_shape=(64, 64, 3))
  shapes = {k: v[1:] for k, v in model.output_shape.items()}
  assert shapes == {"1": (32, 32, 8), "2": (16, 16, 8), "3": (8, 8, 16),
                    "4": (4, 4, 32), "5": (2, 2, 64)}
  assert model.endpoint_names == ("1", "2", "3", "4", "5")


@pytest.mark.parametrize("pooling,shape", [(None, (None, 1, 1, 64)),
                                           ("avg", (None, 64)),
                                           ("max", (None, 64))])
def test_include_top_false_and_pooling(pooling, shape):
  model = models.skn_dw_pw_w72(include_top=False, pooling=pooling, width=8,
                               blocks=1, input_shape=(32, 32, 3))
  assert model.output_shape == shape


def test_sparse_model_and_dense_baseline_share_the_layout():
  sparse = models.skn_gconv4_pwgconv32_w128(width=32, blocks=1, **TINY)
  dense = models.create_model(
      models.model_info("skn_gconv4_pwgconv32_w128").baseline, width=32,
      blocks=1, **TINY)
  assert [l.name for l in sparse.layers[1:]] == [
      l.name for l in dense.layers[1:]]
  assert [type(l) for l in sparse.layers] == [type(l) for l in dense.layers]
  assert _count(sparse, layers.GroupConv2D) == 8
  assert _count(dense, layers.GroupConv2D) == 0
  inner = {type(l).__name__ for l in _inner_layers(dense)
           if isinstance(l, keras.layers.Conv2D)}
  assert inner == {"Conv2D"}


def test_the_scheme_kernels_are_used():
  model = models.skn_pwgconv4_dw_pwgconv4_w560(width=32, blocks=2, **TINY)
  assert _count(model, layers.SparseKernelBlock) == 8
  assert _count(model, keras.layers.DepthwiseConv2D) == 8
  assert _count(model, layers.GroupConv2D) == 16
  shuffled = [l for l in _inner_layers(model)
              if isinstance(l, layers.GroupConv2D) and l.shuffle]
  assert len(shuffled) == 8
  block = model.get_layer("stage2_block0")
  assert block.describe() == "PWGConv(4)+shuffle+DW+PWGConv(4)"
  assert block.convolutions[1].strides == (2, 2)


def test_stride_two_blocks_have_parameter_free_zero_padded_shortcuts():
  model = models.skn_dw_pw_w72(width=8, blocks=2, **TINY)
  shortcuts = [l for l in model.layers if isinstance(l, skn.ZeroPadShortcut)]
  assert [l.name for l in shortcuts] == [
      "stage2_block0_shortcut", "stage3_block0_shortcut",
      "stage4_block0_shortcut"]
  assert all(not l.weights for l in shortcuts)
  x = np.arange(2 * 4 * 4 * 3, dtype=np.float32).reshape(2, 4, 4, 3)
  y = skn.ZeroPadShortcut(5, 2)(x).numpy()
  np.testing.assert_array_equal(y[..., :3], x[:, ::2, ::2, :])
  np.testing.assert_array_equal(y[..., 3:], 0)


@pytest.mark.parametrize("kwargs,error,message", [
    (dict(pooling="sum"), ValueError, "pooling must be one of"),
    (dict(classes=0), ValueError, "classes must be a positive int"),
    (dict(input_shape=(32, 32, 1)), ValueError, "takes 3 input channels"),
    (dict(input_shape=(16, 16, 3)), ValueError, "at least 32"),
    (dict(width=0), ValueError, "width"),
    (dict(blocks=0), ValueError, "blocks"),
    (dict(widht=8), TypeError, "widht"),
    (dict(design="conv"), TypeError, "design"),
])
def test_bad_arguments(kwargs, error, message):
  with pytest.raises(error, match=message):
    models.skn_dw_pw_w72(**kwargs)


def test_width_the_groups_cannot_split_is_an_error():
  with pytest.raises(ValueError, match="not divisible by groups=16"):
    models.skn_gconv16_pwgconv16_w256(width=24, blocks=1, **TINY)


def test_non_integer_inner_width_is_an_error():
  with pytest.raises(ValueError, match="non-integer inner width"):
    skn.unit_block("pwgconv100+dw+pwgconv2", 710, 3.5)


def test_hand_counted_parameters_dw_pw():
  # width 8, B = 1, 10 classes.
  stem = 3 * 3 * 3 * 8 + 2 * 8
  stage1 = (9 * 8 + 2 * 8) + (8 * 8 + 2 * 8)
  stage2 = (9 * 8 + 2 * 8) + (8 * 16 + 2 * 16)
  stage3 = (9 * 16 + 2 * 16) + (16 * 32 + 2 * 32)
  stage4 = (9 * 32 + 2 * 32) + (32 * 64 + 2 * 64)
  head = 64 * 10 + 10
  expected = stem + stage1 + stage2 + stage3 + stage4 + head
  assert expected == 4578
  model = models.skn_dw_pw_w72(width=8, blocks=1, classes=10)
  assert analysis.count_model(model, (224, 224, 3)).params == expected


def test_hand_counted_parameters_pw_dw_pw_bottleneck():
  # width 16, B = 1, 1:4 bottleneck, 10 classes: PW C->F/4, DW, PW F/4->F.
  def unit(c, f):
    k = f // 4
    return (c * k + 2 * k) + (9 * k + 2 * k) + (k * f + 2 * f)
  expected = (27 * 16 + 2 * 16 + unit(16, 16) + unit(16, 32) + unit(32, 64) +
              unit(64, 128) + 128 * 10 + 10)
  assert expected == 11206
  model = models.skn_pw_dw_pw_w400(width=16, blocks=1, classes=10)
  assert analysis.count_model(model, (224, 224, 3)).params == expected


def test_hand_counted_parameters_standard_w64():
  convs = 9 * (64 * 64 * 4 + 64 * 128 + 128 * 128 * 3 + 128 * 256 +
               256 * 256 * 3 + 256 * 512 + 512 * 512 * 3)
  bn = 2 * 4 * (64 + 128 + 256 + 512)
  expected = 27 * 64 + 2 * 64 + convs + bn + 512 * 1000 + 1000
  assert expected == skn.PARAMS["skn_standard_w64"] == 11_508_008
  cost = analysis.count_model(models.skn_standard_w64(), (224, 224, 3))
  assert cost.params == expected


def test_recorded_counts_of_the_small_model_and_its_next_depth():
  cost = analysis.count_model(models.skn_dw_pw_w72(), (224, 224, 3))
  assert cost.params == skn.PARAMS["skn_dw_pw_w72"] == 810_496
  deeper = analysis.count_model(models.skn_dw_pw_w72(blocks=2),
                                (224, 224, 3)).params
  (row,) = models.model_info("skn_dw_pw_w72").rows
  assert f"B = 2: {deeper / 1e6:.2f} M" in row.mismatch


def test_every_row_matches_or_explains():
  for spec in ALL_SPECS:
    for row in models.model_info(spec.name).rows:
      ours = skn.PARAMS[spec.name]
      matches = abs(ours / row.params - 1) <= 0.005
      assert matches != bool(row.mismatch), spec.name
      if row.mismatch:
        assert f"{ours:,}" in row.mismatch


@pytest.mark.parametrize("spec", ALL_SPECS, ids=lambda spec: spec.name)
def test_info_size_of_the_first_block_is_3_3_width(spec):
  block = skn.unit_block(spec.design, spec.width, spec.bottleneck_ratio,
                         name="stage1_block0")
  block.build((None, 56, 56, spec.width))
  field = analysis.information_field_of(block)
  assert field.as_tuple() == (3, 3, spec.width)
  assert field.full_channels


@pytest.mark.parametrize("design,width,info", [
    ("dw+pw", 8, 8), ("gconv4+pwgconv4", 16, 16), ("gconv4+pwgconv8", 16, 8)])
def test_info_size_on_a_built_model(design, width, info):
  # M N > C (the last case) leaves each output 8 of the 16 channels.
  model = skn.sparse_kernel_net(design, width, 1, include_top=False,
                                input_shape=(32, 32, 3))
  field = analysis.information_field_of(model.get_layer("stage1_block0"))
  assert field.as_tuple() == (3, 3, info)


def test_mid_width_block_config_round_trip_and_count():
  block = skn.MidWidthKernelBlock(70, "pwgconv10+dw+pwgconv2", mid_width=20,
                                  name="b")
  block.build((None, 8, 8, 70))
  trainable = sum(int(np.prod(w.shape)) for w in block.trainable_weights)
  assert trainable == (70 * 20 // 10 + 2 * 20 + 9 * 20 + 2 * 20 +
                       20 * 70 // 2 + 2 * 70)
  clone = skn.MidWidthKernelBlock.from_config(block.get_config())
  clone.build((None, 8, 8, 70))
  assert clone.count_params() == block.count_params()
  assert clone.describe() == block.describe()
  with pytest.raises(ValueError, match="mid_width"):
    skn.MidWidthKernelBlock(70, "pw+dw+pw", mid_width=20, bottleneck_ratio=2)


def test_model_config_round_trip():
  model = models.skn_pw_dw_pw_w400(width=16, blocks=1, **TINY)
  clone = keras.Model.from_config(model.get_config())
  assert clone.count_params() == model.count_params()
  assert [l.name for l in clone.layers] == [l.name for l in model.layers]
  assert clone.layers[-1].name == "predictions"
