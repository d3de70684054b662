"""Supports against hand-written expectations."""

import numpy as np
import pytest

from sparsezoo_tf import patterns


def test_sw_sc_3x3_plus_and_cross_index_sets():
  plus, cross = patterns.sw_sc_masks(3)
  assert np.flatnonzero(plus).tolist() == [1, 3, 4, 5, 7]
  assert np.flatnonzero(cross).tolist() == [0, 2, 4, 6, 8]


@pytest.mark.parametrize("k, taps", [(1, 1), (5, 13), (7, 25)])
def test_sw_sc_tap_counts(k, taps):
  plus, cross = patterns.sw_sc_masks(k)
  assert plus.sum() == taps and cross.sum() == taps
  centre = np.zeros((k, k), bool)
  centre[k // 2, k // 2] = True
  np.testing.assert_array_equal(plus & cross, centre)
  assert (plus | cross).all()


def test_spatial_sc_alternates_shapes_over_outputs():
  support = patterns.spatial_sc(3, 4, 6)
  plus, cross = patterns.sw_sc_masks(3)
  for o in range(6):
    expected = plus if o % 2 == 0 else cross
    for c in range(4):
      np.testing.assert_array_equal(support[:, :, c, o], expected)
  assert support.sum() == 5 * 4 * 6


def test_channel_sc_parity():
  """Outputs 0, 1 read inputs 0, 2, 4; outputs 2, 3 read 1, 3, 5."""
  support = patterns.channel_sc(3, 6, 4)
  reads = {o: [c for c in range(6) if support[:, :, c, o].all()]
           for o in range(4)}
  assert reads == {0: [0, 2, 4], 1: [0, 2, 4], 2: [1, 3, 5], 3: [1, 3, 5]}
  assert support.any(axis=(0, 1)).sum() == support.all(axis=(0, 1)).sum()
  assert support.sum() == 9 * 6 * 4 // 2


def test_spatial_channel_sc_is_both():
  support = patterns.spatial_channel_sc(3, 4, 4)
  assert support.sum() == 5 * 2 * 4
  plus, cross = patterns.sw_sc_masks(3)
  np.testing.assert_array_equal(support[:, :, 0, 0], plus)
  np.testing.assert_array_equal(support[:, :, 2, 1], cross)
  np.testing.assert_array_equal(support[:, :, 1, 2], plus)
  np.testing.assert_array_equal(support[:, :, 3, 3], cross)
  assert not support[:, :, 1, 0].any() and not support[:, :, 0, 3].any()


def test_single_shape():
  support = patterns.single_shape(3, 2, 3, "cross")
  _, cross = patterns.sw_sc_masks(3)
  assert all((support[:, :, c, o] == cross).all()
             for c in range(2) for o in range(3))
  with pytest.raises(ValueError, match="plus"):
    patterns.single_shape(3, 2, 3, "star")


def test_odd_sw_sc_width_is_the_even_one_without_its_last_output():
  np.testing.assert_array_equal(patterns.spatial_sc(3, 4, 7),
                                patterns.spatial_sc(3, 4, 8)[..., :7])


@pytest.mark.parametrize("call, message", [
    (lambda: patterns.spatial_sc(4, 8, 8), "odd square kernel"),
    (lambda: patterns.spatial_sc(3, 8, 0), "out_channels must be a positive"),
    (lambda: patterns.channel_sc(3, 8, 7), "out_channels=7 is not divisible"),
    (lambda: patterns.channel_sc(3, 7, 8), "in_channels=7 is not divisible"),
    (lambda: patterns.spatial_sc((3, 5), 8, 8), "odd square kernel"),
    (lambda: patterns.dense(3, 0, 8), "in_channels must be a positive int"),
    (lambda: patterns.dense(0, 4, 8), "kernel_size"),
    (lambda: patterns.grouped(1, 8, 6, 4), "out_channels=6 is not divisible"),
])
def test_impossible_settings_are_rejected(call, message):
  with pytest.raises(ValueError, match=message):
    call()


def test_grouped_without_and_with_shuffle():
  plain = patterns.grouped(1, 4, 4, 2)[0, 0]
  np.testing.assert_array_equal(
      plain.astype(int), [[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1],
                          [0, 0, 1, 1]])
  shuffled = patterns.grouped(1, 4, 4, 2, shuffle=True)[0, 0]
  # Output position i * G + g holds channel i of group g.
  np.testing.assert_array_equal(
      shuffled.astype(int), [[1, 0, 1, 0], [1, 0, 1, 0], [0, 1, 0, 1],
                             [0, 1, 0, 1]])


def test_shuffle_permutation():
  assert patterns.shuffle_permutation(6, 2).tolist() == [0, 3, 1, 4, 2, 5]
  assert patterns.shuffle_permutation(6, 3).tolist() == [0, 2, 4, 1, 3, 5]


@pytest.mark.parametrize("layout", ["shifted", "channel", "random"])
@pytest.mark.parametrize("kss", [1, 2, 4, 9])
def test_psconv_kss_and_coverage(layout, kss):
  support = patterns.psconv(3, 12, 10, kss, seed=3, layout=layout)
  assert support.shape == (3, 3, 12, 10)
  sizes = patterns.kernel_support_sizes(support)
  assert (sizes == kss).all()
  assert patterns.covers_every_position(support)


def test_psconv_reproducible_from_seed_and_seed_matters():
  a = patterns.psconv(3, 16, 8, 4, seed=7)
  b = patterns.psconv(3, 16, 8, 4, seed=7)
  c = patterns.psconv(3, 16, 8, 4, seed=8)
  np.testing.assert_array_equal(a, b)
  assert not np.array_equal(a, c)


def test_psconv_full_kss_is_dense():
  assert patterns.psconv(3, 4, 4, 9).all()


@pytest.mark.parametrize("kwargs, message", [
    (dict(kss=0), r"kss .* must be an int in \[1, 9\]"),
    (dict(kss=10), r"in \[1, 9\]"),
    (dict(kss=2.5), r"in \[1, 9\]"),
    (dict(kss=1, in_channels=8), "too few"),
    (dict(kss=4, layout="diagonal"), "layout"),
])
def test_psconv_rejects_bad_arguments(kwargs, message):
  args = dict(kernel_size=3, in_channels=16, out_channels=4)
  args.update(kwargs)
  with pytest.raises(ValueError, match=message):
    patterns.psconv(**args)


@pytest.mark.parametrize("taps, kss, channels, period", [
    (9, 4, 256, 4), (9, 2, 256, 8), (9, 1, 256, 16), (9, 4, 30, 3),
    (9, 5, 64, 2), (9, 4, 7, 3), (25, 4, 64, 8),
])
def test_psconv_period_splits_channels_evenly(taps, kss, channels, period):
  assert patterns.psconv_period(taps, kss, channels, channels) == period
