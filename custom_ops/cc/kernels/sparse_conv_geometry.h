// The geometry and plan-block structs under their C++ names. They are the C
// structs of cuda/sparse_conv_types.h, so the CPU kernels, the op and the
// CUDA core share one layout.
#ifndef SPARSEZOO_TF_CUSTOM_OPS_CC_KERNELS_SPARSE_CONV_GEOMETRY_H_
#define SPARSEZOO_TF_CUSTOM_OPS_CC_KERNELS_SPARSE_CONV_GEOMETRY_H_

#include "custom_ops/cc/kernels/cuda/sparse_conv_types.h"

namespace sparsezoo {

// Convolution sizes, strides and padding (TensorFlow's SAME / VALID rules).
using ConvGeometry = ::SzGeometry;

// One block of a validated plan, with its place in the packed weights:
// W_b[i][j] = weights[weight_offset + i * weight_ld + j].
using PlanBlock = ::SzBlock;

}  // namespace sparsezoo

#endif  // SPARSEZOO_TF_CUSTOM_OPS_CC_KERNELS_SPARSE_CONV_GEOMETRY_H_
