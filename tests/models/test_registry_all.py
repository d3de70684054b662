"""Every registered model works (timm's tests/test_models.py): it builds,
runs a forward pass at a small input, its parameter counts agree between
Keras and `analysis.count_model` (and, at its default input, with what
`model_info` and the zoo table say), and it round-trips
`get_config`/`from_config` and `.keras`.

Parameterized from `models.list_models()`. Building all 167 models takes
minutes on 2 cores, so CI runs one representative per family and scheme
kind (psc2/4/9 are one kind, as are scfusion2/4/8 and the group counts of
paper 001's units): the cheapest of its group by the size numbers in its
name (depth, width, channels); every other model, the default-size builds and the `.keras`
round trip of every model are `slow`. A model that cannot do something is
in `FIXED_HEAD` or `TOO_LARGE_TO_ALLOCATE` with the reason; an entry that
matches no registered model fails `test_every_exclusion_matches_a_model`.

Paper counts are checked by tests/models/test_paper_tables.py, not here.
"""

import collections
import fnmatch
import re
from typing import Dict, List

import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras

from sparsezoo_tf import analysis
from sparsezoo_tf import layers
from sparsezoo_tf import models

BATCH = 2
CLASSES = 3
# The smallest rows/cols every ImageNet, CIFAR and Tiny ImageNet family
# takes (ResNet, the sparse kernel nets and VGG's five poolings need 32);
# the digits models run at their own 8x8.
SMALL_SIZE = 32

# Models whose classifier flattens a fixed-size map (VGG's FC head, paper
# 004's Tiny ImageNet ResNet-18): with `include_top=True` they only take
# their default input, so the small forward pass uses `include_top=False,
# pooling="avg"`, and `test_fixed_head_models_run_at_their_size` (slow)
# runs the head at the default input.
FIXED_HEAD = {
    "vgg16": "flattening FC head (7x7x512 -> 4096) at 224x224",
    "vgg16_scfusion[0-9]": "VGG-16's flattening FC head at 224x224",
    "vgg16*_tiny*": "VGG-16's flattening FC head at Tiny ImageNet's 64x64",
    "resnet18*_tiny*": "paper 004's flattening head at 64x64",
}

# Dense baselines of paper 001 whose weights alone need >= 0.78 GB (195 M
# to 1.5 G parameters at any input size: the count is in the 3x3
# convolutions): built in a throwaway graph, never allocated, so no forward
# pass and no `.keras` file; counts and config round trip are checked.
TOO_LARGE_TO_ALLOCATE = {
    name: f"{params / 1e6:,.0f} M parameters"
    for name, params in (("skn_standard_w512_b8", 1_509_589_480),
                         ("skn_standard_w256_b8", 378_487_528),
                         ("skn_standard_w560_b2", 365_832_760),
                         ("skn_standard_w200_b8", 231_383_200),
                         ("skn_standard_w128_b16", 195_498_856),
                         ("skn_standard_w700_b1", 195_294_700))
}


def _matches(name: str, patterns: Dict[str, str]) -> bool:
  return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def _size_key(name: str):
  """Cost proxy from the name: the sum of its numbers (depth, width,
  channels, blocks), then the name."""
  return sum(int(n) for n in re.findall(r"\d+", name)), name


def _scheme_kind(scheme: str) -> str:
  """The scheme without its numeric knob: "psc4" -> "psc#",
  "pw_gconv64_pw" -> "pw_gconv#_pw", "scfusion8" -> "scfusion#" (one layer
  code, parameterized by the number; "igcv1" and "igcv2" stay apart)."""
  return re.sub(r"(gconv|psc|scfusion)\d+", r"\1#", scheme)


def _group(name: str):
  info = models.model_info(name)
  return info.family, _scheme_kind(info.scheme)


def _representatives() -> List[str]:
  """The cheapest model (by `_size_key`) of each (family, scheme kind)."""
  groups = collections.defaultdict(list)
  for name in models.list_models():
    if name not in TOO_LARGE_TO_ALLOCATE:
      groups[_group(name)].append(name)
  return sorted(min(names, key=_size_key) for names in groups.values())


REPRESENTATIVES = _representatives()
# `.keras` round trips in CI: one sparse model per family (the cheapest);
# the serialization of each sparse layer is tested in tests/layers/, this
# checks that a whole model of every family saves and loads. Every model:
# `test_keras_file_round_trip_every_model` (slow).
KERAS_FILE_SUBSET = sorted(
    min((n for n in REPRESENTATIVES
         if models.model_info(n).family == family
         and models.model_info(n).scheme != "dense"), key=_size_key)
    for family in {models.model_info(n).family for n in REPRESENTATIVES})


def _params(names, representatives=()):
  """pytest params: `slow` unless in `representatives`; `single_path` for
  dense models, which use no sparse op (their forward pass does not depend
  on the op / reference path)."""
  params = []
  for name in names:
    marks = []
    if name not in representatives:
      marks.append(pytest.mark.slow)
    if models.model_info(name).scheme == "dense":
      marks.append(pytest.mark.single_path)
    params.append(pytest.param(name, id=name, marks=marks))
  return params


ALLOCATABLE = [n for n in models.list_models()
               if n not in TOO_LARGE_TO_ALLOCATE]


def _small_kwargs(name: str) -> dict:
  info = models.model_info(name)
  size = min(SMALL_SIZE, info.input_shape[0])
  kwargs = dict(weights=None, classes=CLASSES, classifier_activation=None,
                input_shape=(size, size, info.input_shape[2]))
  if _matches(name, FIXED_HEAD):
    kwargs.update(include_top=False, pooling="avg")
  return kwargs


def _inputs(model: keras.Model) -> np.ndarray:
  shape = (BATCH,) + tuple(model.input_shape[1:])
  return np.random.default_rng(0).standard_normal(shape).astype(np.float32)


@pytest.fixture(scope="module", params=_params(ALLOCATABLE, REPRESENTATIVES))
def small(request):
  """(name, model built eagerly at a small input with CLASSES logits):
  module-scoped, so that the tests of one model share one build."""
  name = request.param
  model = models.create_model(name, **_small_kwargs(name))
  yield name, model
  del model
  keras.backend.clear_session()


def test_forward_pass_at_a_small_input(small):
  name, model = small
  x = _inputs(model)
  y = model(x, training=False).numpy()
  assert np.isfinite(y).all(), f"{name}: non-finite outputs"
  if _matches(name, FIXED_HEAD):
    # include_top=False, pooling="avg": one feature vector per image.
    assert y.ndim == 2 and y.shape[0] == BATCH and y.shape[1] > 0, y.shape
  else:
    assert y.shape == (BATCH, CLASSES)
  # Logits (classifier_activation=None): a softmax saturates to one-hot
  # rows in the deep plain nets of paper 001 at initialization.
  assert np.ptp(y, axis=0).max() > 0, f"{name}: output ignores the input"


@pytest.mark.single_path
def test_parameter_counts_and_structure(small):
  """Keras and `count_model` agree; a dense model has no sparse layer."""
  name, model = small
  cost = analysis.count_model(model)
  trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
  assert cost.params == trainable, name
  assert model.count_params() == cost.params + cost.non_trainable_params, (
      f"{name}: count_params() {model.count_params():,}, count_model "
      f"{cost.params:,} + {cost.non_trainable_params:,} non-trainable")
  assert not cost.unknown_classes, (
      f"{name}: count_model counts no multiply-adds for "
      f"{cost.unknown_classes}")
  assert model.input_shape[-1] == models.model_info(name).input_shape[-1]
  if models.model_info(name).scheme == "dense":
    # Why a dense model's forward pass runs on one path only.
    sparse = [layer.name for layer in model.submodules
              if isinstance(layer, layers.SparseConv2DBase)]
    assert not sparse, f"{name}: dense model with sparse layers {sparse}"


@pytest.mark.single_path
def test_config_round_trip(small):
  name, model = small
  config = model.get_config()
  clone = type(model).from_config(config)
  assert clone.to_json() == model.to_json(), name
  assert clone.count_params() == model.count_params()
  clone.set_weights(model.get_weights())
  x = _inputs(model)
  np.testing.assert_allclose(clone(x, training=False).numpy(),
                             model(x, training=False).numpy(),
                             rtol=1e-5, atol=1e-6)


def _keras_file_round_trip(name: str, tmp_path):
  model = models.create_model(name, **_small_kwargs(name))
  path = str(tmp_path / f"{name}.keras")
  model.save(path)
  loaded = keras.models.load_model(path)
  assert loaded.to_json() == model.to_json(), name
  x = _inputs(model)
  np.testing.assert_allclose(loaded(x, training=False).numpy(),
                             model(x, training=False).numpy(),
                             rtol=1e-5, atol=1e-6)
  keras.backend.clear_session()


@pytest.mark.single_path
@pytest.mark.parametrize("name", KERAS_FILE_SUBSET)
def test_keras_file_round_trip(name, tmp_path):
  _keras_file_round_trip(name, tmp_path)


@pytest.mark.slow
@pytest.mark.single_path
@pytest.mark.parametrize(
    "name", [n for n in ALLOCATABLE if n not in KERAS_FILE_SUBSET])
def test_keras_file_round_trip_every_model(name, tmp_path):
  _keras_file_round_trip(name, tmp_path)


@pytest.mark.slow
@pytest.mark.single_path
@pytest.mark.parametrize("name", models.list_models())
def test_default_model_matches_model_info_and_counts(name):
  """At its default input (no arguments), in a throwaway graph as the zoo
  table builds it: the input and classes of `model_info`, and Keras'
  count equals `count_model`'s (which the zoo table and the paper-table
  test use)."""
  info = models.model_info(name)
  with tf.Graph().as_default():
    tf.random.set_seed(0)
    model = models.create_model(name, weights=None)
    assert model.input_shape == (None,) + tuple(info.input_shape), name
    assert model.output_shape == (None, info.classes), name
    cost = analysis.count_model(model, info.input_shape)
    assert model.count_params() == (cost.params +
                                    cost.non_trainable_params), name
    assert cost.params == sum(int(np.prod(w.shape))
                              for w in model.trainable_weights), name
    assert cost.multiply_adds > 0, name


@pytest.mark.slow
@pytest.mark.single_path
@pytest.mark.parametrize("name", sorted(TOO_LARGE_TO_ALLOCATE))
def test_too_large_models_build_count_and_round_trip_config(name):
  """Built at a small input in a throwaway graph (no variable is ever
  initialized): counts agree and the config round-trips."""
  with tf.Graph().as_default():
    tf.random.set_seed(0)
    model = models.create_model(name, **_small_kwargs(name))
    assert model.output_shape == (None, CLASSES)
    cost = analysis.count_model(model)
    assert model.count_params() == (cost.params +
                                    cost.non_trainable_params), name
    clone = type(model).from_config(model.get_config())
    assert clone.to_json() == model.to_json(), name


@pytest.mark.single_path
@pytest.mark.parametrize(
    "name", [n for n in models.list_models() if _matches(n, FIXED_HEAD)])
def test_fixed_head_models_refuse_other_sizes(name):
  """Every `FIXED_HEAD` model really has one (else it must leave the
  list): with its head, a small input is refused before anything is
  built."""
  info = models.model_info(name)
  with pytest.raises(ValueError, match="flattening head needs input_shape "
                     + re.escape(str(tuple(info.input_shape)))):
    models.create_model(name, weights=None,
                        input_shape=(SMALL_SIZE, SMALL_SIZE,
                                     info.input_shape[2]))


@pytest.mark.slow
@pytest.mark.parametrize(
    "name", [n for n in models.list_models() if _matches(n, FIXED_HEAD)])
def test_fixed_head_models_run_at_their_size(name):
  model = models.create_model(name, weights=None, classes=CLASSES)
  y = model(_inputs(model), training=False).numpy()
  assert y.shape == (BATCH, CLASSES) and np.isfinite(y).all(), name
  np.testing.assert_allclose(y.sum(-1), 1.0, rtol=1e-5)
  keras.backend.clear_session()


@pytest.mark.single_path
def test_every_exclusion_matches_a_model():
  names = models.list_models()
  for table in (FIXED_HEAD, TOO_LARGE_TO_ALLOCATE):
    stale = [p for p in table if not fnmatch.filter(names, p)]
    assert not stale, f"exclusions matching no registered model: {stale}"


@pytest.mark.single_path
def test_representatives_cover_every_family_and_scheme_kind():
  assert {_group(n) for n in REPRESENTATIVES} == {
      _group(n) for n in ALLOCATABLE}
  assert len(REPRESENTATIVES) == len(set(map(_group, REPRESENTATIVES)))
  assert {models.model_info(n).family for n in KERAS_FILE_SUBSET} == {
      models.model_info(n).family for n in models.list_models()}
