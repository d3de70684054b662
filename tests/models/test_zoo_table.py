"""The zoo table, its model selection, cost counting without allocation,
the speed targets' bookkeeping and the Markdown sections of reports."""

import subprocess
import sys

import pytest

from sparsezoo_tf import models
from sparsezoo_tf import reports
from sparsezoo_tf.benchmarks import speed_targets
from sparsezoo_tf.benchmarks import zoo_table


def test_select_is_the_union_in_registry_order():
  names = zoo_table.select(["digits_cnn_sc*", "digits_cnn"])
  assert names == ["digits_cnn", "digits_cnn_sc", "digits_cnn_sc_comb",
                   "digits_cnn_scfusion2"]


def test_select_rejects_a_pattern_that_matches_nothing():
  with pytest.raises(ValueError, match="no registered model matches "
                     "'resnet9000'"):
    zoo_table.select(["digits_cnn", "resnet9000"])


def test_counting_in_a_throwaway_graph_gives_the_eager_counts(monkeypatch):
  monkeypatch.setattr(zoo_table, "_COSTS", {})
  eager = zoo_table.model_cost("digits_cnn_scfusion2", allocate=True)
  monkeypatch.setattr(zoo_table, "_COSTS", {})
  graph = zoo_table.model_cost("digits_cnn_scfusion2", allocate=False)
  assert (graph.params, graph.multiply_adds) == (eager.params,
                                                 eager.multiply_adds)
  model = models.digits_cnn_scfusion2()
  assert eager.params == sum(int(w.shape.num_elements())
                             for w in model.trainable_weights)


def test_rows_carry_ratios_to_the_baseline_and_the_paper_rows():
  dense, sparse, resnet = zoo_table.zoo_rows(
      ["digits_cnn", "digits_cnn_psc4", "resnet18_sc"])
  assert dense.baseline is None and dense.params_ratio is None
  assert sparse.baseline == "digits_cnn"
  assert sparse.params_ratio == pytest.approx(sparse.params / dense.params)
  assert resnet.paper.startswith("000 Table 7") and "Table 10" in resnet.paper
  assert resnet.paper_params == models.model_info("resnet18_sc").rows[0].params
  table = zoo_table.to_markdown([dense, sparse, resnet])
  lines = table.splitlines()
  assert len(lines) == 5 and lines[3].startswith("| digits_cnn_psc4 | psc4 |")


def test_speed_targets_name_registered_models_of_lower_or_equal_flops():
  for target in speed_targets.TARGETS:
    assert models.model_info(target.model).scheme != "dense"
    assert target.baseline in models.list_models()
    assert target.bound is None or target.bound == 1.0


def test_speed_result_bound_is_the_flops_ratio_with_slack():
  target = speed_targets.SpeedTarget("digits_cnn_sc", "digits_cnn", batch=2,
                                     bound=None)
  (result,) = speed_targets.measure([target], implementations=["reference"],
                                    repeats=1)
  expected = (zoo_table.model_cost("digits_cnn_sc").multiply_adds /
              zoo_table.model_cost("digits_cnn").multiply_adds)
  assert result.flops_ratio == pytest.approx(expected)
  assert result.bound == pytest.approx(expected * speed_targets.FLOPS_SLACK)
  assert result.latency_ratio["reference"] > 0
  result.latency_ratio["reference"] = result.bound * 2
  assert not result.met("reference")
  assert "**no**" in speed_targets.to_markdown([result], ["reference"])


def test_markdown_sections_are_replaced_and_others_kept(tmp_path):
  path = str(tmp_path / "BENCH.md")
  reports.write_markdown_section(path, "a", "first A")
  reports.write_markdown_section(path, "b", "first B")
  reports.write_markdown_section(path, "a", "second A")
  text = open(path).read()
  assert "second A" in text and "first B" in text and "first A" not in text
  assert text.index("second A") < text.index("first B")
  assert sorted(p.name for p in tmp_path.iterdir()) == ["BENCH.md"]


def test_counting_works_after_training_turned_op_determinism_on():
  # training.train enables op determinism for the whole process; the
  # throwaway graph must still build models with dropout (vgg16's head).
  script = ("import tensorflow as tf\n"
            "tf.config.experimental.enable_op_determinism()\n"
            "from sparsezoo_tf.benchmarks import zoo_table\n"
            "print(zoo_table.model_cost('vgg16_scfusion2', allocate=False)"
            ".params)\n")
  result = subprocess.run([sys.executable, "-c", script], capture_output=True,
                          text=True, timeout=300, check=False)
  assert result.returncode == 0, result.stderr[-2000:]
  assert int(result.stdout.split()[-1]) == zoo_table.model_cost(
      "vgg16_scfusion2", allocate=False).params


@pytest.mark.parametrize("kwargs,message", [
    ({"batch": 0}, "batch must be a positive int"),
    ({"batch": 2, "repeats": 0}, "repeats must be a positive int"),
    ({"batch": 2, "number": 1.5}, "number must be a positive int"),
])
def test_latency_ratio_rejects_nonsense_counts(kwargs, message):
  with pytest.raises(ValueError, match=message):
    zoo_table.latency_ratio("digits_cnn_sc", "digits_cnn", **kwargs)


def test_latency_ratio_names_an_unknown_baseline():
  with pytest.raises(ValueError, match="digits_cnn_x"):
    zoo_table.latency_ratio("digits_cnn_sc", "digits_cnn_x", batch=1)


def test_speed_targets_and_paper_rows_reject_nonsense():
  with pytest.raises(ValueError, match="batch must be a positive int"):
    speed_targets.SpeedTarget("digits_cnn_sc", "digits_cnn", batch=0)
  with pytest.raises(ValueError, match="bound must be > 0"):
    speed_targets.SpeedTarget("digits_cnn_sc", "digits_cnn", bound=-1.0)
  with pytest.raises(ValueError, match="params_unit must be >= 0"):
    models.PaperRow("000", "Table 8", "x", params=1.0, params_unit=-1.0)
  with pytest.raises(ValueError, match="params_counted must be one of"):
    models.PaperRow("000", "Table 8", "x", params=1.0, params_counted="bn")


def test_latency_table_has_the_models_with_a_baseline_and_their_ratios():
  rows = [zoo_table.ZooRow("net", "dense", 100, 1000),
          zoo_table.ZooRow("net_sc", "sc", 50, 250, baseline="net",
                           params_ratio=0.5, flops_ratio=0.25,
                           latency_ratio={1: 2.0})]
  lines = zoo_table.latency_markdown(rows, [1, 8]).splitlines()
  assert lines[0] == ("| model | scheme | baseline | params / baseline | "
                      "FLOPs / baseline | latency b1 / baseline | "
                      "latency b8 / baseline |")
  assert lines[2:] == ["| net_sc | sc | net | 0.500 | 0.250 | 2.000 |  |"]


def test_readme_tables_name_an_unknown_table_and_missing_weights():
  with pytest.raises(ValueError, match="no generated table 'zoo'; the "
                     "tables are"):
    zoo_table.readme_table("zoo")
  with pytest.raises(ValueError, match=r"no digits weights file is "
                     r"registered for \['resnet18'\]"):
    zoo_table.readme_table("digits_weights", names=["digits_cnn", "resnet18"])
  entry = models.WeightsEntry(
      model="digits_cnn", name="x", file_name="x.h5", sha256="0" * 64,
      dataset="digits", classes=10, input_shape=(8, 8, 1), recipe="r.yaml")
  with pytest.raises(ValueError, match="weights 'x' of 'digits_cnn' have no "
                     "measured top1"):
    zoo_table.weights_markdown([entry])
