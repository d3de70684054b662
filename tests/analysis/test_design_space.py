"""Paper 001's design-space reduction reaches its four final designs."""

import os
import subprocess
import sys

import pytest

from sparsezoo_tf.analysis import design_space as ds

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))


@pytest.fixture(scope="module")
def reduction():
  return ds.reduce_design_space()


def test_the_design_space_has_4_to_the_1_through_6_candidates():
  assert len(ds.all_designs()) == 4 + 16 + 64 + 256 + 1024 + 4096


@pytest.mark.parametrize("design,repeated", [
    ("AAAAAA", True), ("ABABAB", True), ("ABCABC", True), ("QQD", True),
    ("QDQ", False), ("GQ", False), ("PDP", False), ("D", False),
])
def test_repeated_pattern_filter(design, repeated):
  assert ds.has_repeated_pattern(design) == repeated


@pytest.mark.parametrize("design,groups,expected", [
    ("D", (64,), ds.TOO_SMALL),          # (3, 3, 1): the paper's example
    ("DP", (64, 1), ds.PASS),
    ("PD", (1, 64), ds.PASS),
    ("DD", (64, 64), ds.EXCEEDS),         # (5, 5, 1)
    ("DPP", (64, 1, 1), ds.NO_GROWTH),    # the second PW adds nothing
    ("GQ", (4, 32), ds.TOO_SMALL),        # 16 * 2 = 32 < 64 channels
    ("GQ", (8, 8), ds.PASS),              # M N = C
])
def test_information_field_trace(design, groups, expected):
  assert ds.trace(design, groups, 64) == expected


def test_the_four_final_designs_of_the_paper(reduction):
  final = {(ds.describe(d), bottleneck)
           for d, bottleneck in reduction.final_designs}
  assert final == {("DW+PW", False), ("GConv+PWGConv", False),
                   ("PWGConv+DW+PWGConv", False), ("PW+DW+PW", True)}


def test_stage_counts(reduction):
  """The numbers the closing note reports; each filter must remove some."""
  counts = [(s.name, s.entered, len(s.survivors)) for s in reduction.stages]
  assert counts == [("repeated pattern", 5460, 1108),
                    ("early stop", 1108, 23),
                    ("information field", 23, 16),
                    ("minimality", 16, 7),
                    ("efficiency dominance", 7, 5),
                    ("rotation", 5, 3)]
  bottleneck = [len(s.survivors) for s in reduction.bottleneck_stages]
  assert bottleneck == [69, 2, 2, 2, 1, 1]


@pytest.mark.parametrize("channels", [48, 256])
def test_the_answer_does_not_depend_on_the_channel_count(channels, reduction):
  other = ds.reduce_design_space(channels=channels)
  assert other.final_designs == reduction.final_designs


@pytest.mark.parametrize("channels", [16, 64, 256, 1024])
def test_theorem_1_best_groups_multiply_to_the_width(channels):
  """GConv(M) + PWGConv(N) is most efficient iff M N = C."""
  _, (m, n) = ds.best_parameters("GQ", channels)
  assert m * n == channels


@pytest.mark.parametrize("channels", [64, 256])
def test_efficiency_formulas_of_section_3_3(channels):
  c = f = channels
  ratio, _ = ds.parameter_ratio("DP", channels)
  assert ratio == pytest.approx(1 / f + 1 / 9)                  # 3.3.1
  ratio, _ = ds.parameter_ratio("PDP", channels, bottleneck=True)
  assert ratio == pytest.approx((f / 4) * (c + f + 9) / (9 * c * f))  # 3.3.3
  ratio, (m, n) = ds.parameter_ratio("GQ", channels)
  assert ratio == pytest.approx((9 * c * c / m + c * f / n) / (9 * c * f))


def test_tool_prints_the_counts_and_the_final_designs():
  result = subprocess.run(
      [sys.executable, os.path.join(ROOT, "tools", "design_space.py")],
      capture_output=True, text=True, timeout=300, check=True)
  assert "| repeated pattern | 5460 | repeated pattern: 4352 | 1108 |" in (
      result.stdout)
  final = result.stdout.split("Final designs")[1]
  for design in ("| DW+PW |", "| GConv(64)+PWGConv(4) |",
                 "| PWGConv(16)+DW+PWGConv(16) |", "| PW+DW+PW | 1:4 |"):
    assert design in final
