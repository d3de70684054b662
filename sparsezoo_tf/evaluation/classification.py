"""Top-1 and top-5 accuracy of a classifier over a dataset.

Counts are exact integers: a prediction is correct at k when the label is
among the k highest scores (ties go to the lower class index, as
`tf.math.top_k` and `tf.argmax` order them).
"""

import weakref
from typing import Any, Dict

import tensorflow as tf
import tf_keras as keras

TOP_K = 5
# One traced counting function per model, reused by later evaluations.
_COUNTERS = weakref.WeakKeyDictionary()


def evaluate(model: keras.Model, dataset: tf.data.Dataset,
             verbose: int = 0) -> Dict[str, Any]:
  """Accuracy of `model` over one pass of `dataset`.

  Args:
    model: a classifier returning class scores [B, classes] (probabilities
      or logits).
    dataset: batches of (images, integer labels [B]), e.g.
      `sparsezoo_tf.data.make_dataset(..., training=False)`.
    verbose: 1 for a progress bar.

  Returns:
    {"top1": float, "top5": float, "examples": int}; with fewer than 5
    classes, "top5" counts all of them.

  Raises:
    ValueError: the dataset is empty or its labels are not integer
      class indices.
  """
  label_spec = dataset.element_spec[1]
  if label_spec.shape.rank != 1 or not label_spec.dtype.is_integer:
    raise ValueError(f"evaluate needs integer labels of shape [batch], got "
                     f"{label_spec}")
  counts = _COUNTERS.get(model)
  if counts is None:
    counts = _COUNTERS[model] = _make_counter(model)
  steps = int(dataset.cardinality())
  progress = (keras.utils.Progbar(steps if steps >= 0 else None,
                                  stateful_metrics=["top1"])
              if verbose else None)
  top1 = top5 = examples = 0
  for images, labels in dataset:
    batch = counts(images, labels).numpy()
    top1 += int(batch[0])
    top5 += int(batch[1])
    examples += int(batch[2])
    if progress is not None:
      progress.add(1, [("top1", top1 / examples)])
  if not examples:
    raise ValueError("evaluate got an empty dataset")
  return {"top1": top1 / examples, "top5": top5 / examples,
          "examples": examples}


def _make_counter(model: keras.Model):
  """A function (images, labels) -> [top-1 hits, top-5 hits, examples]
  (holding the model weakly: the cache entry goes with the model)."""
  k = min(TOP_K, int(model.output_shape[-1]))
  model_ref = weakref.ref(model)

  @tf.function(reduce_retracing=True)
  def counts(images, labels):
    scores = tf.cast(model_ref()(images, training=False), tf.float32)
    top = tf.math.top_k(scores, k=k).indices
    hits = tf.equal(top, tf.cast(labels, top.dtype)[:, None])
    return tf.stack([
        tf.reduce_sum(tf.cast(hits[:, 0], tf.int64)),
        tf.reduce_sum(tf.cast(tf.reduce_any(hits, axis=1), tf.int64)),
        tf.size(labels, out_type=tf.int64)])

  return counts
