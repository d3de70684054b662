/* The plain C structs of the sparse convolution, shared by the CPU kernels,
 * the TensorFlow op and the CUDA core (sparse_conv_cuda.h). No CUDA or
 * TensorFlow headers, so every compiler sees the same layout. */
#ifndef SPARSEZOO_TF_CUSTOM_OPS_CC_KERNELS_CUDA_SPARSE_CONV_TYPES_H_
#define SPARSEZOO_TF_CUSTOM_OPS_CC_KERNELS_CUDA_SPARSE_CONV_TYPES_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Convolution geometry; output size and padding follow TensorFlow's SAME /
 * VALID rules and are computed by the caller. */
typedef struct {
  int64_t batch;
  int64_t in_rows;
  int64_t in_cols;
  int64_t in_channels;
  int64_t out_rows;
  int64_t out_cols;
  int64_t out_channels;
  int kernel_rows;
  int kernel_cols;
  int stride_rows;
  int stride_cols;
  int pad_top;
  int pad_left;
} SzGeometry;

/* One plan block with its place in the packed weights (consecutive blocks
 * with the same input range form a weight group; see ops/plan.py). */
typedef struct {
  int tap_y;
  int tap_x;
  int in_start;
  int in_size;
  int out_start;
  int out_size;
  int weight_ld;
  int64_t weight_offset;
} SzBlock;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* SPARSEZOO_TF_CUSTOM_OPS_CC_KERNELS_CUDA_SPARSE_CONV_TYPES_H_ */
