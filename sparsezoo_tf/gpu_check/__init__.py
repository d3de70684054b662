"""The CUDA core checked and timed without TensorFlow (tools/gpu_check.py).

  binding: builds custom_ops/cc/kernels/cuda/sparse_conv_cuda.cu with nvcc
    and calls its C interface through ctypes on raw device pointers.
  reference: the masked dense convolution in float64 (NumPy) and the error
    measures the checks use.
  harness: correctness cases and timings against cuDNN through PyTorch or
    CuPy device arrays, the JSON report and the BENCHMARKS.md section.

Nothing here imports TensorFlow: the GPU machines that run the harness have
none. Only the NumPy parts of the package (patterns, ops.plan, ops.plans)
are used.
"""
