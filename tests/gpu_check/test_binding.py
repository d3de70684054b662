"""The CUDA core built alone with nvcc and called through its C interface.

Without a GPU only the host side runs: plan checks, the packed layout, and
the errors of calls that cannot proceed; tools/gpu_check.py runs the rest
on a GPU.
"""

import ctypes
import shutil

import numpy as np
import pytest

from sparsezoo_tf import ops
from sparsezoo_tf.gpu_check import binding
from sparsezoo_tf.gpu_check import harness

pytestmark = pytest.mark.skipif(shutil.which("nvcc") is None,
                                reason="nvcc not installed")


@pytest.fixture(scope="module")
def core(tmp_path_factory):
  path = tmp_path_factory.mktemp("core") / "libsparsezoo_cuda.so"
  return binding.CoreLibrary(binding.build_library(str(path), arch="sm_80"))


def test_build_failure_is_reported_and_leaves_no_file(tmp_path):
  output = tmp_path / "lib.so"
  with pytest.raises(RuntimeError, match="nvcc failed"):
    binding.build_library(str(output), arch="sm_1")
  assert list(tmp_path.iterdir()) == []
  with pytest.raises(RuntimeError, match="not found"):
    binding.build_library(str(output), nvcc="no-such-nvcc")


@pytest.mark.parametrize("case", harness.correctness_cases(),
                         ids=lambda case: case.name)
def test_packed_layout_matches_plan(core, case):
  """Every block's weight (i, j) sits where the plan packs the dense weight
  (tap, in_perm[in_start + i], out_perm[out_start + j])."""
  plan = case.plan()
  records = binding.plan_blocks(plan)
  kh, kw = plan.kernel_size
  c, k = plan.in_channels, plan.out_channels
  seen = np.zeros(plan.num_weights, bool)
  for b in range(len(plan.blocks)):
    r = records[b]
    i = np.arange(r.in_size)[:, None]
    j = np.arange(r.out_size)[None, :]
    packed = r.weight_offset + i * r.weight_ld + j
    dense = (((r.tap_y * kw + r.tap_x) * c +
              plan.in_perm[r.in_start + i]) * k +
             plan.out_perm[r.out_start + j])
    np.testing.assert_array_equal(plan.packed_index[packed], dense)
    seen[packed] = True
  assert seen.all()
  device_plan = binding.DevicePlan(core, plan)
  assert device_plan.device_bytes > 0
  assert device_plan.device_bytes % 256 == 0


def _create(core, plan, blocks=None, in_perm=None, num_weights=None):
  records = binding.plan_blocks(plan) if blocks is None else blocks
  in_perm = np.ascontiguousarray(
      plan.in_perm if in_perm is None else in_perm, np.int32)
  out_perm = np.ascontiguousarray(plan.out_perm, np.int32)
  handle = ctypes.c_void_p()
  ptr = ctypes.POINTER(ctypes.c_int32)
  status = core.lib.sz_plan_create(
      records, len(plan.blocks), in_perm.ctypes.data_as(ptr),
      plan.in_channels, out_perm.ctypes.data_as(ptr), plan.out_channels,
      plan.kernel_size[0], plan.kernel_size[1],
      plan.num_weights if num_weights is None else num_weights,
      ctypes.byref(handle))
  if status == binding.OK:
    core.lib.sz_plan_destroy(handle)
  return status, core.lib.sz_last_error().decode()


def test_plan_checks(core):
  plan = ops.spatial_sc_plan(3, 8, 8)
  assert _create(core, plan) == (binding.OK, "")

  def corrupted(field, value, block=0):
    records = binding.plan_blocks(plan)
    setattr(records[block], field, value)
    return records

  cases = [
      (dict(blocks=corrupted("tap_y", 3)), "tap outside the kernel"),
      (dict(blocks=corrupted("in_size", 9)), "channel range"),
      (dict(blocks=corrupted("out_start", -1)), "channel range"),
      (dict(blocks=corrupted("weight_offset", plan.num_weights)),
       "outside the packed vector"),
      (dict(blocks=corrupted("weight_offset", 1)), "shares packed weights"),
      (dict(num_weights=plan.num_weights + 1), "own"),
      (dict(in_perm=np.zeros(8, np.int32)), "permutation"),
  ]
  for kwargs, message in cases:
    status, text = _create(core, plan, **kwargs)
    assert status == binding.INVALID_ARGUMENT, message
    assert message in text


def test_calls_that_cannot_run(core):
  plan = ops.channel_sc_plan(1, 8, 8)
  device_plan = binding.DevicePlan(core, plan)
  g = binding.Geometry.of((2, 4, 4, 8), plan, 1, "SAME")
  with pytest.raises(binding.CoreError, match="not uploaded") as error:
    device_plan.forward(g, "float32", 1, 1, 1)
  assert error.value.status == binding.INVALID_ARGUMENT
  with pytest.raises(binding.CoreError, match="must be given"):
    device_plan.upload(0, device_plan.device_bytes)
  with pytest.raises(binding.CoreError, match="256-byte aligned"):
    device_plan.upload(256 + 8, device_plan.device_bytes)
  with pytest.raises(binding.CoreError, match="needs"):
    device_plan.upload(256, device_plan.device_bytes - 1)
  with pytest.raises(ValueError, match="math"):
    device_plan.set_math("fast")
  assert core.lib.sz_plan_set_math(device_plan.handle, 7) == (
      binding.INVALID_ARGUMENT)
  for math in binding.MATH:
    device_plan.set_math(math)
  # No workspace is needed for an empty batch; a large one needs one.
  assert device_plan.filter_workspace_bytes(
      binding.Geometry.of((0, 4, 4, 8), plan, 1, "SAME")) == 0
