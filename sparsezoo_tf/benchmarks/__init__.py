"""Measurements of the op and the zoo, and the tables they write: a layer
above the library (it imports ops, schemes, models, data, analysis and
detection; nothing there imports it).

Submodules, imported by name (this package imports none of them):
  ops: the sparse convolution against dense convolution
    (tools/benchmark_ops.py).
  zoo_table: the zoo as a table, with measured latency ratios, and
    README.md's generated tables (tools/model_table.py).
  speed_targets: the zoo's speed targets (tools/benchmark_models.py).
  detectors: paper 003's sparse Faster R-CNN detectors against the dense
    VGG-16 baseline, end-to-end latency (tools/benchmark_detectors.py).
  selfcheck: every scheme's op against its pure-TF reference and the masked
    dense convolution, outputs and gradients (tools/demo.py).

The timing loop and the report files they share are `sparsezoo_tf.timing`
and `sparsezoo_tf.reports`, which import no TensorFlow (tools/gpu_check.py
uses them too).
"""
