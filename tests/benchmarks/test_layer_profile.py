"""sparsezoo_tf.benchmarks.layer_profile and `tools/benchmark_models.py
--layers`: every layer of a model is timed once, its multiply-adds add up
to the model's, the tables list what they say, and the refusals. Nothing
here asserts a speed."""

import os
import sys

import pytest

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TESTS, "training"))

# pylint: disable=g-import-not-at-top,wrong-import-position
import tool_runner

from sparsezoo_tf import analysis
from sparsezoo_tf import models
from sparsezoo_tf.benchmarks import layer_profile

pytestmark = pytest.mark.single_path  # plumbing of the timing tool

SPARSE, DENSE = "digits_cnn_sc", "digits_cnn"


@pytest.fixture(name="profiles", scope="module")
def _profiles():
  return layer_profile.profile_models([(SPARSE, "op"), (DENSE, None)],
                                      batch=2, repeats=1, number=1)


def test_every_layer_once_and_the_models_multiply_adds(profiles):
  for profile, name in zip(profiles, (SPARSE, DENSE)):
    model = models.create_model(name)
    layers = [layer.name for layer in model.layers
              if not layer.name.startswith("input")]
    assert [row.name for row in profile.rows] == layers
    info = models.model_info(name)
    assert sum(row.multiply_adds for row in profile.rows) == (
        analysis.count_model(model, info.input_shape).multiply_adds)
    assert all(row.seconds > 0 for row in profile.rows)
    assert profile.whole_model_seconds > 0
    assert profile.batch == 2
  assert profiles[0].implementation == "op"


def test_tables(profiles):
  sparse, dense = profiles
  table = layer_profile.to_markdown(sparse, top=3).splitlines()
  slowest = sorted(sparse.rows, key=lambda row: -row.seconds)[:3]
  assert [line.split("|")[1].strip() for line in table[2:5]] == [
      row.name for row in slowest]
  assert table[5].startswith(f"| ({len(sparse.rows) - 3} other layers)")
  assert table[-2].startswith("| (sum of the layers)")
  assert table[-1].startswith("| (whole model)")

  comparison = layer_profile.comparison_markdown(sparse, dense).splitlines()
  names = [line.split("|")[1].strip() for line in comparison[2:-1]]
  assert sorted(names) == sorted({row.name for row in sparse.rows}
                                 | {row.name for row in dense.rows})
  conv = next(line for line in comparison
              if line.startswith("| stage1_conv1 |"))
  ratio = [row.multiply_adds for row in sparse.rows
           if row.name == "stage1_conv1"][0] / [
               row.multiply_adds for row in dense.rows
               if row.name == "stage1_conv1"][0]
  assert conv.split("|")[5].strip() == f"{ratio:.2f}"


def test_refusals(profiles):
  with pytest.raises(ValueError, match="batch 2 and 4"):
    layer_profile.comparison_markdown(
        profiles[0], layer_profile.Profile(DENSE, 4, None, [], 1.0))
  with pytest.raises(ValueError, match="repeats must be a positive int"):
    layer_profile.profile_models([(DENSE, None)], repeats=0)
  with pytest.raises(ValueError, match="implementation"):
    layer_profile.profile_models([(SPARSE, "fast")], repeats=1)
  with pytest.raises(ValueError, match="resnet18"):
    layer_profile.profile_models([("resnet81", None)], repeats=1)


# As subprocesses: the tool's flags (--implementation, --batch) would clash
# with other tools' loaded into this process.
def test_tool_prints_both_profiles_and_the_comparison():
  result = tool_runner.run_tool(
      "benchmark_models", "--layers", SPARSE, "--repeats", "1", "--batch",
      "2", "--top", "4")
  assert result.returncode == 0, result.stderr[-3000:]
  out = result.stdout
  assert f"{SPARSE} (batch 2, op path):" in out
  assert f"{DENSE} (batch 2):" in out
  assert f"{SPARSE} against {DENSE}, by the largest time difference:" in out
  assert out.count("| (whole model) |") == 3


def test_tool_refuses_an_unknown_model():
  result = tool_runner.run_tool("benchmark_models", "--layers", "resnet81")
  tool_runner.assert_one_paragraph_error(result, "benchmark_models",
                                         "resnet81")
