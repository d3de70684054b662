"""The registered small-dataset weights are reproducible with their recipe:
training the entry's recipe from scratch reaches the registered top-1
accuracy to within one percentage point. One model runs in CI, all of
them with `-m slow`."""

import os

import pytest

from sparsezoo_tf import models
from sparsezoo_tf import training

import tool_runner

# Training mechanics, not the convolution path: the op path only (see the
# Makefile).
pytestmark = pytest.mark.single_path

CI_MODEL = "digits_cnn_sc_comb"  # the quickest to train
TOLERANCE = 0.01
ENTRIES = [e for e in models.list_weights()
           if e.available and e.dataset in ("digits", "digits_canvas")]


def test_every_digits_weights_entry_is_covered():
  assert len(ENTRIES) >= 7
  assert CI_MODEL in {e.model for e in ENTRIES}


@pytest.mark.parametrize("entry", [
    pytest.param(e, id=f"{e.model}-{e.name}",
                 marks=() if e.model == CI_MODEL else pytest.mark.slow)
    for e in ENTRIES])
def test_registered_weights_are_reproduced_by_their_recipe(entry):
  recipe = training.load_recipe(os.path.join(tool_runner.ROOT, entry.recipe))
  assert recipe.model.name == entry.model
  metrics = training.train(recipe, verbose=0)
  print(f"{entry.model}: {metrics['top1'] * metrics['examples']:.0f}/"
        f"{metrics['examples']} against "
        f"{entry.metrics['top1'] * metrics['examples']:.0f}")
  assert metrics["top1"] == pytest.approx(entry.metrics["top1"],
                                          abs=TOLERANCE)
