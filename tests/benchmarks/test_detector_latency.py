"""sparsezoo_tf.benchmarks.detectors and tools/benchmark_detectors.py: the
comparisons against paper 003 Table 9, their selection and refusals, one
tiny comparison measured (repeats=1; no test asserts speed), its Markdown
row, and the tool writing its section of a Markdown file.

The tool runs in this process on a tiny comparison (the real ones take
minutes); a fresh process only for a refusal, as a user meets it."""

import os
import sys

import pytest

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TESTS, "training"))

# pylint: disable=g-import-not-at-top,wrong-import-position
import tool_runner

from sparsezoo_tf import models
from sparsezoo_tf import reports
from sparsezoo_tf.benchmarks import detectors as detector_benchmark
from sparsezoo_tf.detection import detectors

pytestmark = pytest.mark.single_path  # plumbing and counts, not the op

# Two small detectors at 64x64: seconds to build and run.
TINY = detector_benchmark.DetectorComparison(
    "fasterrcnn_digits_resnet18_sc", "fasterrcnn_digits_resnet18", (64, 64))


def test_comparisons_are_table_9s_ratios_and_the_digits_pair():
  table_9 = [(c.detector, c.input_size, c.baseline_input_size,
              round(c.paper_ratio, 2))
             for c in detector_benchmark.COMPARISONS if c.paper_ms]
  assert table_9 == [
      ("fasterrcnn_vgg16_scfusion8", (608, 1024), (608, 1024), 0.73),
      ("fasterrcnn_vgg16_scfusion8", (512, 512), (608, 1024), 0.46),
      ("fasterrcnn_vgg16_scfusion8_sp2_fc512", (512, 512), (608, 1024),
       0.34)]
  digits = [(c.detector, c.baseline, c.input_size, c.batch)
            for c in detector_benchmark.COMPARISONS if not c.paper_ms]
  assert digits == [("fasterrcnn_digits_resnet18_sc",
                     "fasterrcnn_digits_resnet18", (96, 96), batch)
                    for batch in (1, 8)]
  names = set(detectors.list_detectors())
  for comparison in detector_benchmark.COMPARISONS:
    assert {comparison.detector, comparison.baseline} <= names
    schemes = [models.model_info(detectors.detector_spec(name).backbone)
               .scheme for name in (comparison.detector, comparison.baseline)]
    assert schemes[0] != "dense" and schemes[1] == "dense"


def test_select_filters_by_detector_pattern_in_order():
  chosen = detector_benchmark.select(["fasterrcnn_digits*"])
  assert [c.batch for c in chosen] == [1, 8]
  chosen = detector_benchmark.select(["*sp2*", "fasterrcnn_vgg16_scfusion8"])
  assert [c.detector for c in chosen] == [
      "fasterrcnn_vgg16_scfusion8", "fasterrcnn_vgg16_scfusion8",
      "fasterrcnn_vgg16_scfusion8_sp2_fc512"]
  with pytest.raises(ValueError, match=r"no detector comparison matches "
                     r"'fasterrcnn_vgg16'; the detectors are \["):
    detector_benchmark.select(["fasterrcnn_vgg16"])  # a baseline


@pytest.mark.parametrize("kwargs,message", [
    ({"input_size": (96, 100)}, "input_size must be .* multiples of 32"),
    ({"input_size": (96,)}, "input_size must be"),
    ({"baseline_input_size": (0, 64)}, "baseline_input_size must be"),
    ({"batch": 0}, "batch must be a positive int"),
    ({"batch": True}, "batch must be a positive int"),
    ({"paper_ms": (93.0, 0.0)}, "paper_ms must be two times > 0"),
])
def test_comparison_rejects_nonsense(kwargs, message):
  arguments = dict(detector="a", baseline="b", input_size=(64, 64))
  arguments.update(kwargs)
  with pytest.raises(ValueError, match=message):
    detector_benchmark.DetectorComparison(**arguments)


def test_measure_refuses_before_building_anything():
  with pytest.raises(ValueError, match="repeats must be a positive int"):
    detector_benchmark.measure([TINY], repeats=0)
  with pytest.raises(ValueError, match="implementation must be one of"):
    detector_benchmark.measure([TINY], implementation="fast")
  unknown = detector_benchmark.DetectorComparison(
      "fasterrcnn_digits_resnet18_sc", "fasterrcnn_digits_resnet81", (64, 64))
  with pytest.raises(ValueError, match="unknown detector "
                     "'fasterrcnn_digits_resnet81'"):
    detector_benchmark.measure([TINY, unknown])


def test_a_tiny_comparison_is_measured_and_tabulated():
  reported = []
  (result,) = detector_benchmark.measure(
      [TINY], implementation="reference", repeats=1, report=reported.append)
  assert reported == [result] and result.comparison == TINY
  assert result.detector_ms > 0 and result.baseline_ms > 0
  assert result.latency_ratio == pytest.approx(
      result.detector_ms / result.baseline_ms)
  # The FLOPs of detector_info, the box head on the digits detectors' 64
  # test proposals.
  flops = {name: detectors.detector_info(name, input_size=(64, 64),
                                         num_rois=64).flops
           for name in (TINY.detector, TINY.baseline)}
  assert result.flops_ratio == pytest.approx(
      flops[TINY.detector] / flops[TINY.baseline])
  (row,) = detector_benchmark.to_markdown([result]).splitlines()[2:]
  assert row.startswith("| fasterrcnn_digits_resnet18_sc | "
                        "fasterrcnn_digits_resnet18 | 64x64 / 64x64 | 1 | ")


def test_markdown_rows_say_whether_the_detector_is_faster():
  compact = detector_benchmark.select(["*sp2*"])[0]
  results = [detector_benchmark.DetectorLatency(compact, 0.1234, 50.0, 200.0),
             detector_benchmark.DetectorLatency(TINY, 1.006, 30.0, 20.0)]
  lines = detector_benchmark.to_markdown(results).splitlines()
  assert lines[0] == (
      "| detector | baseline | input (detector / baseline) | batch | "
      "FLOPs ratio | detector ms | baseline ms | latency ratio | "
      "paper ratio (K80) | faster |")
  assert lines[1].count("|") == lines[0].count("|")
  assert lines[2:] == [
      "| fasterrcnn_vgg16_scfusion8_sp2_fc512 | fasterrcnn_vgg16 | "
      "512x512 / 608x1024 | 1 | 0.123 | 50.0 | 200.0 | 0.250 | "
      "0.34 (93 / 275 ms) | yes |",
      "| fasterrcnn_digits_resnet18_sc | fasterrcnn_digits_resnet18 | "
      "64x64 / 64x64 | 1 | 1.006 | 30.0 | 20.0 | 1.500 |  | **no** |"]


def _run(monkeypatch, capsys, *args):
  """(exit status, stdout, stderr) of the tool run in this process."""
  return tool_runner.run_in_process(monkeypatch, capsys, "benchmark_detectors", *args)


def test_tool_writes_its_section_and_keeps_the_others(monkeypatch, capsys,
                                                      tmp_path):
  vgg16 = detector_benchmark.COMPARISONS[0]
  monkeypatch.setattr(detector_benchmark, "COMPARISONS", (vgg16, TINY))
  output = tmp_path / "BENCH.md"
  reports.write_markdown_section(str(output), "benchmark_models", "models")
  reports.write_markdown_section(str(output), "benchmark_detectors", "old")
  status, out, err = _run(monkeypatch, capsys, "--repeats", "1",
                          "--implementation", "reference",
                          "--detectors", "fasterrcnn_digits*",
                          "--output", str(output))
  assert not status, err
  assert err.strip() == (
      f"benchmark_detectors.py: warning: --detectors leaves out 1 of the 2 "
      f"comparisons: the benchmark_detectors section of {output} will hold "
      f"only the 1 measured now")
  text = output.read_text()
  assert "models" in text and "\nold\n" not in text
  section = text.split("<!-- benchmark_detectors: begin -->")[1]
  assert "# Detectors: latency relative to the dense baseline" in section
  assert "sparse layers on the `reference` path" in section
  assert "each of 1 runs" in section
  assert "| fasterrcnn_digits_resnet18_sc | fasterrcnn_digits_resnet18 | " \
         "64x64 / 64x64 | 1 |" in section
  assert "fasterrcnn_digits_resnet18_sc vs fasterrcnn_digits_resnet18" in out
  assert "fasterrcnn_vgg16" not in section
  assert sorted(p.name for p in tmp_path.iterdir()) == ["BENCH.md"]


def test_tool_refuses_a_missing_folder(monkeypatch, capsys, tmp_path):
  missing = tmp_path / "no" / "B.md"
  status, out, err = _run(monkeypatch, capsys, "--output", str(missing))
  assert status == 2 and out == ""
  assert err.strip() == (f"benchmark_detectors.py: error: --output "
                         f"{missing}: the folder {missing.parent} does not "
                         f"exist")
  assert not list(tmp_path.iterdir())


def test_tool_refuses_an_unknown_pattern_as_a_user_meets_it(tmp_path):
  result = tool_runner.run_tool(
      "benchmark_detectors", "--detectors", "fasterrcnn_digits*,nope*",
      "--output", str(tmp_path / "B.md"))
  tool_runner.assert_one_paragraph_error(
      result, "benchmark_detectors",
      "no detector comparison matches 'nope*'")
  assert not list(tmp_path.iterdir())
