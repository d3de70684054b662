/* The CUDA core of the sparse convolution: a small C interface on raw device
 * pointers and a stream, with no TensorFlow in it. The op library calls it
 * (custom_ops/cc/kernels/sparse_conv_gpu.cc, built by Bazel), and so does
 * tools/gpu_check, which compiles sparse_conv_cuda.cu alone with nvcc and
 * drives it from PyTorch or CuPy on machines without TensorFlow.
 *
 * The computation is the one of custom_ops/cc/kernels/sparse_conv.h: for
 * every plan block b,
 *   y_p[n, oy, ox, out_start_b : +out_size_b] +=
 *       x_p[n, oy * sh - pad_top + tap_y_b, ox * sw - pad_left + tap_x_b,
 *           in_start_b : +in_size_b] @ W_b
 * with W_b[i][j] = weights[weight_offset_b + i * weight_ld_b + j] and
 * x_p / y_p the NHWC tensors with their channels in plan order (plan input
 * channel i is tensor channel in_perm[i], likewise for outputs).
 *
 * All three computations are tiled implicit GEMMs: a thread block owns a
 * tile of output pixels x channels and walks a precomputed list of the plan
 * blocks that touch its channels (the schedule, built once per plan), so no
 * thread scans the plan. Weight gradients are split over pixels into
 * partial sums that a second kernel adds in a fixed order: they are
 * bitwise reproducible on a given GPU, with no atomics.
 *
 * Usage: sz_plan_create (host, checks the plan), sz_plan_device_bytes,
 * sz_plan_upload into a device buffer the caller owns (once), then any
 * number of sz_forward / sz_backprop_input / sz_backprop_filter calls on
 * any stream; sz_plan_destroy when done (the device buffer is the
 * caller's to free). Every function returns SZ_OK or an error code;
 * sz_last_error() describes the last error of the calling thread. */
#ifndef SPARSEZOO_TF_CUSTOM_OPS_CC_KERNELS_CUDA_SPARSE_CONV_CUDA_H_
#define SPARSEZOO_TF_CUSTOM_OPS_CC_KERNELS_CUDA_SPARSE_CONV_CUDA_H_

#include <stddef.h>
#include <stdint.h>

#include <cuda_runtime_api.h>

#include "custom_ops/cc/kernels/cuda/sparse_conv_types.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SZ_CUDA_ABI_VERSION 1

typedef enum {
  SZ_OK = 0,
  SZ_INVALID_ARGUMENT = 1, /* a bad plan, geometry, pointer or size */
  SZ_CUDA_ERROR = 2,       /* a CUDA call or kernel launch failed */
  SZ_OUT_OF_MEMORY = 3,    /* host memory for the plan tables */
} SzStatus;

typedef enum {
  SZ_FLOAT32 = 0,
  SZ_FLOAT16 = 1,
  SZ_BFLOAT16 = 2, /* float32 accumulation for both half types */
} SzDataType;

/* How a plan's forward and input-gradient calls multiply. Tensor cores
 * need compute capability 8.0; below it every mode uses CUDA cores. */
typedef enum {
  /* float16 / bfloat16 on tensor cores, float32 on CUDA cores (float32
   * fused multiply-adds): the faster choice for each type as measured on
   * an H200 (BENCHMARKS.md, gpu_check section). */
  SZ_MATH_DEFAULT = 0,
  /* Everything on CUDA cores. */
  SZ_MATH_CUDA_CORES = 1,
  /* Everything on tensor cores; float32 as 3xTF32 (each operand split into
   * a TF32 part and a TF32 remainder, three products, float32
   * accumulation: float32 accuracy). */
  SZ_MATH_TENSOR_CORES = 2,
} SzMath;

typedef struct SzPlan SzPlan;

/* Checks the plan (taps inside the kernel, channel ranges inside the
 * tensors, permutations, every block's weights inside num_weights) and
 * builds its schedules on the host. The arrays are copied. */
int sz_plan_create(const SzBlock* blocks, int num_blocks,
                   const int32_t* in_perm, int64_t in_channels,
                   const int32_t* out_perm, int64_t out_channels,
                   int kernel_rows, int kernel_cols, int64_t num_weights,
                   SzPlan** plan);

/* Bytes of device memory the plan's tables take (a multiple of 256). */
size_t sz_plan_device_bytes(const SzPlan* plan);

/* Copies the tables into `device_buffer` (at least sz_plan_device_bytes,
 * 256-byte aligned) on `stream`; the plan then refers to that buffer, which
 * must outlive every call that uses the plan. The source stays in the plan
 * object, so the copy may still be in flight when this returns. */
int sz_plan_upload(SzPlan* plan, void* device_buffer, size_t bytes,
                   cudaStream_t stream);

void sz_plan_destroy(SzPlan* plan);

/* Chooses the plan's SzMath (SZ_MATH_DEFAULT when never called). Weight
 * gradients always run on CUDA cores. */
int sz_plan_set_math(SzPlan* plan, int math);

/* y [batch, out_rows, out_cols, out_channels] = conv(x, weights). */
int sz_forward(const SzPlan* plan, const SzGeometry* geometry,
               SzDataType dtype, const void* input, const void* weights,
               void* output, cudaStream_t stream);

/* dx [batch, in_rows, in_cols, in_channels] from dy and the weights. */
int sz_backprop_input(const SzPlan* plan, const SzGeometry* geometry,
                      SzDataType dtype, const void* out_backprop,
                      const void* weights, void* in_backprop,
                      cudaStream_t stream);

/* Device workspace sz_backprop_filter needs (0 when none). */
size_t sz_backprop_filter_workspace_bytes(const SzPlan* plan,
                                          const SzGeometry* geometry);

/* dw [num_weights] from x and dy. `workspace` holds at least
 * sz_backprop_filter_workspace_bytes(plan, geometry) bytes. */
int sz_backprop_filter(const SzPlan* plan, const SzGeometry* geometry,
                       SzDataType dtype, const void* input,
                       const void* out_backprop, void* weights_backprop,
                       void* workspace, size_t workspace_bytes,
                       cudaStream_t stream);

/* The last error of the calling thread, as text ("" after success). */
const char* sz_last_error(void);

int sz_abi_version(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SPARSEZOO_TF_CUSTOM_OPS_CC_KERNELS_CUDA_SPARSE_CONV_CUDA_H_ */
