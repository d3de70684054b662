"""Argument checks shared by the pattern constructors."""

from typing import Sequence, Tuple, Union

KernelSize = Union[int, Sequence[int]]


def kernel_pair(kernel_size: KernelSize) -> Tuple[int, int]:
  """Returns (rows, cols) of a kernel size given as an int or a pair."""
  if isinstance(kernel_size, bool):
    raise TypeError(f"kernel_size must be an int or a pair, got {kernel_size!r}")
  if isinstance(kernel_size, int):
    pair = (kernel_size, kernel_size)
  else:
    pair = tuple(kernel_size)
    if len(pair) != 2:
      raise ValueError(
          f"kernel_size must be an int or a pair of ints, got {kernel_size!r}")
  for value in pair:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
      raise ValueError(
          f"kernel_size entries must be positive ints, got {kernel_size!r}")
  return pair


def positive_int(name: str, value) -> int:
  """Checks that `value` is a positive int and returns it."""
  if isinstance(value, bool) or not isinstance(value, int) or value < 1:
    raise ValueError(f"{name} must be a positive int, got {value!r}")
  return value


def divisible(name: str, value: int, by: int, reason: str) -> None:
  """Raises ValueError when `value` is not a multiple of `by`."""
  if value % by:
    raise ValueError(
        f"{name}={value} is not divisible by {by}: {reason}")
