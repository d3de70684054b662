"""The pruning and QAT recipes end to end through tools/train_classifier.py:
digits_cnn pruned to 75 % from its shipped weights (sparsity counted in
weights.h5 with NumPy, the weights load into the plain zoo model), and
digits_cnn_sc fine-tuned quantization-aware (the run reloads with
`load_trained`); plus the recipe checks of the new keys."""

import json

import numpy as np
import pytest

import tool_runner
from sparsezoo_tf import data as data_lib
from sparsezoo_tf import models
from sparsezoo_tf import tflite
from sparsezoo_tf.training import classifier
from sparsezoo_tf.training import recipe as recipe_lib

# Training mechanics, not the convolution path: the op path only.
pytestmark = pytest.mark.single_path

# Measured on 2 CPU cores (deterministic runs): top-1 0.975 at 75.0 %
# sparsity; QAT top-1 0.994 (the shipped weights: 0.992 and 0.994).
PRUNED_TOP1, QAT_TOP1 = 0.95, 0.97
# Its int8 TFLite file: measured agreement with the Keras model and top-1.
QAT_TFLITE_AGREEMENT, QAT_TFLITE_TOP1 = 0.97, 0.96


def test_pruning_recipe_reaches_its_sparsity(tmp_path):
  model_dir = tmp_path / "pruned"
  tool_runner.run(tool_runner.train_command(model_dir,
                                            "digits_cnn_pruned.yaml"))
  metrics = tool_runner.metrics(model_dir)
  assert metrics["sparsity"] == pytest.approx(0.75, abs=0.005)
  assert set(metrics["sparsity_layers"]) == {
      "stem_conv", "stage1_conv0", "stage1_conv1", "stage2_conv0",
      "stage2_conv1", "predictions"}
  assert metrics["top1"] >= PRUNED_TOP1
  # Counted independently in the file: the stripped model's kernels.
  arrays = tool_runner.weight_arrays(model_dir / "weights.h5")
  kernels = [a for name, a in arrays.items() if name.endswith("kernel:0")]
  assert len(kernels) == 6
  assert not any("mask" in name or "prune" in name for name in arrays)
  zeros = sum(np.count_nonzero(k == 0) for k in kernels)
  assert zeros / sum(k.size for k in kernels) == pytest.approx(
      metrics["sparsity"])
  # They load into the plain zoo model, which scores the same.
  plain = models.create_model("digits_cnn",
                              weights=str(model_dir / "weights.h5"))
  assert classifier.evaluate_digits(plain) == pytest.approx(metrics["top1"])


def test_qat_recipe_trains_and_reloads(tmp_path):
  model_dir = tmp_path / "qat"
  tool_runner.run(tool_runner.train_command(model_dir,
                                            "digits_cnn_sc_qat.yaml"))
  metrics = tool_runner.metrics(model_dir)
  assert metrics["top1"] >= QAT_TOP1
  assert "sparsity" not in metrics
  arrays = tool_runner.weight_arrays(model_dir / "weights.h5")
  assert any(name.endswith("kernel_min:0") for name in arrays)
  model, recipe = classifier.load_trained(str(model_dir))
  assert recipe.training.quantization_aware
  assert classifier.evaluate_digits(model) == pytest.approx(metrics["top1"])

  # The run exported as an int8 TFLite file with its QAT ranges: the tool
  # rebuilds the quantized model from the run's folder.
  output = tmp_path / "export"
  result = tool_runner.run_tool(
      "export", "--model", "digits_cnn_sc", "--checkpoint",
      str(model_dir), "--formats", "tflite_int8", "--output", str(output))
  assert result.returncode == 0, result.stderr
  manifest = json.loads((output / "export.json").read_text())
  entry = manifest["tflite_int8"]
  assert entry["quantize_aware"] and entry["builtin_ops_only"]
  assert entry["parity"]["top1_agreement"] >= QAT_TFLITE_AGREEMENT
  content = (output / "model_int8.tflite").read_bytes()
  images, labels = zip(*[(x, y) for x, y in data_lib.make_dataset(
      "digits", "test", batch_size=359, training=False)])
  predicted = np.argmax(
      next(iter(tflite.run(content, images[0].numpy()).values())), axis=-1)
  assert np.mean(predicted == labels[0].numpy()) >= QAT_TFLITE_TOP1


@pytest.mark.parametrize("training, message", [
    ({"pruning": {"target_sparsity": 1.0}}, "target_sparsity must be in"),
    ({"pruning": {"target_sparsity": 0.5, "initial_sparsity": 0.6}},
     "initial_sparsity must be in"),
    ({"epochs": 3, "pruning": {"target_sparsity": 0.5, "end_epoch": 4}},
     "begin_epoch < end_epoch <= training.epochs"),
    ({"pruning": {"target_sparsity": 0.5, "schedule": "cubic"}},
     "pruning.schedule must be one of"),
    ({"pruning": {"target_sparsity": 0.5}, "quantization_aware": True},
     "not supported"),
    ({"quantization_aware": True, "mixed_precision": True},
     "does not work with training.mixed_precision"),
    ({"pruning": {"sparsity": 0.5}},
     "recipe key training.pruning.sparsity is unknown"),
])
def test_bad_optimization_settings_are_refused(training, message):
  with pytest.raises(ValueError, match=message):
    recipe_lib.from_dict({"model": {"name": "digits_cnn"},
                          "training": training})


def test_recipes_without_the_new_keys_read_as_before():
  recipe = recipe_lib.load_recipe(f"{tool_runner.CONFIGS}/digits_cnn_sc.yaml")
  training = recipe.as_dict()["training"]
  assert training["initial_weights"] == ""
  assert training["quantization_aware"] is False
  assert training["pruning"]["target_sparsity"] == 0.0
  assert not recipe.training.pruning.enabled
