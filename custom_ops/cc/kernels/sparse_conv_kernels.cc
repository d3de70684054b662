// OpKernels of the sparse convolution ops: argument checking and dispatch to
// the device functors (sparse_conv_cpu.cc, sparse_conv_gpu.cc).
#define EIGEN_USE_THREADS

#include <string>
#include <vector>

#include "custom_ops/cc/kernels/sparse_conv.h"
#if GOOGLE_CUDA
#include "custom_ops/cc/kernels/sparse_conv_gpu.h"
#endif
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/register_types.h"
#include "tensorflow/core/framework/tensor_shape.h"
#include "tensorflow/core/util/padding.h"

namespace sparsezoo {

using tensorflow::OpKernel;
using tensorflow::OpKernelConstruction;
using tensorflow::OpKernelContext;
using tensorflow::Tensor;
using tensorflow::TensorShape;
using tensorflow::errors::InvalidArgument;
using CPUDevice = Eigen::ThreadPoolDevice;
using GPUDevice = Eigen::GpuDevice;

// Attributes and checks shared by the three ops.
class SparseConvOpBase : public OpKernel {
 public:
  explicit SparseConvOpBase(OpKernelConstruction* ctx) : OpKernel(ctx) {
    std::vector<int32_t> kernel_size, strides;
    OP_REQUIRES_OK(ctx, ctx->GetAttr("kernel_size", &kernel_size));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("strides", &strides));
    OP_REQUIRES(ctx, kernel_size.size() == 2 && kernel_size[0] >= 1 &&
                         kernel_size[1] >= 1,
                InvalidArgument("kernel_size must be two positive integers"));
    OP_REQUIRES(
        ctx, strides.size() == 2 && strides[0] >= 1 && strides[1] >= 1,
        InvalidArgument("strides must be two positive integers [rows, cols]"));
    std::string padding;
    OP_REQUIRES_OK(ctx, ctx->GetAttr("padding", &padding));
    OP_REQUIRES(ctx, padding == "SAME" || padding == "VALID",
                InvalidArgument("padding must be SAME or VALID, got ", padding));
    kernel_rows_ = kernel_size[0];
    kernel_cols_ = kernel_size[1];
    stride_rows_ = strides[0];
    stride_cols_ = strides[1];
    padding_ = padding == "SAME" ? tensorflow::Padding::SAME
                                 : tensorflow::Padding::VALID;
  }

 protected:
  // Validates everything and fills geometry and plan.
  absl::Status Prepare(const TensorShape& input_shape, const Tensor& weights,
                       const Tensor& blocks, const Tensor& in_perm,
                       const Tensor& out_perm, ConvGeometry* geo,
                       SparseConvPlan* plan) const {
    if (weights.dims() != 1) {
      return InvalidArgument("weights must be a packed vector, got shape ",
                             weights.shape().DebugString());
    }
    if (out_perm.dims() != 1 || out_perm.dim_size(0) < 1) {
      return InvalidArgument("out_perm must be a non-empty vector, got shape ",
                             out_perm.shape().DebugString());
    }
    TF_RETURN_IF_ERROR(ComputeGeometry(input_shape, out_perm.dim_size(0),
                                       kernel_rows_, kernel_cols_,
                                       stride_rows_, stride_cols_, padding_,
                                       geo));
    TF_RETURN_IF_ERROR(BuildPlan(blocks, in_perm, out_perm, geo->in_channels,
                                 kernel_rows_, kernel_cols_,
                                 weights.NumElements(), plan));
#if GOOGLE_CUDA
    plan->gpu_cache = &gpu_cache_;
#endif
    return absl::OkStatus();
  }

  static absl::Status CheckOutBackprop(const Tensor& out_backprop,
                                       const ConvGeometry& geo) {
    const TensorShape expected(
        {geo.batch, geo.out_rows, geo.out_cols, geo.out_channels});
    if (out_backprop.shape() != expected) {
      return InvalidArgument("out_backprop has shape ",
                             out_backprop.shape().DebugString(),
                             " but the convolution output has shape ",
                             expected.DebugString());
    }
    return absl::OkStatus();
  }

#if GOOGLE_CUDA
  // Device copies of the plan, when the op runs on a GPU.
  mutable GpuPlanCache gpu_cache_;
#endif
  int kernel_rows_;
  int kernel_cols_;
  int stride_rows_;
  int stride_cols_;
  tensorflow::Padding padding_;
};

template <typename Device, typename T>
class SparseConv2DOp : public SparseConvOpBase {
 public:
  using SparseConvOpBase::SparseConvOpBase;

  void Compute(OpKernelContext* ctx) override {
    const Tensor& input = ctx->input(0);
    const Tensor& weights = ctx->input(1);
    ConvGeometry geo;
    SparseConvPlan plan;
    OP_REQUIRES_OK(ctx, Prepare(input.shape(), weights, ctx->input(2),
                                ctx->input(3), ctx->input(4), &geo, &plan));
    Tensor* output = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(
                            0,
                            TensorShape({geo.batch, geo.out_rows, geo.out_cols,
                                         geo.out_channels}),
                            &output));
    if (output->NumElements() == 0) return;
    OP_REQUIRES_OK(ctx, SparseConvForward<Device, T>()(
                            ctx, geo, plan, input.flat<T>().data(),
                            weights.flat<T>().data(), output->flat<T>().data()));
  }
};

template <typename Device, typename T>
class SparseConv2DBackpropInputOp : public SparseConvOpBase {
 public:
  using SparseConvOpBase::SparseConvOpBase;

  void Compute(OpKernelContext* ctx) override {
    const Tensor& input_sizes = ctx->input(0);
    const Tensor& weights = ctx->input(1);
    const Tensor& out_backprop = ctx->input(5);
    OP_REQUIRES(ctx,
                input_sizes.dims() == 1 && input_sizes.NumElements() == 4,
                InvalidArgument("input_sizes must be a vector of 4 ints, got "
                                "shape ",
                                input_sizes.shape().DebugString()));
    TensorShape input_shape;
    auto sizes = input_sizes.flat<int32_t>();
    for (int d = 0; d < 4; ++d) {
      OP_REQUIRES(ctx, sizes(d) >= 0,
                  InvalidArgument("input_sizes has a negative entry: ",
                                  sizes(d)));
      OP_REQUIRES_OK(ctx, input_shape.AddDimWithStatus(sizes(d)));
    }
    ConvGeometry geo;
    SparseConvPlan plan;
    OP_REQUIRES_OK(ctx, Prepare(input_shape, weights, ctx->input(2),
                                ctx->input(3), ctx->input(4), &geo, &plan));
    OP_REQUIRES_OK(ctx, CheckOutBackprop(out_backprop, geo));
    Tensor* output = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, input_shape, &output));
    if (output->NumElements() == 0) return;
    OP_REQUIRES_OK(ctx, SparseConvBackpropInput<Device, T>()(
                            ctx, geo, plan, out_backprop.flat<T>().data(),
                            weights.flat<T>().data(), output->flat<T>().data()));
  }
};

template <typename Device, typename T>
class SparseConv2DBackpropFilterOp : public SparseConvOpBase {
 public:
  using SparseConvOpBase::SparseConvOpBase;

  void Compute(OpKernelContext* ctx) override {
    const Tensor& input = ctx->input(0);
    const Tensor& weights = ctx->input(1);
    const Tensor& out_backprop = ctx->input(5);
    ConvGeometry geo;
    SparseConvPlan plan;
    OP_REQUIRES_OK(ctx, Prepare(input.shape(), weights, ctx->input(2),
                                ctx->input(3), ctx->input(4), &geo, &plan));
    OP_REQUIRES_OK(ctx, CheckOutBackprop(out_backprop, geo));
    Tensor* output = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, weights.shape(), &output));
    if (output->NumElements() == 0) return;
    if (geo.batch == 0) {
      output->flat<T>().setZero();
      return;
    }
    OP_REQUIRES_OK(ctx, SparseConvBackpropFilter<Device, T>()(
                            ctx, geo, plan, input.flat<T>().data(),
                            out_backprop.flat<T>().data(),
                            output->flat<T>().data()));
  }
};

#define REGISTER_CPU(T)                                                    \
  REGISTER_KERNEL_BUILDER(                                                 \
      Name("SparseZoo>SparseConv2D").Device(tensorflow::DEVICE_CPU)        \
          .TypeConstraint<T>("T"),                                         \
      SparseConv2DOp<CPUDevice, T>);                                       \
  REGISTER_KERNEL_BUILDER(Name("SparseZoo>SparseConv2DBackpropInput")      \
                              .Device(tensorflow::DEVICE_CPU)              \
                              .TypeConstraint<T>("T"),                     \
                          SparseConv2DBackpropInputOp<CPUDevice, T>);      \
  REGISTER_KERNEL_BUILDER(Name("SparseZoo>SparseConv2DBackpropFilter")     \
                              .Device(tensorflow::DEVICE_CPU)              \
                              .TypeConstraint<T>("T"),                     \
                          SparseConv2DBackpropFilterOp<CPUDevice, T>);

REGISTER_CPU(float);
REGISTER_CPU(Eigen::half);
REGISTER_CPU(Eigen::bfloat16);
#undef REGISTER_CPU

#if GOOGLE_CUDA
// The plan tensors stay in host memory: they are validated there, and each
// op instance copies the checked tables to the device once (GpuPlanCache).
#define REGISTER_GPU(T)                                                    \
  REGISTER_KERNEL_BUILDER(Name("SparseZoo>SparseConv2D")                   \
                              .Device(tensorflow::DEVICE_GPU)              \
                              .TypeConstraint<T>("T")                      \
                              .HostMemory("blocks")                        \
                              .HostMemory("in_perm")                       \
                              .HostMemory("out_perm"),                     \
                          SparseConv2DOp<GPUDevice, T>);                   \
  REGISTER_KERNEL_BUILDER(Name("SparseZoo>SparseConv2DBackpropInput")      \
                              .Device(tensorflow::DEVICE_GPU)              \
                              .TypeConstraint<T>("T")                      \
                              .HostMemory("input_sizes")                   \
                              .HostMemory("blocks")                        \
                              .HostMemory("in_perm")                       \
                              .HostMemory("out_perm"),                     \
                          SparseConv2DBackpropInputOp<GPUDevice, T>);      \
  REGISTER_KERNEL_BUILDER(Name("SparseZoo>SparseConv2DBackpropFilter")     \
                              .Device(tensorflow::DEVICE_GPU)              \
                              .TypeConstraint<T>("T")                      \
                              .HostMemory("blocks")                        \
                              .HostMemory("in_perm")                       \
                              .HostMemory("out_perm"),                     \
                          SparseConv2DBackpropFilterOp<GPUDevice, T>);

REGISTER_GPU(float);
REGISTER_GPU(Eigen::half);
REGISTER_GPU(Eigen::bfloat16);
#undef REGISTER_GPU
#endif  // GOOGLE_CUDA

}  // namespace sparsezoo
