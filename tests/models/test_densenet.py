"""DenseNet family: SW-SC / CW-SC (paper 000) and scFusion (paper 003)."""

import numpy as np
import pytest
import tensorflow as tf

from sparsezoo_tf import analysis
from sparsezoo_tf import layers
from sparsezoo_tf import models
from sparsezoo_tf.models.families import densenet

# Structure and counts: the op path only (see the Makefile).
pytestmark = pytest.mark.single_path


def _names(model):
  return [layer.name for layer in model.layers[1:]]


def _kinds(model):
  return {type(layer).__name__ for layer in model.layers}


@pytest.fixture(scope="module")
def bc100_pair():
  return models.densenet100_cifar(), models.densenet100_cifar_sc()


@pytest.fixture(scope="module")
def d40_pair():
  return models.densenet40_cifar(), models.densenet40_cifar_scfusion2()


def test_registered_names_and_baselines():
  assert models.list_models("densenet*") == [
      "densenet100_cifar", "densenet100_cifar_sc", "densenet121",
      "densenet121_sc", "densenet40_cifar", "densenet40_cifar_scfusion2",
      "densenet40_cifar_scfusion4"]
  assert models.model_info("densenet121_sc").baseline == "densenet121"
  info = models.model_info("densenet40_cifar_scfusion4")
  assert (info.baseline, info.input_shape, info.classes) == (
      "densenet40_cifar", (32, 32, 3), 10)


def test_forward_pass(bc100_pair):
  model = models.densenet40_cifar_scfusion4(classes=5)
  x = np.random.default_rng(0).standard_normal((2, 32, 32, 3))
  out = model(x.astype(np.float32)).numpy()
  assert out.shape == (2, 5) and np.isfinite(out).all()
  np.testing.assert_allclose(out.sum(-1), 1.0, rtol=1e-5)
  out = bc100_pair[1](tf.zeros((1, 32, 32, 3)))
  assert out.shape == (1, 10) and np.isfinite(out.numpy()).all()


def test_sparse_model_and_baseline_differ_only_in_convolution_types(
    bc100_pair):
  dense, sparse = bc100_pair
  assert _names(sparse) == _names(dense)
  assert _kinds(sparse) - _kinds(dense) == {"SparseComplementaryConv2D"}
  modes = [l.mode for l in sparse.layers
           if isinstance(l, layers.SparseComplementaryConv2D)]
  assert modes.count("cw_sc") == 48 and modes.count("sw_sc") == 48
  assert all(l.kernel_size == (1, 1) for l in sparse.layers
             if getattr(l, "mode", None) == "cw_sc")
  for name in ("conv1_conv", "pool2_conv", "pool3_conv"):
    assert type(sparse.get_layer(name)).__name__ == "Conv2D"
  assert sparse.get_layer("conv2_block1_2_conv").filters == 16


def test_scfusion_model_uses_scfusion_on_every_3x3(d40_pair):
  dense, sparse = d40_pair
  assert _names(sparse) == _names(dense)
  assert _kinds(sparse) - _kinds(dense) == {"SCFusion"}
  fusions = [l for l in sparse.layers if isinstance(l, layers.SCFusion)]
  assert len(fusions) == 36
  assert {(l.filters, l.base_kernels) for l in fusions} == {(12, 6)}


def test_cifar_endpoints_by_stride():
  model = models.densenet100_cifar(features_only=True)
  shapes = {k: v[1:] for k, v in model.output_shape.items()}
  # 24 + 16*12 = 216 -> 108 + 192 = 300 -> 150 + 192 = 342.
  assert shapes == {"0": (32, 32, 216), "1": (16, 16, 300), "2": (8, 8, 342)}


def test_densenet121_sc_endpoints_and_layers():
  model = models.densenet121_sc(features_only=True, input_shape=(64, 64, 3))
  shapes = {k: v[1:] for k, v in model.output_shape.items()}
  # k' = 42, stem 84: 84 + 6*42 = 336 -> 168 + 12*42 = 672 -> 336 + 24*42
  # = 1344 -> 672 + 16*42 = 1344.
  assert shapes == {"2": (16, 16, 336), "3": (8, 8, 672), "4": (4, 4, 1344),
                    "5": (2, 2, 1344)}
  sc = [l for l in model.layers
        if isinstance(l, layers.SparseComplementaryConv2D)]
  assert len(sc) == 2 * (6 + 12 + 24 + 16)
  assert model.get_layer("conv1_conv").kernel_size == (7, 7)


def test_include_top_false_with_pooling(d40_pair):
  assert d40_pair[0].get_layer("final_relu").output_shape == (None, 8, 8,
                                                              448)
  for pooling in ("avg", "max"):
    model = models.densenet40_cifar(include_top=False, pooling=pooling)
    assert model.output_shape == (None, 448)


@pytest.mark.parametrize("name,kwargs,error,message", [
    ("densenet40_cifar", dict(pooling="sum"), ValueError,
     "pooling must be one of"),
    ("densenet40_cifar", dict(classes=0), ValueError,
     "classes must be a positive int"),
    ("densenet40_cifar", dict(growth=2), ValueError,
     "takes no argument .growth."),
    ("densenet40_cifar", dict(input_shape=(32, 32, 1)), ValueError,
     "takes 3 input channels"),
    ("densenet121", dict(input_shape=(16, 16, 3)), ValueError,
     "at least 32"),
    # k = 15: the stem's 30 channels and the first layer's 15 give 45.
    ("densenet100_cifar_sc", dict(width=1.25), ValueError,
     "block 1 layer 2's 1x1 cw_sc convolution gets 45 input channels, not "
     "a multiple of 2"),
    # k = 14: 28 + 16*14 = 252 -> 126 + 224 = 350 -> 175, odd.
    ("densenet100_cifar_sc", dict(width=1.17), ValueError,
     "block 3 layer 1's 1x1 cw_sc convolution gets 175 input channels"),
    ("densenet40_cifar_scfusion4", dict(width=1.5), ValueError,
     "3x3 scfusion4 convolution needs a multiple of 4 output channels; the "
     "growth rate 18 gives 18"),
])
def test_bad_arguments_say_what_is_wrong(name, kwargs, error, message):
  with pytest.raises(error, match=message):
    models.create_model(name, **kwargs)


def test_parameter_counts_by_hand(d40_pair):
  # DenseNet-40: stem 3x3 3->16; 3 blocks of 12 BN-ReLU-3x3 (k = 12) layers
  # whose inputs sum to 12*16 + 792, 12*160 + 792, 12*304 + 792 channels;
  # transitions 160->160, 304->304; BN everywhere; FC 448->10.
  inputs = 984 + 2712 + 4440
  kernels_3x3 = 9 * 12 * inputs
  rest = (27 * 16 + 160 * 160 + 304 * 304 + 448 * 10 + 10 +
          2 * inputs + 2 * (160 + 304) + 2 * 448)
  assert kernels_3x3 + rest == 1_019_722
  assert analysis.count_model(d40_pair[0]).params == 1_019_722
  # scFusion-2: n = 6; SW-SC 5 taps x C_in x 2n, then 1x1 4n -> 12.
  fused = 5 * inputs * 12 + 36 * 24 * 12
  sparse = analysis.count_model(d40_pair[1])
  assert sparse.params == fused + rest == 639_562


def test_builder_takes_other_policy_schemes():
  model = densenet.densenet("densenet40_cifar", "sc_comb", include_top=False)
  modes = [l.mode for l in model.layers
           if isinstance(l, layers.SparseComplementaryConv2D)]
  assert modes == ["sc_comb"] * 36
  assert model.name == "densenet40_cifar_sc_comb"
  with pytest.raises(ValueError, match="unknown scheme 'nope'"):
    densenet.densenet("densenet40_cifar", "nope")
  with pytest.raises(ValueError, match="architecture must be one of"):
    densenet.densenet("densenet264")
