// Sparse convolution with a fixed, structured kernel support ("plan").
//
// The op computes, for every block b of the plan,
//   y_p[n, oy, ox, k0_b : k0_b + kn_b] +=
//       x_p[n, oy * sh - pad_top + ky_b, ox * sw - pad_left + kx_b,
//           c0_b : c0_b + cn_b] @ W_b
// where x_p / y_p are the input / output with their channels in plan order:
// plan channel i is tensor channel in_perm[i] (resp. out_perm[i]).
//
// Blocks come as an int32 [B, 6] tensor with the columns of BlockField.
// Consecutive blocks with the same (in_start, in_size) form a weight group.
// The packed weights hold the groups one after the other; a group is an
// [in_size, sum of its blocks' out_size] row-major matrix whose columns are
// its blocks' matrices W_b side by side, in block order.
#ifndef SPARSEZOO_TF_CUSTOM_OPS_CC_KERNELS_SPARSE_CONV_H_
#define SPARSEZOO_TF_CUSTOM_OPS_CC_KERNELS_SPARSE_CONV_H_

#include <cstdint>
#include <vector>

#include "custom_ops/cc/kernels/sparse_conv_geometry.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/tensor.h"
#include "tensorflow/core/util/padding.h"

namespace sparsezoo {

enum BlockField {
  kTapY = 0,
  kTapX = 1,
  kInStart = 2,
  kInSize = 3,
  kOutStart = 4,
  kOutSize = 5,
  kNumBlockFields = 6,
};

class GpuPlanCache;  // sparse_conv_gpu.h

// A plan whose every index has been checked against the tensors it is used
// with.
struct SparseConvPlan {
  std::vector<PlanBlock> blocks;
  std::vector<int32_t> in_perm;   // plan input channel -> tensor channel
  std::vector<int32_t> out_perm;  // plan output channel -> tensor channel
  bool in_perm_is_identity = true;
  bool out_perm_is_identity = true;
  int64_t num_weights = 0;
  // GPU only: the op instance's device copies of its plans.
  GpuPlanCache* gpu_cache = nullptr;
};

// Checks the plan tensors (shape, ranges, permutations, packed size) and
// fills `plan`. Returns InvalidArgument naming the first problem.
absl::Status BuildPlan(const tensorflow::Tensor& blocks,
                       const tensorflow::Tensor& in_perm,
                       const tensorflow::Tensor& out_perm,
                       int64_t in_channels, int kernel_rows, int kernel_cols,
                       int64_t num_weights, SparseConvPlan* plan);

// Checks the input shape and computes output size and padding (TensorFlow's
// SAME / VALID rules).
absl::Status ComputeGeometry(const tensorflow::TensorShape& input_shape,
                             int64_t out_channels, int kernel_rows,
                             int kernel_cols, int stride_rows, int stride_cols,
                             tensorflow::Padding padding, ConvGeometry* geo);

// The three computations; Device is Eigen::ThreadPoolDevice or
// Eigen::GpuDevice, T is float, Eigen::half or Eigen::bfloat16 (the CPU
// converts half types around its float32 kernels, sparse_conv_cpu_half.cc;
// the GPU computes them natively with float32 accumulation). All pointers are dense NHWC (resp. packed) buffers.
template <typename Device, typename T>
struct SparseConvForward {
  absl::Status operator()(tensorflow::OpKernelContext* ctx,
                          const ConvGeometry& geo, const SparseConvPlan& plan,
                          const T* input, const T* weights, T* output);
};

template <typename Device, typename T>
struct SparseConvBackpropInput {
  absl::Status operator()(tensorflow::OpKernelContext* ctx,
                          const ConvGeometry& geo, const SparseConvPlan& plan,
                          const T* out_backprop, const T* weights,
                          T* in_backprop);
};

template <typename Device, typename T>
struct SparseConvBackpropFilter {
  absl::Status operator()(tensorflow::OpKernelContext* ctx,
                          const ConvGeometry& geo, const SparseConvPlan& plan,
                          const T* input, const T* out_backprop,
                          T* weights_backprop);
};

// Defines the three functors of (DEVICE, T) by forwarding to the function
// templates FORWARD<T>, BACKPROP_INPUT<T> and BACKPROP_FILTER<T> of the
// file that expands it (which take the functors' arguments).
#define SPARSEZOO_DEFINE_FUNCTORS(DEVICE, T, FORWARD, BACKPROP_INPUT,        \
                                  BACKPROP_FILTER)                           \
  template <>                                                                \
  absl::Status SparseConvForward<DEVICE, T>::operator()(                     \
      tensorflow::OpKernelContext* ctx, const ConvGeometry& geo,             \
      const SparseConvPlan& plan, const T* input, const T* weights,          \
      T* output) {                                                           \
    return FORWARD<T>(ctx, geo, plan, input, weights, output);               \
  }                                                                          \
  template <>                                                                \
  absl::Status SparseConvBackpropInput<DEVICE, T>::operator()(               \
      tensorflow::OpKernelContext* ctx, const ConvGeometry& geo,             \
      const SparseConvPlan& plan, const T* out_backprop, const T* weights,   \
      T* in_backprop) {                                                      \
    return BACKPROP_INPUT<T>(ctx, geo, plan, out_backprop, weights,          \
                             in_backprop);                                   \
  }                                                                          \
  template <>                                                                \
  absl::Status SparseConvBackpropFilter<DEVICE, T>::operator()(              \
      tensorflow::OpKernelContext* ctx, const ConvGeometry& geo,             \
      const SparseConvPlan& plan, const T* input, const T* out_backprop,     \
      T* weights_backprop) {                                                 \
    return BACKPROP_FILTER<T>(ctx, geo, plan, input, out_backprop,           \
                              weights_backprop);                             \
  }

}  // namespace sparsezoo

#endif  // SPARSEZOO_TF_CUSTOM_OPS_CC_KERNELS_SPARSE_CONV_H_
