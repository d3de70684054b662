"""Tests of `sparsezoo_tf.export` and `tools/export.py`.

Reloading is checked in fresh processes: the default (portable) SavedModel
with `saved_model_cli run` in plain TensorFlow with `sparsezoo_tf` made
unimportable, a SavedModel of the op (and the .keras files) in a process
that imports `sparsezoo_tf`.
"""

import ast
import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras

from sparsezoo_tf import export
from sparsezoo_tf import layers
from sparsezoo_tf import models
from sparsezoo_tf import ops
from sparsezoo_tf.models import weights as weights_lib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "training"))
# pylint: disable-next=g-import-not-at-top,wrong-import-position
import tool_runner

# Export does not depend on the convolution path the layers take: the op /
# reference cases are chosen explicitly below.
pytestmark = pytest.mark.single_path

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
TOOL = os.path.join(ROOT, "tools", "export.py")
SAVED_MODEL_CLI = os.path.join(os.path.dirname(sys.executable),
                               "saved_model_cli")
TOLERANCE = 1e-5
OP_REGISTERED_ERROR = "Op type not registered 'SparseZoo>SparseConv2D'"


def _export_tool():
  """tools/export.py as a module (loaded once: it defines its flags)."""
  return tool_runner.load_tool("export")


def _outputs(model, x):
  return model(x, training=False).numpy()


def _random_like(model, seed):
  """Random weights (positive BN variances), unlike a fresh model's."""
  rng = np.random.default_rng(seed)
  model.set_weights([rng.standard_normal(w.shape).astype(np.float32) * 0.1
                     + (1.0 if "variance" in w.name else 0.0)
                     for w in model.weights])


class _Background:
  """Processes started early and waited for by the tests that need them
  (a fresh TensorFlow process takes seconds to start; they overlap with
  the in-process tests). Output goes to files: no pipe can fill up."""

  def __init__(self, directory):
    self.directory = directory
    self.processes = {}

  def start(self, name, argv, env=None):
    stdout = open(self.directory / f"{name}.out", "w")
    stderr = open(self.directory / f"{name}.err", "w")
    self.processes[name] = subprocess.Popen(
        argv, stdout=stdout, stderr=stderr, text=True, cwd=ROOT,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})})
    stdout.close()
    stderr.close()

  def start_script(self, name, script, *args, env=None):
    self.start(name, [sys.executable, "-c", textwrap.dedent(script), *args],
               env)

  def wait(self, name):
    """(return code, stdout, stderr) of a finished process."""
    returncode = self.processes[name].wait(timeout=300)
    return (returncode, (self.directory / f"{name}.out").read_text(),
            (self.directory / f"{name}.err").read_text())

  def json(self, name):
    """The last stdout line of a script that must succeed, as JSON."""
    returncode, stdout, stderr = self.wait(name)
    assert returncode == 0, (f"{name} exited with {returncode}\n"
                             f"{stdout[-3000:]}\n{stderr[-3000:]}")
    return json.loads(stdout.strip().splitlines()[-1])

  def stop(self):
    for process in self.processes.values():
      if process.poll() is None:
        process.kill()
        process.wait()


# saved_model_cli in a process where sparsezoo_tf cannot be imported (the
# venv has it installed, so it is blocked), then what loading the op's
# SavedModel gives there. Writes its findings as JSON.
PLAIN_TF_SCRIPT = """
import json, runpy, sys
sys.modules["sparsezoo_tf"] = None   # importing the package now fails
cli, saved_model, x_path, out_dir, op_saved_model, result_path = sys.argv[1:7]
result = {}
try:
  import sparsezoo_tf  # noqa: F401
  result["import_error"] = None
except ImportError as error:
  result["import_error"] = str(error)
sys.argv = ["saved_model_cli", "run", "--dir", saved_model, "--tag_set",
            "serve", "--signature_def", "serving_default", "--inputs",
            f"images={x_path}", "--outdir", out_dir]
try:
  runpy.run_path(cli, run_name="__main__")
  result["cli_exit"] = 0
except SystemExit as exit_:
  result["cli_exit"] = exit_.code or 0
if op_saved_model:
  import tensorflow as tf
  try:
    tf.saved_model.load(op_saved_model)
    result["op_error"] = None
  except Exception as error:  # what a process without the op library sees
    result["op_error"] = f"{type(error).__name__}: {error}"
result["imported"] = sorted(m for m, v in sys.modules.items()
                            if m.startswith("sparsezoo_tf") and v is not None)
with open(result_path, "w") as stream:
  json.dump(result, stream)
"""

SPARSEZOO_SCRIPT = """
import json, sys
import numpy as np
import tensorflow as tf
import tf_keras
import sparsezoo_tf   # loads the op library, registers layers and models
from sparsezoo_tf import export, ops
x_path, out_dir, op_saved_model, *keras_files = sys.argv[1:]
x = np.load(x_path)
result = {}
if op_saved_model:
  loaded = tf.saved_model.load(op_saved_model)  # nothing but the import
  result["op_registered"] = ops.load_library() is not None
  outputs = loaded.signatures["serving_default"](images=tf.constant(x))
  np.save(f"{out_dir}/op_saved_model.npy", outputs["predictions"].numpy())
  helper_loaded = export.load_saved_model(op_saved_model)
  np.save(f"{out_dir}/op_saved_model_helper.npy",
          helper_loaded.serve(x)["predictions"].numpy())
for index, path in enumerate(keras_files):
  model = tf_keras.models.load_model(path)
  np.save(f"{out_dir}/keras{index}.npy", model(x, training=False).numpy())
print(json.dumps(result))
"""


@pytest.fixture(scope="module")
def inputs():
  return np.random.default_rng(0).standard_normal((5, 8, 8, 1)).astype(
      np.float32)


@pytest.fixture(scope="module")
def zoo_model():
  """A zoo model as users build it: the layers' default implementation
  ("auto": the op where the library is built)."""
  return models.create_model("digits_cnn_sc", weights="digits")


@pytest.fixture(scope="module")
def tiny_model():
  """A quick model with a sparse layer, for the tests of the mechanics."""
  inputs = keras.Input((6, 6, 4))
  x = layers.SparseComplementaryConv2D(4, 3, mode="sw_sc")(inputs)
  x = keras.layers.GlobalAveragePooling2D()(x)
  return keras.Model(inputs, keras.layers.Dense(3, name="predictions")(x))


@pytest.fixture(scope="module")
def runs(tmp_path_factory, inputs, zoo_model):
  """Starts the tool end to end with its defaults, exports digits_cnn_sc
  with the library's defaults and (when the library is usable)
  digits_cnn_psc4 on the op, and starts the fresh processes that run
  them."""
  root = tmp_path_factory.mktemp("exports")
  background = _Background(root)
  result = {"root": root, "background": background}
  # The tool: weights written by "training" (random here) with their
  # SHA-256 record, a model kwarg.
  tool_model = models.create_model("digits_cnn_psc4", classes=5)
  _random_like(tool_model, 2)
  tool_model.save_weights(str(root / "weights.h5"))
  _write_record(root / "weights.h5")
  result["tool_expected"] = _outputs(tool_model, inputs)
  background.start("tool", [
      sys.executable, TOOL, "--model", "digits_cnn_psc4", "--checkpoint",
      str(root / "weights.h5"), "--model_kwargs", "classes=5",
      "--batch_size", str(len(inputs)), "--output",
      str(root / "tool" / "export")])

  np.save(root / "x.npy", inputs)
  # Verification is covered by the tool run; the fresh processes check
  # these exports.
  result["default"] = export.export_model(zoo_model, str(root / "default"),
                                          verify=False)
  result["default_expected"] = _outputs(zoo_model, inputs)
  if ops.unavailable_reason() is None:
    op_model = models.create_model("digits_cnn_psc4", weights="digits")
    result["op"] = export.export_model(op_model, str(root / "op"),
                                       verify=False, implementation="op")
    result["op_expected"] = _outputs(op_model, inputs)
  op_dir = result["op"]["saved_model"] if "op" in result else ""
  background.start_script(
      "plain", PLAIN_TF_SCRIPT, SAVED_MODEL_CLI,
      result["default"]["saved_model"], str(root / "x.npy"),
      str(root / "cli"), op_dir, str(root / "plain.json"),
      env={ops.loader.LIBRARY_ENV: "/nonexistent/lib.so"})
  keras_files = [result["default"]["keras"]]
  keras_files += [result["op"]["keras"]] if "op" in result else []
  (root / "sparsezoo_run").mkdir()
  background.start_script("sparsezoo", SPARSEZOO_SCRIPT, str(root / "x.npy"),
                          str(root / "sparsezoo_run"), op_dir, *keras_files)
  yield result
  background.stop()


def _write_record(path):
  """A `sha256sum` record next to `path`, computed here with hashlib."""
  digest = hashlib.sha256(path.read_bytes()).hexdigest()
  (path.parent / f"{path.name}.sha256").write_text(
      f"{digest}  {path.name}\n")


def _manifest(paths):
  with open(paths["metadata"]) as stream:
    return json.load(stream)


def _leftovers(directory):
  """Temporary siblings an export left behind."""
  return sorted(name for name in os.listdir(directory)
                if name.startswith("."))


# In-process tests first: the processes `runs` starts work meanwhile.


def test_export_writes_the_formats_and_metadata(runs):
  paths = runs["default"]
  assert sorted(paths) == ["keras", "metadata", "saved_model"]
  assert os.path.isfile(os.path.join(paths["saved_model"], "saved_model.pb"))
  assert os.path.isfile(paths["keras"])
  info = _manifest(paths)
  assert info["model"] == "digits_cnn_sc"
  assert info["input"] == {"name": "images", "dtype": "float32",
                           "shape": [None, 8, 8, 1]}
  assert info["keras"] == {"file": "model.keras",
                           "requires": "import sparsezoo_tf"}
  assert _leftovers(runs["root"]) == []


def test_default_saved_model_is_portable_and_keras_file_keeps_auto(runs):
  """The zoo model's layers say "auto" (the op where it is built); the
  SavedModel is traced on the reference path all the same, and the .keras
  file keeps what the layers say."""
  paths = runs["default"]
  assert export.saved_model_custom_ops(paths["saved_model"]) == []
  info = _manifest(paths)["saved_model"]
  assert info["implementation"] == "reference"
  assert info["custom_ops"] == [] and info["loads_in_plain_tensorflow"]
  assert info["requires"] is None
  with zipfile.ZipFile(paths["keras"]) as archive:
    config = json.loads(archive.read("config.json"))
  settings = set()

  def collect(value):
    if isinstance(value, dict):
      for key, item in value.items():
        if key == "implementation":
          settings.add(item)
        collect(item)
    elif isinstance(value, list):
      for item in value:
        collect(item)

  collect(config)
  assert settings == {"auto"}


def test_keras_file_carries_its_sha256_record(runs):
  keras_file = runs["default"]["keras"]
  with open(keras_file, "rb") as stream:
    digest = hashlib.sha256(stream.read()).hexdigest()
  with open(keras_file + ".sha256") as stream:
    assert stream.read() == f"{digest}  model.keras\n"
  if shutil.which("sha256sum"):  # the record is sha256sum's format
    result = subprocess.run(["sha256sum", "-c", "model.keras.sha256"],
                            cwd=os.path.dirname(keras_file),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "model.keras: OK" in result.stdout


def test_load_keras_model_refuses_a_file_that_does_not_match_its_record(
    runs, tmp_path):
  copy = tmp_path / "model.keras"
  shutil.copy(runs["default"]["keras"], copy)
  shutil.copy(runs["default"]["keras"] + ".sha256", str(copy) + ".sha256")
  assert export.load_keras_model(str(copy)) is not None
  data = bytearray(copy.read_bytes())
  data[len(data) // 2] ^= 0xFF
  copy.write_bytes(bytes(data))
  with pytest.raises(ValueError, match=f"{copy}.*sha256 "
                     f"{hashlib.sha256(bytes(data)).hexdigest()}"):
    export.load_keras_model(str(copy))


def test_export_implementation_must_be_reference_or_op(tmp_path, monkeypatch,
                                                       tiny_model):
  with pytest.raises(ValueError, match="'auto' is not an export choice.*"
                     "'reference'.*import sparsezoo_tf"):
    export.export_model(tiny_model, str(tmp_path / "a"),
                        implementation="auto")
  with pytest.raises(ValueError, match="must be one of"):
    export.export_zoo_model("digits_cnn_sc", str(tmp_path / "b"),
                            implementation="fast")
  monkeypatch.setattr(export.ops, "unavailable_reason",
                      lambda: "no library in this test")
  with pytest.raises(RuntimeError, match="no library in this test.*"
                     "implementation='reference'"):
    export.export_model(tiny_model, str(tmp_path / "c"), implementation="op")
  assert os.listdir(tmp_path) == []


def test_serving_model_rebuilds_only_when_the_path_differs(inputs):
  model = models.create_model("digits_cnn_sc", implementation="reference")
  _random_like(model, 3)
  assert export.serving_model(model, "reference") is model
  copy = export.serving_model(model, "op")
  assert copy is not model
  assert {layer.implementation for layer in copy.layers
          if hasattr(layer, "implementation")} == {"op"}
  if ops.op_available():
    np.testing.assert_allclose(_outputs(copy, inputs), _outputs(model, inputs),
                               rtol=TOLERANCE, atol=TOLERANCE)


def test_a_checkpoint_that_does_not_match_its_record_is_not_exported(
    tmp_path):
  source = models.create_model("digits_cnn")
  path = tmp_path / "weights.h5"
  source.save_weights(str(path))
  _write_record(path)
  expected = (tmp_path / "weights.h5.sha256").read_text().split()[0]
  data = bytearray(path.read_bytes())
  data[len(data) // 2] ^= 0xFF
  path.write_bytes(bytes(data))
  with pytest.raises(ValueError, match=f"{path}.*sha256 "
                     f"{hashlib.sha256(data).hexdigest()}, expected "
                     f"{expected}.*nothing was loaded"):
    export.export_zoo_model("digits_cnn", str(tmp_path / "out"),
                            checkpoint=str(path))
  assert not (tmp_path / "out").exists()


def test_failed_save_leaves_nothing(tmp_path, monkeypatch, tiny_model):
  def fail(*args, **kwargs):
    raise OSError("disk full")

  monkeypatch.setattr(tf.saved_model, "save", fail)
  output = tmp_path / "out"
  with pytest.raises(OSError, match="disk full"):
    export.export_model(tiny_model, str(output))
  assert not output.exists()
  assert _leftovers(tmp_path) == []


def test_failure_after_the_saved_model_leaves_nothing(tmp_path, monkeypatch,
                                                     tiny_model):
  def fail(*args, **kwargs):
    raise OSError("cannot write the .keras file")

  monkeypatch.setattr(keras.Model, "save", fail)
  output = tmp_path / "out"
  with pytest.raises(OSError, match="cannot write"):
    export.export_model(tiny_model, str(output), verify=False)
  assert not output.exists()
  assert _leftovers(tmp_path) == []


def test_failed_verification_keeps_the_old_output(tmp_path, monkeypatch,
                                                  tiny_model):
  output = tmp_path / "out"
  output.mkdir()
  (output / "old.txt").write_text("previous export")
  other = keras.models.clone_model(tiny_model)  # other weights
  monkeypatch.setattr(export, "load_keras_model", lambda *a, **k: other)
  with pytest.raises(RuntimeError, match="export check failed.*differs"):
    export.export_model(tiny_model, str(output), formats="keras",
                        overwrite=True)
  assert os.listdir(output) == ["old.txt"]
  assert _leftovers(tmp_path) == []


def test_refuses_to_overwrite_unless_asked(tmp_path, tiny_model):
  output = tmp_path / "out"
  output.mkdir()
  export.export_model(tiny_model, str(output), formats="keras",
                      verify=False)  # an empty directory is fine
  with pytest.raises(FileExistsError, match="overwrite"):
    export.export_model(tiny_model, str(output), formats="keras",
                        verify=False)
  (output / "stale.txt").write_text("from an older export")
  paths = export.export_model(tiny_model, str(output), formats="keras",
                              verify=False, overwrite=True)
  assert sorted(os.listdir(output)) == ["export.json", "model.keras",
                                        "model.keras.sha256"]
  assert paths["keras"] == str(output / "model.keras")
  assert _leftovers(tmp_path) == []
  file_output = tmp_path / "file"
  file_output.write_text("x")
  with pytest.raises(FileExistsError, match="not a directory"):
    export.export_model(tiny_model, str(file_output), overwrite=True)


def test_unknown_model_and_bad_formats(tmp_path, tiny_model):
  with pytest.raises(ValueError, match="unknown model 'digits_cnn_nope'"):
    export.export_zoo_model("digits_cnn_nope", str(tmp_path / "a"))
  with pytest.raises(ValueError, match=r"unknown export format\(s\) \['onnx'"):
    export.export_model(tiny_model, str(tmp_path / "b"),
                        formats="saved_model,onnx")
  with pytest.raises(ValueError, match="no export format"):
    export.parse_formats(" , ")
  with pytest.raises(ValueError, match="not both"):
    export.export_zoo_model("digits_cnn_sc", str(tmp_path / "c"),
                            weights="digits", checkpoint=str(tmp_path))
  with pytest.raises(ValueError, match="own arguments"):
    export.export_zoo_model("digits_cnn_sc", str(tmp_path / "d"),
                            model_kwargs={"implementation": "op"})
  assert os.listdir(tmp_path) == []
  assert export.parse_formats(["keras", "keras", "saved_model"]) == [
      "keras", "saved_model"]


def test_parse_model_kwargs():
  tool = _export_tool()
  assert tool.parse_model_kwargs(
      "classes=5, input_shape=[16,16,1],pooling=None,include_top=false,"
      "name='a,b'") == {"classes": 5, "input_shape": [16, 16, 1],
                        "pooling": None, "include_top": False, "name": "a,b"}
  assert tool.parse_model_kwargs("") == {}
  for bad, message in (("classes", "key=value"), ("a=1,a=2", "twice"),
                       ("shape=[1,2", "unbalanced"), ("1x=2", "key=value")):
    with pytest.raises(ValueError, match=message):
      tool.parse_model_kwargs(bad)


def test_load_checkpoint_formats(tmp_path, inputs):
  source = models.create_model("digits_cnn")
  _random_like(source, 1)
  expected = _outputs(source, inputs)
  prefix = str(tmp_path / "keras_format" / "ckpt")
  source.save_weights(prefix)                      # Keras TF format
  tf.train.CheckpointManager(                      # what a training loop writes
      tf.train.Checkpoint(model=source, step=tf.Variable(7)),
      str(tmp_path / "manager"), max_to_keep=1).save()
  source.save_weights(str(tmp_path / "weights.h5"))
  target = models.create_model("digits_cnn")
  for seed, path in enumerate((prefix, str(tmp_path / "manager"),
                               str(tmp_path / "weights.h5"), str(tmp_path))):
    _random_like(target, 10 + seed)
    export.load_checkpoint(target, path)
    np.testing.assert_allclose(_outputs(target, inputs), expected,
                               rtol=TOLERANCE, atol=TOLERANCE, err_msg=path)
  small = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
                            keras.layers.Dense(3)])
  with pytest.raises(ValueError, match="does not fit"):
    export.load_checkpoint(small, prefix)
  with_weights = len([layer for layer in source.layers if layer.weights])
  with pytest.raises(ValueError, match=f"does not fit.*the file has "
                     f"{with_weights} layers with weights, the model 1"):
    export.load_checkpoint(small, str(tmp_path / "weights.h5"))
  # Another model of the same layout: the layer and both shapes.
  other = models.create_model("digits_cnn_sc")
  before = [w.copy() for w in other.get_weights()]
  model_shape = tuple(other.get_layer("stage1_conv0").weights[0].shape)
  file_shape = tuple(source.get_layer("stage1_conv0").weights[0].shape)
  with pytest.raises(ValueError, match=(
      f"layer 'stage1_conv0': weight stage1_conv0/kernel:0 has shape "
      f"{model_shape} in the model, {file_shape} in the file").replace(
          "(", r"\(").replace(")", r"\)")):
    export.load_checkpoint(other, str(tmp_path / "weights.h5"))
  for value, old in zip(other.get_weights(), before):
    np.testing.assert_array_equal(value, old)  # nothing was loaded
  with pytest.raises(FileNotFoundError, match="no checkpoint"):
    export.load_checkpoint(target, str(tmp_path / "missing"))
  (tmp_path / "empty").mkdir()
  with pytest.raises(FileNotFoundError, match="neither"):
    export.load_checkpoint(target, str(tmp_path / "empty"))


def test_tool_help_and_flag_errors(tmp_path):
  # Both return before TensorFlow is imported. absl exits 1 after --help.
  help_text = subprocess.run([sys.executable, TOOL, "--help"],
                             capture_output=True, text=True,
                             timeout=60).stdout
  assert OP_REGISTERED_ERROR in " ".join(help_text.split())
  assert "--implementation" in help_text
  # One instruction for what the op's SavedModel needs.
  assert export.REQUIRES in help_text and "load_library" not in help_text
  result = subprocess.run(
      [sys.executable, TOOL, "--model", "digits_cnn_sc", "--output",
       str(tmp_path / "out"), "--formats", "saved_model,onnx"],
      capture_output=True, text=True, timeout=60)
  assert result.returncode != 0
  assert "unknown format(s) ['onnx']" in result.stderr
  assert not (tmp_path / "out").exists()
  # The tool's early check knows the library's formats.
  with open(TOOL) as stream:
    tree = ast.parse(stream.read())
  formats = next(node.value for node in tree.body
                 if isinstance(node, ast.Assign)
                 and getattr(node.targets[0], "id", None) == "FORMATS")
  assert ast.literal_eval(formats) == export.FORMATS
  implementations = next(
      node.value for node in tree.body if isinstance(node, ast.Assign)
      and getattr(node.targets[0], "id", None) == "IMPLEMENTATIONS")
  assert ast.literal_eval(implementations) == export.IMPLEMENTATIONS
  # "auto" is no longer a choice of the tool.
  result = subprocess.run(
      [sys.executable, TOOL, "--model", "digits_cnn_sc", "--output",
       str(tmp_path / "out"), "--implementation", "auto"],
      capture_output=True, text=True, timeout=60)
  assert result.returncode != 0
  assert "--implementation" in result.stderr and "reference" in result.stderr
  assert not (tmp_path / "out").exists()


def test_readme_gives_the_same_instruction():
  with open(os.path.join(ROOT, "README.md")) as stream:
    readme = stream.read()
  export_bullet = readme[readme.index("- **Export**"):]
  export_bullet = export_bullet[:export_bullet.index("\n\n")]
  assert f"`{export.REQUIRES}`" in export_bullet
  assert "load_library" not in export_bullet


# Tests waiting for the fresh processes.


def test_default_export_runs_in_saved_model_cli_without_the_package(runs):
  _, stdout, stderr = runs["background"].wait("plain")
  with open(runs["root"] / "plain.json") as stream:
    result = json.load(stream)
  assert result["import_error"], "sparsezoo_tf was importable"
  assert result["imported"] == []
  assert result["cli_exit"] == 0, f"{stdout[-3000:]}\n{stderr[-3000:]}"
  np.testing.assert_allclose(np.load(runs["root"] / "cli" /
                                     "predictions.npy"),
                             runs["default_expected"], rtol=TOLERANCE,
                             atol=TOLERANCE)


def test_op_export_says_it_needs_the_package(require_op, runs):
  del require_op
  assert export.saved_model_custom_ops(runs["op"]["saved_model"]) == [
      "SparseZoo>SparseConv2D"]
  info = _manifest(runs["op"])["saved_model"]
  assert info["implementation"] == "op"
  assert info["custom_ops"] == ["SparseZoo>SparseConv2D"]
  assert not info["loads_in_plain_tensorflow"]
  assert info["requires"] == export.REQUIRES == "import sparsezoo_tf"
  saved_model_line = export.loading_instructions(
      runs["op"]["metadata"])[0]
  assert "`import sparsezoo_tf`" in saved_model_line
  assert "--implementation reference" in saved_model_line


def test_op_export_fails_in_plain_tensorflow(require_op, runs):
  del require_op
  runs["background"].wait("plain")
  with open(runs["root"] / "plain.json") as stream:
    assert OP_REGISTERED_ERROR in json.load(stream)["op_error"]


def test_op_export_loads_after_registering_the_op(require_op, runs):
  del require_op
  assert runs["background"].json("sparsezoo")["op_registered"]
  for name in ("op_saved_model", "op_saved_model_helper"):
    np.testing.assert_allclose(
        np.load(runs["root"] / "sparsezoo_run" / f"{name}.npy"),
        runs["op_expected"], rtol=TOLERANCE, atol=TOLERANCE, err_msg=name)


def test_keras_files_reload_with_the_same_outputs(runs):
  runs["background"].json("sparsezoo")
  cases = [("keras0", "default_expected")]
  cases += [("keras1", "op_expected")] if "op" in runs else []
  for name, expected in cases:
    np.testing.assert_allclose(
        np.load(runs["root"] / "sparsezoo_run" / f"{name}.npy"),
        runs[expected], rtol=TOLERANCE, atol=TOLERANCE, err_msg=name)


def test_tool_end_to_end(runs, inputs):
  returncode, stdout, stderr = runs["background"].wait("tool")
  assert returncode == 0, stderr[-3000:]
  output = runs["root"] / "tool" / "export"
  assert sorted(os.listdir(output)) == ["export.json", "model.keras",
                                        "model.keras.sha256", "saved_model"]
  assert _leftovers(output.parent) == []
  # Portable by default, and the tool says so.
  assert export.saved_model_custom_ops(str(output / "saved_model")) == []
  assert "builtin TensorFlow ops only" in stdout, stdout
  assert "custom op" not in stdout, stdout
  loaded = tf.saved_model.load(str(output / "saved_model"))
  outputs = loaded.signatures["serving_default"](images=tf.constant(inputs))
  np.testing.assert_allclose(outputs["predictions"], runs["tool_expected"],
                             rtol=TOLERANCE, atol=TOLERANCE)
  spec = loaded.signatures["serving_default"].structured_input_signature[1]
  assert spec["images"].shape == (len(inputs), 8, 8, 1)
  with open(output / "export.json") as stream:
    info = json.load(stream)
  assert info["model_kwargs"] == {"classes": 5}
  assert info["checkpoint"] == str(runs["root"] / "weights.h5")
  assert info["saved_model"]["implementation"] == "reference"
  assert info["saved_model"]["requires"] is None
  assert weights_lib.verify_recorded_sha256(str(output / "model.keras"))
