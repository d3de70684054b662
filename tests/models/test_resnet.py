"""ResNet family: ImageNet (papers 000, 003), CIFAR pre-activation (000,
003) and paper 004's ResNet18 for CIFAR-10 / Tiny ImageNet."""

import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras

from sparsezoo_tf import analysis
from sparsezoo_tf import layers
from sparsezoo_tf import models
from sparsezoo_tf.models.families import resnet
from sparsezoo_tf.models.families import resnet_cifar

# Structure and counts: the op path only (see the Makefile).
pytestmark = pytest.mark.single_path

TINY = (32, 32, 3)


def _count(model, cls):
  return sum(isinstance(layer, cls) for layer in model.layers)


def _dense_convs(model):
  return sum(type(layer) is keras.layers.Conv2D for layer in model.layers)


def _modes(model):
  return [layer.mode for layer in model.layers
          if isinstance(layer, layers.SparseComplementaryConv2D)]


@pytest.fixture(scope="module")
def cifar_sc():
  return models.resnet32_cifar_sc()


@pytest.fixture(scope="module")
def cifar_seq():
  return models.resnet32_cifar_sc_seq()


def _forward(model, shape, batch=2):
  x = np.random.default_rng(0).standard_normal((batch,) + shape)
  return model(x.astype(np.float32)).numpy()


def test_registered_names_and_baselines():
  names = models.list_models("resnet*")
  for name in ("resnet18", "resnet50_sc", "resnet152_sc",
               "resnet34_scfusion8", "resnet32_cifar_sc",
               "resnet110_cifar_sc_comb", "resnet164_cifar_sc_seq",
               "resnet164_cifar_sc_w1", "resnet290_cifar_sc",
               "resnet32_cifar_scfusion4", "resnet18_cifar_psc4",
               "resnet18_hc_cifar_psc2", "resnet18_tiny_psc9",
               "resnet18_hc_tiny"):
    assert name in names
  for name in names:
    info = models.model_info(name)
    assert info.family == "resnet"
    if info.scheme == "dense":
      assert info.baseline is None, name
    else:
      baseline = models.model_info(info.baseline)
      assert baseline.scheme == "dense" and name.startswith(info.baseline)
      assert baseline.input_shape == info.input_shape
  info = models.model_info("resnet18_hc_tiny_psc4")
  assert (info.input_shape, info.classes, info.baseline) == (
      (64, 64, 3), 200, "resnet18_hc_tiny")


@pytest.mark.parametrize("name,kwargs,shape", [
    ("resnet18_sc", {"width": 0.25}, TINY),
    ("resnet50_sc", {"width": 0.25}, TINY),
    ("resnet34_scfusion8", {"width": 0.25}, TINY),
    ("resnet32_cifar_sc_comb", {}, TINY),
    ("resnet32_cifar_scfusion2", {}, TINY),
    ("resnet18_cifar_psc4", {"width": 0.25}, TINY),
    ("resnet18_hc_tiny_psc2", {"width": 0.125}, (64, 64, 3)),
])
def test_forward_pass(name, kwargs, shape):
  model = models.create_model(name, input_shape=shape, classes=5, **kwargs)
  out = _forward(model, shape)
  assert out.shape == (2, 5) and np.isfinite(out).all()
  np.testing.assert_allclose(out.sum(-1), 1.0, rtol=1e-5)


def test_imagenet_endpoints_by_stride():
  model = models.resnet50_sc(width=0.25, input_shape=(64, 64, 3),
                             features_only=True)
  shapes = {k: v[1:] for k, v in model.output_shape.items()}
  assert shapes == {"1": (32, 32, 16), "2": (16, 16, 64), "3": (8, 8, 128),
                    "4": (4, 4, 256), "5": (2, 2, 512)}
  assert model.endpoint_names == ("1", "2", "3", "4", "5")


def test_cifar_endpoints_by_stride():
  model = resnet_cifar.resnet_cifar(8, "sc", 1.3125, features_only=True)
  shapes = {k: v[1:] for k, v in model.output_shape.items()}
  assert shapes == {"0": (32, 32, 21), "1": (16, 16, 42), "2": (8, 8, 84)}
  assert model.get_layer("post_relu").output is model.output["2"]


def test_resnet18_small_endpoints_and_tiny_head():
  model = models.resnet18_tiny_psc4(width=0.125, features_only=True,
                                    input_shape=(32, 32, 3))
  shapes = {k: v[1:] for k, v in model.output_shape.items()}
  assert shapes == {"0": (32, 32, 8), "1": (16, 16, 16), "2": (8, 8, 32),
                    "3": (4, 4, 64)}
  model = models.resnet18_tiny(width=0.125)
  assert model.get_layer("flatten").output_shape == (None, 2 * 2 * 64)
  assert model.output_shape == (None, 200)


@pytest.mark.parametrize("pooling,expected", [(None, (None, 1, 1, 64)),
                                              ("avg", (None, 64)),
                                              ("max", (None, 64))])
def test_include_top_false(pooling, expected):
  model = models.resnet18_sc(width=0.125, include_top=False, pooling=pooling,
                             input_shape=TINY)
  assert model.output_shape == expected
  assert "predictions" not in [layer.name for layer in model.layers]


@pytest.mark.parametrize("dense,sparse,kwargs", [
    ("resnet18", "resnet18_sc", {"width": 0.25}),
    ("resnet50", "resnet50_sc", {"width": 0.125}),
    ("resnet34", "resnet34_scfusion4", {"width": 0.25}),
    ("resnet32_cifar", "resnet32_cifar_sc_comb", {"width": 1.0}),
    ("resnet18_cifar", "resnet18_cifar_psc4", {"width": 0.25}),
])
def test_baseline_built_by_the_same_code(dense, sparse, kwargs):
  base = models.create_model(dense, input_shape=TINY, **kwargs)
  model = models.create_model(sparse, input_shape=TINY, **kwargs)
  names = [layer.name for layer in base.layers[1:]]
  assert names == [layer.name for layer in model.layers[1:]]
  sparse_types = (layers.SparseComplementaryConv2D, layers.SCFusion,
                  layers.PSConv2D)
  changed = 0
  for b, m in zip(base.layers, model.layers):
    if type(b) is not type(m):
      assert type(b) is keras.layers.Conv2D, b.name
      assert isinstance(m, sparse_types), m.name
      changed += 1
    if isinstance(b, keras.layers.Conv2D):
      assert b.filters == m.filters, b.name
  assert changed >= 16


@pytest.mark.parametrize("kwargs,error", [
    ({"pooling": "sum", "include_top": False}, ValueError),
    ({"classes": 0}, ValueError),
    ({"classes": 2.5}, ValueError),
    ({"input_shape": (32, 32, 1)}, ValueError),
    ({"input_shape": (16, 16, 3)}, ValueError),
    ({"widht": 1.0}, TypeError),
    ({"depth": 34}, TypeError),
    ({"width": 0}, ValueError),
    ({"width": "wide"}, ValueError),
    ({"scheme": "dense"}, TypeError),
])
def test_bad_arguments(kwargs, error):
  with pytest.raises(error):
    models.resnet18_sc(**kwargs)


def test_bad_arguments_cifar_and_small():
  with pytest.raises(TypeError):
    models.resnet32_cifar(pooling="avg", bogus=1)
  with pytest.raises(ValueError, match="6n"):
    resnet_cifar.resnet_cifar(30)
  with pytest.raises(ValueError, match="flattening head"):
    models.resnet18_tiny(input_shape=TINY)
  with pytest.raises(ValueError, match="dataset"):
    resnet_cifar.resnet18_small("svhn")
  with pytest.raises(ValueError, match="depth"):
    resnet.resnet_imagenet(20)


def test_imagenet_sc_layers():
  model = models.resnet18_sc()
  assert _modes(model) == ["sw_sc"] * 16
  assert _dense_convs(model) == 1 + 3  # stem and projection shortcuts
  assert model.get_layer("conv1_conv").filters == 84
  assert model.get_layer("conv5_block2_2_conv").filters == 672
  model = models.resnet50_sc(width=0.125, input_shape=TINY)
  modes = _modes(model)
  assert modes.count("sw_sc") == 16 and modes.count("cw_sc") == 32
  assert _dense_convs(model) == 1 + 4


def test_imagenet_zero_gamma_on_the_last_bn_of_each_branch():
  model = models.resnet50(width=0.125, input_shape=TINY)
  gamma = model.get_layer("conv2_block1_3_bn").gamma.numpy()
  assert not gamma.any()
  assert (model.get_layer("conv2_block1_2_bn").gamma.numpy() == 1).all()
  assert (model.get_layer("conv2_block1_0_bn").gamma.numpy() == 1).all()
  small = models.resnet18_cifar(width=0.125)
  assert (small.get_layer("conv2_block1_2_bn").gamma.numpy() == 1).all()


def test_cifar_forward_pass(cifar_sc, cifar_seq):
  for model in (cifar_sc, cifar_seq):
    out = _forward(model, TINY)
    assert out.shape == (2, 10) and np.isfinite(out).all()


def test_cifar_scheme_layers(cifar_sc, cifar_seq):
  sc = cifar_sc
  assert _modes(sc) == ["sw_sc"] * 30
  assert [l.filters for l in sc.layers if getattr(l, "mode", None)].count(
      21) == 10  # the 21-channel stage
  assert _dense_convs(sc) == 1 + 2
  comb = models.resnet32_cifar_sc_comb()
  assert _modes(comb) == ["sc_comb"] * 30
  seq = cifar_seq
  assert _modes(seq) == ["seq_plus", "seq_cross"] * 15
  fusion = models.resnet32_cifar_scfusion4()
  assert _count(fusion, layers.SCFusion) == 30
  assert _dense_convs(fusion) == 1 + 2
  psc = models.resnet18_cifar_psc2(width=0.25)
  kss = [layer.kss for layer in psc.layers
         if isinstance(layer, layers.PSConv2D)]
  assert kss == [2] * 16 and _dense_convs(psc) == 1 + 3


def test_seq_and_sc_have_the_same_cost(cifar_sc, cifar_seq):
  sc = analysis.count_model(cifar_sc, TINY)
  seq = analysis.count_model(cifar_seq, TINY)
  assert (sc.params, sc.multiply_adds) == (seq.params, seq.multiply_adds)


def test_odd_width_model_round_trips_through_json():
  model = resnet_cifar.resnet_cifar(8, "sc", 1.3125, classes=3)
  clone = keras.models.model_from_json(model.to_json())
  clone.set_weights(model.get_weights())
  x = tf.random.normal((1, 32, 32, 3))
  np.testing.assert_allclose(clone(x), model(x), rtol=1e-5, atol=1e-6)


def test_hand_counted_cifar_sc():
  """ResNet-8-sc, w = 0.5 (widths 8, 16, 32), 10 classes, 32 x 32."""
  model = resnet_cifar.resnet_cifar(8, "sc", 0.5)
  params = (3 * 3 * 3 * 8 + 2 * 8                      # stem conv, BN
            + 5 * 8 * 8 + 2 * 8 + 5 * 8 * 8            # stage 1 (identity)
            + 2 * 8 + 8 * 16 + 5 * 8 * 16 + 2 * 16 + 5 * 16 * 16
            + 2 * 16 + 16 * 32 + 5 * 16 * 32 + 2 * 32 + 5 * 32 * 32
            + 2 * 32 + 32 * 10 + 10)                   # post BN, classifier
  macs = (27 * 8 * 32 * 32
          + 2 * 5 * 8 * 8 * 32 * 32
          + (8 * 16 + 5 * 8 * 16 + 5 * 16 * 16) * 16 * 16
          + (16 * 32 + 5 * 16 * 32 + 5 * 32 * 32) * 8 * 8
          + 32 * 10)
  cost = analysis.count_model(model, TINY)
  assert (cost.params, cost.multiply_adds) == (params, macs) == (11666,
                                                                 1925440)


def test_hand_counted_resnet18_small_psc():
  """ResNet18 (paper 004) at w = 1/8 (8, 16, 32, 64), pSConv KSS 4."""
  model = models.resnet18_cifar_psc4(width=0.125)
  conv_weights = (3 * 3 * 3 * 8                                  # dense stem
           + 4 * 4 * 8 * 8                                # stage 1
           + 4 * (8 * 16 + 3 * 16 * 16) + 8 * 16           # stages 2-4:
           + 4 * (16 * 32 + 3 * 32 * 32) + 16 * 32         # 3x3s, dense 1x1
           + 4 * (32 * 64 + 3 * 64 * 64) + 32 * 64)
  bns = 2 * (8 + 4 * 8 + 5 * 16 + 5 * 32 + 5 * 64)
  assert analysis.count_model(model, TINY).params == (
      conv_weights + bns + 64 * 10 + 10) == 81042


def test_width_override_and_rounding():
  assert resnet.scaled(64, 1.28125) == 82
  assert resnet.scaled(16, 1.3125, 1) == 21
  assert resnet.scaled(16, 1.3125, 2) == 20
  model = models.resnet18_sc(width=0.5, include_top=False)
  assert model.get_layer("conv1_conv").filters == 32
  model = models.resnet32_cifar_scfusion4(width=0.5, include_top=False)
  assert model.get_layer("conv2_block1_1_conv").filters % 4 == 0


def test_input_tensor():
  tensor = keras.Input((32, 32, 3))
  model = models.resnet32_cifar_sc_w1(input_tensor=tensor, classes=4)
  assert model.inputs[0] is tensor and model.output_shape == (None, 4)
