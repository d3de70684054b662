"""sparsezoo_tf: pre-defined sparse convolution kernels for TensorFlow/Keras.

Subpackages:
  patterns: which weights exist (NumPy).
  ops: the sparse convolution op, its plans and its pure-TF reference.
"""

__version__ = "0.1.0"
