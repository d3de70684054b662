"""Exporting models for serving: a SavedModel and a `.keras` file.

    from sparsezoo_tf import export, models
    model = models.create_model("digits_cnn_sc", weights="digits")
    paths = export.export_model(model, "/tmp/digits_cnn_sc")
    # {"saved_model": ".../saved_model", "keras": ".../model.keras",
    #  "metadata": ".../export.json"}

The SavedModel has one signature, `serving_default`, taking float32
`images` of the model's input shape (the batch dimension is dynamic unless
`batch_size` is given) and returning the model's outputs in inference mode
(a dict keyed by the output names, e.g. {"predictions": [batch, classes]}).
It holds only the variables and that function, not the Keras layers:
reload the `.keras` file to get a Keras model back.

The SavedModel is portable by default: its sparse layers are traced on the
pure-TF path (`implementation="reference"`, whatever the layers' own
setting), so its graph has builtin TensorFlow ops only and runs wherever
TensorFlow does: `tf.saved_model.load` in plain TensorFlow,
`saved_model_cli run`, TF Serving, the TFLite converter. Exporting with
`implementation="op"` is the explicit choice of the custom op
`SparseZoo>SparseConv2D` (faster on CPUs and GPUs, but only where this
package is installed): loading that SavedModel needs `import sparsezoo_tf`
first (importing the package loads the op library), then
`tf.saved_model.load(path)` works; elsewhere TensorFlow fails with "Op type
not registered 'SparseZoo>SparseConv2D'". There is no "auto" for exports:
an artifact must not depend on whether the machine that wrote it had the
op library. `export.json` records which case an export is
(`saved_model.custom_ops`, `saved_model.requires`), and
`saved_model_custom_ops(path)` reads it from the SavedModel itself.

The `.keras` file is for Keras users: it holds the model's config (the
layers keep their own `implementation` setting, "auto" for zoo models) and
weights, and reloads with `tf_keras.models.load_model` after
`import sparsezoo_tf` (which registers the package's layers and the zoo's
blocks), or through `load_keras_model(path)`. Next to it, `model.keras.sha256`
records its SHA-256 (the `sha256sum` format, as the trainer writes for
weights.h5; see `sparsezoo_tf.models.weights`), which `load_checkpoint`
verifies.

Exports are atomic: everything is written into a temporary sibling of the
output directory, checked (with `verify=True`, each artifact is reloaded
and must reproduce the outputs of the model it was written from), then
renamed into place; a failed export leaves nothing at the output path. An
existing non-empty output is refused unless `overwrite=True`.
"""

import json
import os
import shutil
import tempfile
import zipfile
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

import numpy as np
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2
import tf_keras as keras

import sparsezoo_tf
from sparsezoo_tf import keras_compat
from sparsezoo_tf import ops
from sparsezoo_tf.models import weights as weights_lib

FORMATS = ("saved_model", "keras")
SAVED_MODEL_DIR = "saved_model"
KERAS_FILE = "model.keras"
METADATA_FILE = "export.json"
SIGNATURE_KEY = "serving_default"
INPUT_NAME = "images"
CUSTOM_OP_PREFIX = "SparseZoo>"
# The path of the sparse layers in the SavedModel: builtin TensorFlow ops
# (portable, the default) or the custom op.
IMPLEMENTATIONS = ("reference", "op")
DEFAULT_IMPLEMENTATION = "reference"
# What a process runs before loading an artifact that needs this package
# (a SavedModel of the op: the op library; a .keras file: the layers).
REQUIRES = "import sparsezoo_tf"
# Entry-point arguments that `export_zoo_model` (and the tool) take
# themselves.
_OWN_ARGUMENTS = ("weights", "implementation")
# Side of a dynamic spatial dimension in the verification input.
_VERIFY_SIZE = 32
_VERIFY_TOLERANCE = 1e-5


def parse_formats(formats: Union[str, Sequence[str]]) -> List[str]:
  """"saved_model,keras" or a sequence of names -> the list of formats.

  Raises:
    ValueError: empty, or naming an unknown format.
  """
  if isinstance(formats, str):
    formats = formats.split(",")
  names = []
  for name in formats:
    name = str(name).strip()
    if name and name not in names:
      names.append(name)
  unknown = [name for name in names if name not in FORMATS]
  if unknown:
    raise ValueError(f"unknown export format(s) {unknown}; known formats: "
                     f"{', '.join(FORMATS)}")
  if not names:
    raise ValueError(f"no export format given; known formats: "
                     f"{', '.join(FORMATS)}")
  return names


def _checkpoint_keys(prefix: str) -> List[str]:
  return [name for name, _ in tf.train.list_variables(prefix)]


def load_checkpoint(model: keras.Model, path: str) -> str:
  """Loads weights written by training into `model`; returns the file or
  checkpoint prefix it read.

  `path` is a Keras HDF5 file (`model.save_weights("w.h5")`, read by
  topological order), a `.keras` file, a TF checkpoint prefix written by
  `model.save_weights(prefix)` or by `tf.train.Checkpoint(model=model,
  ...)` (optimizer state and other objects in the checkpoint are ignored),
  or a directory holding such checkpoints (the latest is read) or a
  `weights.h5`. Every variable of the model must be restored.

  A file with a SHA-256 record next to it (`weights.h5.sha256`, written by
  the trainer; `model.keras.sha256`, written by `export_model`) must match
  it, and an HDF5 file must have the model's layers and weight shapes;
  otherwise nothing is loaded.

  Raises:
    FileNotFoundError: nothing loadable at `path`.
    ValueError: the file does not match its SHA-256 record, or does not fit
      the model (naming the layer and both shapes).
  """
  if os.path.isdir(path):
    latest = tf.train.latest_checkpoint(path)
    if latest is None and os.path.isfile(os.path.join(path, "weights.h5")):
      latest = os.path.join(path, "weights.h5")
    if latest is None:
      raise FileNotFoundError(
          f"checkpoint directory {path} has neither a TF checkpoint (a "
          f"'checkpoint' index file) nor a weights.h5")
    path = latest
  if os.path.isfile(path) and path.endswith((".h5", ".hdf5", ".keras")):
    weights_lib.verify_recorded_sha256(path)
    if not path.endswith(".keras"):
      weights_lib.check_fits(model, path, by_name=False)
    try:
      model.load_weights(path)
    except (ValueError, KeyError) as error:
      raise ValueError(f"weights file {path} does not fit {model.name}: "
                       f"{error}") from None
    return path
  if not os.path.isfile(path + ".index"):
    raise FileNotFoundError(
        f"no checkpoint at {path}: expected a .h5 / .keras file, a TF "
        f"checkpoint prefix (with {os.path.basename(path)}.index next to it) "
        f"or a directory of checkpoints")
  try:
    if any(key.startswith("model/") for key in _checkpoint_keys(path)):
      status = tf.train.Checkpoint(model=model).read(path)
    else:
      status = model.load_weights(path)
    status.expect_partial()
    status.assert_existing_objects_matched()
  except (AssertionError, ValueError) as error:
    raise ValueError(f"checkpoint {path} does not fit {model.name} (the "
                     f"model's variables are not all in it): "
                     f"{str(error)[:500]}") from None
  return path


def _input_spec(model: keras.Model, batch_size: Optional[int]):
  inputs = getattr(model, "inputs", None)
  if not inputs or len(inputs) != 1:
    raise ValueError(
        f"export needs a model with exactly one input (a functional or "
        f"built Sequential model); {model.name} has "
        f"{len(inputs) if inputs else 'no known'} inputs")
  if batch_size is not None and (isinstance(batch_size, bool) or
                                 not isinstance(batch_size, int) or
                                 batch_size < 1):
    raise ValueError(f"batch_size must be None (dynamic) or a positive "
                     f"int, got {batch_size!r}")
  shape = [batch_size] + list(inputs[0].shape[1:])
  return tf.TensorSpec(shape, tf.float32, name=INPUT_NAME)


def _output_dict(model: keras.Model, outputs) -> Dict[str, tf.Tensor]:
  if isinstance(outputs, Mapping):
    return {str(key): value for key, value in outputs.items()}
  names = list(getattr(model, "output_names", None) or [])
  if isinstance(outputs, (list, tuple)):
    if len(names) != len(outputs):
      names = [f"output_{index}" for index in range(len(outputs))]
    return dict(zip(names, outputs))
  return {names[0] if len(names) == 1 else "output_0": outputs}


def check_implementation(implementation: str) -> str:
  """Returns `implementation` if a SavedModel can be exported with it.

  Raises:
    ValueError: "auto" or an unknown name.
    RuntimeError: "op" where the op library is not usable.
  """
  if implementation == "auto":
    raise ValueError(
        "implementation='auto' is not an export choice: whether the "
        "SavedModel needs the op library would depend on the machine that "
        "exported it. Use 'reference' (the default: builtin TensorFlow ops, "
        "runs anywhere) or 'op' (the custom op; loading then needs "
        f"`{REQUIRES}`)")
  if implementation not in IMPLEMENTATIONS:
    raise ValueError(f"implementation must be one of {IMPLEMENTATIONS}, got "
                     f"{implementation!r}")
  if implementation == "op" and ops.unavailable_reason() is not None:
    raise RuntimeError(
        f"implementation='op' needs the op library, which is not usable "
        f"here ({ops.unavailable_reason()}); build it with `make build`, or "
        f"export with implementation='reference'")
  return implementation


def _set_implementation(config, implementation: str):
  """A copy of a Keras config with every sparse layer's `implementation`
  (a string among `ops.IMPLEMENTATIONS`) set to `implementation`."""
  if isinstance(config, dict):
    return {key: (implementation if key == "implementation"
                  and isinstance(value, str)
                  and value in ops.IMPLEMENTATIONS
                  else _set_implementation(value, implementation))
            for key, value in config.items()}
  if isinstance(config, (list, tuple)):
    return type(config)(_set_implementation(value, implementation)
                        for value in config)
  return config


def serving_model(model: keras.Model, implementation: str) -> keras.Model:
  """`model` with its sparse layers on `implementation` ("reference" or
  "op"): the model itself when they already are, else a copy rebuilt from
  its config with the same weights.

  Raises:
    ValueError: the model's layers need another path and the model cannot
      be rebuilt from its config (a subclassed model).
  """
  try:
    config = model.get_config()
  except NotImplementedError:
    return model  # `_write` checks the traced graph
  changed = _set_implementation(config, implementation)
  if changed == config:
    return model
  copy = model.__class__.from_config(changed)
  for layer in copy.layers:
    layer.set_weights(model.get_layer(layer.name).get_weights())
  return copy


def serving_module(model: keras.Model,
                   batch_size: Optional[int] = None) -> tf.Module:
  """A `tf.Module` holding the model's variables and `serve(images)`, the
  model in inference mode (a tf.function with a fixed input signature)."""
  spec = _input_spec(model, batch_size)
  module = tf.Module(name="serving")
  # Tracked so that the SavedModel holds them; the Keras model itself is
  # not, so that only the serving function is traced and saved.
  module.model_variables = list(model.variables)

  @tf.function(input_signature=[spec])
  def serve(images):
    return _output_dict(model, model(images, training=False))

  module.serve = serve
  return module


def saved_model_custom_ops(path: str) -> List[str]:
  """The `sparsezoo_tf` custom op types the SavedModel at `path` uses (an
  empty list: it loads in plain TensorFlow)."""
  proto = saved_model_pb2.SavedModel()
  pb_path = os.path.join(path, "saved_model.pb")
  try:
    with open(pb_path, "rb") as stream:
      proto.ParseFromString(stream.read())
  except OSError as error:
    raise FileNotFoundError(f"{path} is not a SavedModel directory: "
                            f"{error}") from None
  found = set()
  for meta_graph in proto.meta_graphs:
    graph = meta_graph.graph_def
    nodes = list(graph.node)
    for function in graph.library.function:
      nodes.extend(function.node_def)
    found.update(node.op for node in nodes
                 if node.op.startswith(CUSTOM_OP_PREFIX))
  return sorted(found)


def load_saved_model(path: str):
  """`tf.saved_model.load(path)` after loading the op library when the
  SavedModel needs it (what `import sparsezoo_tf` does).

  Raises:
    RuntimeError: the SavedModel uses the custom op and the library cannot
      be loaded in this process.
  """
  custom = saved_model_custom_ops(path)
  if custom and ops.load_library() is None:
    raise RuntimeError(
        f"SavedModel {path} uses the custom op(s) {custom} but the op "
        f"library cannot be loaded ({ops.unavailable_reason()}); build it "
        f"with `make build`, or re-export with implementation='reference'")
  return tf.saved_model.load(path)


# The members of a `.keras` archive that `_load_keras_archive` reads.
_KERAS_ARCHIVE = ("config.json", "metadata.json", "model.weights.h5")


def _load_keras_archive(path: str,
                        compile: bool = True,  # pylint: disable=redefined-builtin
                        custom_objects=None,
                        safe_mode: bool = True):
  """`tf_keras.models.load_model` of a `.keras` file, reading its weights
  from an extracted copy; None when the file needs the general loader.

  tf_keras reads the weights through `zipfile`, whose backward seeks re-read
  the archive from its start on Python < 3.13: 2-6x slower loads for
  ResNet-sized models. This does what `load_model` does (model from
  config.json, then `load_weights` of model.weights.h5) for archives without
  assets, shared objects or a compiled loss to restore.
  """
  with zipfile.ZipFile(path) as archive:
    if sorted(archive.namelist()) != list(_KERAS_ARCHIVE):
      return None
    metadata = json.loads(archive.read("metadata.json"))
    if str(metadata.get("keras_version", "")).startswith("3."):
      raise keras_compat.KerasVersionError(
          f"{path} was written by Keras {metadata['keras_version']}")
    config_json = archive.read("config.json").decode("utf-8")
    config = json.loads(config_json)
    if compile and config.get("compile_config"):
      return None
    if "shared_object_id" in config_json:
      return None
    config["compile_config"] = None
    with tempfile.TemporaryDirectory(prefix="sparsezoo_tf-load-") as scratch:
      weights = archive.extract("model.weights.h5", scratch)
      model = keras.saving.deserialize_keras_object(
          config, custom_objects=custom_objects, safe_mode=safe_mode)
      model.load_weights(weights)
  return model


def load_keras_model(path: str, **kwargs) -> keras.Model:
  """`tf_keras.models.load_model(path, **kwargs)` (importing this module
  registered every layer of the package and the zoo's model class).

  `.keras` files load as fast as `.h5` files (see `_load_keras_archive`);
  one written by Keras 3 raises `keras_compat.KerasVersionError`. A file
  with a SHA-256 record beside it (`<file>.sha256`, as the export and
  training tools write) is checked against it first.
  """
  path = os.fspath(path)
  weights_lib.verify_recorded_sha256(path)
  if (path.endswith(".keras") and zipfile.is_zipfile(path) and
      set(kwargs) <= {"compile", "custom_objects", "safe_mode"}):
    model = _load_keras_archive(path, **kwargs)
    if model is not None:
      return model
  return keras.models.load_model(path, **kwargs)


def _check_output_dir(output_dir: str, overwrite: bool) -> None:
  if os.path.lexists(output_dir) and not os.path.isdir(output_dir):
    raise FileExistsError(f"output {output_dir} exists and is not a "
                          f"directory")
  if os.path.isdir(output_dir) and os.listdir(output_dir) and not overwrite:
    raise FileExistsError(f"output directory {output_dir} exists and is not "
                          f"empty; pass overwrite=True (--overwrite) to "
                          f"replace it")


def _verify_input(spec: tf.TensorSpec) -> np.ndarray:
  shape = [2 if spec.shape[0] is None else spec.shape[0]]
  shape += [_VERIFY_SIZE if size is None else size for size in spec.shape[1:]]
  return np.random.default_rng(0).standard_normal(shape).astype(np.float32)


def _compare(what: str, expected: Dict[str, np.ndarray], actual) -> None:
  actual = _as_numpy(actual)
  if sorted(actual) != sorted(expected):
    raise RuntimeError(f"export check failed: {what} returns outputs "
                       f"{sorted(actual)}, the model {sorted(expected)}")
  for key, value in expected.items():
    if actual[key].shape != value.shape or not np.allclose(
        actual[key], value, rtol=_VERIFY_TOLERANCE, atol=_VERIFY_TOLERANCE):
      error = (np.max(np.abs(actual[key] - value))
               if actual[key].shape == value.shape else "shape mismatch")
      raise RuntimeError(f"export check failed: output {key!r} of {what} "
                         f"differs from the model's (max abs difference "
                         f"{error})")


def _model_outputs(model: keras.Model, images) -> Dict[str, np.ndarray]:
  return _as_numpy(_output_dict(model, model(images, training=False)))


def _as_numpy(outputs) -> Dict[str, np.ndarray]:
  if isinstance(outputs, Mapping):
    return {str(k): np.asarray(v) for k, v in outputs.items()}
  return {"output_0": np.asarray(outputs)}


def _write(model: keras.Model, directory: str, formats: List[str],
           batch_size: Optional[int], verify: bool, implementation: str,
           metadata: Dict[str, Any]) -> None:
  """Writes the artifacts into `directory` (the temporary one)."""
  spec = _input_spec(model, batch_size)
  if verify:
    images = _verify_input(spec)
  info = dict(metadata)
  info.update({
      "model": model.name,
      "formats": formats,
      "input": {"name": INPUT_NAME, "dtype": "float32",
                "shape": list(spec.shape.as_list())},
      "tensorflow": tf.version.VERSION,
      "sparsezoo_tf": sparsezoo_tf.__version__,
  })
  if "saved_model" in formats:
    path = os.path.join(directory, SAVED_MODEL_DIR)
    served = serving_model(model, implementation)
    module = serving_module(served, batch_size)
    tf.saved_model.save(module, path, signatures={SIGNATURE_KEY: module.serve})
    custom = saved_model_custom_ops(path)
    if custom and implementation == "reference":
      raise ValueError(
          f"{model.name} cannot be exported on the reference path: its "
          f"SavedModel still uses {custom} (a layer that does not take "
          f"`implementation` from its config?); build the model with "
          f"implementation='reference'")
    info["saved_model"] = {
        "signature": SIGNATURE_KEY,
        "outputs": sorted(module.serve.get_concrete_function()
                          .structured_outputs),
        "implementation": implementation,
        "custom_ops": custom,
        "loads_in_plain_tensorflow": not custom,
        "requires": REQUIRES if custom else None,
    }
    if verify:
      loaded = load_saved_model(path)
      _compare("the SavedModel", _model_outputs(served, images),
               loaded.signatures[SIGNATURE_KEY](**{INPUT_NAME: images}))
      del loaded
    del served, module
  if "keras" in formats:
    path = os.path.join(directory, KERAS_FILE)
    model.save(path)
    if verify:
      reloaded = load_keras_model(path, compile=False)
      _compare("the .keras model", _model_outputs(model, images),
               _model_outputs(reloaded, images))
      del reloaded
    with open(path + weights_lib.RECORD_SUFFIX, "w") as stream:
      stream.write(weights_lib.sha256_record(path))
    info["keras"] = {"file": KERAS_FILE, "requires": REQUIRES}
  with open(os.path.join(directory, METADATA_FILE), "w") as stream:
    json.dump(info, stream, indent=2, sort_keys=True, default=str)
    stream.write("\n")


def _move_into_place(temporary: str, output_dir: str) -> None:
  """Renames `temporary` to `output_dir`, replacing an existing directory
  (already allowed by the caller) so that one of the two is always whole."""
  if not os.path.isdir(output_dir):
    os.rename(temporary, output_dir)
    return
  if not os.listdir(output_dir):
    os.rmdir(output_dir)
    os.rename(temporary, output_dir)
    return
  parent, base = os.path.split(output_dir)
  old = tempfile.mkdtemp(prefix=f".{base}.old-", dir=parent)
  os.rmdir(old)
  os.rename(output_dir, old)
  try:
    os.rename(temporary, output_dir)
  except BaseException:
    os.rename(old, output_dir)
    raise
  shutil.rmtree(old, ignore_errors=True)


def export_model(model: keras.Model,
                 output_dir: str,
                 formats: Union[str, Sequence[str]] = FORMATS,
                 batch_size: Optional[int] = None,
                 overwrite: bool = False,
                 verify: bool = True,
                 metadata: Optional[Mapping[str, Any]] = None,
                 implementation: str = DEFAULT_IMPLEMENTATION
                ) -> Dict[str, str]:
  """Writes `model` for serving into `output_dir`, atomically.

  Args:
    model: a `tf_keras` model with one input (e.g. from
      `sparsezoo_tf.models.create_model`).
    output_dir: the directory to create; an existing empty directory is
      replaced, a non-empty one only with `overwrite`.
    formats: "saved_model" (`saved_model/`, a `serving_default` signature,
      see the module docstring for who can load it) and / or "keras"
      (`model.keras` and its SHA-256 record `model.keras.sha256`); a list
      or a comma-separated string.
    batch_size: the batch dimension of the serving signature; None keeps
      it dynamic.
    overwrite: replace a non-empty `output_dir`.
    verify: reload every artifact before publishing it and require the
      model's outputs (within 1e-5) on a random batch.
    metadata: extra JSON-serializable entries for `export.json`.
    implementation: the path of the sparse layers in the SavedModel:
      "reference" (builtin TensorFlow ops: it runs anywhere) or "op" (the
      custom op: loading needs `import sparsezoo_tf`). The `.keras` file
      keeps the layers' own setting.

  Returns:
    {"saved_model": dir, "keras": file, "metadata": file}, the formats
    written and the metadata file, as paths under `output_dir`.

  Raises:
    ValueError: unknown formats or implementation ("auto" included), a
      model without exactly one input, a bad batch size.
    FileExistsError: `output_dir` is a file, or a non-empty directory
      without `overwrite`.
    RuntimeError: with `verify`, a reloaded artifact that computes
      something else; implementation="op" without a usable op library.
  """
  formats = parse_formats(formats)
  check_implementation(implementation)
  _input_spec(model, batch_size)
  output_dir = os.path.abspath(os.fspath(output_dir))
  _check_output_dir(output_dir, overwrite)
  parent, base = os.path.split(output_dir)
  os.makedirs(parent, exist_ok=True)
  temporary = tempfile.mkdtemp(prefix=f".{base}.partial-", dir=parent)
  try:
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, 0o777 & ~umask)  # mkdtemp makes it private
    _write(model, temporary, formats, batch_size, verify, implementation,
           metadata or {})
    _check_output_dir(output_dir, overwrite)
    _move_into_place(temporary, output_dir)
  except BaseException:
    shutil.rmtree(temporary, ignore_errors=True)
    raise
  paths = {"metadata": os.path.join(output_dir, METADATA_FILE)}
  if "saved_model" in formats:
    paths["saved_model"] = os.path.join(output_dir, SAVED_MODEL_DIR)
  if "keras" in formats:
    paths["keras"] = os.path.join(output_dir, KERAS_FILE)
  return paths


def export_zoo_model(name: str,
                     output_dir: str,
                     weights: Optional[str] = None,
                     checkpoint: Optional[str] = None,
                     model_kwargs: Optional[Mapping[str, Any]] = None,
                     implementation: str = DEFAULT_IMPLEMENTATION,
                     formats: Union[str, Sequence[str]] = FORMATS,
                     batch_size: Optional[int] = None,
                     overwrite: bool = False,
                     verify: bool = True) -> Dict[str, str]:
  """Builds the zoo model `name`, loads its weights and exports it.

  Args:
    name: a registered model name (`sparsezoo_tf.models.list_models()`).
    output_dir, formats, batch_size, overwrite, verify: as `export_model`.
    weights: a registered weights name or an .h5 file, passed to the entry
      point's `weights=` (strict, by layer name; a file with a SHA-256
      record must match it).
    checkpoint: weights written by training, loaded after building (see
      `load_checkpoint`); exclusive with `weights`.
    model_kwargs: other keyword arguments of the entry point.
    implementation: the SavedModel's path, as `export_model`: "reference"
      (portable, the default) or "op". The model is built with the zoo's
      default ("auto"), which the `.keras` file keeps.

  Returns:
    The paths `export_model` returns.

  Raises:
    ValueError: unknown model, formats or implementation; both weights and
      checkpoint; model_kwargs repeating an argument of this function;
      weights that do not match their SHA-256 record or do not fit.
    RuntimeError: as `export_model`.
    FileExistsError, FileNotFoundError: as `export_model` and
      `load_checkpoint`.
  """
  from sparsezoo_tf import models  # pylint: disable=g-import-not-at-top
  formats = parse_formats(formats)
  check_implementation(implementation)
  if weights is not None and checkpoint is not None:
    raise ValueError("give weights (a registered name or .h5 file loaded by "
                     "the entry point) or checkpoint (written by training), "
                     "not both")
  kwargs = dict(model_kwargs or {})
  clashes = sorted(set(kwargs) & set(_OWN_ARGUMENTS))
  if clashes:
    raise ValueError(f"model kwargs {clashes} have their own arguments "
                     f"(--{', --'.join(clashes)} in tools/export.py); do not "
                     f"pass them in model_kwargs")
  _check_output_dir(os.path.abspath(os.fspath(output_dir)), overwrite)
  models.model_info(name)  # unknown names fail before anything is built
  model = models.create_model(name, weights=weights, **kwargs)
  loaded = load_checkpoint(model, checkpoint) if checkpoint else None
  metadata = {
      "registered_model": name,
      "weights": weights,
      "checkpoint": os.path.abspath(loaded) if loaded else None,
      "model_kwargs": kwargs,
  }
  return export_model(model, output_dir, formats, batch_size=batch_size,
                      overwrite=overwrite, verify=verify, metadata=metadata,
                      implementation=implementation)


def loading_instructions(metadata_path: str) -> List[str]:
  """What loading each artifact of an export needs, one line per artifact,
  from its `export.json` (what `tools/export.py` prints)."""
  with open(metadata_path) as stream:
    info = json.load(stream)
  directory = os.path.dirname(os.path.abspath(metadata_path))
  lines = []
  saved_model = info.get("saved_model")
  if saved_model:
    path = os.path.join(directory, SAVED_MODEL_DIR)
    if saved_model["custom_ops"]:
      lines.append(
          f"SavedModel {path}: uses the custom op(s) "
          f"{', '.join(saved_model['custom_ops'])} (--implementation op). "
          f"Loading it needs `{saved_model['requires']}` first, then "
          f"tf.saved_model.load; plain TensorFlow, saved_model_cli, TF "
          f"Serving and TFLite cannot run it ('Op type not registered'). "
          f"Export with --implementation reference (the default) for a "
          f"SavedModel that runs anywhere.")
    else:
      lines.append(
          f"SavedModel {path}: builtin TensorFlow ops only; runs anywhere "
          f"TensorFlow does (tf.saved_model.load, saved_model_cli, TF "
          f"Serving), without sparsezoo_tf.")
  if info.get("keras"):
    path = os.path.join(directory, info["keras"]["file"])
    lines.append(
        f"Keras model {path} (SHA-256 in {os.path.basename(path)}"
        f"{weights_lib.RECORD_SUFFIX}): `{info['keras']['requires']}`, then "
        f"tf_keras.models.load_model (or sparsezoo_tf.export."
        f"load_keras_model).")
  return lines
