"""The op's weight gradient is bitwise reproducible on the CPU.

The CPU kernel splits the rows among the intra-op threads, each summing its
own copy of the gradient; the copies must be added in a fixed order, not in
the order the threads finish. With two partial sums any order gives the same
bits, so the check runs in a subprocess with more threads than this
machine's cores (the threads then finish in varying orders).
"""

import os
import subprocess
import sys
import textwrap

import pytest

from sparsezoo_tf import ops

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
THREADS = 8
REPEATS = 40

_CHECK = textwrap.dedent(f"""
    import hashlib, sys
    import numpy as np
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads({THREADS})
    from sparsezoo_tf import ops
    assert ops.op_available(), ops.unavailable_reason()
    plan = ops.spatial_sc_plan(3, in_channels=32, out_channels=32)
    rng = np.random.default_rng(0)
    x = tf.constant(rng.standard_normal((4, 24, 24, 32)), tf.float32)
    w = tf.constant(rng.standard_normal(plan.num_weights), tf.float32)
    dy = tf.constant(rng.standard_normal((4, 24, 24, 32)), tf.float32)

    @tf.function
    def weight_gradient():
      with tf.GradientTape() as tape:
        tape.watch(w)
        y = ops.sparse_conv2d(x, w, plan, implementation="op")
      return tape.gradient(y, w, output_gradients=dy)

    digests = set()
    for _ in range({REPEATS}):
      digests.add(hashlib.sha256(weight_gradient().numpy().tobytes()).digest())
    print("DISTINCT", len(digests))
    """)


@pytest.mark.skipif(not ops.op_available(), reason="needs the op library")
def test_weight_gradient_is_bitwise_reproducible_across_thread_orders():
  environment = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
  environment.pop("SPARSEZOO_FORCE_REFERENCE", None)
  result = subprocess.run([sys.executable, "-c", _CHECK], cwd=REPO,
                          env=environment, capture_output=True, text=True,
                          timeout=300, check=False)
  assert result.returncode == 0, result.stderr[-3000:]
  distinct = [line for line in result.stdout.splitlines()
              if line.startswith("DISTINCT")]
  assert distinct == ["DISTINCT 1"], (
      f"{REPEATS} weight gradients of the same inputs with {THREADS} "
      f"threads gave {distinct} different results")
