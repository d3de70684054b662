"""sparsify on small hand-built models: every scheme, the layers it keeps,
the weights it copies, the widths under `match`, the report and the
errors."""

import re
import warnings

import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras

import sparsezoo_tf
from sparsezoo_tf import keras_compat
from sparsezoo_tf import layers as sz_layers
from sparsezoo_tf import schemes
from sparsezoo_tf.analysis import counting
from sparsezoo_tf.conversion import widths
from sparsezoo_tf.models import convs

# One concrete name per registered family, so that every scheme the
# registry builds is converted below.
FAMILY_EXAMPLES = {
    "<design>": ["dw_pw", "pwgconv4_dw_pwgconv4", "gconv4_pwgconv4"],
    "group<groups>": ["group4"],
    "group<groups>_shuffle": ["group2_shuffle"],
    "psc<kss>": ["psc4"],
    "scfusion<alpha>": ["scfusion2", "scfusion4"],
}


def _all_schemes():
  names = []
  for name in schemes.list_schemes():
    if "<" in name:
      names.extend(FAMILY_EXAMPLES.get(name, [f"missing example: {name}"]))
    else:
      names.append(name)
  return names


def residual_cnn(name="residual_cnn"):
  """A small functional CNN: dense stem, a residual block with a 3x3 (bias,
  ReLU) and a 1x1, a strided 3x3, pooling and a classifier."""
  inputs = keras.Input((8, 8, 4), name="image")
  x = keras.layers.Conv2D(16, 3, padding="same", name="stem")(inputs)
  x = keras.layers.BatchNormalization(name="stem_bn")(x)
  x = keras.layers.ReLU(name="stem_relu")(x)
  y = keras.layers.Conv2D(16, 3, padding="same", activation="relu",
                          name="body3")(x)
  y = keras.layers.Conv2D(16, 1, use_bias=False, name="body1")(y)
  y = keras.layers.BatchNormalization(name="body1_bn")(y)
  x = keras.layers.Add(name="add")([x, y])
  x = keras.layers.Conv2D(32, 3, strides=2, padding="same", use_bias=False,
                          name="down")(x)
  x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
  outputs = keras.layers.Dense(3, name="logits")(x)
  return keras.Model(inputs, outputs, name=name)


def _inputs(model, batch=2, seed=0):
  shape = [batch] + model.inputs[0].shape.as_list()[1:]
  return tf.random.stateless_normal(shape, [seed, 1])


def _activations(model, layer):
  """The input and output of a layer of a functional/Sequential model."""
  probe = keras.Model(model.inputs, [layer.input, layer.output])
  return probe(_inputs(model))


def _rows(report):
  return {row.name: row for row in report.rows}


# Every scheme --------------------------------------------------------------

@pytest.mark.parametrize("scheme", _all_schemes())
def test_every_scheme_converts_a_cnn(scheme):
  assert not scheme.startswith("missing"), (
      f"{scheme}: add an example of this family to FAMILY_EXAMPLES")
  model = residual_cnn()
  new, report = sparsezoo_tf.sparsify(model, scheme)
  entry = schemes.get_scheme(scheme)
  rows = _rows(report)
  assert new.output_shape == model.output_shape
  assert np.isfinite(new(_inputs(model)).numpy()).all()
  assert not rows["stem"].converted and "stem" in rows["stem"].reason
  spatial = 0  # k x k convolutions so far (for the sequence schemes)
  for name in ("body3", "body1", "down"):
    layer = model.get_layer(name)
    part = entry.for_conv(layer.kernel_size, spatial)
    spatial += layer.kernel_size != (1, 1)
    row = rows[name]
    if part.name == "dense":
      assert not row.converted and "dense" in row.reason
      continue
    assert row.converted, (name, row.reason)
    assert row.scheme == part.name
    new_layer = new.get_layer(name)
    assert isinstance(new_layer, convs.layer_class(part))
    assert row.params_after == sum(
        int(np.prod(w.shape)) for w in new_layer.trainable_weights)
    if isinstance(new_layer, sz_layers.SparseConv2DBase):
      # The independent reference: tf.nn.conv2d with the masked kernel.
      x, y = _activations(new, new_layer)
      expected = tf.nn.conv2d(x, new_layer.dense_kernel(),
                              new_layer.strides, new_layer.padding.upper())
      if new_layer.use_bias:
        expected = tf.nn.bias_add(expected, new_layer.bias)
      expected = new_layer.activation(expected)
      np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)
      # The original kernel at the existing positions, zeros elsewhere.
      support = new_layer.plan.support
      np.testing.assert_array_equal(
          new_layer.dense_kernel().numpy(),
          np.where(support, layer.kernel.numpy(), 0.0))
      assert support.sum() == new_layer.plan.num_weights < support.size
      assert row.weights == "masked copy"
    else:
      assert row.weights == "re-initialized"
      assert name in report.reinitialized


@pytest.mark.single_path
def test_sequence_schemes_alternate_over_the_kxk_convolutions():
  inputs = keras.Input((6, 6, 2))
  x = keras.layers.Conv2D(4, 3, padding="same", name="stem")(inputs)
  for index in range(4):
    x = keras.layers.Conv2D(4, 3, padding="same", name=f"c{index}")(x)
    x = keras.layers.Conv2D(4, 1, name=f"p{index}")(x)
  _, report = sparsezoo_tf.sparsify(keras.Model(inputs, x), "sc_seq")
  rows = _rows(report)
  assert [rows[f"c{i}"].scheme for i in range(4)] == [
      "seq_plus", "seq_cross", "seq_plus", "seq_cross"]
  assert all(not rows[f"p{i}"].converted for i in range(4))


@pytest.mark.single_path
def test_psconv_seeds_come_from_the_layer_names():
  new, _ = sparsezoo_tf.sparsify(residual_cnn(), "psc4", seed=5)
  layer = new.get_layer("body3")
  assert isinstance(layer, sz_layers.PSConv2D)
  assert layer.seed == convs.layer_seed("body3", 5)
  assert layer.kss == 4


# Kept layers ---------------------------------------------------------------

def awkward_cnn():
  inputs = keras.Input((10, 10, 3))
  x = keras.layers.Rescaling(1 / 255.0, name="rescale")(inputs)
  x = keras.layers.ZeroPadding2D(1, name="pad")(x)
  x = keras.layers.Conv2D(12, 3, name="stem")(x)
  x = keras.layers.Conv2D(12, 3, padding="same", dilation_rate=2,
                          name="dilated")(x)
  x = keras.layers.Conv2D(12, 3, padding="same", groups=3, name="grouped")(x)
  x = keras.layers.DepthwiseConv2D(3, padding="same", name="depthwise")(x)
  x = keras.layers.SeparableConv2D(12, 3, padding="same", name="separable")(x)
  x = keras.layers.Conv2D(12, (1, 3), padding="same", name="one_by_three")(x)
  x = keras.layers.Conv2D(15, 1, name="odd")(x)
  x = keras.layers.Conv2D(14, 1, name="after_odd")(x)
  x = keras.layers.Conv2D(12, 3, padding="same", name="plain")(x)
  return keras.Model(inputs, x, name="awkward")


@pytest.mark.single_path
def test_layers_it_cannot_convert_are_kept_with_the_reason():
  model = awkward_cnn()
  new, report = sparsezoo_tf.sparsify(model, "sc")
  rows = _rows(report)
  expected = {
      "stem": "stem", "dilated": "dilation_rate", "grouped": "groups=3",
      "depthwise": "no depthwise form", "separable": "only Conv2D",
      "one_by_three": "sw_sc", "odd": "cw_sc", "after_odd": "cw_sc",
  }
  for name, text in expected.items():
    assert not rows[name].converted, name
    assert text in rows[name].reason, (name, rows[name].reason)
    assert type(new.get_layer(name)) is type(model.get_layer(name))  # pylint: disable=unidiomatic-typecheck
    assert rows[name].weights == "copied"
    for old, fresh in zip(model.get_layer(name).get_weights(),
                          new.get_layer(name).get_weights()):
      np.testing.assert_array_equal(old, fresh)
  assert "divisible by 2" in rows["odd"].reason
  assert rows["plain"].converted and rows["plain"].scheme == "sw_sc"
  assert [r.name for r in report.kept] == list(expected)
  text = str(report)
  for name, row in rows.items():
    assert name in text
    if not row.converted:
      assert row.reason[:30] in text
  np.testing.assert_allclose(
      new(_inputs(model)).numpy().shape, model(_inputs(model)).numpy().shape)


@pytest.mark.single_path
def test_include_exclude_and_convert_stem():
  model = residual_cnn()
  _, report = sparsezoo_tf.sparsify(model, "sc", include=["body*"])
  assert [r.name for r in report.converted] == ["body3", "body1"]
  assert "include" in _rows(report)["down"].reason
  _, report = sparsezoo_tf.sparsify(model, "sc", exclude="body1")
  assert [r.name for r in report.converted] == ["body3", "down"]
  assert "exclude" in _rows(report)["body1"].reason
  _, report = sparsezoo_tf.sparsify(
      model, "sc", include=lambda layer: layer.kernel_size == (3, 3),
      convert_stem=True)
  assert [r.name for r in report.converted] == ["stem", "body3", "down"]
  with pytest.raises(ValueError, match="matches no convolution"):
    sparsezoo_tf.sparsify(model, "sc", exclude="bdoy*")


# Weights, Sequential models, serialization --------------------------------

@pytest.mark.single_path
def test_kept_layers_keep_their_weights_and_the_function_is_the_masked_one():
  model = residual_cnn()
  model(_inputs(model))
  new, report = sparsezoo_tf.sparsify(model, "sc")
  for name in ("stem", "stem_bn", "body1_bn", "logits"):
    for old, fresh in zip(model.get_layer(name).get_weights(),
                          new.get_layer(name).get_weights()):
      np.testing.assert_array_equal(old, fresh)
  assert report.reinitialized == ()
  # Masking the original kernels as the schemes do gives the new model.
  for name in ("body3", "body1", "down"):
    layer = model.get_layer(name)
    mask = new.get_layer(name).plan.support
    layer.kernel.assign(np.where(mask, layer.kernel.numpy(), 0.0))
  x = _inputs(model)
  np.testing.assert_allclose(new(x), model(x), rtol=1e-4, atol=1e-5)


def sequential_cnn():
  return keras.Sequential([
      keras.Input((12, 12, 3)),
      keras.layers.Conv2D(8, 3, activation="relu", name="c1"),
      keras.layers.Conv2D(16, 3, padding="same", activation="relu",
                          name="c2"),
      keras.layers.MaxPooling2D(name="pool"),
      keras.layers.Conv2D(16, 1, activation="relu", name="c3"),
      keras.layers.Flatten(name="flatten"),
      keras.layers.Dense(4, name="out"),
  ], name="sequential_cnn")


def test_sequential_model_stays_sequential_and_round_trips(tmp_path):
  model = sequential_cnn()
  new, report = sparsezoo_tf.sparsify(model, "scfusion4")
  assert isinstance(new, keras.Sequential)
  assert [l.name for l in new.layers] == [
      "c1", "c2", "c2_act", "pool", "c3", "flatten", "out"]
  assert isinstance(new.get_layer("c2"), sz_layers.SCFusion)
  assert _rows(report)["c2"].new_class == "SCFusion+Activation"
  assert "Sequential" in " ".join(report.notes)
  x = _inputs(model)
  with tf.GradientTape() as tape:
    loss = tf.reduce_sum(new(x, training=True)**2)
  grads = tape.gradient(loss, new.trainable_weights)
  assert all(g is not None and np.isfinite(g.numpy()).all() for g in grads)
  path = str(tmp_path / "sequential.keras")
  new.save(path)
  loaded = keras.models.load_model(path)
  assert isinstance(loaded, keras.Sequential)
  np.testing.assert_allclose(loaded(x), new(x), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("scheme", ["sc", "psc4", "igcv2", "sc_seq"])
def test_functional_round_trip(scheme, tmp_path):
  new, _ = sparsezoo_tf.sparsify(residual_cnn(), scheme)
  path = str(tmp_path / "model.keras")
  new.save(path)
  loaded = keras.models.load_model(path)
  x = _inputs(new)
  np.testing.assert_allclose(loaded(x), new(x), rtol=1e-5, atol=1e-6)


# Widths under match --------------------------------------------------------

def tied_cnn():
  """Residual adds, a concatenation, an output convolution and a Reshape."""
  inputs = keras.Input((8, 8, 3), name="image")
  x = keras.layers.Conv2D(16, 3, padding="same", name="stem")(inputs)
  y = keras.layers.Conv2D(16, 3, padding="same", name="a")(x)
  y = keras.layers.BatchNormalization(name="a_bn")(y)
  x = keras.layers.Add(name="add")([x, y])
  z = keras.layers.Conv2D(8, 1, name="b")(x)
  x = keras.layers.Concatenate(name="concat")([x, z])
  x = keras.layers.Conv2D(24, 3, padding="same", name="c")(x)
  r = keras.layers.Conv2D(4, 3, strides=4, padding="same", name="to_reshape")(x)
  r = keras.layers.Reshape((16,), name="reshape")(r)
  head = keras.layers.Conv2D(6, 3, padding="same", name="head")(x)
  pooled = keras.layers.GlobalAveragePooling2D(name="pool")(x)
  logits = keras.layers.Dense(5, name="logits")(
      keras.layers.Concatenate(name="join")([pooled, r]))
  return keras.Model(inputs, [logits, head], name="tied")


@pytest.mark.single_path
@pytest.mark.parametrize("match", ["flops", "params"])
def test_match_widens_tied_channels_together(match):
  model = tied_cnn()
  new, report = sparsezoo_tf.sparsify(model, "sc", match=match)
  rows = _rows(report)
  before, after = counting.count_model(model), counting.count_model(new)
  cost = (lambda c: c.multiply_adds) if match == "flops" else (
      lambda c: c.params)
  assert report.within_tolerance
  assert abs(cost(after) / cost(before) - 1) <= report.tolerance
  assert report.multiplier > 1.05
  # The stem and the Add-tied convolution widen together, to even widths.
  stem, a = new.get_layer("stem"), new.get_layer("a")
  assert stem.filters == a.filters > 16 and a.filters % 2 == 0
  assert new.get_layer("b").filters % 2 == 0
  # The concatenation feeding "c" is the sum of its parts.
  assert rows["c"].channels_after[0] == stem.filters + new.get_layer(
      "b").filters
  # Outputs and Reshape inputs keep their widths; Dense keeps its units.
  assert new.get_layer("head").filters == 6
  assert new.get_layer("to_reshape").filters == 4
  assert new.get_layer("logits").units == 5
  assert [o.shape.as_list() for o in new.outputs] == [
      o.shape.as_list() for o in model.outputs]
  assert set(report.reinitialized) >= {"stem", "a", "a_bn", "logits"}
  assert f"match={match!r}" in str(report)


@pytest.mark.single_path
def test_match_rounds_to_the_scheme_multiple():
  _, report = sparsezoo_tf.sparsify(residual_cnn(), "scfusion4",
                                    match="flops")
  rows = _rows(report)
  assert rows["body3"].converted
  assert rows["body3"].channels_after[1] % 4 == 0
  assert report.within_tolerance


@pytest.mark.single_path
def test_unreachable_tolerance_warns_and_says_so():
  model = residual_cnn()
  with pytest.warns(UserWarning, match="no width multiplier"):
    _, report = sparsezoo_tf.sparsify(model, "sc", match="flops",
                                      tolerance=1e-7)
  assert report.within_tolerance is False
  assert "NOT within" in str(report)


@pytest.mark.single_path
def test_search_multiplier():
  def cost(w):
    return 1000 * widths.round_width(100, w, 2)**2

  result = widths.search_multiplier(cost, 1000 * 150**2, 0.02)
  assert result.within_tolerance
  assert abs(result.multiplier - 1.5) < 0.03
  assert len(result.evaluations) <= 6
  coarse = widths.search_multiplier(lambda w: 100 * round(w), 150, 0.01)
  assert not coarse.within_tolerance
  assert coarse.cost in (100, 200)
  assert widths.round_width(64, 1.28125, 2) == 82
  assert widths.round_width(3, 0.1, 4) == 4


@pytest.mark.single_path
def test_counts_need_static_shapes_for_match():
  inputs = keras.Input((None, None, 3))
  x = keras.layers.Conv2D(8, 3, name="stem")(inputs)
  x = keras.layers.Conv2D(8, 3, name="body")(x)
  model = keras.Model(inputs, x)
  _, report = sparsezoo_tf.sparsify(model, "sc")
  assert report.macs_before is None and report.params_before > 0
  assert "?" in str(report)
  with pytest.raises(ValueError, match="input_shape"):
    sparsezoo_tf.sparsify(model, "sc", match="flops")
  _, report = sparsezoo_tf.sparsify(model, "sc", match="flops",
                                    input_shape=(16, 16, 3), tolerance=0.1)
  assert report.macs_before == counting.count_model(
      model, (16, 16, 3)).multiply_adds


# The report ----------------------------------------------------------------

@pytest.mark.single_path
def test_report_totals_and_table(capsys):
  model = residual_cnn()
  new, report = sparsezoo_tf.sparsify(model, "sc")
  before, after = counting.count_model(model), counting.count_model(new)
  assert (report.params_before, report.params_after) == (before.params,
                                                         after.params)
  assert (report.macs_before, report.macs_after) == (before.multiply_adds,
                                                     after.multiply_adds)
  assert report.macs_after < report.macs_before
  rows = _rows(report)
  assert rows["body3"].macs_after < rows["body3"].macs_before
  assert rows["stem"].macs_after == rows["stem"].macs_before
  assert list(rows) == ["stem", "body3", "body1", "down", "logits"]
  report.print_table()
  printed = capsys.readouterr().out
  assert printed.strip() == str(report).strip()
  lines = printed.splitlines()
  header, rule = lines[0], lines[1]
  starts = [m.start() for m in re.finditer(r"(?<=  )\S", rule)]
  assert len(starts) == 7
  for line in lines[2:7]:  # the five rows: columns line up with the rule
    for start in starts[:3]:
      assert line[start - 2:start] == "  "
  assert header.startswith("layer")
  total = next(line for line in lines if line.startswith("total"))
  assert f"{before.params:,} -> {after.params:,}" in total


# Errors --------------------------------------------------------------------

@pytest.mark.single_path
def test_errors():
  model = residual_cnn()
  with pytest.raises(ValueError, match="unknown scheme 'sw_cs'.*sw_sc"):
    sparsezoo_tf.sparsify(model, "sw_cs")
  with pytest.raises(ValueError, match="match must be"):
    sparsezoo_tf.sparsify(model, "sc", match="macs")
  with pytest.raises(ValueError, match="tolerance"):
    sparsezoo_tf.sparsify(model, "sc", match="flops", tolerance=0)
  with pytest.raises(TypeError, match="functional or Sequential"):
    sparsezoo_tf.sparsify(keras.layers.Conv2D(3, 3), "sc")
  with pytest.raises(ValueError, match="not built"):
    sparsezoo_tf.sparsify(keras.Sequential([keras.layers.Conv2D(3, 3)]),
                          "sc")

  class Subclassed(keras.Model):

    def __init__(self):
      super().__init__()
      self.conv = keras.layers.Conv2D(4, 3)

    def call(self, inputs):
      return self.conv(inputs)

  subclassed = Subclassed()
  subclassed(tf.zeros([1, 8, 8, 3]))
  with pytest.raises(TypeError, match="subclassed"):
    sparsezoo_tf.sparsify(subclassed, "sc")


@pytest.mark.single_path
def test_keras3_model_gets_the_tf_keras_message():
  keras3 = tf.keras  # Keras 3 in TF 2.20 unless TF_USE_LEGACY_KERAS is set
  if not keras_compat.is_keras3(keras3.layers.Dense(1)):
    pytest.skip("tf.keras is tf_keras here")
  with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    model = keras3.Sequential([keras3.Input((8, 8, 3)),
                               keras3.layers.Conv2D(4, 3)])
  with pytest.raises(keras_compat.KerasVersionError,
                     match="import tf_keras as keras"):
    sparsezoo_tf.sparsify(model, "sc")


@pytest.mark.single_path
def test_a_model_with_nothing_to_convert_is_said_so():
  model = keras.Sequential([keras.Input((8, 8, 3)),
                            keras.layers.Conv2D(8, 3, padding="same"),
                            keras.layers.Conv2D(8, 3, padding="same")])
  with pytest.warns(UserWarning, match="converted no layer"):
    _, report = sparsezoo_tf.sparsify(model, "group3")
  assert not report.converted
  assert any("converted no layer" in note for note in report.notes)
