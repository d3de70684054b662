// Launchers of the CUDA kernels (sparse_conv_kernels.cu.cc). All pointers
// are device memory; the plan tables were validated on the host.
#ifndef SPARSEZOO_TF_CUSTOM_OPS_CC_KERNELS_SPARSE_CONV_GPU_H_
#define SPARSEZOO_TF_CUSTOM_OPS_CC_KERNELS_SPARSE_CONV_GPU_H_

#if GOOGLE_CUDA

#define EIGEN_USE_GPU

#include "absl/status/status.h"
#include "custom_ops/cc/kernels/sparse_conv_geometry.h"
#include "unsupported/Eigen/CXX11/Tensor"

namespace sparsezoo {

absl::Status LaunchSparseConvForward(const Eigen::GpuDevice& device,
                                     const ConvGeometry& geo,
                                     const GpuPlanView& plan,
                                     const float* input, const float* weights,
                                     float* output);

absl::Status LaunchSparseConvBackpropInput(const Eigen::GpuDevice& device,
                                           const ConvGeometry& geo,
                                           const GpuPlanView& plan,
                                           const float* out_backprop,
                                           const float* weights,
                                           float* in_backprop);

absl::Status LaunchSparseConvBackpropFilter(const Eigen::GpuDevice& device,
                                            const ConvGeometry& geo,
                                            const GpuPlanView& plan,
                                            int64_t num_weights,
                                            const float* input,
                                            const float* out_backprop,
                                            float* weights_backprop);

}  // namespace sparsezoo

#endif  // GOOGLE_CUDA
#endif  // SPARSEZOO_TF_CUSTOM_OPS_CC_KERNELS_SPARSE_CONV_GPU_H_
