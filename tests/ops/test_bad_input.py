"""Malformed inputs give clear errors from the C++ side, never a crash."""

import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from sparsezoo_tf import ops

PLAN = ops.spatial_sc_plan(3, 4, 6)
KERNEL_ATTRS = dict(kernel_size=[3, 3], strides=[1, 1], padding="SAME")


def good_arguments():
  return dict(input=np.zeros((2, 5, 5, 4), np.float32),
              weights=np.zeros(PLAN.num_weights, np.float32),
              blocks=PLAN.blocks.copy(), in_perm=PLAN.in_perm.copy(),
              out_perm=PLAN.out_perm.copy())


def corrupt_block(row, column, value):
  blocks = PLAN.blocks.copy()
  blocks[row, column] = value
  return blocks


CORRUPTIONS = {
    "rank3_input": (dict(input=np.zeros((5, 5, 4), np.float32)), "4-D"),
    "channel_mismatch": (dict(input=np.zeros((2, 5, 5, 3), np.float32)),
                         "in_perm has 4 entries but the tensor has 3"),
    "weights_too_short": (dict(weights=np.zeros(PLAN.num_weights - 1,
                                                np.float32)),
                          "packed weights"),
    "weights_too_long": (dict(weights=np.zeros(PLAN.num_weights + 7,
                                               np.float32)),
                         "packed weights"),
    "weights_matrix": (dict(weights=np.zeros((2, PLAN.num_weights // 2),
                                             np.float32)), "vector"),
    "zero_height": (dict(input=np.zeros((2, 0, 5, 4), np.float32)),
                    "must be positive"),
    "tap_out_of_kernel": (dict(blocks=corrupt_block(0, 0, 3)),
                          "outside the 3x3 kernel"),
    "negative_tap": (dict(blocks=corrupt_block(1, 1, -1)),
                     "outside the 3x3 kernel"),
    "in_range_overflow": (dict(blocks=corrupt_block(0, 3, 2**31 - 1)),
                          "input channels"),
    "negative_in_start": (dict(blocks=corrupt_block(0, 2, -2)),
                          "input channels"),
    "out_range": (dict(blocks=corrupt_block(2, 5, 7)), "output channels"),
    "zero_out_size": (dict(blocks=corrupt_block(2, 5, 0)), "output channels"),
    "blocks_wrong_width": (dict(blocks=np.zeros((3, 5), np.int32)),
                           "blocks must have shape"),
    "in_perm_duplicate": (dict(in_perm=np.array([0, 1, 1, 3], np.int32)),
                          "not a permutation"),
    "in_perm_out_of_range": (dict(in_perm=np.array([0, 1, 2, 9], np.int32)),
                             "out of range"),
    "out_perm_negative": (dict(out_perm=np.array([0, 1, 2, 3, 4, -5],
                                                 np.int32)), "out of range"),
    "out_perm_empty": (dict(out_perm=np.zeros([0], np.int32)), "non-empty"),
}


def call_forward(arguments, **attrs):
  attrs = {**KERNEL_ATTRS, **attrs}
  return ops.load_library().sparse_zoo_sparse_conv2d(
      arguments["input"], arguments["weights"], arguments["blocks"],
      arguments["in_perm"], arguments["out_perm"], **attrs)


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_forward_rejects(require_op, name):
  del require_op
  change, message = CORRUPTIONS[name]
  arguments = {**good_arguments(), **change}
  with pytest.raises((tf.errors.InvalidArgumentError, ValueError),
                     match=message):
    call_forward(arguments)


@pytest.mark.parametrize("name", ["channel_mismatch", "weights_too_short",
                                  "tap_out_of_kernel", "in_perm_duplicate",
                                  "out_range"])
def test_backprops_reject(require_op, name):
  change, message = CORRUPTIONS[name]
  a = {**good_arguments(), **change}
  dy = np.zeros((2, 5, 5, 6), np.float32)
  lib = require_op
  with pytest.raises(tf.errors.InvalidArgumentError, match=message):
    lib.sparse_zoo_sparse_conv2d_backprop_input(
        np.array(a["input"].shape, np.int32), a["weights"], a["blocks"],
        a["in_perm"], a["out_perm"], dy, **KERNEL_ATTRS)
  with pytest.raises(tf.errors.InvalidArgumentError, match=message):
    lib.sparse_zoo_sparse_conv2d_backprop_filter(
        a["input"], a["weights"], a["blocks"], a["in_perm"], a["out_perm"],
        dy, **KERNEL_ATTRS)


def test_backprop_rejects_wrong_out_backprop_shape(require_op):
  a = good_arguments()
  for dy_shape in [(2, 5, 5, 5), (2, 4, 5, 6), (1, 5, 5, 6)]:
    with pytest.raises(tf.errors.InvalidArgumentError, match="out_backprop"):
      require_op.sparse_zoo_sparse_conv2d_backprop_filter(
          a["input"], a["weights"], a["blocks"], a["in_perm"], a["out_perm"],
          np.zeros(dy_shape, np.float32), **KERNEL_ATTRS)


def test_backprop_input_rejects_bad_sizes(require_op):
  a = good_arguments()
  dy = np.zeros((2, 5, 5, 6), np.float32)
  for sizes, message in [([2, 5, 5], "4 ints"), ([2, -5, 5, 4], "negative")]:
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
      require_op.sparse_zoo_sparse_conv2d_backprop_input(
          np.array(sizes, np.int32), a["weights"], a["blocks"], a["in_perm"],
          a["out_perm"], dy, **KERNEL_ATTRS)


@pytest.mark.parametrize("attrs, message", [
    (dict(strides=[0, 1]), "strides"),
    (dict(kernel_size=[3, 3, 3]), "kernel_size"),
    (dict(padding="FULL"), "padding"),
])
def test_bad_attributes(require_op, attrs, message):
  del require_op
  with pytest.raises((tf.errors.InvalidArgumentError, ValueError),
                     match=message):
    call_forward(good_arguments(), **attrs)


def test_valid_padding_with_too_small_input(require_op):
  del require_op
  arguments = {**good_arguments(), "input": np.zeros((1, 2, 5, 4), np.float32)}
  with pytest.raises(tf.errors.InvalidArgumentError, match="does not fit"):
    call_forward(arguments, padding="VALID")


def test_unsupported_dtype_is_rejected_by_the_op(require_op):
  del require_op
  arguments = {**good_arguments(),
               "input": np.zeros((2, 5, 5, 4), np.float64),
               "weights": np.zeros(PLAN.num_weights, np.float64)}
  with pytest.raises(tf.errors.InvalidArgumentError, match="attr 'T'"):
    call_forward(arguments)


def test_errors_inside_a_graph(require_op):
  del require_op
  arguments = {**good_arguments(), "in_perm": np.array([3, 3, 1, 0],
                                                       np.int32)}

  @tf.function
  def run(in_perm):
    return call_forward({**arguments, "in_perm": in_perm})

  with pytest.raises(tf.errors.InvalidArgumentError, match="permutation"):
    run(tf.constant(arguments["in_perm"]))


@pytest.mark.parametrize("implementation", ["auto", "reference"])
def test_wrapper_errors_name_the_problem(implementation):
  x = tf.zeros((1, 5, 5, 4))
  w = tf.zeros(PLAN.num_weights)
  cases = [
      (lambda: ops.sparse_conv2d(tf.zeros((5, 5, 4)), w, PLAN,
                                 implementation=implementation), "4-D"),
      (lambda: ops.sparse_conv2d(tf.zeros((1, 5, 5, 3)), w, PLAN,
                                 implementation=implementation),
       "3 channels but the plan expects 4"),
      (lambda: ops.sparse_conv2d(x, tf.zeros(5), PLAN,
                                 implementation=implementation),
       "packed weights"),
      (lambda: ops.sparse_conv2d(x, w, PLAN, strides=0,
                                 implementation=implementation), "strides"),
      (lambda: ops.sparse_conv2d(x, w, PLAN, padding="FULL",
                                 implementation=implementation), "padding"),
      (lambda: ops.sparse_conv2d(x, w, "sw_sc",
                                 implementation=implementation), "plan"),
      (lambda: ops.sparse_conv2d(x, tf.zeros(PLAN.num_weights, tf.float64),
                                 PLAN, implementation=implementation),
       "float64"),
      (lambda: ops.sparse_conv2d(x, w, PLAN, implementation="fast"),
       "implementation"),
      (lambda: ops.sparse_conv2d(tf.zeros((1, 2, 2, 4)), w, PLAN,
                                 padding="VALID",
                                 implementation=implementation), "fit"),
  ]
  for call, message in cases:
    with pytest.raises((ValueError, TypeError), match=message):
      call()


def test_fuzzed_plans_and_shapes_never_crash(require_op):
  del require_op
  script = os.path.join(os.path.dirname(__file__), "fuzz_sparse_conv.py")
  result = subprocess.run(
      [sys.executable, script, "--seed", "7", "--iterations", "400"],
      capture_output=True, text=True, timeout=600,
      env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
  assert result.returncode == 0, (
      f"fuzzer exited with {result.returncode}\n{result.stdout[-2000:]}\n"
      f"{result.stderr[-2000:]}")
  counts = dict(line.split("=") for line in result.stdout.split()
                if "=" in line)
  # Both kinds of call must have happened: rejected and computed.
  assert int(counts["rejected"]) > 100
  assert int(counts["computed"]) > 20
