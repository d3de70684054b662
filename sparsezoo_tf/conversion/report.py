"""The report `sparsify` returns: one row per convolution and Dense layer,
with parameters and multiply-adds before and after, printed as a table."""

import dataclasses
from typing import List, Optional, Sequence, Tuple


@dataclasses.dataclass(frozen=True)
class LayerConversion:
  """What `sparsify` did with one convolution or Dense layer.

  Attributes:
    name: the layer name (the new layer keeps it).
    old_class: the original layer's class.
    new_class: the new layer's class ("+Activation" when an Activation
      follows a scheme block that has none).
    scheme: the scheme part of a converted layer ("sw_sc", "cw_sc",
      "scfusion4", ...), None when kept.
    reason: why the layer is kept ("" when converted).
    channels_before, channels_after: (input, output) channel counts.
    params_before, params_after: trainable parameters (None when unknown).
    macs_before, macs_after: multiply-adds for one example (None when the
      shapes are not static).
    weights: "copied" (the original weights), "masked copy" (the original
      kernel at the positions the scheme keeps) or "re-initialized".
  """
  name: str
  old_class: str
  new_class: str
  scheme: Optional[str]
  reason: str
  channels_before: Tuple[Optional[int], Optional[int]]
  channels_after: Tuple[Optional[int], Optional[int]]
  params_before: Optional[int]
  params_after: Optional[int]
  macs_before: Optional[int]
  macs_after: Optional[int]
  weights: str

  @property
  def converted(self) -> bool:
    return self.scheme is not None


@dataclasses.dataclass(frozen=True)
class ConversionReport:
  """The per-layer report of `sparsify`; `str(report)` is a table.

  Attributes:
    model_name: the model's name.
    scheme: the scheme name.
    match: None, "flops" or "params".
    multiplier: the width multiplier w (1.0 when `match` is None).
    tolerance: the relative tolerance of `match`.
    rows: one `LayerConversion` per convolution and Dense layer, in model
      order.
    params_before, params_after: trainable parameters of the whole models.
    macs_before, macs_after: multiply-adds of the whole models for one
      example (None when the input shape is not static).
    input_shape: the input shape costs are counted at (no batch dimension).
    reinitialized: every layer of the new model whose weights are fresh
      (including BatchNormalization and Dense layers whose width changed).
    evaluations: (w, cost) of every width tried by the `match` search.
    notes: other things to know (e.g. a tolerance that was not reached).
  """
  model_name: str
  scheme: str
  match: Optional[str]
  multiplier: float
  tolerance: Optional[float]
  rows: Tuple[LayerConversion, ...]
  params_before: int
  params_after: int
  macs_before: Optional[int]
  macs_after: Optional[int]
  input_shape: Optional[Tuple[Optional[int], ...]]
  reinitialized: Tuple[str, ...] = ()
  evaluations: Tuple[Tuple[float, int], ...] = ()
  notes: Tuple[str, ...] = ()

  @property
  def converted(self) -> List[LayerConversion]:
    """The rows of the converted layers."""
    return [row for row in self.rows if row.converted]

  @property
  def kept(self) -> List[LayerConversion]:
    """The rows of the layers kept as they were, each with its reason."""
    return [row for row in self.rows if not row.converted]

  @property
  def ratio(self) -> Optional[float]:
    """The matched cost after / before (None when `match` is None)."""
    if self.match == "params":
      return self.params_after / self.params_before
    if self.match == "flops" and self.macs_before:
      return self.macs_after / self.macs_before
    return None

  @property
  def within_tolerance(self) -> Optional[bool]:
    """Whether the matched cost is within the tolerance (None: no match)."""
    ratio = self.ratio
    if ratio is None or self.tolerance is None:
      return None
    return abs(ratio - 1.0) <= self.tolerance

  def table(self) -> str:
    """The report as an aligned text table, then totals and notes."""
    headers = ("layer", "before", "after", "in/out", "trainable params",
               "MACs",
               "weights", "kept because")
    lines = []
    for row in self.rows:
      after = row.new_class + (f" ({row.scheme})" if row.scheme else "")
      lines.append((
          row.name, row.old_class, after,
          _change(_channels(row.channels_before),
                  _channels(row.channels_after)),
          _change(_count(row.params_before), _count(row.params_after)),
          _change(_count(row.macs_before), _count(row.macs_after)),
          row.weights, row.reason))
    rows_params = [sum(r.params_before or 0 for r in self.rows),
                   sum(r.params_after or 0 for r in self.rows)]
    rows_macs = [sum(r.macs_before or 0 for r in self.rows),
                 sum(r.macs_after or 0 for r in self.rows)]
    lines.append(("(other layers)", "", "", "",
                  _change(_count(self.params_before - rows_params[0]),
                          _count(self.params_after - rows_params[1])),
                  _change(_difference(self.macs_before, rows_macs[0]),
                          _difference(self.macs_after, rows_macs[1])),
                  "", ""))
    lines.append(("total", "", "", "",
                  _change(_count(self.params_before),
                          _count(self.params_after)),
                  _change(_count(self.macs_before), _count(self.macs_after)),
                  "", ""))
    text = _align(headers, lines)
    summary = [
        f"{self.model_name}: scheme {self.scheme!r}, "
        f"{len(self.converted)} of {len(self.rows)} layers converted, "
        f"width multiplier w = {self.multiplier:.5g}"
        + (f" (match={self.match!r})" if self.match else " (widths kept)"),
        f"params {_ratio(self.params_after, self.params_before)}, "
        f"MACs {_ratio(self.macs_after, self.macs_before)}"
        + (f" at input {self.input_shape}" if self.input_shape else ""),
    ]
    if self.match:
      state = "within" if self.within_tolerance else "NOT within"
      summary.append(f"{self.match} after / before = {self.ratio:.4f}: "
                     f"{state} the tolerance {self.tolerance:.1%}")
    if self.reinitialized:
      summary.append(f"re-initialized: {len(self.reinitialized)} layers "
                     f"(see report.reinitialized)")
    return "\n".join([text, ""] + summary + list(self.notes))

  def print_table(self) -> None:
    """Prints `table()`."""
    print(self.table())

  def __str__(self) -> str:
    return self.table()


def _count(value: Optional[int]) -> str:
  return "?" if value is None else f"{value:,}"


def _difference(total: Optional[int], part: int) -> str:
  return "?" if total is None else f"{total - part:,}"


def _change(before: str, after: str) -> str:
  return before if before == after else f"{before} -> {after}"


def _channels(pair) -> str:
  return "/".join("?" if v is None else str(v) for v in pair)


def _ratio(after: Optional[int], before: Optional[int]) -> str:
  if after is None or before is None:
    return "?"
  text = f"{before:,} -> {after:,}"
  return text + (f" ({after / before:.3f}x)" if before else "")


def _align(headers: Sequence[str], lines: Sequence[Sequence[str]]) -> str:
  """Left-aligned columns; numeric columns right-aligned."""
  numeric = {4, 5}
  columns = list(zip(headers, *lines))
  sizes = [max(len(str(v)) for v in column) for column in columns]
  def render(values):
    cells = [(str(v).rjust(size) if i in numeric else str(v).ljust(size))
             for i, (v, size) in enumerate(zip(values, sizes))]
    return "  ".join(cells).rstrip()
  rule = "  ".join("-" * size for size in sizes)
  return "\n".join([render(headers), rule] +
                   [render(line) for line in lines[:-1]] + [rule,
                                                            render(lines[-1])])
