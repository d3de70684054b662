"""The plan compiler: exact supports, compact blocks, packing."""

import numpy as np
import pytest

from sparsezoo_tf import ops
from sparsezoo_tf import patterns


def random_support(rng, shape, density):
  return rng.random(shape) < density


@pytest.mark.parametrize("density", [0.0, 0.1, 0.5, 1.0])
def test_compiled_plan_computes_exactly_the_support(rng, density):
  for _ in range(5):
    support = random_support(rng, (3, 2, 5, 7), density)
    support[0, 0, 0, 0] = True  # never empty
    plan = ops.compile_plan(support)
    np.testing.assert_array_equal(plan.support, support)
    assert plan.num_weights == support.sum()


@pytest.mark.parametrize("make, blocks, weights", [
    (lambda: ops.dense_plan(3, 8, 6), 9, 9 * 8 * 6),
    (lambda: ops.spatial_sc_plan(3, 8, 6), 9, 5 * 8 * 6),
    (lambda: ops.channel_sc_plan(3, 8, 6), 18, 9 * 8 * 6 // 2),
    (lambda: ops.group_plan(1, 8, 8, 4), 4, 8 * 8 // 4),
    (lambda: ops.group_plan(1, 8, 8, 4, shuffle=True), 4, 8 * 8 // 4),
    (lambda: ops.psconv_plan(3, 9, 6, 3, layout="channel"), 9, 3 * 9 * 6),
])
def test_structured_patterns_compile_to_few_blocks(make, blocks, weights):
  plan = make()
  assert len(plan.blocks) == blocks
  assert plan.num_weights == weights


def test_sw_sc_plan_pairs_outputs_and_shares_the_centre():
  plan = ops.spatial_sc_plan(3, 4, 6)
  # "+" outputs (even) come first, then "x" outputs (odd).
  assert plan.out_perm.tolist() == [0, 2, 4, 1, 3, 5]
  assert plan.in_perm_is_identity
  centre = [b for b in plan.blocks.tolist() if b[:2] == [1, 1]]
  assert centre == [[1, 1, 0, 4, 0, 6]]


def test_group_shuffle_is_carried_by_the_output_permutation():
  plan = ops.group_plan(1, 4, 4, 2, shuffle=True)
  assert plan.in_perm_is_identity
  assert plan.out_perm.tolist() == [0, 2, 1, 3]


def test_pack_unpack_round_trip(rng):
  plan = ops.psconv_plan(3, 6, 4, 2, seed=1)
  kernel = rng.standard_normal(plan.dense_shape)
  packed = plan.pack(kernel)
  assert packed.shape == (plan.num_weights,)
  np.testing.assert_array_equal(plan.unpack(packed), kernel * plan.support)
  np.testing.assert_array_equal(plan.pack(plan.unpack(packed)), packed)


def test_plan_identity_and_hash():
  a = ops.spatial_sc_plan(3, 4, 6)
  b = ops.compile_plan(patterns.spatial_sc(3, 4, 6))
  c = ops.channel_sc_plan(3, 4, 6)
  assert a == b and hash(a) == hash(b)
  assert a != c
  assert "density=0.556" in repr(a)


@pytest.mark.parametrize("support, message", [
    (np.ones((3, 3, 4)), "4-D"),
    (np.full((1, 1, 2, 2), 2), "0/1"),
    (np.ones((1, 1, 0, 2)), "empty"),
])
def test_compile_rejects_bad_supports(support, message):
  with pytest.raises(ValueError, match=message):
    ops.compile_plan(support)


@pytest.mark.parametrize("changes, message", [
    (dict(blocks=[[3, 0, 0, 2, 0, 2]]), "outside"),
    (dict(blocks=[[0, 0, 1, 2, 0, 2]]), "outside"),
    (dict(blocks=[[0, 0, 0, 2, 0, 0]]), "outside"),
    (dict(in_perm=[0, 0]), "permutation"),
    (dict(out_perm=[0, 1, 2]), "permutation"),
    (dict(blocks=[[0, 0, 0, 2, 0, 2], [0, 0, 1, 1, 1, 1]]), "overlap"),
])
def test_plan_validation(changes, message):
  args = dict(kernel_size=(3, 3), in_channels=2, out_channels=2,
              blocks=[[0, 0, 0, 2, 0, 2]], in_perm=[0, 1], out_perm=[0, 1])
  args.update(changes)
  with pytest.raises(ValueError, match=message):
    ops.SparseConvPlan(**args)


def test_pack_rejects_wrong_shapes():
  plan = ops.dense_plan(1, 2, 2)
  with pytest.raises(ValueError, match="shape"):
    plan.pack(np.zeros((1, 1, 2, 3)))
  with pytest.raises(ValueError, match="shape"):
    plan.unpack(np.zeros(5))
