"""Sparse kernel designs of paper 001 ("Penetrating the Fog", section 3.2),
as names: a design is written as the paper writes it, kernels joined by
"+" ("conv" standard k x k, "gconv<M>", "dw", "pw", "pwgconv<N>"); its
scheme name joins them by "_" ("pwgconv4_dw_pwgconv4"). The layers are in
`sparsezoo_tf.layers.sparse_kernel_designs`.
"""

import re
from typing import List, Optional, Tuple

FINAL_DESIGNS = ("dw+pw", "gconv<M>+pwgconv<N>", "pw+dw+pw",
                 "pwgconv<M>+dw+pwgconv<N>")
_TOKEN = re.compile(r"^(conv|dw|pw|gconv(\d+)|pwgconv(\d+))$")


def parse_design(design: str) -> List[Tuple[str, int]]:
  """"pwgconv4+dw+pwgconv4" -> [("pwgconv", 4), ("dw", 1), ("pwgconv", 4)].

  Raises:
    ValueError: naming the token that is not a basic sparse kernel.
  """
  if not isinstance(design, str) or not design.strip():
    raise ValueError(f"design must be a non-empty string such as "
                     f"'pwgconv4+dw+pwgconv4', got {design!r}")
  kernels = []
  for token in design.lower().replace(" ", "").split("+"):
    match = _TOKEN.match(token)
    if not match:
      raise ValueError(
          f"unknown kernel {token!r} in design {design!r}; kernels are "
          f"conv, gconv<M>, dw, pw, pwgconv<N> joined by '+'")
    groups = int(match.group(2) or match.group(3) or 1)
    if groups < 1:
      raise ValueError(f"{token!r}: the number of groups must be >= 1")
    kind = token.rstrip("0123456789")
    kernels.append((kind, groups))
  return kernels


def design_from_scheme(name: str) -> Optional[str]:
  """"pwgconv4_dw_pwgconv4" -> "pwgconv4+dw+pwgconv4"; None when the name
  is not a design of at least two kernels in its canonical spelling
  (lower case, no spaces)."""
  if (not isinstance(name, str) or "_" not in name or name != name.lower()
      or " " in name):
    return None
  design = name.replace("_", "+")
  try:
    parse_design(design)
  except ValueError:
    return None
  return design
