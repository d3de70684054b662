"""Exporting models for serving: a SavedModel, a `.keras` file and TFLite.

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

TFLite files (formats "tflite" and "tflite_int8", not written by default)
come from `sparsezoo_tf.tflite`: `model.tflite` (float32) and
`model_int8.tflite` (post-training full-integer quantization, calibrated on
`representative_data`, a `tflite.RepresentativeData`; float32 input and
output unless `int8_io="int8"`), each with its `.sha256` record. Both are
traced on the pure-TF path whatever `implementation` says, use builtin
TFLite ops only, and are checked with the TFLite interpreter: the float
file must match the model within `tflite.FLOAT_TOLERANCE` (1e-4 of each
output's largest magnitude), the int8 file must agree with the model's
top-1 class on at least `INT8_MIN_AGREEMENT` of the evaluation images.
`export.json` records, for each, its size in bytes, SHA-256, the ops it
uses, its quantization and input / output types, and the parity measured
(on the representative dataset's evaluation split when there is one, else
on the random verification batch); it also records the model's parameters
and their float32 size (`float32_bytes`, 4 bytes a parameter).

Exports are atomic: everything is written into a temporary sibling of the
output directory, checked (with `verify=True`, each artifact is reloaded
and must reproduce the outputs of the model it was written from), then
renamed into place; a failed export leaves nothing at the output path. An
existing non-empty output is refused unless `overwrite=True`.
"""

import contextlib
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
from sparsezoo_tf import optimization
from sparsezoo_tf.data import files as data_files
from sparsezoo_tf.models import weights as weights_lib
from sparsezoo_tf.optimization import pruning
from sparsezoo_tf.training import classifier
from sparsezoo_tf.training import runs

FORMATS = ("saved_model", "keras", "tflite", "tflite_int8")
# What `export_model` writes unless told otherwise.
DEFAULT_FORMATS = ("saved_model", "keras")
TFLITE_FORMATS = ("tflite", "tflite_int8")
SAVED_MODEL_DIR = "saved_model"
KERAS_FILE = "model.keras"
TFLITE_FILES = {"tflite": "model.tflite", "tflite_int8": "model_int8.tflite"}
# The least top-1 agreement of a verified int8 file with its model.
INT8_MIN_AGREEMENT = 0.9
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
    ValueError: the model's layers need another path and the model is
      quantization-aware (see `layers_on_path`).
  """
  try:
    config = model.get_config()
  except NotImplementedError:
    return model  # `_write` checks the traced graph
  changed = _set_implementation(config, implementation)
  if changed == config:
    return model
  if is_quantize_aware(model):
    raise ValueError(
        f"{model.name} is quantization-aware and its sparse layers are not "
        f"on the {implementation!r} path: it cannot be rebuilt on it (TF-MOT's "
        f"QuantizeLayer rebuilt from its config has other variables). Build "
        f"the float model with implementation={implementation!r} before "
        f"quantizing it, or trace it in place with layers_on_path (what the "
        f"TFLite formats do)")
  copy = model.__class__.from_config(changed)
  for layer in copy.layers:
    layer.set_weights(model.get_layer(layer.name).get_weights())
  return copy


# Whether a model is quantization-aware (TF-MOT's quantization layers).
is_quantize_aware = optimization.is_quantized


@contextlib.contextmanager
def layers_on_path(model: keras.Model, implementation: str):
  """Sets every sparse layer of `model` (nested in blocks and TF-MOT
  wrappers included) to `implementation` while the context lasts, then
  restores their settings: the model traced on that path, with its own
  variables (what TFLite conversion uses; `serving_model` rebuilds a copy
  instead, which a quantization-aware model does not survive: TF-MOT's
  QuantizeLayer rebuilt from its config has other variables)."""
  if implementation not in ops.IMPLEMENTATIONS:
    raise ValueError(f"implementation must be one of {ops.IMPLEMENTATIONS}, "
                     f"got {implementation!r}")
  changed = []
  # pylint: disable-next=protected-access
  for layer in model._flatten_layers(include_self=True, recursive=True):
    value = getattr(layer, "implementation", None)
    if (isinstance(value, str) and value in ops.IMPLEMENTATIONS and
        value != implementation):
      changed.append((layer, value))
      layer.implementation = implementation
  try:
    yield model
  finally:
    for layer, value in changed:
      layer.implementation = value


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


def _write_sha256_record(path: str) -> None:
  """`path`'s SHA-256 record beside it (`<path>.sha256`)."""
  with open(path + weights_lib.RECORD_SUFFIX, "w") as stream:
    stream.write(weights_lib.sha256_record(path))


def _write_file(path: str, content: bytes) -> None:
  with open(path, "wb") as stream:
    stream.write(content)
  _write_sha256_record(path)


def _write_tflite(model: keras.Model, directory: str, formats: List[str],
                  batch_size: Optional[int], verify: bool,
                  representative_data, int8_io: str,
                  random_images: Optional[np.ndarray],
                  info: Dict[str, Any]) -> None:
  """Writes, checks and describes the TFLite files of `formats`."""
  from sparsezoo_tf import tflite  # pylint: disable=g-import-not-at-top
  data = representative_data
  if verify:
    if data is not None:
      images, labels = tflite.evaluation_set(data, model)
      if not _labels_fit(model, data.dataset):
        labels = None
      where = f"{data.dataset} {data.eval_split}"
    else:
      images, labels, where = random_images, None, "random normal"
    expected = tflite.keras_outputs(model, images)
  calibration = None
  for name in (name for name in TFLITE_FORMATS if name in formats):
    quantization = "float32" if name == "tflite" else "int8"
    if (quantization == "int8" and data is not None and calibration is None
        and not is_quantize_aware(model)):
      calibration = tflite.calibration_images(data, model)
    content = tflite.convert(
        model, quantization, calibration if quantization == "int8" else None,
        io_dtype=int8_io if quantization == "int8" else "float32",
        batch_size=batch_size)
    path = os.path.join(directory, TFLITE_FILES[name])
    _write_file(path, content)
    entry = {
        "file": TFLITE_FILES[name],
        "bytes": len(content),
        "sha256": weights_lib.file_sha256(path),
        "quantization": quantization,
        "ops": tflite.tflite_ops(content),
        "builtin_ops_only": not tflite.non_builtin_ops(content),
        "io": tflite.io_details(content),
        "implementation": "reference",
        "parity": None,
    }
    if quantization == "int8":
      entry["quantize_aware"] = is_quantize_aware(model)
      entry["representative_data"] = (
          dict(data.describe(), examples_used=len(calibration))
          if calibration is not None else None)
    if verify:
      parity = tflite.compare(model, content, images, labels, expected)
      entry["parity"] = dict(parity.as_dict(), data=where)
      if (quantization == "float32" and
          parity.max_relative_error > tflite.FLOAT_TOLERANCE):
        raise RuntimeError(
            f"export check failed: {TFLITE_FILES[name]} differs from the "
            f"model by {parity.max_relative_error:.3g} of the outputs' "
            f"scale (tolerance {tflite.FLOAT_TOLERANCE})")
      if (quantization == "int8" and parity.top1_agreement is not None and
          parity.top1_agreement < INT8_MIN_AGREEMENT):
        raise RuntimeError(
            f"export check failed: {TFLITE_FILES[name]} agrees with the "
            f"model's top-1 class on {parity.top1_agreement:.3f} of {where} "
            f"({parity.examples} images), under {INT8_MIN_AGREEMENT}")
    info[name] = entry


def _labels_fit(model: keras.Model, dataset: str) -> bool:
  """Whether the model's output classes are the dataset's labels."""
  from sparsezoo_tf import data  # pylint: disable=g-import-not-at-top
  outputs = getattr(model, "outputs", None) or []
  return (len(outputs) == 1 and outputs[0].shape.rank == 2 and
          outputs[0].shape[-1] == data.dataset_info(dataset).num_classes)


def _write(model: keras.Model, directory: str, formats: List[str],
           batch_size: Optional[int], verify: bool, implementation: str,
           metadata: Dict[str, Any], representative_data=None,
           int8_io: str = "float32") -> None:
  """Writes the artifacts into `directory` (the temporary one)."""
  spec = _input_spec(model, batch_size)
  images = _verify_input(spec) if verify else None
  info = dict(metadata)
  params = int(model.count_params())
  info.update({
      "model": model.name,
      "formats": formats,
      "input": {"name": INPUT_NAME, "dtype": "float32",
                "shape": list(spec.shape.as_list())},
      "params": params,
      "float32_bytes": 4 * params,
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
    _write_sha256_record(path)
    info["keras"] = {"file": KERAS_FILE, "requires": REQUIRES}
  if any(name in TFLITE_FORMATS for name in formats):
    _write_tflite(model, directory, formats, batch_size, verify,
                  representative_data, int8_io, images, info)
  with open(os.path.join(directory, METADATA_FILE), "w") as stream:
    json.dump(info, stream, indent=2, sort_keys=True, default=str)
    stream.write("\n")


def export_model(model: keras.Model,
                 output_dir: str,
                 formats: Union[str, Sequence[str]] = DEFAULT_FORMATS,
                 batch_size: Optional[int] = None,
                 overwrite: bool = False,
                 verify: bool = True,
                 metadata: Optional[Mapping[str, Any]] = None,
                 implementation: str = DEFAULT_IMPLEMENTATION,
                 representative_data=None,
                 int8_io: str = "float32") -> Dict[str, str]:
  """Writes `model` for serving into `output_dir`, atomically.

  Args:
    model: a `tf_keras` model with one input (e.g. from
      `sparsezoo_tf.models.create_model`).
    output_dir: the directory to create; an existing empty directory is
      replaced, a non-empty one only with `overwrite`.
    formats: among "saved_model" (`saved_model/`, a `serving_default`
      signature, see the module docstring for who can load it), "keras"
      (`model.keras` and its SHA-256 record `model.keras.sha256`),
      "tflite" (`model.tflite`, float32) and "tflite_int8"
      (`model_int8.tflite`, int8); a list or a comma-separated string.
      Default: saved_model and keras.
    batch_size: the batch dimension of the serving signature; None keeps
      it dynamic.
    overwrite: replace a non-empty `output_dir`.
    verify: reload every artifact before publishing it and require the
      model's outputs (within 1e-5) on a random batch.
    metadata: extra JSON-serializable entries for `export.json`.
    implementation: the path of the sparse layers in the SavedModel:
      "reference" (builtin TensorFlow ops: it runs anywhere) or "op" (the
      custom op: loading needs `import sparsezoo_tf`). The `.keras` file
      keeps the layers' own setting; TFLite files always take the
      reference path.
    representative_data: a `sparsezoo_tf.tflite.RepresentativeData`: the
      images that calibrate "tflite_int8" (needed for it, unless the model
      is quantization-aware) and on which the TFLite files' parity (and
      accuracy) is measured; without it, float parity is measured on the
      random verification batch.
    int8_io: the dtype of the int8 file's input and output, "float32" (the
      same preprocessed images as the model) or "int8".

  Returns:
    {"saved_model": dir, "keras": file, "tflite": file, "tflite_int8":
    file, "metadata": file}, the formats written and the metadata file, as
    paths under `output_dir`.

  Raises:
    ValueError: unknown formats or implementation ("auto" included), a
      model without exactly one input, a bad batch size, "tflite_int8"
      without representative data, a bad int8_io.
    FileExistsError: `output_dir` is a file, or a non-empty directory
      without `overwrite`.
    RuntimeError: with `verify`, a reloaded artifact that computes
      something else (a TFLite file out of tolerance, see the module
      docstring); implementation="op" without a usable op library.
  """
  formats = parse_formats(formats)
  check_implementation(implementation)
  # A model still wrapped for pruning is exported as the pruned model.
  model = pruning.strip(model)
  _input_spec(model, batch_size)
  check_tflite_arguments(model, formats, representative_data, int8_io)
  output_dir = os.path.abspath(os.fspath(output_dir))
  _check_output_dir(output_dir, overwrite)
  parent, base = os.path.split(output_dir)
  os.makedirs(parent, exist_ok=True)
  temporary = tempfile.mkdtemp(prefix=f".{base}.partial-", dir=parent)
  try:
    _write(model, temporary, formats, batch_size, verify, implementation,
           metadata or {}, representative_data, int8_io)
    _check_output_dir(output_dir, overwrite)
    data_files.publish_folder(temporary, output_dir)
  except BaseException:
    shutil.rmtree(temporary, ignore_errors=True)
    raise
  paths = {"metadata": os.path.join(output_dir, METADATA_FILE)}
  if "saved_model" in formats:
    paths["saved_model"] = os.path.join(output_dir, SAVED_MODEL_DIR)
  if "keras" in formats:
    paths["keras"] = os.path.join(output_dir, KERAS_FILE)
  for name in TFLITE_FORMATS:
    if name in formats:
      paths[name] = os.path.join(output_dir, TFLITE_FILES[name])
  return paths


def _quantization_aware_run(name: str, checkpoint: Optional[str],
                            kwargs: Mapping[str, Any]
                            ) -> Optional[keras.Model]:
  """The trained model of a quantization-aware training run when
  `checkpoint` is the folder of one (its weights are the quantized
  model's, which `training.build_model` rebuilds from the run's recipe);
  None for anything else.

  Raises:
    ValueError: the run trained another model, or model kwargs are given
      (the run's recipe has them).
  """
  if not checkpoint or not os.path.isfile(
      os.path.join(checkpoint, runs.METRICS)):
    return None
  recipe = runs.run_recipe(checkpoint)
  if not recipe.training.quantization_aware:
    return None
  if recipe.model.name != name:
    raise ValueError(f"{checkpoint} is a run of {recipe.model.name}, not "
                     f"{name}")
  if kwargs:
    raise ValueError(f"{checkpoint} is a quantization-aware run: its model "
                     f"is built from the run's recipe, without model kwargs "
                     f"(got {sorted(kwargs)})")
  return classifier.build_model(recipe, weights=runs.run_weights(checkpoint))


def check_tflite_arguments(model: Optional[keras.Model], formats: List[str],
                           representative_data, int8_io: str) -> None:
  """Refuses TFLite arguments that cannot work, before anything is built
  or written (`model` None: not known yet).

  Raises:
    ValueError: "tflite_int8" without representative data (for a model
      that is not quantization-aware), representative data of another
      type, an unknown int8_io.
  """
  from sparsezoo_tf import tflite  # pylint: disable=g-import-not-at-top
  if int8_io not in tflite.IO_DTYPES:
    raise ValueError(f"int8_io must be one of {tflite.IO_DTYPES}, got "
                     f"{int8_io!r}")
  if (representative_data is not None and
      not isinstance(representative_data, tflite.RepresentativeData)):
    raise ValueError(f"representative_data must be a tflite."
                     f"RepresentativeData, got {representative_data!r}")
  if ("tflite_int8" in formats and representative_data is None and
      not (model is not None and is_quantize_aware(model))):
    raise ValueError(
        "format tflite_int8 needs representative data to calibrate the int8 "
        "ranges: pass representative_data=tflite.RepresentativeData("
        "'<dataset>', data_dir=...) (tools/export.py: --dataset and "
        "--data_dir); random data is never used for it")


def export_zoo_model(name: str,
                     output_dir: str,
                     weights: Optional[str] = None,
                     checkpoint: Optional[str] = None,
                     model_kwargs: Optional[Mapping[str, Any]] = None,
                     implementation: str = DEFAULT_IMPLEMENTATION,
                     formats: Union[str, Sequence[str]] = DEFAULT_FORMATS,
                     batch_size: Optional[int] = None,
                     overwrite: bool = False,
                     verify: bool = True,
                     dataset: Optional[str] = None,
                     data_dir: str = "",
                     calibration_examples: Optional[int] = None,
                     evaluation_examples: Optional[int] = None,
                     int8_io: str = "float32") -> Dict[str, str]:
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
    dataset, data_dir, calibration_examples, evaluation_examples: the
      TFLite formats' representative data (`tflite.RepresentativeData`;
      None: its defaults). `dataset` defaults to the registered weights'
      dataset, else the model's (`ModelInfo.dataset`); the embedded digits
      datasets need no `data_dir`. A dataset whose files are not given
      (no `data_dir`) is an error for "tflite_int8"; for "tflite" alone,
      float parity is then measured on random data.
    int8_io: as `export_model`.

  Returns:
    The paths `export_model` returns.

  Raises:
    ValueError: unknown model, formats, implementation or dataset; both
      weights and checkpoint; model_kwargs repeating an argument of this
      function; weights that do not match their SHA-256 record or do not
      fit; "tflite_int8" without usable representative data.
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
  representative_data = None
  if any(fmt in TFLITE_FORMATS for fmt in formats):
    representative_data = zoo_representative_data(
        name, weights, dataset, data_dir, calibration_examples,
        evaluation_examples, required="tflite_int8" in formats)
  check_tflite_arguments(None, formats, representative_data, int8_io)
  model = _quantization_aware_run(name, checkpoint, kwargs)
  if model is not None:
    loaded = runs.run_weights(checkpoint)
  else:
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
                      implementation=implementation,
                      representative_data=representative_data,
                      int8_io=int8_io)


def zoo_representative_data(name: str,
                            weights: Optional[str] = None,
                            dataset: Optional[str] = None,
                            data_dir: str = "",
                            calibration_examples: Optional[int] = None,
                            evaluation_examples: Optional[int] = None,
                            required: bool = True):
  """The `tflite.RepresentativeData` of zoo model `name`: `dataset`, else
  the dataset of its registered `weights`, else its `ModelInfo.dataset`.

  Returns:
    The representative data, or None when the dataset needs a `data_dir`
    that is not given and `required` is False.

  Raises:
    ValueError: an unknown dataset; with `required`, a dataset whose files
      are not given.
  """
  # pylint: disable=g-import-not-at-top
  from sparsezoo_tf import data
  from sparsezoo_tf import models
  from sparsezoo_tf import tflite
  if dataset is None:
    entries = {entry.name: entry for entry in models.list_weights(name)}
    entry = entries.get(weights) if weights is not None else None
    dataset = entry.dataset if entry else models.model_info(name).dataset
  info = data.dataset_info(dataset)
  if info.uses_data_dir and not data_dir:
    if not required:
      return None
    raise ValueError(
        f"format tflite_int8 of {name} needs representative data: its "
        f"dataset {dataset!r} is read from files, give their folder "
        f"(data_dir, --data_dir), or another dataset (--dataset); random "
        f"data is never used to calibrate")
  kwargs = {}
  if calibration_examples is not None:
    kwargs["calibration_examples"] = calibration_examples
  if evaluation_examples is not None:
    kwargs["evaluation_examples"] = evaluation_examples
  return tflite.RepresentativeData(dataset, data_dir, **kwargs)


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
  for name in TFLITE_FORMATS:
    entry = info.get(name)
    if not entry:
      continue
    path = os.path.join(directory, entry["file"])
    parity = entry.get("parity") or {}
    if entry["quantization"] == "float32" and parity:
      measured = (f"; max relative error {parity['max_relative_error']:.2g} "
                  f"on {parity['data']}")
    elif parity and parity.get("top1_agreement") is not None:
      measured = (f"; top-1 agreement with the model "
                  f"{parity['top1_agreement']:.4f} on {parity['data']} "
                  f"({parity['examples']} images)")
    else:
      measured = ""
    lines.append(
        f"TFLite {entry['quantization']} {path} ({entry['bytes']:,} bytes"
        f"{measured}): builtin TFLite ops only; runs in any TFLite / "
        f"LiteRT interpreter (ai_edge_litert.interpreter.Interpreter), "
        f"without TensorFlow or sparsezoo_tf.")
  return lines
