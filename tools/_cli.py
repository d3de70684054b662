"""What every script in tools/ shares: quiet logs, one-paragraph errors,
warnings about ignored flags, and the evaluation tools' model flags
(`define_model_flags`, `load_evaluated_model`). Import it before anything that imports
TensorFlow (it never imports TensorFlow itself):

    import _cli  # quiet logs; puts the repository on sys.path
    from sparsezoo_tf import ...

    def main(argv): ...

    if __name__ == "__main__":
      _cli.run(main)

Logs. By default the tools hide TensorFlow's INFO and WARNING logs: the C++
ones (TF_CPP_MIN_LOG_LEVEL=2, unless it is set already), the Python ones
(the `tensorflow` logger at ERROR: deprecation notices), and, on a machine
without an NVIDIA GPU, the one ERROR line "failed call to cuInit" that
TensorFlow's CUDA build logs when it finds no GPU driver. Errors still
show, and so do the warnings of sparsezoo_tf and of the tools.
SPARSEZOO_VERBOSE=1 in the environment, or --verbosity (-v) on the command
line, shows everything TensorFlow logs, and the traceback of a tool error.

Exit status. 0: done. 2: the tool refused its input (a bad flag value, a
flag combination, a missing or malformed file or config): it prints one
paragraph `<tool>: error: <what is wrong>` on stderr, without traceback or
flag usage. 1: the run itself failed (a check that did not pass), or a bug,
which prints its traceback.
"""

import contextlib
import functools
import glob
import logging
import os
import re
import sys
import tempfile
from typing import Callable, Iterator, List, Optional, Sequence

from absl import app
from absl import flags
from absl import logging as absl_logging

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VERBOSE_ENV = "SPARSEZOO_VERBOSE"
USAGE_ERROR = 2
RUN_FAILED = 1
# What TensorFlow's CUDA build logs at ERROR when there is no GPU driver.
_NO_DRIVER_LINE = "failed call to cuInit"
# What TensorFlow logs at ERROR when a boolean op meets oneDNN without
# AVX-512 (Model Garden's detectors).
_ONEDNN_BOOL_LINE = "oneDNN supports DT_BOOL only on platforms with AVX-512"
_VERBOSITY_FLAG = re.compile(r"--?(v|verbosity)(=|$)")
_GIN_CALL_NOTE = re.compile(r"\s*In call to configurable '[^']*' \(<[^>]*>\)")

if ROOT not in sys.path:
  sys.path.insert(0, ROOT)


def verbose(argv: Optional[Sequence[str]] = None) -> bool:
  """Whether the user asked for TensorFlow's logs: SPARSEZOO_VERBOSE set to
  anything but "" or "0", or --verbosity / -v among the arguments
  (sys.argv by default)."""
  if os.environ.get(VERBOSE_ENV, "") not in ("", "0"):
    return True
  for arg in (sys.argv if argv is None else argv)[1:]:
    if arg == "--":
      break
    if _VERBOSITY_FLAG.match(arg):
      return True
  return False


def tool_name() -> str:
  """The running script's file name (`train_classifier.py`)."""
  return os.path.basename(sys.argv[0])


def _quiet_logs() -> None:
  """Hides TensorFlow's INFO and WARNING logs, unless `verbose()`; must run
  before TensorFlow is imported (its C++ logging reads the environment
  once)."""
  if verbose():
    return
  os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
  logging.getLogger("tensorflow").setLevel(logging.ERROR)


def _has_nvidia_device() -> bool:
  """Whether the machine shows an NVIDIA GPU (Linux device nodes, or WSL's
  GPU device)."""
  return bool(glob.glob("/dev/nvidia[0-9]*")) or os.path.exists("/dev/dxg")


def initialize_tensorflow() -> None:
  """Imports TensorFlow and initializes its devices (idempotent). On a
  machine without an NVIDIA GPU and unless `verbose()`, what TensorFlow
  writes to stderr meanwhile is passed on without its "failed call to
  cuInit" line. `run` calls it after parsing the flags when TensorFlow is
  imported by then; a tool that imports TensorFlow in `main` calls it
  first."""
  if verbose() or _has_nvidia_device():
    _list_devices()
    return
  with native_stderr_filtered(lambda line: _NO_DRIVER_LINE not in line):
    _list_devices()


@contextlib.contextmanager
def native_stderr_filtered(keep: Callable[[str], bool]) -> Iterator[None]:
  """Inside the block, what anything (native code included) writes to
  stderr is held back; on leaving it, the lines for which `keep` is true
  are written out. Nothing is held back when `verbose()`."""
  if verbose():
    yield
    return
  sys.stderr.flush()
  saved = os.dup(2)
  with tempfile.TemporaryFile() as capture:
    os.dup2(capture.fileno(), 2)
    try:
      yield
    finally:
      sys.stderr.flush()
      os.dup2(saved, 2)
      os.close(saved)
      capture.seek(0)
      for line in capture.read().decode(errors="replace").splitlines(True):
        if keep(line):
          sys.stderr.write(line)
      sys.stderr.flush()


@contextlib.contextmanager
def quiet_native_logs() -> Iterator[None]:
  """Inside the block, TensorFlow's ERROR line about oneDNN's boolean
  kernels on CPUs without AVX-512 (logged once, when Model Garden's
  detectors first run; harmless: TensorFlow falls back to Eigen) is
  dropped from stderr, unless `verbose()`; the rest passes, once the block
  ends."""
  with native_stderr_filtered(lambda line: _ONEDNN_BOOL_LINE not in line):
    yield


def converter_errors_only(line: str) -> bool:
  """For `native_stderr_filtered` around the TFLite converter and
  interpreter, whose C++ logs ignore TF_CPP_MIN_LOG_LEVEL: keeps the lines
  that report an error."""
  return "error" in line.lower()


def _list_devices() -> None:
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  tf.config.list_physical_devices()


def _expected_errors():
  """The exceptions that mean "the input is wrong" rather than a bug."""
  errors = [app.UsageError, flags.Error, ValueError, OSError]
  tf = sys.modules.get("tensorflow")
  if tf is not None:
    errors += [tf.errors.NotFoundError, tf.errors.PermissionDeniedError]
  return tuple(errors)


def error_message(error: BaseException) -> str:
  """One paragraph saying what is wrong, from an expected error."""
  if (isinstance(error, OSError) and error.strerror and error.filename and
      len(error.args) == 2):  # OS-raised: "[Errno 2] No such file..."
    text = f"{error.filename}: {error.strerror}"
  elif hasattr(error, "message") and isinstance(error.message, str):
    text = error.message  # tf.errors.OpError
  else:
    text = str(error) or type(error).__name__
  # gin (Model Garden's trainer) appends where a configurable was called.
  text = _GIN_CALL_NOTE.sub("", text)
  return " ".join(text.split())


def fail(message: str, status: int = USAGE_ERROR) -> None:
  """Prints `<tool>: error: message` (one paragraph) on stderr and exits
  with `status`."""
  sys.stderr.flush()
  print(f"{tool_name()}: error: {' '.join(message.split())}",
        file=sys.stderr, flush=True)
  sys.exit(status)


def check_output_folder(flag: str, output: str, overwrite: bool) -> None:
  """Refuses an output folder flag (--output_dir) that cannot be written:
  a file, a non-empty folder without --overwrite, or a missing parent.

  Raises:
    ValueError: naming the flag and what to do.
  """
  parent = os.path.dirname(os.path.abspath(output))
  if os.path.exists(output) and not os.path.isdir(output):
    raise ValueError(f"--{flag} {output} is a file; give a folder")
  if os.path.isdir(output) and os.listdir(output) and not overwrite:
    raise ValueError(f"--{flag} {output} exists and is not empty; pass "
                     f"--overwrite to replace it")
  if not os.path.isdir(parent):
    raise ValueError(f"--{flag} {output}: the folder {parent} does not "
                     f"exist")


def warn(message: str) -> None:
  """Prints `<tool>: warning: message` on stderr."""
  print(f"{tool_name()}: warning: {' '.join(message.split())}",
        file=sys.stderr, flush=True)


def warn_ignored_flag(name: str, reason: str) -> None:
  """Says that --name, given on the command line, has no effect and why
  (nothing when it was not given)."""
  if flags.FLAGS[name].present:
    warn(f"--{name} is ignored: {reason}")


def _parse_flags(argv: List[str]) -> List[str]:
  """absl's flag parsing, with its errors as one `fail` paragraph; then
  the logs' set-up that needs the flags, before absl's init callbacks (one
  of TensorFlow's lists the GPUs)."""
  try:
    argv = flags.FLAGS(argv)
  except flags.Error as error:
    fail(f"{error_message(error)} (--helpshort lists the flags)")
  if not verbose():
    absl_logging.set_verbosity(absl_logging.WARNING)
  if "tensorflow" in sys.modules:
    initialize_tensorflow()
  return argv


def _run_main(main: Callable[[List[str]], Optional[int]],
              argv: List[str]) -> Optional[int]:
  if len(argv) > 1:
    fail(f"unexpected arguments {argv[1:]}; every input is a --flag "
         f"(--helpshort lists them)")
  try:
    return main(argv)
  except _expected_errors() as error:
    if verbose():
      raise
    fail(error_message(error))


def run(main: Callable[[List[str]], Optional[int]]) -> None:
  """`absl.app.run(main)` with the tools' error handling (see the module
  docstring): flag errors and the input errors `main` raises (ValueError,
  OSError, app.UsageError, TensorFlow's NotFoundError and
  PermissionDeniedError) become one paragraph on stderr and exit status 2;
  other exceptions keep their traceback. `main` returns None, 0, or
  RUN_FAILED (1) when the run failed."""
  app.run(functools.partial(_run_main, main), flags_parser=_parse_flags)


_quiet_logs()


def define_model_flags() -> None:
  """--model, --weights and --model_dir, as the evaluation tools take them:
  a registered model with registered weights (or an .h5 file), or the
  folder of a finished training run."""
  flags.DEFINE_string("model", None, "Registered model name (default: the "
                      "run's, with --model_dir).")
  flags.DEFINE_string("weights", None,
                      "Registered weights name (e.g. digits) or an .h5 file.")
  flags.DEFINE_string("model_dir", None, "A finished training run.")
  flags.register_multi_flags_validator(
      ["weights", "model_dir"],
      lambda values: not (values["weights"] and values["model_dir"]),
      "give --weights or --model_dir, not both")
  flags.register_multi_flags_validator(
      ["model", "weights", "model_dir"],
      lambda values: bool(values["model_dir"] or (values["model"] and
                                                  values["weights"])),
      "give --model_dir, or --model and --weights")


def check_model_dir_flag() -> None:
  """Refuses a --model_dir that is a file (before TensorFlow is imported)."""
  model_dir = flags.FLAGS.model_dir
  if model_dir and os.path.isfile(model_dir):
    raise ValueError(
        f"--model_dir {model_dir} is a file; it takes the folder of a "
        f"training run (the one with its weights.h5 and metrics.json); a "
        f"weights file goes to --weights, with --model")


def load_evaluated_model(check: Optional[Callable] = None):
  """The model of --model_dir, or of --model with --weights, with its
  weights loaded (checked against their SHA-256).

  Args:
    check: called with (model, name) before the weights are loaded, so
      that a model the tool cannot use fails before any file is read.

  Returns:
    (model, name, weights as given, the weights file, its SHA-256, the
    dataset of the run or of the registered weights, else None).
  """
  # pylint: disable=g-import-not-at-top
  from sparsezoo_tf import models
  from sparsezoo_tf import training
  from sparsezoo_tf.models import weights as weights_lib
  from sparsezoo_tf.training import runs
  model_flags = flags.FLAGS
  if model_flags.model_dir:
    recipe = runs.run_recipe(model_flags.model_dir)
    name = recipe.model.name
    if model_flags.model and model_flags.model != name:
      raise ValueError(f"--model {model_flags.model} but "
                       f"{model_flags.model_dir} trained {name}")
    weights = runs.run_weights(model_flags.model_dir)
    model = training.build_model(recipe)
    dataset = recipe.data.dataset
  else:
    name, weights = model_flags.model, model_flags.weights
    model = models.create_model(name, weights=None)
    entry = {e.name: e for e in models.list_weights(name)}.get(weights)
    dataset = entry.dataset if entry else None
  if check is not None:
    check(model, name)
  resolved = weights_lib.resolve(name, weights)
  weights_lib.load_into(model, resolved)
  sha256 = (resolved.entry.sha256 if resolved.entry else
            weights_lib.file_sha256(resolved.path))
  return model, name, weights, resolved.path, sha256, dataset
