"""TFLite conversion of zoo models, with checked parity.

    from sparsezoo_tf import models, tflite
    model = models.create_model("digits_cnn_sc", weights="digits")
    data = tflite.RepresentativeData("digits")
    content = tflite.convert(model)                       # float32
    int8 = tflite.convert(model, "int8",
                          tflite.calibration_images(data, model))
    tflite.tflite_ops(content)     # ["ADD", "CONV_2D", ...], builtins only
    images, labels = tflite.evaluation_set(data, model)
    tflite.compare(model, int8, images, labels).top1_agreement

The model is always traced on the pure-TF path (`implementation=
"reference"`, whatever its layers' own setting, through
`export.layers_on_path`): the custom op `SparseZoo>SparseConv2D` has no
TFLite kernel, while the reference path lowers every scheme to builtin
TFLite ops (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, GATHER, ADD, ...).
The converter is restricted to builtin ops (no Flex / SELECT_TF_OPS, no
custom ops): a model that needs anything else fails to convert, and
`tflite_ops` / `non_builtin_ops` read what a file uses from its flatbuffer.

Quantization:
  * "float32": the weights and the arithmetic in float32; the file's
    outputs match the Keras model's within `FLOAT_TOLERANCE` (1e-4 of the
    output's largest magnitude).
  * "int8": post-training full-integer quantization: int8 weights
    (per-channel) and int8 activations, with ranges calibrated on a
    representative dataset (`calibration_images`: real images of the
    model's own dataset, never random data); every op must have an int8
    kernel (TFLITE_BUILTINS_INT8). By default the file's input and output
    stay float32 (a QUANTIZE op after the input, a DEQUANTIZE before the
    output) so that it takes the same preprocessed images as the Keras
    model; `io_dtype="int8"` makes them int8 too (for integer-only
    accelerators; `run` then quantizes and dequantizes with the file's
    scales). Its agreement with the Keras model is measured, not bounded a
    priori: `compare` reports top-1 agreement (and accuracy, with labels).
  * A quantization-aware model (layers wrapped by TF-MOT's
    `QuantizeWrapperV2`, `tfmot.quantization.keras.quantize_model`)
    converts to "int8" from the ranges it learned; a representative
    dataset is then optional.

The interpreter is LiteRT's (`ai_edge_litert.interpreter`, a dependency of
tf-models-official and so always installed with this package):
`tf.lite.Interpreter` still works in TF 2.20 but warns on every use that it
is deprecated in favour of LiteRT. It is used, with that warning silenced,
only where `ai_edge_litert` cannot be imported.
"""

import dataclasses
import warnings
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
import tensorflow as tf
from tensorflow.lite.python import schema_py_generated as schema
from tensorflow.lite.python import schema_util
import tf_keras as keras

from sparsezoo_tf import export

QUANTIZATIONS = ("float32", "int8")
IO_DTYPES = ("float32", "int8")
# Float parity: max |TFLite - Keras| <= FLOAT_TOLERANCE * max |Keras|, per
# output.
FLOAT_TOLERANCE = 1e-4
DEFAULT_CALIBRATION_EXAMPLES = 256
DEFAULT_EVALUATION_EXAMPLES = 512
# The batch `run` feeds a file with a dynamic batch dimension.
RUN_BATCH = 64
_BUILTIN_NAMES = {value: name for name, value in vars(
    schema.BuiltinOperator).items() if not name.startswith("_")}


@dataclasses.dataclass(frozen=True)
class RepresentativeData:
  """Where calibration and parity images come from: a dataset of
  `sparsezoo_tf.data` (`make_dataset`, evaluation transform).

  Attributes:
    dataset: one of `sparsezoo_tf.data.DATASETS` ("digits" and
      "digits_canvas" are embedded; the others need `data_dir`).
    data_dir: where the dataset's files are.
    calibration_split: the split whose first `calibration_examples`
      images calibrate int8 ranges.
    calibration_examples: how many.
    evaluation_split: the split parity and accuracy are measured on; None
      for the dataset's evaluation split (its last: "test" or
      "validation").
    evaluation_examples: at most this many of them (0: all).
  """
  dataset: str
  data_dir: str = ""
  calibration_split: str = "train"
  calibration_examples: int = DEFAULT_CALIBRATION_EXAMPLES
  evaluation_split: Optional[str] = None
  evaluation_examples: int = DEFAULT_EVALUATION_EXAMPLES

  def __post_init__(self):
    from sparsezoo_tf import data  # pylint: disable=g-import-not-at-top
    info = data.dataset_info(self.dataset)
    for split in (self.calibration_split, self.evaluation_split):
      if split is not None and split not in info.splits:
        raise ValueError(f"unknown split {split!r} of dataset "
                         f"{self.dataset!r}; known splits: "
                         f"{', '.join(info.splits)}")
    if info.uses_data_dir and not self.data_dir:
      raise ValueError(
          f"representative data from dataset {self.dataset!r} needs its "
          f"data_dir (--data_dir): the folder or archive holding its files")
    for name in ("calibration_examples", "evaluation_examples"):
      value = getattr(self, name)
      if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be an int >= 0, got {value!r}")
    if self.calibration_examples < 1:
      raise ValueError("calibration_examples must be positive")

  @property
  def eval_split(self) -> str:
    """The split parity and accuracy are measured on."""
    from sparsezoo_tf import data  # pylint: disable=g-import-not-at-top
    return self.evaluation_split or data.dataset_info(self.dataset).splits[-1]

  def describe(self) -> Dict[str, object]:
    """JSON-serializable description (for export manifests)."""
    return {"dataset": self.dataset, "data_dir": self.data_dir or None,
            "calibration_split": self.calibration_split,
            "calibration_examples": self.calibration_examples,
            "evaluation_split": self.eval_split,
            "evaluation_examples": self.evaluation_examples}


def _image_size(model: keras.Model) -> int:
  shape = model.inputs[0].shape if getattr(model, "inputs", None) else None
  return int(shape[1]) if shape is not None and shape[1] is not None else 0


def _take(dataset: str, split: str, data_dir: str, examples: int,
          image_size: int) -> Tuple[np.ndarray, np.ndarray]:
  from sparsezoo_tf import data  # pylint: disable=g-import-not-at-top
  pipeline = data.make_dataset(dataset, split, batch_size=64, training=False,
                               data_dir=data_dir, image_size=image_size)
  images, labels, count = [], [], 0
  for batch_images, batch_labels in pipeline:
    images.append(batch_images.numpy())
    labels.append(batch_labels.numpy())
    count += len(labels[-1])
    if examples and count >= examples:
      break
  if not images:
    raise ValueError(f"split {split!r} of dataset {dataset!r} is empty")
  images, labels = np.concatenate(images), np.concatenate(labels)
  if examples:
    images, labels = images[:examples], labels[:examples]
  return images.astype(np.float32), labels.astype(np.int64)


def calibration_images(data: RepresentativeData,
                       model: Optional[keras.Model] = None) -> np.ndarray:
  """The first `data.calibration_examples` images of the calibration split
  (evaluation transform, file order), at `model`'s input size when it has a
  static one."""
  size = _image_size(model) if model is not None else 0
  return _take(data.dataset, data.calibration_split, data.data_dir,
               data.calibration_examples, size)[0]


def evaluation_set(data: RepresentativeData,
                   model: Optional[keras.Model] = None
                  ) -> Tuple[np.ndarray, np.ndarray]:
  """(images, labels) of the evaluation split, at most
  `data.evaluation_examples` of them (0: all)."""
  size = _image_size(model) if model is not None else 0
  return _take(data.dataset, data.eval_split, data.data_dir,
               data.evaluation_examples, size)


is_quantize_aware = export.is_quantize_aware


def _check_choice(name: str, value: str, choices: Sequence[str]) -> str:
  if value not in choices:
    raise ValueError(f"{name} must be one of {tuple(choices)}, got "
                     f"{value!r}")
  return value


def convert(model: keras.Model,
            quantization: str = "float32",
            representative_images: Optional[Iterable[np.ndarray]] = None,
            io_dtype: str = "float32",
            batch_size: Optional[int] = None) -> bytes:
  """The `.tflite` flatbuffer of `model` (traced on the pure-TF path).

  Args:
    model: a `tf_keras` model with one input.
    quantization: "float32" or "int8" (see the module docstring).
    representative_images: int8 only: preprocessed images (an array
      [N, ...] or an iterable of [...] images) whose activations calibrate
      the int8 ranges; needed unless `model` is quantization-aware
      (such a model converts with the ranges it learned, and these images
      are not used).
    io_dtype: int8 only: the dtype of the file's input and output,
      "float32" (default) or "int8".
    batch_size: the input's batch dimension; None keeps it dynamic.

  Returns:
    The flatbuffer, with builtin TFLite ops only.

  Raises:
    ValueError: an unknown quantization or io_dtype, int8 without
      representative images (for a model that is not quantization-aware),
      io_dtype="int8" with float32, or a file that would need non-builtin
      ops.
  """
  _check_choice("quantization", quantization, QUANTIZATIONS)
  _check_choice("io_dtype", io_dtype, IO_DTYPES)
  qat = is_quantize_aware(model)
  if quantization == "float32" and io_dtype != "float32":
    raise ValueError("io_dtype='int8' needs quantization='int8'")
  if (quantization == "int8" and representative_images is None and
      not qat):
    raise ValueError(
        f"int8 quantization of {model.name} needs representative images "
        f"(its own dataset's, e.g. tflite.calibration_images("
        f"RepresentativeData('digits'))) to calibrate the activation "
        f"ranges; random data would calibrate them wrongly")
  if qat:
    # Its learned ranges; the converter's full-integer calibration fails
    # on the fake-quantized packed kernels sliced by the pure-TF path.
    representative_images = None
  # Traced (and saved by the converter) with the layers on the pure-TF
  # path, in place: a copy would lose a quantization-aware model's ranges.
  with export.layers_on_path(model, "reference"):
    module = export.serving_module(model, batch_size)
    function = module.serve.get_concrete_function()
    converter = tf.lite.TFLiteConverter.from_concrete_functions([function],
                                                                module)
    if quantization == "float32":
      converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    else:
      converter.optimizations = [tf.lite.Optimize.DEFAULT]
      if representative_images is not None:
        converter.target_spec.supported_ops = [
            tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.representative_dataset = _representative(
            representative_images, function)
      else:  # quantization-aware: the ranges it learned (the converter
        # insists on a representative dataset for TFLITE_BUILTINS_INT8)
        converter.target_spec.supported_ops = [
            tf.lite.OpsSet.TFLITE_BUILTINS]
      converter.inference_input_type = tf.as_dtype(io_dtype)
      converter.inference_output_type = tf.as_dtype(io_dtype)
    try:
      content = converter.convert()
    except Exception as error:  # pylint: disable=broad-except
      # The converter's errors (ConverterError, a bare RuntimeError) say
      # little; its log above says more.
      detail = str(error).strip().splitlines()
      raise RuntimeError(
          f"the TFLite converter failed on {model.name} ({quantization}): "
          f"{detail[0] if detail else type(error).__name__}") from error
  others = non_builtin_ops(content)
  if others:
    raise ValueError(f"the TFLite file of {model.name} uses non-builtin "
                     f"ops {others}")
  return content


def _representative(images: Iterable[np.ndarray],
                    function) -> Callable[[], Iterable[List[np.ndarray]]]:
  """The converter's representative dataset: one image at a time, with a
  batch dimension."""
  images = list(np.asarray(image, np.float32) for image in images)
  if not images:
    raise ValueError("representative_images is empty")
  rank = len(function.inputs[0].shape)
  for image in images:
    if image.ndim != rank - 1:
      raise ValueError(f"representative images must be single images of "
                       f"rank {rank - 1}, got shape {image.shape}")

  def generate():
    for image in images:
      yield [image[None]]
  return generate


def _model_proto(content: bytes):
  return schema.Model.GetRootAsModel(bytearray(content), 0)


def tflite_ops(content: bytes) -> List[str]:
  """The op types a `.tflite` flatbuffer uses, sorted: builtin ops by
  name ("CONV_2D"), custom ops as "CUSTOM:<code>" (TF ops through Flex are
  custom ops named "Flex<op>")."""
  proto = _model_proto(content)
  names = set()
  for index in range(proto.OperatorCodesLength()):
    code = proto.OperatorCodes(index)
    builtin = schema_util.get_builtin_code_from_operator_code(code)
    if builtin == schema.BuiltinOperator.CUSTOM:
      custom = code.CustomCode()
      names.add("CUSTOM:" + (custom.decode() if custom else "?"))
    else:
      names.add(_BUILTIN_NAMES.get(builtin, f"BUILTIN_{builtin}"))
  return sorted(names)


def non_builtin_ops(content: bytes) -> List[str]:
  """The ops of `content` that are not TFLite builtins (custom and Flex
  ops: the stock interpreter cannot run them)."""
  return [name for name in tflite_ops(content) if name.startswith("CUSTOM:")]


def _interpreter_class():
  try:
    # pylint: disable-next=g-import-not-at-top
    from ai_edge_litert import interpreter as litert
    return litert.Interpreter
  except ImportError:  # pragma: no cover: installed with tf-models-official
    return tf.lite.Interpreter


def interpreter(content: bytes):
  """A TFLite interpreter of `content` (LiteRT's, see the module
  docstring), tensors not yet allocated."""
  with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*tf.lite.Interpreter is "
                            "deprecated.*")
    return _interpreter_class()(model_content=bytes(content))


def io_details(content: bytes) -> Dict[str, object]:
  """The dtypes and shapes of the file's input and outputs (JSON-ready)."""
  runner = interpreter(content)
  inputs = runner.get_input_details()
  outputs = runner.get_output_details()

  def describe(detail):
    return {"dtype": np.dtype(detail["dtype"]).name,
            "shape": [int(s) for s in detail["shape_signature"]],
            "quantization": [float(detail["quantization"][0]),
                             int(detail["quantization"][1])]}
  return {"inputs": [describe(d) for d in inputs],
          "outputs": [describe(d) for d in outputs]}


def _quantize(values: np.ndarray, detail) -> np.ndarray:
  dtype = np.dtype(detail["dtype"])
  if dtype == np.float32:
    return values.astype(np.float32)
  scale, zero_point = detail["quantization"]
  info = np.iinfo(dtype)
  return np.clip(np.round(values / scale) + zero_point, info.min,
                 info.max).astype(dtype)


def _dequantize(values: np.ndarray, detail) -> np.ndarray:
  if np.dtype(detail["dtype"]) == np.float32:
    return values.astype(np.float32)
  scale, zero_point = detail["quantization"]
  return ((values.astype(np.float32) - zero_point) * scale).astype(
      np.float32)


def run(content: bytes, images: np.ndarray,
        batch_size: int = RUN_BATCH) -> Dict[str, np.ndarray]:
  """Runs a `.tflite` flatbuffer on float32 `images` [N, ...].

  Integer inputs and outputs are quantized / dequantized with the file's
  scales, so the results are float32 either way. A file with a fixed batch
  runs in batches of that size (the last one padded); one with a dynamic
  batch in batches of `batch_size`.

  Returns:
    {output name: float32 [N, ...]}, the names of the exported signature
    ("predictions" for the zoo's classifiers).
  """
  images = np.asarray(images, np.float32)
  runner = interpreter(content)
  signatures = runner.get_signature_list()
  if len(signatures) != 1:
    raise ValueError(f"expected a file with one signature, found "
                     f"{sorted(signatures)}")
  key = next(iter(signatures))
  (input_name,) = signatures[key]["inputs"]
  signature = runner.get_signature_runner(key)
  detail = signature.get_input_details()[input_name]
  outputs_detail = signature.get_output_details()
  fixed = int(detail["shape_signature"][0])
  step = fixed if fixed > 0 else batch_size
  results: Dict[str, List[np.ndarray]] = {}
  for start in range(0, len(images), step):
    chunk = images[start:start + step]
    count = len(chunk)
    if fixed > 0 and count < fixed:
      chunk = np.concatenate([chunk, np.zeros(
          (fixed - count,) + chunk.shape[1:], np.float32)])
    outputs = signature(**{input_name: _quantize(chunk, detail)})
    for name, value in outputs.items():
      results.setdefault(name, []).append(
          _dequantize(value, outputs_detail[name])[:count])
  return {name: np.concatenate(parts) for name, parts in results.items()}


@dataclasses.dataclass
class Parity:
  """How a `.tflite` file's outputs compare with its Keras model's.

  Attributes:
    examples: the images compared.
    max_abs_error: max |TFLite - Keras| over every output.
    max_relative_error: max over outputs of max |TFLite - Keras| /
      max |Keras| (the error relative to the output's scale).
    top1_agreement: the fraction of images whose arg-max class is the same
      (models with one [N, classes] output; else None).
    keras_top1, tflite_top1: accuracy against the labels, when given.
  """
  examples: int
  max_abs_error: float
  max_relative_error: float
  top1_agreement: Optional[float] = None
  keras_top1: Optional[float] = None
  tflite_top1: Optional[float] = None

  def as_dict(self) -> Dict[str, object]:
    return dataclasses.asdict(self)


def keras_outputs(model: keras.Model, images: np.ndarray,
                  batch_size: int = 256) -> Dict[str, np.ndarray]:
  """The model's outputs in inference mode, named as the exported
  signature names them."""
  parts: Dict[str, List[np.ndarray]] = {}
  for start in range(0, len(images), batch_size):
    outputs = export._model_outputs(  # pylint: disable=protected-access
        model, tf.constant(images[start:start + batch_size]))
    for name, value in outputs.items():
      parts.setdefault(name, []).append(value)
  return {name: np.concatenate(value) for name, value in parts.items()}


def compare(model: keras.Model, content: bytes, images: np.ndarray,
            labels: Optional[np.ndarray] = None,
            expected: Optional[Dict[str, np.ndarray]] = None) -> Parity:
  """Runs `content` and `model` on `images` and compares them.

  Args:
    model: the Keras model the file was converted from.
    content: the `.tflite` flatbuffer.
    images: float32 [N, ...] preprocessed images.
    labels: int [N] labels, for the accuracies (optional).
    expected: the model's outputs on `images`, when already computed
      (`keras_outputs`).

  Returns:
    The `Parity`.

  Raises:
    ValueError: the file and the model have different outputs.
  """
  images = np.asarray(images, np.float32)
  if expected is None:
    expected = keras_outputs(model, images)
  actual = run(content, images)
  if sorted(actual) != sorted(expected):
    raise ValueError(f"the TFLite file returns outputs {sorted(actual)}, "
                     f"the model {sorted(expected)}")
  max_abs, max_rel = 0.0, 0.0
  for name, value in expected.items():
    if actual[name].shape != value.shape:
      raise ValueError(f"output {name!r}: TFLite shape "
                       f"{actual[name].shape}, Keras {value.shape}")
    error = float(np.max(np.abs(actual[name] - value))) if value.size else 0.
    scale = float(np.max(np.abs(value))) if value.size else 0.
    max_abs = max(max_abs, error)
    max_rel = max(max_rel, error / scale if scale > 0 else error)
  parity = Parity(len(images), max_abs, max_rel)
  if len(expected) == 1:
    (name, value), = expected.items()
    if value.ndim == 2:
      keras_top1 = np.argmax(value, -1)
      tflite_top1 = np.argmax(actual[name], -1)
      parity.top1_agreement = float(np.mean(keras_top1 == tflite_top1))
      if labels is not None:
        labels = np.asarray(labels)
        parity.keras_top1 = float(np.mean(keras_top1 == labels))
        parity.tflite_top1 = float(np.mean(tflite_top1 == labels))
  return parity
