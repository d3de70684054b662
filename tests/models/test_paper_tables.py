"""Every zoo model with a paper row matches that row: parameters within
0.5 % (or rounding to the printed value, `PaperRow.params_unit`),
multiply-adds within 6 % (the fidelity rule). Rows that cannot be matched
say why (`PaperRow.mismatch`) and are strict expected failures."""

import pytest

from sparsezoo_tf import models
from sparsezoo_tf.benchmarks import zoo_table

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


# Counts do not depend on the implementation: the reference-path run of the
# suite skips this module (see the Makefile).
pytestmark = pytest.mark.single_path


@pytest.mark.parametrize("name,row", _cases())
def test_parameters_and_flops_match_the_paper(name, row):
  cost = zoo_table.model_cost(name)
  if row.params is not None:
    params = (cost.convolution_params if row.params_counted == "convolutions"
              else cost.params)
    tolerance = max(PARAMS_TOLERANCE * row.params, row.params_unit / 2)
    assert abs(params - row.params) <= tolerance, (
        f"{name}: {params:,} parameters ({row.params_counted}), "
        f"{row.paper} {row.table} {row.row!r} says {row.params:,.0f}")
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
