"""The interleaved timing loop of the benchmark tools (no TensorFlow, so
that tools/gpu_check.py can use it where TensorFlow is absent)."""

from typing import Callable, Dict


def interleaved_minimum(fns: Dict[str, Callable], repeats: int,
                        seconds_per_call: Callable[[Callable], float]
                        ) -> Dict[str, float]:
  """For every function, the minimum over `repeats` runs of
  `seconds_per_call(fn)`. The functions take turns within each run, so a
  change in machine load affects them alike. Warm the functions up first."""
  best = {name: float("inf") for name in fns}
  for _ in range(repeats):
    for name, fn in fns.items():
      best[name] = min(best[name], seconds_per_call(fn))
  return best
