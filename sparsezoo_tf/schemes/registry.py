"""The scheme registry: one `Scheme` per pre-defined sparse scheme.

A scheme is what replaces a network's body convolutions. Its one canonical
name is used everywhere: the pattern and plan (`plan_from_name`), the
layer's mode, the zoo's model suffix (`resnet50_sc`), `ModelInfo.scheme`
and the tools' flags.

Three kinds of entries:
  * a layer scheme: one layer whose support is `pattern` (e.g. "sw_sc",
    "psc4", "group4_shuffle"); `plan` builds the op's plan for it;
  * a composite scheme: layer schemes chosen per convolution, by kernel
    size (`spatial` for k x k, `pointwise` for 1x1) or in turn (`sequence`;
    e.g. "sc" = SW-SC on k x k and CW-SC on 1x1);
  * a block scheme: one layer standing for a convolution that is itself
    several convolutions (scFusion, IGC blocks, paper 001's designs); no
    single pattern.

Parameterized schemes ("psc<kss>", "scfusion<alpha>", "group<groups>")
are registered once as a `SchemeFamily` whose `build` makes the entry for
one value. This module is NumPy-only (no TensorFlow): layers are named by
their class in `sparsezoo_tf.layers`, or given as a class.
"""

import dataclasses
import difflib
import math
import re
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union

import numpy as np

from sparsezoo_tf.ops.plan import compile_plan
from sparsezoo_tf.ops.plan import SparseConvPlan

Pattern = Callable[..., np.ndarray]
Plan = Callable[..., SparseConvPlan]


def is_pointwise(kernel_size) -> bool:
  """Whether a kernel size (int or (rows, cols)) is 1x1."""
  rows, cols = ((kernel_size, kernel_size) if isinstance(kernel_size, int)
                else tuple(kernel_size))
  return rows == 1 and cols == 1


@dataclasses.dataclass(frozen=True)
class Scheme:
  """One registered scheme (see the module docstring for the kinds).

  Attributes:
    name: the canonical name.
    description: one line, for listings.
    papers: the seed papers that define it ("000" ... "004").
    pattern: for a layer scheme, `pattern(kernel_size, in_channels,
      out_channels, seed=...)` -> boolean support [k, k, in, out].
    plan: for a layer scheme, the plan constructor with the same arguments
      (cached); None compiles `pattern` on every call.
    layer: the Keras layer class of a layer or block scheme, or its name in
      `sparsezoo_tf.layers`; None for "dense" (a plain `Conv2D`).
    layer_options: constructor arguments the scheme fixes (e.g. the
      `mode` of `SparseComplementaryConv2D`, `kss` of `PSConv2D`).
    seeded: the layer takes a `seed` (drawn supports, pSConv).
    conv_arguments: the layer takes `Conv2D`'s `padding`, `use_bias`,
      `kernel_initializer` and `kernel_regularizer` (the IGC blocks and
      paper 001's designs choose their own).
    spatial: for a composite, the scheme of k x k (k > 1) convolutions.
    pointwise: the scheme of 1x1 body convolutions; None: this scheme's
      own layer (or, for a composite, "dense").
    sequence: for a composite, schemes used in turn by consecutive k x k
      convolutions of a model.
    out_multiple, in_multiple: what the output / input channel counts of
      this scheme's own layer must be multiples of (its pattern checks
      the rest, e.g. SW-SC's odd square kernels).
  """
  name: str
  description: str
  papers: Tuple[str, ...] = ()
  pattern: Optional[Pattern] = None
  plan: Optional[Plan] = None
  layer: Union[str, type, None] = None
  layer_options: Mapping[str, Any] = dataclasses.field(default_factory=dict)
  seeded: bool = False
  conv_arguments: bool = True
  spatial: Optional[str] = None
  pointwise: Optional[str] = None
  sequence: Tuple[str, ...] = ()
  out_multiple: int = 1
  in_multiple: int = 1

  @property
  def kind(self) -> str:
    """"layer", "composite" or "block"."""
    if self.spatial or self.sequence:
      return "composite"
    return "layer" if self.pattern is not None else "block"

  def for_conv(self, kernel_size, index: int = 0) -> "Scheme":
    """The layer or block scheme of one body convolution.

    Args:
      kernel_size: int or (rows, cols) of the convolution.
      index: how many k x k convolutions this scheme has built before in
        the model (for `sequence`).
    """
    if is_pointwise(kernel_size):
      if self.pointwise is not None:
        return get_scheme(self.pointwise)
      return get_scheme("dense") if self.kind == "composite" else self
    if self.sequence:
      return get_scheme(self.sequence[index % len(self.sequence)])
    if self.spatial:
      return get_scheme(self.spatial)
    return self

  def channel_multiple(self, kernel_sizes=(3,)) -> int:
    """The multiple every channel count must be when this scheme builds
    convolutions of these kernel sizes (the width rule of the families)."""
    multiple = 1
    for size in kernel_sizes:
      for index in range(max(1, len(self.sequence))):
        part = self.for_conv(size, index)
        multiple = math.lcm(multiple, part.out_multiple, part.in_multiple)
    return multiple

  def make_plan(self, kernel_size, in_channels: int, out_channels: int,
                seed: int = 0) -> SparseConvPlan:
    """The op's plan of this scheme's convolution (a layer scheme, or a
    composite's part for `kernel_size`)."""
    part = self.for_conv(kernel_size)
    if part.pattern is None:
      raise ValueError(
          f"scheme {part.name!r} is a block of several convolutions "
          f"({part.description}); it has no single plan")
    extra = {"seed": seed} if part.seeded else {}
    if part.plan is not None:
      return part.plan(kernel_size, in_channels, out_channels, **extra)
    return compile_plan(part.pattern(kernel_size, in_channels, out_channels,
                                     **extra))


@dataclasses.dataclass(frozen=True)
class SchemeFamily:
  """Parameterized schemes: `template` such as "psc<kss>" names them, and
  `build(**values)` makes the `Scheme` of one name (values are ints).

  `match`, when given, replaces the template's pattern: it returns the
  values for a name of the family, or None.
  """
  template: str
  description: str
  build: Callable[..., Scheme]
  papers: Tuple[str, ...] = ()
  match: Optional[Callable[[str], Optional[Dict[str, Any]]]] = None

  def values(self, name: str) -> Optional[Dict[str, Any]]:
    if self.match is not None:
      return self.match(name)
    fields = re.findall(r"<(\w+)>", self.template)
    regex = re.sub(r"<\w+>", r"([1-9]\\d*)", re.escape(self.template)
                   .replace(r"\<", "<").replace(r"\>", ">"))
    found = re.fullmatch(regex, name)
    if not found:
      return None
    return {field: int(value) for field, value in zip(fields, found.groups())}


_SCHEMES: Dict[str, Scheme] = {}
_FAMILIES: Dict[str, SchemeFamily] = {}
_BUILT: Dict[str, Scheme] = {}


def register_scheme(scheme: Union[Scheme, SchemeFamily]):
  """Registers a scheme or a parameterized family; returns it.

  Raises:
    ValueError: a name or template registered twice, or a scheme whose
      parts are not registered yet.
  """
  if isinstance(scheme, SchemeFamily):
    if scheme.template in _FAMILIES:
      raise ValueError(f"scheme family {scheme.template!r} is registered "
                       f"twice")
    _FAMILIES[scheme.template] = scheme
    return scheme
  if not isinstance(scheme, Scheme):
    raise ValueError(f"register_scheme takes a Scheme or SchemeFamily, got "
                     f"{type(scheme).__name__}")
  if scheme.name in _SCHEMES:
    raise ValueError(f"scheme {scheme.name!r} is registered twice")
  for part in (scheme.spatial, scheme.pointwise) + scheme.sequence:
    if part is not None:
      get_scheme(part)
  _SCHEMES[scheme.name] = scheme
  return scheme


def unregister_scheme(name: str) -> None:
  """Removes a scheme or family (for tests that register throwaway ones)."""
  _SCHEMES.pop(name, None)
  _FAMILIES.pop(name, None)
  _BUILT.clear()


def get_scheme(name: str) -> Scheme:
  """The registered scheme of this name ("sc", "psc4", "scfusion2", ...).

  Raises:
    ValueError: an unknown name, with the nearest known ones.
  """
  if isinstance(name, str):
    if name in _SCHEMES:
      return _SCHEMES[name]
    if name in _BUILT:
      return _BUILT[name]
    for family in _FAMILIES.values():
      values = family.values(name)
      if values is not None:
        scheme = family.build(**values)
        if scheme.name != name:
          raise ValueError(f"scheme family {family.template!r} built "
                           f"{scheme.name!r} for {name!r}")
        _BUILT[name] = scheme
        return scheme
  close = difflib.get_close_matches(str(name), list_schemes(), n=3)
  hint = f"; did you mean {', '.join(close)}?" if close else ""
  raise ValueError(f"unknown scheme {name!r}{hint} (known: "
                   f"{', '.join(list_schemes())})")


def list_schemes() -> List[str]:
  """The registered names and family templates, sorted."""
  return sorted(list(_SCHEMES) + list(_FAMILIES))


def describe_schemes() -> List[Tuple[str, str, str, Tuple[str, ...]]]:
  """(name or template, kind, description, papers) of every entry."""
  rows = []
  for name in list_schemes():
    if name in _SCHEMES:
      scheme = _SCHEMES[name]
      rows.append((name, scheme.kind, scheme.description, scheme.papers))
    else:
      family = _FAMILIES[name]
      rows.append((name, "family", family.description, family.papers))
  return rows


def plan_from_name(name: str, kernel_size, in_channels: int,
                   out_channels: int, seed: int = 0) -> SparseConvPlan:
  """The plan of a scheme's convolution, as the tools' flags name it:
  e.g. `plan_from_name("sw_sc", 3, 64, 64)`, "psc4", "group4_shuffle";
  a composite gives its part for `kernel_size` ("sc" with 1 is CW-SC).

  Raises:
    ValueError: an unknown scheme, or a block scheme (no single plan).
  """
  return get_scheme(name).make_plan(kernel_size, in_channels, out_channels,
                                    seed=seed)
