"""Design-space reduction of paper 001 (section 3.1), made executable.

Candidates are all sequences of 1..6 basic sparse kernels: G = GConv(M)
(3x3 group), D = DW (3x3 depthwise), P = PW (1x1), Q = PWGConv(N) (1x1
group); 4^1 + ... + 4^6 = 5460 of them. The paper's filters, in order:

1. Composition: drop designs including a repeated pattern, the paper's
   regular expression `(.+?)\\1+` searched anywhere in the design.
2. Early stop (efficiency): trace the information field (h, w, c) from
   (1, 1, 1), kernel by kernel; stop when a kernel does not grow it or when
   it exceeds the standard convolution's (3, 3, C).
3. Information field (performance): keep a design whose trace ends at
   exactly (3, 3, C).
   Group numbers: every M, N with 1 < M, N < C is tried, channel
   permutations are allowed (so a group kernel with g channels per group
   multiplies the channel field by g); a design survives when one
   assignment passes (the paper's footnote 1).

The paper then reduces the survivors "manually" to four designs. These are
the rules that reproduce that step, each from the paper's own text:

4. Minimality ("the same size of information field ... is already retained
   by a fraction of sparse kernels in a design"): drop a design when a
   proper subsequence of its kernels passes 2-3.
5. Efficiency dominance (section 3.3): drop a design when another survivor
   with no more kernels needs no more parameters at every width C (best
   group numbers, C_in = C_out = C, C = 8 ... 1024) and fewer at one.
6. Stacking: blocks are stacked, so a design and its rotations (PW+DW and
   DW+PW) build the same network; keep the rotation whose first spatial
   kernel comes earliest.
7. Bottleneck ("we also consider the bottleneck structure"): designs
   P...P whose last PW only expands the bottleneck width back (K = F/4) go
   through 1-6 with that expansion exempt from the growth check and their
   parameters counted at the bottleneck width.
"""

import dataclasses
import itertools
import re
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

KERNEL_NAMES = {"G": "GConv", "D": "DW", "P": "PW", "Q": "PWGConv"}
SPATIAL = frozenset("GD")
GROUPED = frozenset("GQ")
MAX_LENGTH = 6
DEFAULT_CHANNELS = 64
DOMINANCE_WIDTHS = tuple(2**e for e in range(3, 11))
BOTTLENECK_RATIO = 4
_REPEATED = re.compile(r"(.+?)\1+")

PASS = "pass"
NO_GROWTH = "early stop: a kernel does not grow the field"
EXCEEDS = "early stop: the field exceeds the standard convolution's"
TOO_SMALL = "information field smaller than the standard convolution's"


def all_designs(max_length: int = MAX_LENGTH) -> List[str]:
  """Every sequence of 1..max_length kernels over "GDPQ"."""
  return ["".join(p) for length in range(1, max_length + 1)
          for p in itertools.product("GDPQ", repeat=length)]


def has_repeated_pattern(design: str) -> bool:
  """True when the design includes a pattern repeated back to back
  (AAAAAA, ABABAB, ABCABC, and also e.g. "QQ" in "QQD")."""
  return _REPEATED.search(design) is not None


def describe(design: str, groups: Optional[Sequence[int]] = None) -> str:
  """"QDQ" -> "PWGConv+DW+PWGConv" (with group numbers when given)."""
  names = []
  for index, kernel in enumerate(design):
    name = KERNEL_NAMES[kernel]
    if groups is not None and kernel in GROUPED:
      name += f"({groups[index]})"
    names.append(name)
  return "+".join(names)


def _group_choices(kernel: str, width: int) -> List[int]:
  if kernel in GROUPED:
    return [g for g in range(2, width) if width % g == 0]
  return [width if kernel == "D" else 1]


def _input_widths(design: str, channels: int, bottleneck: bool) -> List[int]:
  """Channels entering each kernel: C, then C / 4 inside a bottleneck."""
  mid = channels // BOTTLENECK_RATIO if bottleneck else channels
  return [channels] + [mid] * (len(design) - 1)


def trace(design: str, groups: Sequence[int], channels: int,
          expansion_exempt: bool = False) -> str:
  """Runs the early-stop trace of the information field for one group
  assignment (groups[i] for kernel i; DW has one group per channel, PW
  one). With `expansion_exempt` (a bottleneck design) the kernels after
  the first work on C / 4 channels and the last one, the expansion, need
  not grow the field.

  Returns PASS, NO_GROWTH, EXCEEDS or TOO_SMALL.
  """
  size, field = 1, 1
  widths = _input_widths(design, channels, expansion_exempt)
  for index, (kernel, group) in enumerate(zip(design, groups)):
    new_size = size + (2 if kernel in SPATIAL else 0)
    new_field = min(channels, field * (widths[index] // group))
    exempt = expansion_exempt and index == len(design) - 1
    if (new_size, new_field) == (size, field) and not exempt:
      return NO_GROWTH
    if new_size > 3:
      return EXCEEDS
    size, field = new_size, new_field
  return PASS if (size, field) == (3, channels) else TOO_SMALL


def assignments(design: str, channels: int,
                bottleneck: bool = False) -> Iterable[Tuple[int, ...]]:
  """Every choice of group numbers (1 < M < width for GConv and PWGConv)."""
  widths = _input_widths(design, channels, bottleneck)
  return itertools.product(*(_group_choices(k, w)
                             for k, w in zip(design, widths)))


def field_verdict(design: str, channels: int = DEFAULT_CHANNELS,
                  expansion_exempt: bool = False) -> str:
  """PASS when some group assignment passes; otherwise TOO_SMALL when some
  assignment completes the trace, else the early stop (NO_GROWTH before
  EXCEEDS when both occur)."""
  outcomes = set()
  for groups in assignments(design, channels, expansion_exempt):
    outcome = trace(design, groups, channels, expansion_exempt)
    if outcome == PASS:
      return PASS
    outcomes.add(outcome)
  for outcome in (TOO_SMALL, NO_GROWTH, EXCEEDS):
    if outcome in outcomes:
      return outcome
  return EXCEEDS


def parameters(design: str, groups: Sequence[int], channels: int,
               bottleneck: bool = False) -> int:
  """Weights per output pixel with C_in = C_out = C; between kernels the
  width is C, or C / 4 for a bottleneck design."""
  mid = channels // BOTTLENECK_RATIO if bottleneck else channels
  total, width = 0, channels
  for index, (kernel, group) in enumerate(zip(design, groups)):
    out = channels if index == len(design) - 1 else mid
    if kernel == "D":
      out = width
      total += 9 * width
    else:
      area = 9 if kernel in SPATIAL else 1
      total += area * width * out // group
    width = out
  return total


def best_parameters(design: str, channels: int, bottleneck: bool = False
                    ) -> Tuple[Optional[int], Optional[Tuple[int, ...]]]:
  """The fewest parameters over group assignments that pass the field
  check at this width, and that assignment; (None, None) if none does."""
  best, best_groups = None, None
  for groups in assignments(design, channels, bottleneck):
    if trace(design, groups, channels, bottleneck) != PASS:
      continue
    count = parameters(design, groups, channels, bottleneck)
    if best is None or count < best:
      best, best_groups = count, tuple(groups)
  return best, best_groups


def _is_subsequence(short: str, long: str) -> bool:
  remaining = iter(long)
  return all(kernel in remaining for kernel in short)


def _proper_subsequences(design: str) -> Iterable[str]:
  for length in range(1, len(design)):
    for picks in itertools.combinations(range(len(design)), length):
      yield "".join(design[i] for i in picks)


def is_minimal(design: str, channels: int, bottleneck: bool = False) -> bool:
  """No proper subsequence (of the same family) passes the field check."""
  for sub in set(_proper_subsequences(design)):
    if bottleneck and not is_bottleneck_candidate(sub):
      continue
    if field_verdict(sub, channels, bottleneck) == PASS:
      return False
  return True


def _dominates(better: str, worse: str, bottleneck: bool) -> bool:
  strictly = False
  for width in DOMINANCE_WIDTHS:
    a, _ = best_parameters(better, width, bottleneck)
    b, _ = best_parameters(worse, width, bottleneck)
    if a is None:
      if b is not None:
        return False
      continue
    if b is not None and a > b:
      return False
    if b is None or a < b:
      strictly = True
  return strictly


def undominated(designs: Sequence[str], bottleneck: bool = False
                ) -> List[str]:
  return [d for d in designs if not any(
      other != d and len(other) <= len(d) and
      _dominates(other, d, bottleneck) for other in designs)]


def _first_spatial(design: str) -> int:
  return min((i for i, k in enumerate(design) if k in SPATIAL),
             default=len(design))


def one_per_rotation(designs: Sequence[str]) -> List[str]:
  """Keeps one design per class of cyclic rotations: the one whose first
  spatial kernel comes earliest (the first listed on ties)."""
  kept: Dict[frozenset, str] = {}
  for design in designs:
    key = frozenset(design[i:] + design[:i] for i in range(len(design)))
    current = kept.get(key)
    if current is None or _first_spatial(design) < _first_spatial(current):
      kept[key] = design
  return [d for d in designs if d in kept.values()]


def is_bottleneck_candidate(design: str) -> bool:
  """PW reduction ... PW expansion, with something in between."""
  return len(design) >= 3 and design[0] == "P" and design[-1] == "P"


@dataclasses.dataclass
class Stage:
  """One filter: what went in, what it removed (by reason) and what
  survived."""
  name: str
  entered: int
  removed: Dict[str, int]
  survivors: List[str]


@dataclasses.dataclass
class Reduction:
  """The whole reduction: the stages of the plain and the bottleneck
  families and the final designs."""
  channels: int
  total: int
  stages: List[Stage]
  bottleneck_stages: List[Stage]
  final: List[str]
  final_bottleneck: List[str]

  @property
  def final_designs(self) -> List[Tuple[str, bool]]:
    """(design letters, is_bottleneck) of the final designs."""
    return ([(d, False) for d in self.final] +
            [(d, True) for d in self.final_bottleneck])


def _field_stages(designs: Sequence[str], channels: int,
                  bottleneck: bool) -> Tuple[Stage, Stage]:
  verdicts = {d: field_verdict(d, channels, bottleneck) for d in designs}
  after_early_stop = [d for d in designs if verdicts[d] not in
                      (NO_GROWTH, EXCEEDS)]
  early = Stage("early stop", len(designs), {
      NO_GROWTH: sum(v == NO_GROWTH for v in verdicts.values()),
      EXCEEDS: sum(v == EXCEEDS for v in verdicts.values())},
                after_early_stop)
  passing = [d for d in after_early_stop if verdicts[d] == PASS]
  field = Stage("information field", len(after_early_stop),
                {TOO_SMALL: len(after_early_stop) - len(passing)}, passing)
  return early, field


def _reduce(designs: Sequence[str], channels: int,
            bottleneck: bool) -> List[Stage]:
  stages = []
  unrepeated = [d for d in designs if not has_repeated_pattern(d)]
  stages.append(Stage("repeated pattern", len(designs),
                      {"repeated pattern": len(designs) - len(unrepeated)},
                      unrepeated))
  stages.extend(_field_stages(unrepeated, channels, bottleneck))
  passing = stages[-1].survivors
  minimal = [d for d in passing if is_minimal(d, channels, bottleneck)]
  stages.append(Stage("minimality", len(passing),
                      {"a subset of the kernels suffices":
                           len(passing) - len(minimal)}, minimal))
  efficient = undominated(minimal, bottleneck)
  stages.append(Stage("efficiency dominance", len(minimal),
                      {"dominated": len(minimal) - len(efficient)},
                      efficient))
  distinct = one_per_rotation(efficient)
  stages.append(Stage("rotation", len(efficient),
                      {"a rotation of a kept design":
                           len(efficient) - len(distinct)}, distinct))
  return stages


def reduce_design_space(max_length: int = MAX_LENGTH,
                        channels: int = DEFAULT_CHANNELS) -> Reduction:
  """Runs the whole reduction (see the module docstring).

  Args:
    max_length: longest design (the paper: 6).
    channels: C used for the group numbers of the field check.

  Returns:
    A `Reduction` with the per-stage counts and the final designs.
  """
  designs = all_designs(max_length)
  stages = _reduce(designs, channels, bottleneck=False)
  bottleneck_designs = [d for d in designs if is_bottleneck_candidate(d)]
  bottleneck_stages = _reduce(bottleneck_designs, channels, bottleneck=True)
  already = set(stages[-1].survivors)
  final_bottleneck = [d for d in bottleneck_stages[-1].survivors
                      if d not in already]
  return Reduction(channels, len(designs), stages, bottleneck_stages,
                   stages[-1].survivors, final_bottleneck)


def parameter_ratio(design: str, channels: int,
                    bottleneck: bool = False) -> Tuple[float, Tuple[int, ...]]:
  """Best parameters / standard convolution's (9 C^2) at width C, and the
  group numbers that achieve it."""
  count, groups = best_parameters(design, channels, bottleneck)
  if count is None:
    raise ValueError(f"{describe(design)} cannot keep the full information "
                     f"field at C={channels}")
  return count / (9 * channels * channels), groups


def _stage_rows(stages: Sequence[Stage]) -> List[str]:
  rows = []
  for stage in stages:
    reasons = "; ".join(f"{reason}: {count}"
                        for reason, count in stage.removed.items())
    shown = (", ".join(describe(d) for d in stage.survivors)
             if len(stage.survivors) <= 16 else "")
    rows.append(f"| {stage.name} | {stage.entered} | {reasons} | "
                f"{len(stage.survivors)} | {shown} |")
  return rows


def format_reduction(reduction: Reduction, width: int = 256) -> str:
  """The reduction as Markdown: one table per family (stage, candidates in,
  removed by reason, survivors) and the final designs with their best
  parameter ratio to a standard 3x3 convolution at C_in = C_out = width."""
  header = ["| stage | in | removed | left | designs left |",
            "|---|---|---|---|---|"]
  lines = [f"Design space: {reduction.total} sequences of 1..6 kernels "
           f"(group numbers tried at C = {reduction.channels}).", "",
           "Plain designs:", ""] + header + _stage_rows(reduction.stages)
  lines += ["", "Bottleneck designs (PW ... PW, inner width C/4):", ""]
  lines += header + _stage_rows(reduction.bottleneck_stages)
  lines += ["", f"Final designs (parameters / standard 3x3 convolution at "
            f"C = F = {width}, best group numbers):", "",
            "| design | bottleneck | groups | parameter ratio |",
            "|---|---|---|---|"]
  for design, bottleneck in reduction.final_designs:
    ratio, groups = parameter_ratio(design, width, bottleneck)
    lines.append(f"| {describe(design, groups)} | "
                 f"{'1:4' if bottleneck else '-'} | "
                 f"{', '.join(str(g) for k, g in zip(design, groups) if k in GROUPED) or '-'}"
                 f" | {ratio:.4f} |")
  return "\n".join(lines)
