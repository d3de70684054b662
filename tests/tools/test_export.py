"""Tests of `sparsezoo_tf.export` and `tools/export.py`.

Reloading is checked in fresh processes: a SavedModel of the pure-TF path
in plain TensorFlow with `sparsezoo_tf` made unimportable, a SavedModel of
the op (and the .keras files) in a process that imports `sparsezoo_tf`.
"""

import ast
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf
import tf_keras as keras

from sparsezoo_tf import export
from sparsezoo_tf import layers
from sparsezoo_tf import models
from sparsezoo_tf import ops

# Export does not depend on the convolution path beyond what "auto"
# resolves to; the op / reference cases are chosen explicitly below.
pytestmark = pytest.mark.single_path

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
TOOL = os.path.join(ROOT, "tools", "export.py")
TOLERANCE = 1e-5
OP_REGISTERED_ERROR = "Op type not registered 'SparseZoo>SparseConv2D'"


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


PLAIN_TF_SCRIPT = """
import json, sys
sys.modules["sparsezoo_tf"] = None   # importing the package now fails
import numpy as np
import tensorflow as tf
saved_model, op_saved_model, x_path, out_path = sys.argv[1:5]
loaded = tf.saved_model.load(saved_model)
outputs = loaded.signatures["serving_default"](
    images=tf.constant(np.load(x_path)))
np.save(out_path, outputs["predictions"].numpy())
result = {"imported": sorted(m for m, v in sys.modules.items()
                             if m.startswith("sparsezoo_tf") and v is not None),
          "outputs": sorted(outputs)}
if op_saved_model:
  try:
    tf.saved_model.load(op_saved_model)
    result["op_error"] = None
  except Exception as error:  # what a process without the op library sees
    result["op_error"] = f"{type(error).__name__}: {error}"
print(json.dumps(result))
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
def reference_model():
  return models.create_model("digits_cnn_sc", weights="digits",
                             implementation="reference")


@pytest.fixture(scope="module")
def tiny_model():
  """A quick model with a sparse layer, for the tests of the mechanics."""
  inputs = keras.Input((6, 6, 4))
  x = layers.SparseComplementaryConv2D(4, 3, mode="spatial")(inputs)
  x = keras.layers.GlobalAveragePooling2D()(x)
  return keras.Model(inputs, keras.layers.Dense(3, name="predictions")(x))


@pytest.fixture(scope="module")
def runs(tmp_path_factory, inputs, reference_model):
  """Starts the tool end to end, exports digits_cnn_sc on the pure-TF path
  and (when the library is usable) digits_cnn_psc4 on the op, and starts
  the fresh processes that reload them."""
  root = tmp_path_factory.mktemp("exports")
  background = _Background(root)
  result = {"root": root, "background": background}
  # The tool: weights written by "training" (random here), a model kwarg.
  tool_model = models.create_model("digits_cnn_psc4", classes=5)
  _random_like(tool_model, 2)
  tool_model.save_weights(str(root / "weights.h5"))
  result["tool_expected"] = _outputs(tool_model, inputs)
  background.start("tool", [
      sys.executable, TOOL, "--model", "digits_cnn_psc4", "--checkpoint",
      str(root / "weights.h5"), "--model_kwargs", "classes=5",
      "--batch_size", str(len(inputs)), "--output",
      str(root / "tool" / "export")])

  np.save(root / "x.npy", inputs)
  # Verification is covered by the tool run; the fresh processes check
  # these exports.
  result["reference"] = export.export_model(
      reference_model, str(root / "reference"), verify=False)
  result["reference_expected"] = _outputs(reference_model, inputs)
  if ops.unavailable_reason() is None:
    op_model = models.create_model("digits_cnn_psc4", weights="digits",
                                   implementation="op")
    result["op"] = export.export_model(op_model, str(root / "op"),
                                       verify=False)
    result["op_expected"] = _outputs(op_model, inputs)
  op_dir = result["op"]["saved_model"] if "op" in result else ""
  background.start_script(
      "plain", PLAIN_TF_SCRIPT, result["reference"]["saved_model"], op_dir,
      str(root / "x.npy"), str(root / "plain.npy"),
      env={ops.loader.LIBRARY_ENV: "/nonexistent/lib.so"})
  keras_files = [result["reference"]["keras"]]
  keras_files += [result["op"]["keras"]] if "op" in result else []
  (root / "sparsezoo_run").mkdir()
  background.start_script("sparsezoo", SPARSEZOO_SCRIPT, str(root / "x.npy"),
                          str(root / "sparsezoo_run"), op_dir, *keras_files)
  yield result
  background.stop()


def _leftovers(directory):
  """Temporary siblings an export left behind."""
  return sorted(name for name in os.listdir(directory)
                if name.startswith("."))


# In-process tests first: the processes `runs` starts work meanwhile.


def test_export_writes_the_formats_and_metadata(runs):
  paths = runs["reference"]
  assert sorted(paths) == ["keras", "metadata", "saved_model"]
  assert os.path.isfile(os.path.join(paths["saved_model"], "saved_model.pb"))
  assert os.path.isfile(paths["keras"])
  with open(paths["metadata"]) as stream:
    info = json.load(stream)
  assert info["model"] == "digits_cnn_sc"
  assert info["input"] == {"name": "images", "dtype": "float32",
                           "shape": [None, 8, 8, 1]}
  assert info["saved_model"]["custom_ops"] == []
  assert info["saved_model"]["loads_in_plain_tensorflow"]
  assert _leftovers(runs["root"]) == []


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
  assert sorted(os.listdir(output)) == ["export.json", "model.keras"]
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
  assert export.parse_model_kwargs(
      "classes=5, input_shape=[16,16,1],pooling=None,include_top=false,"
      "name='a,b'") == {"classes": 5, "input_shape": [16, 16, 1],
                        "pooling": None, "include_top": False, "name": "a,b"}
  assert export.parse_model_kwargs("") == {}
  for bad, message in (("classes", "key=value"), ("a=1,a=2", "twice"),
                       ("shape=[1,2", "unbalanced"), ("1x=2", "key=value")):
    with pytest.raises(ValueError, match=message):
      export.parse_model_kwargs(bad)


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
  with pytest.raises(ValueError, match="does not fit"):
    export.load_checkpoint(small, str(tmp_path / "weights.h5"))
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


# Tests waiting for the fresh processes.


def test_reference_export_loads_in_plain_tensorflow(runs):
  result = runs["background"].json("plain")
  assert result["imported"] == []
  assert result["outputs"] == ["predictions"]
  np.testing.assert_allclose(np.load(runs["root"] / "plain.npy"),
                             runs["reference_expected"], rtol=TOLERANCE,
                             atol=TOLERANCE)


def test_op_export_fails_in_plain_tensorflow(require_op, runs):
  del require_op
  assert export.saved_model_custom_ops(runs["op"]["saved_model"]) == [
      "SparseZoo>SparseConv2D"]
  assert OP_REGISTERED_ERROR in runs["background"].json("plain")["op_error"]


def test_op_export_loads_after_registering_the_op(require_op, runs):
  del require_op
  assert runs["background"].json("sparsezoo")["op_registered"]
  for name in ("op_saved_model", "op_saved_model_helper"):
    np.testing.assert_allclose(
        np.load(runs["root"] / "sparsezoo_run" / f"{name}.npy"),
        runs["op_expected"], rtol=TOLERANCE, atol=TOLERANCE, err_msg=name)


def test_keras_files_reload_with_the_same_outputs(runs):
  runs["background"].json("sparsezoo")
  cases = [("keras0", "reference_expected")]
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
                                        "saved_model"]
  assert _leftovers(output.parent) == []
  uses_op = ops.op_available()
  assert ("USES THE CUSTOM OP" in stdout) == uses_op, stdout
  assert ("standard TensorFlow ops only" in stdout) != uses_op, stdout
  loaded = export.load_saved_model(str(output / "saved_model"))
  outputs = loaded.signatures["serving_default"](images=tf.constant(inputs))
  np.testing.assert_allclose(outputs["predictions"], runs["tool_expected"],
                             rtol=TOLERANCE, atol=TOLERANCE)
  spec = loaded.signatures["serving_default"].structured_input_signature[1]
  assert spec["images"].shape == (len(inputs), 8, 8, 1)
  with open(output / "export.json") as stream:
    info = json.load(stream)
  assert info["model_kwargs"] == {"classes": 5}
  assert info["checkpoint"] == str(runs["root"] / "weights.h5")
  assert info["saved_model"]["loads_in_plain_tensorflow"] != uses_op
