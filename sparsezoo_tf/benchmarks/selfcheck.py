"""A self-check of the op: small stacks of every scheme, three ways.

Each check runs a stack of sparse convolutions (with ReLU between them and a
stride-2 layer in the middle) on random input through the op, the pure-TF
reference and a masked dense `tf.nn.conv2d`, and compares outputs and
gradients. Used by tools/demo.py.
"""

from typing import Dict, List, Sequence

import numpy as np
import tensorflow as tf

from sparsezoo_tf.ops import loader
from sparsezoo_tf import schemes
from sparsezoo_tf.ops import sparse_conv

DEFAULT_PATTERNS = ("dense", "sw_sc", "cw_sc", "sc_comb", "seq_plus",
                    "seq_cross", "psc4", "psc2", "group4_shuffle")


def _masked_dense(x, w, plan, strides, padding):
  kernel = tf.reshape(
      tf.scatter_nd(plan.packed_index[:, None], w, [plan.dense_size]),
      plan.dense_shape)
  return tf.nn.conv2d(x, kernel, strides, padding)


def _stack(x, weights, layer_plans, conv):
  for i, (plan, w) in enumerate(zip(layer_plans, weights)):
    x = conv(x, w, plan, 2 if i == 1 else 1, "SAME")
    if i + 1 < len(layer_plans):
      x = tf.nn.relu(x)
  return x


def _relative_error(a, b) -> float:
  scale = max(1.0, float(tf.reduce_max(tf.abs(b))))
  return float(tf.reduce_max(tf.abs(a - b))) / scale


def check_pattern(pattern: str, channels: int = 32, size: int = 16,
                  batch: int = 2, layers: int = 3,
                  seed: int = 0) -> Dict[str, object]:
  """Runs one pattern's stack through every path; returns the errors."""
  rng = np.random.default_rng(seed)
  layer_plans = [schemes.plan_from_name(pattern, 3, channels, channels,
                                      seed=seed + i) for i in range(layers)]
  x = tf.constant(rng.standard_normal((batch, size, size, channels)),
                  tf.float32)
  weights = [tf.constant(rng.standard_normal(p.num_weights) /
                         np.sqrt(p.num_weights / channels), tf.float32)
             for p in layer_plans]
  paths = {"masked dense": _masked_dense}
  for implementation in ("reference", "op"):
    if implementation == "op" and not loader.op_available():
      continue
    paths[implementation] = (
        lambda x, w, p, s, pad, impl=implementation: sparse_conv.sparse_conv2d(
            x, w, p, s, pad, implementation=impl))
  results = {}
  for name, conv in paths.items():
    with tf.GradientTape() as tape:
      tape.watch([x] + weights)
      y = _stack(x, weights, layer_plans, conv)
      loss = tf.reduce_sum(y * y)
    results[name] = [y] + tape.gradient(loss, [x] + weights)
  row = {"pattern": pattern, "density": layer_plans[0].density,
         "weights": sum(p.num_weights for p in layer_plans),
         "dense weights": sum(p.dense_size for p in layer_plans)}
  expected = results["masked dense"]
  for name in ("reference", "op"):
    if name in results:
      row[f"{name} output error"] = _relative_error(results[name][0],
                                                    expected[0])
      row[f"{name} gradient error"] = max(
          _relative_error(a, b) for a, b in zip(results[name][1:],
                                                expected[1:]))
  return row


def check_patterns(patterns: Sequence[str] = DEFAULT_PATTERNS,
                   tolerance: float = 1e-4) -> List[Dict[str, object]]:
  """check_pattern for each pattern, with an "ok" verdict per row."""
  rows = []
  for pattern in patterns:
    row = check_pattern(pattern)
    errors = [v for k, v in row.items() if k.endswith("error")]
    row["ok"] = all(e < tolerance for e in errors)
    rows.append(row)
  return rows
