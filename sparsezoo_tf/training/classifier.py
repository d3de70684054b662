"""Trains a zoo classifier from a `Recipe` with Keras `fit`.

One code path for every `tf.distribute` strategy: the model and the
optimizer are created under the strategy's scope and `fit` distributes the
datasets (the recipe's batch size is the global batch). With a `model_dir`,
the run backs up its training state (`BackupAndRestore`) so that the same
call after an interruption continues from the last backup, writes
TensorBoard logs, and ends with weights.h5, its SHA-256 record
weights.h5.sha256 (checked when the file is loaded by path) and
metrics.json (top-1 / top-5 on the dataset's evaluation split, the number
of optimizer steps, the recipe); see `runs` for the folder's layout.
"""

import contextlib
import math
import os
import shutil
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import tensorflow as tf
# Op determinism's state and its opposite, which tf.config does not export.
from tensorflow.python.framework import config as tf_config
import tf_keras as keras

from sparsezoo_tf import data as data_lib
from sparsezoo_tf import evaluation
from sparsezoo_tf import models
from sparsezoo_tf.models import weights as weights_lib
# Does not import TF Model Optimization unless a recipe prunes.
from sparsezoo_tf.optimization import pruning
from sparsezoo_tf.training import distribute
from sparsezoo_tf.training import runs
from sparsezoo_tf.training.optimization import make_optimizer
from sparsezoo_tf.training.recipe import Recipe

# float16 with loss scaling on GPUs and CPUs, bfloat16 on TPUs.
MIXED_POLICY = "mixed_float16"
TPU_MIXED_POLICY = "mixed_bfloat16"
_DISTRIBUTED = (tf.distribute.MirroredStrategy,
                tf.distribute.MultiWorkerMirroredStrategy,
                tf.distribute.TPUStrategy)
EVAL_BATCH_SIZE = 256


def evaluate_digits(model: keras.Model,
                    batch_size: int = EVAL_BATCH_SIZE) -> float:
  """Top-1 accuracy of `model` on the digits test split."""
  dataset = data_lib.make_dataset("digits", "test", batch_size=batch_size,
                                  training=False)
  return evaluation.evaluate(model, dataset)["top1"]


def build_model(recipe: Recipe, weights: Optional[str] = None
                ) -> keras.Model:
  """The recipe's model for the current dtype policy: under a mixed policy
  the classifier's activation is a separate float32 layer (Keras's advice
  for numerically stable outputs). With `training.quantization_aware`,
  the quantization-aware model (`optimization.quantization.quantize`),
  whose weights are those a QAT run writes.

  Args:
    recipe: the model's name and arguments, and the dataset (classes,
      channels, data.image_size for the input size).
    weights: None (random initialization), a registered weights name or an
      .h5 file, as the models' `weights=`; for a quantization-aware recipe,
      an .h5 file of the quantized model (a QAT run's weights.h5).

  Raises:
    ValueError: the model's head does not have the dataset's classes, or
      the weights do not fit.
  """
  if not recipe.training.quantization_aware:
    return _float_model(recipe, weights)
  from sparsezoo_tf.optimization import quantization  # pylint: disable=g-import-not-at-top
  model = quantization.quantize(_float_model(recipe, None))
  if weights is not None:
    # In order, not by name: tfmot numbers its input QuantizeLayer by how
    # many this process made before ("quantize_layer_2").
    path = weights_lib.resolve(recipe.model.name, weights).path
    weights_lib.check_fits(model, path, by_name=False)
    model.load_weights(path)
  return model


def _float_model(recipe: Recipe, weights: Optional[str]) -> keras.Model:
  """`build_model` without quantization."""
  kwargs = recipe.model.kwargs.as_dict()
  info = data_lib.dataset_info(recipe.data.dataset)
  if recipe.data.image_size and "input_shape" not in kwargs:
    kwargs["input_shape"] = (recipe.data.image_size,) * 2 + (info.channels,)
  mixed = keras.mixed_precision.global_policy().compute_dtype != "float32"
  activation = kwargs.pop("classifier_activation", "softmax")
  model = models.create_model(
      recipe.model.name, weights=weights,
      classifier_activation=None if mixed else activation, **kwargs)
  if mixed:
    outputs = keras.layers.Activation(activation, dtype="float32",
                                      name="predictions_float32")(
                                          model.output)
    model = keras.Model(model.input, outputs, name=model.name)
  if model.output_shape[-1] != info.num_classes:
    raise ValueError(
        f"model {recipe.model.name} outputs {model.output_shape[-1]} classes "
        f"but {info.name} has {info.num_classes}; set model.kwargs.classes")
  return model


def load_trained(model_dir: str) -> Tuple[keras.Model, Recipe]:
  """(the model trained in `model_dir`, float32, with its weights.h5; the
  recipe it was trained with, from metrics.json).

  Raises:
    FileNotFoundError: `model_dir` holds no finished run.
  """
  recipe = runs.run_recipe(model_dir)
  return build_model(recipe, weights=runs.run_weights(model_dir)), recipe


def train(recipe: Recipe, model_dir: Optional[str] = None, verbose: int = 1,
          strategy: Optional[tf.distribute.Strategy] = None,
          overwrite: bool = False) -> Dict[str, Any]:
  """Trains the recipe's model.

  Args:
    recipe: what to train and how. With `training.deterministic`,
      TensorFlow's op determinism is on while it trains and the process's
      previous setting is restored afterwards (`op_determinism`).
    model_dir: where the run's files go (see `runs`); a folder holding an
      unfinished run of the same recipe is resumed; one holding a finished
      run is refused unless `overwrite`. A run that fails before its first
      backup leaves model_dir as it found it (absent when it was). None:
      nothing is written and nothing can be resumed.
    verbose: Keras `fit` verbosity (1: progress bar, 2: a line per epoch).
    strategy: a `tf.distribute.Strategy` (`distribute.make_strategy`);
      None for the default one.
    overwrite: train into a `model_dir` that holds a finished run; its
      outputs are replaced when this run finishes.

  Returns:
    {"top1", "top5", "examples" (of the evaluation split), "loss" (last
    epoch's training loss, None when the run only had its final
    evaluation left), "params", "epochs", "steps" (optimizer steps at the
    end), "initial_step" (optimizer steps restored from a backup),
    "steps_per_epoch", "dataset", "split", "strategy", "replicas",
    "mixed_precision"}.

  Raises:
    ValueError: the recipe cannot be trained as written, or `model_dir`
      holds an unfinished run of another recipe.
    NotADirectoryError: `model_dir` is a file.
    FileExistsError: `model_dir` holds a finished run and not `overwrite`.
  """
  strategy = strategy or tf.distribute.get_strategy()
  if model_dir:
    runs.check_model_dir(model_dir)
    if not overwrite:
      runs.check_not_finished(model_dir)
  with op_determinism(recipe.training.deterministic):
    if not model_dir or not distribute.is_chief(strategy):
      return _train(recipe, model_dir, verbose, strategy)
    with runs.removed_on_early_failure(model_dir):
      return _train(recipe, model_dir, verbose, strategy)


@contextlib.contextmanager
def op_determinism(enabled: bool) -> Iterator[None]:
  """TensorFlow's op determinism on inside the block when `enabled` (the
  process's previous setting is restored on leaving it, also on an error);
  nothing changes when not.

  Op determinism is process-wide: it makes unseeded random ops raise and
  slows some GPU kernels, so it is on only while a recipe that asks for
  it (`training.deterministic`) trains.
  """
  if not enabled:
    yield
    return
  previous = tf_config.is_op_determinism_enabled()
  tf.config.experimental.enable_op_determinism()
  try:
    yield
  finally:
    if not previous:
      tf_config.disable_op_determinism()


def _train(recipe: Recipe, model_dir: Optional[str], verbose: int,
           strategy: tf.distribute.Strategy) -> Dict[str, Any]:
  """`train` after its checks."""
  t, d = recipe.training, recipe.data
  chief = distribute.is_chief(strategy)
  resuming = bool(model_dir) and runs.check_resumable(model_dir, recipe)
  if model_dir and chief:
    os.makedirs(model_dir, exist_ok=True)
    runs.write_json(os.path.join(model_dir, runs.RECIPE), recipe.as_dict())
  keras.utils.set_random_seed(t.seed)
  info = data_lib.dataset_info(d.dataset)
  train_split, eval_split = info.splits[0], info.splits[-1]
  train_set, steps, repeat = _train_dataset(recipe, train_split, strategy)
  previous_policy = keras.mixed_precision.global_policy()
  if t.mixed_precision:
    keras.mixed_precision.set_global_policy(
        TPU_MIXED_POLICY if isinstance(strategy, tf.distribute.TPUStrategy)
        else MIXED_POLICY)
  try:
    with strategy.scope():
      model = _training_model(recipe, steps)
      model.compile(optimizer=make_optimizer(t, steps), **_loss(t))
  finally:
    keras.mixed_precision.set_global_policy(previous_policy)
  if t.label_smoothing:
    train_set = train_set.map(
        lambda x, y: (x, tf.one_hot(y, info.num_classes)))
  counter = _StepCounter()
  callbacks = _callbacks(model_dir, t.checkpoint_every_steps, counter,
                         _optimization_callbacks(t))
  if resuming and verbose:
    print(f"resuming the unfinished run in {model_dir}")
  history = model.fit(train_set, epochs=t.epochs, verbose=verbose,
                      callbacks=callbacks,
                      steps_per_epoch=steps if repeat else None)
  # Without wrappers (a no-op unless the recipe prunes): what is
  # evaluated, saved and loads into the plain model.
  final = _final_model(pruning.strip(model), strategy,
                       quantized=t.quantization_aware)
  eval_set = data_lib.make_dataset(
      d.dataset, eval_split, batch_size=d.batch_size, training=False,
      data_dir=d.data_dir, image_size=d.image_size)
  losses = history.history.get("loss") or [None]
  metrics = {
      **evaluation.evaluate(final, eval_set),
      "loss": None if losses[-1] is None else float(losses[-1]),
      "params": int(sum(int(tf.size(w)) for w in final.trainable_weights)),
      "epochs": t.epochs,
      "steps": int(model.optimizer.iterations.numpy()),
      "initial_step": counter.initial_step,
      "steps_per_epoch": steps,
      "dataset": d.dataset,
      "split": eval_split,
      "strategy": distribute.strategy_name(strategy),
      "replicas": int(strategy.num_replicas_in_sync),
      "mixed_precision": t.mixed_precision,
  }
  if t.pruning.enabled:
    measured = pruning.sparsity(final, t.pruning.layers or None)
    metrics["sparsity"] = measured.overall
    metrics["sparsity_layers"] = measured.layers
  if model_dir:
    _write_outputs(model_dir, final, metrics, recipe, strategy)
  return metrics


def _train_dataset(recipe: Recipe, split: str, strategy
                   ) -> Tuple[tf.data.Dataset, int, bool]:
  """(the training set, steps per epoch, whether it repeats).

  A dataset of known length is one epoch per iteration. One of unknown
  length (files, with unreadable ones skipped) repeats and `fit` counts
  ceil(examples / batch) steps per epoch, so that epochs, the schedule
  and resuming all count the same steps.
  """
  d, t = recipe.data, recipe.training
  drop = isinstance(strategy, tf.distribute.TPUStrategy)  # static shapes
  dataset = data_lib.make_dataset(
      d.dataset, split, batch_size=d.batch_size, training=True,
      data_dir=d.data_dir, image_size=d.image_size, seed=t.seed,
      drop_remainder=drop)
  steps = int(dataset.cardinality())
  repeat = steps < 0
  if repeat:
    examples = data_lib.num_examples(d.dataset, split, d.data_dir)
    steps = (examples // d.batch_size if drop
             else math.ceil(examples / d.batch_size))
    dataset = dataset.repeat()
  if steps < 1:
    raise ValueError(f"{d.dataset} {split} has no full batch of "
                     f"{d.batch_size} examples")
  if isinstance(strategy, (tf.distribute.MultiWorkerMirroredStrategy,
                           tf.distribute.TPUStrategy)):
    # Every worker reads the whole input and keeps its share of each
    # global batch: the same steps everywhere, whatever the files.
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = (
        tf.data.experimental.AutoShardPolicy.DATA)
    dataset = dataset.with_options(options)
  return dataset, steps, repeat


def _training_model(recipe: Recipe, steps_per_epoch: int) -> keras.Model:
  """The model `fit` trains: the recipe's model from
  `training.initial_weights` (or initialized), quantization-aware or
  wrapped for pruning as the recipe says."""
  t = recipe.training
  initial = t.initial_weights or None
  if t.quantization_aware:
    # The float model from the float weights, then its quantized copy.
    from sparsezoo_tf.optimization import quantization  # pylint: disable=g-import-not-at-top
    float_recipe = recipe.replace(training={"quantization_aware": False})
    return quantization.quantize(build_model(float_recipe, initial))
  model = build_model(recipe, initial)
  if t.pruning.enabled:
    p = t.pruning
    return pruning.prune(
        model, p.target_sparsity,
        end_step=(p.end_epoch or t.epochs) * steps_per_epoch,
        initial_sparsity=p.initial_sparsity,
        begin_step=p.begin_epoch * steps_per_epoch,
        frequency=p.frequency_steps, schedule=p.schedule,
        layers=p.layers or None)
  return model


def _optimization_callbacks(training) -> List[keras.callbacks.Callback]:
  """tfmot's `UpdatePruningStep` for a pruning recipe; none otherwise."""
  if not training.pruning.enabled:
    return []
  return pruning.callbacks()


def _callbacks(model_dir: Optional[str], checkpoint_every_steps: int,
               counter: keras.callbacks.Callback,
               extra: Sequence[keras.callbacks.Callback] = ()):
  """Backups (kept until the outputs are written: an interruption during
  the final evaluation resumes there), the step counter, the `extra`
  callbacks (after the backup is restored), TensorBoard."""
  if not model_dir:
    return [counter, *extra]
  return [
      keras.callbacks.BackupAndRestore(
          os.path.join(model_dir, runs.BACKUP),
          save_freq=checkpoint_every_steps or "epoch",
          delete_checkpoint=False),
      counter,
      *extra,
      keras.callbacks.TensorBoard(os.path.join(model_dir, runs.LOGS)),
  ]


def _loss(training) -> Dict[str, Any]:
  if training.label_smoothing:
    return {"loss": keras.losses.CategoricalCrossentropy(
                label_smoothing=training.label_smoothing),
            "metrics": [keras.metrics.CategoricalAccuracy(name="accuracy")]}
  return {"loss": keras.losses.SparseCategoricalCrossentropy(),
          "metrics": [keras.metrics.SparseCategoricalAccuracy(
              name="accuracy")]}


class _StepCounter(keras.callbacks.Callback):
  """Records the optimizer steps at the start of `fit` (after a backup was
  restored: it follows `BackupAndRestore` in the callbacks)."""

  def __init__(self):
    super().__init__()
    self.initial_step = 0

  def on_train_begin(self, logs=None):
    self.initial_step = int(self.model.optimizer.iterations.numpy())


def _final_model(model: keras.Model, strategy,
                 quantized: bool = False) -> keras.Model:
  """The trained model outside the strategy: the model itself on the
  default strategy, else a copy with plain variables (reading distributed
  variables can need all the workers; evaluating and saving the copy do
  not). A `quantized` model is copied inside tfmot's quantize scope."""
  if not isinstance(strategy, _DISTRIBUTED):
    return model
  values = model.get_weights()
  scope = contextlib.nullcontext()
  if quantized:
    from sparsezoo_tf.optimization import quantization  # pylint: disable=g-import-not-at-top
    scope = quantization.quantize_scope()
  with scope:
    copy = keras.models.clone_model(model)
  copy.set_weights(values)
  return copy


def _write_outputs(model_dir: str, model: keras.Model,
                   metrics: Dict[str, Any], recipe: Recipe,
                   strategy) -> None:
  """weights.h5 with its SHA-256 record weights.h5.sha256, and
  metrics.json (the chief's in model_dir, the other workers' in
  model_dir/<worker>); the chief then removes the backup."""
  chief = distribute.is_chief(strategy)
  folder = (model_dir if chief else
            os.path.join(model_dir, distribute.worker_name(strategy)))
  os.makedirs(folder, exist_ok=True)
  weights = os.path.join(folder, runs.WEIGHTS)
  runs.atomic_write(weights,
                    lambda p: model.save_weights(p, save_format="h5"))
  # Its SHA-256 record (weights.h5.sha256), which loading it by path checks.
  runs.write_text(weights + weights_lib.RECORD_SUFFIX,
                  weights_lib.sha256_record(weights))
  runs.write_json(os.path.join(folder, runs.METRICS),
                  {**metrics, "recipe": recipe.as_dict()})
  if chief:
    shutil.rmtree(os.path.join(model_dir, runs.BACKUP), ignore_errors=True)
    recipe_file = os.path.join(model_dir, runs.RECIPE)
    if os.path.exists(recipe_file):
      os.remove(recipe_file)
