"""VGG-16 family: scFusion (paper 003) and pSConv (paper 004) variants."""

import numpy as np
import pytest
import tensorflow as tf

from sparsezoo_tf import analysis
from sparsezoo_tf import layers
from sparsezoo_tf import models
from sparsezoo_tf.models.families import vgg

# Structure and counts: the op path only (see the Makefile).
pytestmark = pytest.mark.single_path


def _names(model):
  return [layer.name for layer in model.layers[1:]]


def _kinds(model):
  return {type(layer).__name__ for layer in model.layers}


def _count(model, cls):
  return sum(isinstance(layer, cls) for layer in model.layers)


def test_registered_names_and_baselines():
  names = models.list_models("vgg16*")
  for name in ("vgg16", "vgg16_scfusion8", "vgg16_scfusion4_gap",
               "vgg16_cifar_psc4", "vgg16_hc_cifar_psc2", "vgg16_tiny_psc9",
               "vgg16_hc_tiny"):
    assert name in names
  assert models.model_info("vgg16_scfusion8_gap").baseline == "vgg16_gap"
  assert models.model_info("vgg16_hc_tiny_psc4").baseline == "vgg16_hc_tiny"
  info = models.model_info("vgg16_tiny_psc2")
  assert (info.input_shape, info.classes, info.dataset) == (
      (64, 64, 3), 200, "tiny_imagenet")


def test_cifar_psc_forward_pass():
  model = models.vgg16_cifar_psc4(classes=5)
  x = np.random.default_rng(0).standard_normal((2, 32, 32, 3))
  out = model(x.astype(np.float32)).numpy()
  assert out.shape == (2, 5) and np.isfinite(out).all()
  np.testing.assert_allclose(out.sum(-1), 1.0, rtol=1e-5)


def test_gap_model_forward_pass_and_structure():
  model = models.vgg16_scfusion4_gap(input_shape=(32, 32, 3), classes=5)
  names = [layer.name for layer in model.layers]
  assert "block5_pool" not in names and "fc1" not in names
  assert isinstance(model.get_layer("cam_conv"), layers.SCFusion)
  assert model.get_layer("cam_conv").filters == 1024
  out = model(tf.zeros((1, 32, 32, 3)))
  assert out.shape == (1, 5) and np.isfinite(out.numpy()).all()


def test_cifar_endpoints_by_stride():
  model = models.vgg16_cifar_psc2(features_only=True)
  shapes = {k: v[1:] for k, v in model.output_shape.items()}
  assert shapes == {"0": (32, 32, 64), "1": (16, 16, 128),
                    "2": (8, 8, 256), "3": (4, 4, 512), "4": (2, 2, 512),
                    "5": (1, 1, 512)}


def test_imagenet_endpoints_levels_2_to_5_and_gap_stops_at_16():
  model = models.vgg16_scfusion8(features_only=True, input_shape=(64, 64, 3))
  assert {k: v[1:] for k, v in model.output_shape.items()} == {
      "2": (16, 16, 256), "3": (8, 8, 512), "4": (4, 4, 512),
      "5": (2, 2, 512)}
  gap = models.vgg16_gap(features_only=True, input_shape=(64, 64, 3))
  assert {k: v[1:] for k, v in gap.output_shape.items()} == {
      "2": (16, 16, 256), "3": (8, 8, 512), "4": (4, 4, 1024)}


@pytest.mark.parametrize("pooling,shape", [(None, (None, 1, 1, 512)),
                                           ("avg", (None, 512)),
                                           ("max", (None, 512))])
def test_include_top_false_with_pooling(pooling, shape):
  model = models.vgg16_scfusion2(include_top=False, pooling=pooling,
                                 input_shape=(32, 32, 3))
  assert model.output_shape == shape


def test_psc_model_and_baseline_differ_only_in_convolution_types():
  dense = models.vgg16_cifar()
  sparse = models.vgg16_cifar_psc4()
  assert _names(sparse) == _names(dense)
  assert _kinds(sparse) - _kinds(dense) == {"PSConv2D"}
  assert _count(sparse, layers.PSConv2D) == 12
  assert type(sparse.get_layer("block1_conv1")).__name__ == "Conv2D"
  assert all(l.kss == 4 for l in sparse.layers
             if isinstance(l, layers.PSConv2D))


def test_scfusion_model_and_baseline_differ_only_in_convolution_types():
  kwargs = dict(include_top=False, input_shape=(32, 32, 3))
  dense = models.vgg16(**kwargs)
  sparse = models.vgg16_scfusion8(**kwargs)
  assert _names(sparse) == _names(dense)
  assert _kinds(sparse) - _kinds(dense) == {"SCFusion"}
  assert _count(sparse, layers.SCFusion) == 12
  assert all(l.alpha == 8 for l in sparse.layers
             if isinstance(l, layers.SCFusion))
  assert "BatchNormalization" not in _kinds(dense)


def test_half_channel_model_halves_the_convolutions_only():
  model = models.vgg16_hc_cifar_psc9()
  assert model.get_layer("block1_conv1").filters == 32
  assert model.get_layer("block5_conv3").filters == 256
  assert model.get_layer("fc1").units == 4096


@pytest.mark.parametrize("kwargs,error,message", [
    (dict(pooling="sum"), ValueError, "pooling must be one of"),
    (dict(classes=0), ValueError, "classes must be a positive int"),
    (dict(widht=0.5), ValueError, "takes no argument .widht."),
    (dict(scheme="dense"), ValueError, "fixes its argument .scheme."),
    (dict(input_shape=(32, 32, 1)), ValueError, "takes 3 input channels"),
    (dict(input_shape=(64, 64, 3)), ValueError, "flattening head"),
    (dict(include_top=False, input_shape=(16, 16, 3)), ValueError,
     "at least 32"),
])
def test_bad_arguments_say_what_is_wrong(kwargs, error, message):
  with pytest.raises(error, match=message):
    models.create_model("vgg16_cifar_psc4", **kwargs)


def test_scfusion_width_that_cannot_split_fails_clearly():
  with pytest.raises(ValueError, match="n = filters / alpha"):
    models.vgg16_scfusion8(include_top=False, input_shape=(32, 32, 3),
                           width=0.1)


def test_parameter_counts_by_hand():
  # VGG16_HC (convolutions 32..256, with biases and BN) on CIFAR-10, no head.
  convs = [(3, 32), (32, 32), (32, 64), (64, 64), (64, 128), (128, 128),
           (128, 128), (128, 256), (256, 256), (256, 256), (256, 256),
           (256, 256), (256, 256)]
  bias_and_bn = sum(3 * out for _, out in convs)
  dense_kernels = sum(9 * cin * out for cin, out in convs)
  assert dense_kernels == 9 * 408_672 == 3_678_048
  dense = models.vgg16_hc_cifar(include_top=False)
  assert analysis.count_model(dense).params == dense_kernels + bias_and_bn
  # pSC2 keeps 2 of 9 taps in every 3x3 kernel except conv1_1 (dense).
  sparse_kernels = 9 * 3 * 32 + sum(2 * cin * out for cin, out in convs[1:])
  assert sparse_kernels == 864 + 2 * 408_576 == 818_016
  sparse = models.vgg16_hc_cifar_psc2(include_top=False)
  cost = analysis.count_model(sparse)
  assert cost.params == sparse_kernels + bias_and_bn
  # Head: 256 -> 4096 -> 4096 -> 10 with biases.
  head = 256 * 4096 + 4096 + 4096 * 4096 + 4096 + 4096 * 10 + 10
  full = analysis.count_model(models.vgg16_hc_cifar_psc2())
  assert full.params == cost.params + head


def test_scfusion_layer_cost_matches_the_paper_formula():
  # Eq. 1 of paper 003: 2*5*C_in*n + 4n*C_out per pixel, n = C_out / alpha.
  model = models.vgg16_scfusion4(include_top=False, input_shape=(32, 32, 3))
  rows = analysis.count_model(model).rows
  conv = [r for r in rows if r.name.startswith("block2_conv2/")]
  n = 128 // 4
  assert sum(r.multiply_adds for r in conv) == 16 * 16 * (
      10 * 128 * n + 4 * n * 128)


def test_builder_names_and_rejects_unknown_schemes_and_variants():
  assert vgg.model_name("psc4", "tiny", width=0.5) == "vgg16_hc_tiny_psc4"
  assert vgg.model_name("scfusion8", "imagenet", gap=True) == (
      "vgg16_scfusion8_gap")
  assert vgg.model_name("dense", "cifar", width=0.25) == "vgg16_w0.25_cifar"
  with pytest.raises(ValueError, match="unknown scheme 'nope'"):
    vgg.vgg16_net("nope", "cifar")
  with pytest.raises(ValueError, match="variant must be one of"):
    vgg.vgg16_net("dense", "mnist")
