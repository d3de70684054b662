"""The shipped CAM weights reproduce their registered accuracies on the
embedded digits-canvas test split: classification through Keras, the
localization through the library (the tool that measured them is
tools/eval_localization.py)."""

import numpy as np
import pytest

from sparsezoo_tf import localization
from sparsezoo_tf import models
from sparsezoo_tf.data import digits_canvas

ENTRIES = [e for e in models.list_weights()
           if e.available and e.dataset == "digits_canvas"]


@pytest.fixture(scope="module")
def test_split():
  canvases = digits_canvas.make_canvases("test")
  images = models.preprocess_input(canvases.images, mode="digits_canvas")
  return images, canvases


def test_a_sparse_model_and_its_dense_baseline_are_shipped():
  shipped = {e.model for e in ENTRIES}
  assert {"digits_cam_cnn", "digits_cam_cnn_scfusion2"} <= shipped
  for entry in ENTRIES:
    assert models.model_info(entry.model).dataset == "digits_canvas"


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.model)
def test_shipped_cam_weights_reproduce_their_registered_accuracy(
    entry, test_split):
  images, canvases = test_split
  model = models.create_model(entry.model, weights=entry.name)
  predictions = model.predict(images, verbose=0)
  top1 = np.mean(predictions.argmax(-1) == canvases.labels[:, 0])
  assert top1 == pytest.approx(entry.metrics["top1"], abs=1e-9)
  found = localization.localize(model, images, top_k=5, threshold=0.2)
  accuracy = localization.localization_accuracy(
      found.classes, found.boxes, list(canvases.labels), list(canvases.boxes))
  assert accuracy["top1_loc"] == pytest.approx(entry.metrics["top1_loc"],
                                               abs=1e-9)
  assert accuracy["top5_loc"] == pytest.approx(entry.metrics["top5_loc"],
                                               abs=1e-9)
  assert entry.metrics["top1_loc"] >= 0.80
