"""Feeds random, mostly malformed, plans and shapes to the three ops.

Run as a subprocess by test_bad_input.py: a crash (segfault, abort) shows as
a non-zero exit code. Every call must either compute or raise a TensorFlow
error; valid calls are checked against a masked dense convolution.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))

import numpy as np  # pylint: disable=g-import-not-at-top
import tensorflow as tf  # pylint: disable=g-import-not-at-top

from sparsezoo_tf import ops  # pylint: disable=g-import-not-at-top


def random_int(rng, low, high, wild=0.15):
  """Mostly in [low, high]; sometimes negative, zero or huge."""
  if rng.random() < wild:
    return int(rng.choice([-2**31, -7, -1, 0, 2**31 - 1, 2**20, high + 1]))
  return int(rng.integers(low, high + 1))


def random_case(rng):
  kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
  c, k = int(rng.integers(1, 6)), int(rng.integers(1, 6))
  if rng.random() < 0.5:
    plan = ops.compile_plan(rng.random((kh, kw, c, k)) < 0.6)
    blocks = plan.blocks.copy()
    in_perm, out_perm = plan.in_perm.copy(), plan.out_perm.copy()
    num_weights = plan.num_weights
  else:
    blocks = np.array([[random_int(rng, 0, kh - 1), random_int(rng, 0, kw - 1),
                        random_int(rng, 0, c - 1), random_int(rng, 1, c),
                        random_int(rng, 0, k - 1), random_int(rng, 1, k)]
                       for _ in range(int(rng.integers(0, 5)))],
                      np.int32).reshape(-1, 6)
    in_perm = rng.permutation(c).astype(np.int32)
    out_perm = rng.permutation(k).astype(np.int32)
    num_weights = int(rng.integers(0, 60))
  mutation = rng.integers(0, 8)
  if mutation == 0 and blocks.size:
    blocks[rng.integers(len(blocks)), rng.integers(6)] = random_int(
        rng, -3, 9, wild=1.0)
  elif mutation == 1:
    in_perm[rng.integers(c)] = random_int(rng, -1, c, wild=0.5)
  elif mutation == 2:
    out_perm = out_perm[:int(rng.integers(0, k + 1))]
  elif mutation == 3:
    num_weights += int(rng.integers(-3, 4))
  shape = [int(rng.integers(0, 3)), int(rng.integers(1, 6)),
           int(rng.integers(1, 6)), c]
  if rng.random() < 0.1:
    shape[int(rng.integers(0, 4))] = int(rng.choice([0, -1, 7]))
  strides = [int(rng.integers(1, 4)), int(rng.integers(1, 4))]
  padding = str(rng.choice(["SAME", "VALID"]))
  return dict(kernel=(kh, kw), blocks=blocks, in_perm=in_perm,
              out_perm=out_perm, num_weights=max(num_weights, 0),
              shape=shape, strides=strides, padding=padding)


def numpy_conv2d(x, kernel, strides, padding):
  """Direct NHWC convolution with TensorFlow's padding rules."""
  kh, kw = kernel.shape[:2]
  pads = []
  for size, k, s in zip(x.shape[1:3], (kh, kw), strides):
    out = (size - k) // s + 1 if padding == "VALID" else -(-size // s)
    total = max((out - 1) * s + k - size, 0) if padding == "SAME" else 0
    pads.append((out, total // 2, total - total // 2))
  (rows, top, bottom), (cols, left, right) = pads
  x = np.pad(x, [(0, 0), (top, bottom), (left, right), (0, 0)])
  y = np.zeros((x.shape[0], rows, cols, kernel.shape[3]), np.float64)
  for ky in range(kh):
    for kx in range(kw):
      view = x[:, ky:ky + (rows - 1) * strides[0] + 1:strides[0],
               kx:kx + (cols - 1) * strides[1] + 1:strides[1]]
      y += view.astype(np.float64) @ kernel[ky, kx].astype(np.float64)
  return y


def run(case, rng, lib):
  attrs = dict(kernel_size=list(case["kernel"]), strides=case["strides"],
               padding=case["padding"])
  x = rng.standard_normal([max(d, 0) for d in case["shape"]]).astype(
      np.float32) if min(case["shape"]) >= 0 else np.zeros([1], np.float32)
  w = rng.standard_normal(case["num_weights"]).astype(np.float32)
  plan_args = (case["blocks"], case["in_perm"], case["out_perm"])
  y = lib.sparse_zoo_sparse_conv2d(x, w, *plan_args, **attrs)
  dy = rng.standard_normal(y.shape).astype(np.float32)
  lib.sparse_zoo_sparse_conv2d_backprop_input(
      np.array(case["shape"], np.int32), w, *plan_args, dy, **attrs)
  lib.sparse_zoo_sparse_conv2d_backprop_filter(x, w, *plan_args, dy, **attrs)
  plan = ops.SparseConvPlan(case["kernel"], x.shape[3], len(case["out_perm"]),
                            *plan_args)
  # NumPy, not tf.nn.conv2d: oneDNN's conv2d in TF 2.20 returns garbage for
  # some stride > width cases (e.g. [2, 4, 2, 1] input, 2x2 kernel, stride
  # (1, 3), VALID).
  expected = numpy_conv2d(x, plan.unpack(w), case["strides"], case["padding"])
  error = float(np.max(np.abs(y - expected), initial=0.0))
  if error > 1e-4 * max(1.0, float(np.max(np.abs(expected), initial=0.0))):
    raise AssertionError(f"wrong result (error {error}) for {case}")


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument("--seed", type=int, default=0)
  parser.add_argument("--iterations", type=int, default=200)
  args = parser.parse_args()
  rng = np.random.default_rng(args.seed)
  lib = ops.load_library()
  if lib is None:
    raise SystemExit("op library not usable: " + str(ops.unavailable_reason()))
  rejected = computed = 0
  for _ in range(args.iterations):
    case = random_case(rng)
    try:
      run(case, rng, lib)
      computed += 1
    except (tf.errors.InvalidArgumentError, ValueError):
      rejected += 1
  print(f"rejected={rejected} computed={computed}")


if __name__ == "__main__":
  main()
