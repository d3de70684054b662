"""Plans: how the op computes a convolution with a fixed kernel support.

A plan is a list of blocks (tap, input-channel range, output-channel range)
over channels reordered by an input and an output permutation, such that the
support is exactly the union of the blocks. The op then runs one dense matrix
product per block (or per group of blocks), and the packed weight vector
holds only the weights that exist.

Packed layout: consecutive blocks with the same input range form a group; a
group is an [in_size, sum of out_size] row-major matrix whose columns are the
blocks' [in_size, out_size] matrices side by side, in block order. Groups
follow each other. This is the layout the C++ kernels read.
"""

import dataclasses
import functools
from typing import List, Tuple

import numpy as np

# Columns of `SparseConvPlan.blocks`.
TAP_Y, TAP_X, IN_START, IN_SIZE, OUT_START, OUT_SIZE = range(6)


@dataclasses.dataclass(frozen=True)
class WeightGroup:
  """Blocks sharing one input range, and where their weights are packed."""
  in_start: int
  in_size: int
  block_ids: Tuple[int, ...]
  offset: int   # first packed weight of the group
  columns: int  # sum of the blocks' out_size: the group's row length


@dataclasses.dataclass(frozen=True, eq=False)
class SparseConvPlan:
  """A compiled kernel support. Build one with `compile_plan`.

  Attributes:
    kernel_size: (rows, cols) of the kernel.
    in_channels: C.
    out_channels: K.
    blocks: int32 [num_blocks, 6]: (tap_y, tap_x, in_start, in_size,
      out_start, out_size), channel ranges in plan order.
    in_perm: int32 [C]; plan input channel i is tensor channel in_perm[i].
    out_perm: int32 [K]; plan output channel j is tensor channel out_perm[j].
  """
  kernel_size: Tuple[int, int]
  in_channels: int
  out_channels: int
  blocks: np.ndarray
  in_perm: np.ndarray
  out_perm: np.ndarray

  def __post_init__(self):
    blocks = np.asarray(self.blocks, dtype=np.int32).reshape(-1, 6)
    object.__setattr__(self, "blocks", blocks)
    object.__setattr__(self, "in_perm", np.asarray(self.in_perm, np.int32))
    object.__setattr__(self, "out_perm", np.asarray(self.out_perm, np.int32))
    object.__setattr__(self, "kernel_size", tuple(int(k) for k in
                                                  self.kernel_size))
    _validate(self)
    mask = np.zeros(self.dense_size, dtype=bool)
    mask[self.packed_index] = True
    if np.count_nonzero(mask) != self.packed_index.size:
      raise ValueError("blocks overlap: some kernel weight is in two blocks")
    for array in (self.blocks, self.in_perm, self.out_perm):
      array.setflags(write=False)

  @functools.cached_property
  def groups(self) -> List[WeightGroup]:
    """The weight groups, in packed order."""
    groups = []
    offset = 0
    b = 0
    while b < len(self.blocks):
      in_start, in_size = self.blocks[b, IN_START], self.blocks[b, IN_SIZE]
      end = b
      while (end < len(self.blocks) and self.blocks[end, IN_START] == in_start
             and self.blocks[end, IN_SIZE] == in_size):
        end += 1
      columns = int(self.blocks[b:end, OUT_SIZE].sum())
      groups.append(WeightGroup(int(in_start), int(in_size),
                                tuple(range(b, end)), offset, columns))
      offset += int(in_size) * columns
      b = end
    return groups

  @property
  def num_weights(self) -> int:
    """Length of the packed weight vector: the weights that exist."""
    return sum(g.in_size * g.columns for g in self.groups)

  @property
  def dense_size(self) -> int:
    rows, cols = self.kernel_size
    return rows * cols * self.in_channels * self.out_channels

  @property
  def density(self) -> float:
    """Fraction of the dense kernel's weights that exist."""
    return self.num_weights / self.dense_size

  @property
  def in_perm_is_identity(self) -> bool:
    return bool(np.array_equal(self.in_perm, np.arange(self.in_channels)))

  @property
  def out_perm_is_identity(self) -> bool:
    return bool(np.array_equal(self.out_perm, np.arange(self.out_channels)))

  @functools.cached_property
  def packed_index(self) -> np.ndarray:
    """int64 [num_weights]: flat index into a dense [kh, kw, C, K] kernel of
    every packed weight."""
    kh, kw = self.kernel_size
    c, k = self.in_channels, self.out_channels
    parts = []
    for group in self.groups:
      rows = self.in_perm[group.in_start:group.in_start + group.in_size]
      columns = []
      for b in group.block_ids:
        ty, tx, _, _, k0, kn = self.blocks[b]
        tap = int(ty) * kw + int(tx)
        columns.append(tap * c * k + self.out_perm[k0:k0 + kn].astype(np.int64))
      index = rows.astype(np.int64)[:, None] * k + np.concatenate(columns)[None]
      parts.append(index.reshape(-1))
    if not parts:
      return np.zeros([0], np.int64)
    return np.concatenate(parts)

  @functools.cached_property
  def support(self) -> np.ndarray:
    """The boolean support [kh, kw, C, K] this plan computes."""
    mask = np.zeros(self.dense_size, dtype=bool)
    mask[self.packed_index] = True
    return mask.reshape(self.dense_shape)

  @property
  def dense_shape(self) -> Tuple[int, int, int, int]:
    return self.kernel_size + (self.in_channels, self.out_channels)

  def pack(self, kernel: np.ndarray) -> np.ndarray:
    """Dense kernel [kh, kw, C, K] -> packed weights (missing ones dropped)."""
    kernel = np.asarray(kernel)
    if kernel.shape != self.dense_shape:
      raise ValueError(f"kernel has shape {kernel.shape}, the plan needs "
                       f"{self.dense_shape}")
    return kernel.reshape(-1)[self.packed_index]

  def unpack(self, packed: np.ndarray) -> np.ndarray:
    """Packed weights -> dense kernel [kh, kw, C, K] with zeros elsewhere."""
    packed = np.asarray(packed)
    if packed.shape != (self.num_weights,):
      raise ValueError(f"packed weights have shape {packed.shape}, the plan "
                       f"needs ({self.num_weights},)")
    dense = np.zeros(self.dense_size, dtype=packed.dtype)
    dense[self.packed_index] = packed
    return dense.reshape(self.dense_shape)

  def fingerprint(self) -> str:
    """A short hash that identifies the plan's computation."""
    import hashlib  # pylint: disable=g-import-not-at-top
    digest = hashlib.sha256()
    digest.update(np.asarray(self.kernel_size, np.int32).tobytes())
    for array in (self.blocks, self.in_perm, self.out_perm):
      digest.update(np.int64(array.size).tobytes())
      digest.update(array.tobytes())
    return digest.hexdigest()[:16]

  def __eq__(self, other):
    return (isinstance(other, SparseConvPlan) and
            self.fingerprint() == other.fingerprint())

  def __hash__(self):
    return hash(self.fingerprint())

  def __repr__(self):
    kh, kw = self.kernel_size
    return (f"SparseConvPlan({kh}x{kw}, {self.in_channels}->"
            f"{self.out_channels}, blocks={len(self.blocks)}, "
            f"weights={self.num_weights}, density={self.density:.3f})")


def _check_permutation(name: str, perm: np.ndarray, size: int) -> None:
  if perm.shape != (size,) or not np.array_equal(np.sort(perm),
                                                 np.arange(size)):
    raise ValueError(f"{name} must be a permutation of range({size}), got "
                     f"{perm.tolist() if perm.size <= 16 else perm.shape}")


def _validate(plan: SparseConvPlan) -> None:
  """Python-side twin of the C++ checks, for errors at plan construction."""
  kh, kw = plan.kernel_size
  if kh < 1 or kw < 1:
    raise ValueError(f"kernel_size must be positive, got {plan.kernel_size}")
  if plan.in_channels < 1 or plan.out_channels < 1:
    raise ValueError("in_channels and out_channels must be positive")
  _check_permutation("in_perm", plan.in_perm, plan.in_channels)
  _check_permutation("out_perm", plan.out_perm, plan.out_channels)
  b = plan.blocks
  bad = ((b[:, TAP_Y] < 0) | (b[:, TAP_Y] >= kh) | (b[:, TAP_X] < 0) |
         (b[:, TAP_X] >= kw) | (b[:, IN_START] < 0) | (b[:, IN_SIZE] < 1) |
         (b[:, IN_START] + b[:, IN_SIZE] > plan.in_channels) |
         (b[:, OUT_START] < 0) | (b[:, OUT_SIZE] < 1) |
         (b[:, OUT_START] + b[:, OUT_SIZE] > plan.out_channels))
  if bad.any():
    first = int(np.flatnonzero(bad)[0])
    raise ValueError(f"block {first} = {b[first].tolist()} is outside the "
                     f"{kh}x{kw} kernel or the {plan.in_channels}->"
                     f"{plan.out_channels} channels")


def _classes_by_first_appearance(rows: np.ndarray) -> List[np.ndarray]:
  """Groups identical rows; returns member indices per class, classes in the
  order of their first member."""
  if rows.shape[0] == 0:
    return []
  packed = np.packbits(rows, axis=1)
  keys = np.ascontiguousarray(packed).view(
      np.dtype((np.void, packed.shape[1] * packed.itemsize))).ravel()
  _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
  order = np.argsort(first)
  return [np.flatnonzero(inverse == cls) for cls in order]


def compile_plan(support: np.ndarray) -> SparseConvPlan:
  """Compiles a boolean support [kh, kw, C, K] into a plan.

  Output channels with identical kernels form a class, and so do input
  channels with identical connections to the output classes. Listing the
  classes one after the other (the permutations) makes every (tap, input
  class, output class) either fully present or fully absent, and runs of
  present output classes become single blocks. Dense, SW-SC, CW-SC, group
  convolution (with or without a shuffle) and periodic pSConv supports all
  compile to a few large blocks; an unstructured support still compiles
  exactly, into many small ones.
  """
  support = np.asarray(support)
  if support.ndim != 4:
    raise ValueError(f"support must be 4-D [kh, kw, C, K], got shape "
                     f"{support.shape}")
  if support.dtype != bool:
    values = np.unique(support)
    if not np.isin(values, [0, 1]).all():
      raise ValueError("support must contain only 0/1 (or booleans)")
    support = support.astype(bool)
  kh, kw, c, k = support.shape
  if min(support.shape) < 1:
    raise ValueError(f"support has an empty dimension: {support.shape}")
  taps = kh * kw
  flat = support.reshape(taps, c, k)

  out_classes = _classes_by_first_appearance(
      flat.transpose(2, 0, 1).reshape(k, taps * c))
  representatives = np.array([members[0] for members in out_classes])
  out_starts = np.cumsum([0] + [len(m) for m in out_classes])
  in_signature = flat[:, :, representatives].transpose(1, 0, 2).reshape(
      c, taps * len(out_classes))
  in_classes = _classes_by_first_appearance(in_signature)

  blocks = []
  in_start = 0
  for members in in_classes:
    size = len(members)
    for tap in range(taps):
      connected = flat[tap, members[0], representatives]
      j = 0
      while j < len(out_classes):
        if not connected[j]:
          j += 1
          continue
        first = j
        while j < len(out_classes) and connected[j]:
          j += 1
        blocks.append((tap // kw, tap % kw, in_start, size, out_starts[first],
                       out_starts[j] - out_starts[first]))
    in_start += size
  return SparseConvPlan(
      kernel_size=(kh, kw),
      in_channels=c,
      out_channels=k,
      blocks=np.array(blocks, dtype=np.int32).reshape(-1, 6),
      in_perm=np.concatenate(in_classes).astype(np.int32),
      out_perm=np.concatenate(out_classes).astype(np.int32))
