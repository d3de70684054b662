"""Every zoo model with a paper row matches that row: parameters within
0.5 %, multiply-adds within 6 % (the fidelity rule). Rows that cannot be
matched say why (`PaperRow.mismatch`) and are strict expected failures."""

import pytest

from sparsezoo_tf import analysis
from sparsezoo_tf import models

PARAMS_TOLERANCE = 0.005
FLOPS_TOLERANCE = 0.06


def _cases():
  cases = []
  for name in models.list_models():
    for row in models.model_info(name).rows:
      marks = ([pytest.mark.xfail(reason=row.mismatch, strict=True)]
               if row.mismatch else [])
      cases.append(pytest.param(name, row, id=f"{name}-{row.paper}-"
                                f"{row.table.replace(' ', '')}",
                                marks=marks))
  return cases


_COSTS = {}


def _cost(name):
  if name not in _COSTS:
    info = models.model_info(name)
    model = models.create_model(name, weights=None)
    _COSTS[name] = analysis.count_model(model, info.input_shape)
  return _COSTS[name]


@pytest.mark.parametrize("name,row", _cases())
def test_parameters_and_flops_match_the_paper(name, row):
  cost = _cost(name)
  if row.params is not None:
    assert cost.params == pytest.approx(row.params, rel=PARAMS_TOLERANCE), (
        f"{name}: {cost.params:,} parameters, {row.paper} {row.table} "
        f"{row.row!r} says {row.params:,.0f}")
  if row.flops is not None:
    assert cost.multiply_adds == pytest.approx(row.flops,
                                               rel=FLOPS_TOLERANCE), (
        f"{name}: {cost.multiply_adds:,} multiply-adds, {row.paper} "
        f"{row.table} {row.row!r} says {row.flops:,.0f}")


def test_every_row_names_a_paper_and_a_table():
  for name in models.list_models():
    for row in models.model_info(name).rows:
      assert row.paper in ("000", "001", "002", "003", "004"), name
      assert row.table and row.row, name
      assert row.params is not None or row.flops is not None, name
