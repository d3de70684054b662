// Plain structs shared by the host code and the CUDA kernels (no TensorFlow
// includes, so that nvcc compiles them without the framework headers).
#ifndef SPARSEZOO_TF_CUSTOM_OPS_CC_KERNELS_SPARSE_CONV_GEOMETRY_H_
#define SPARSEZOO_TF_CUSTOM_OPS_CC_KERNELS_SPARSE_CONV_GEOMETRY_H_

#include <cstdint>

namespace sparsezoo {

struct ConvGeometry {
  int64_t batch = 0;
  int64_t in_rows = 0;
  int64_t in_cols = 0;
  int64_t in_channels = 0;
  int64_t out_rows = 0;
  int64_t out_cols = 0;
  int64_t out_channels = 0;
  int kernel_rows = 0;
  int kernel_cols = 0;
  int stride_rows = 1;
  int stride_cols = 1;
  int pad_top = 0;
  int pad_left = 0;
};

// One block of a validated plan, with its place in the packed weights:
// W_b[i][j] = weights[weight_offset + i * weight_ld + j]. The GPU kernels
// read the same struct from device memory.
struct PlanBlock {
  int tap_y;
  int tap_x;
  int in_start;
  int in_size;
  int out_start;
  int out_size;
  int weight_ld;
  int64_t weight_offset;
};

// Device pointers to a plan's tables.
struct GpuPlanView {
  const PlanBlock* blocks;
  int num_blocks;
  const int32_t* in_perm;   // plan input channel -> tensor channel
  const int32_t* out_perm;  // plan output channel -> tensor channel
};

}  // namespace sparsezoo

#endif  // SPARSEZOO_TF_CUSTOM_OPS_CC_KERNELS_SPARSE_CONV_GEOMETRY_H_
