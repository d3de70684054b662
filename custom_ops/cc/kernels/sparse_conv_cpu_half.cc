// CPU kernels for float16 / bfloat16 inputs: the float32 kernels of
// sparse_conv_cpu.cc between conversions (this CPU has no faster half
// arithmetic, and the GEMMs accumulate in float32 either way).
#define EIGEN_USE_THREADS

#include "custom_ops/cc/kernels/sparse_conv.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/tensor.h"
#include "tensorflow/core/framework/tensor_types.h"
#include "tensorflow/core/framework/types.h"

namespace sparsezoo {
namespace {

using CPUDevice = Eigen::ThreadPoolDevice;
using tensorflow::OpKernelContext;
using tensorflow::Tensor;

template <typename T>
absl::Status Widen(OpKernelContext* ctx, const T* data, int64_t size,
                   Tensor* out) {
  TF_RETURN_IF_ERROR(ctx->allocate_temp(tensorflow::DT_FLOAT,
                                        tensorflow::TensorShape({size}), out));
  typename tensorflow::TTypes<T>::UnalignedConstFlat in(data, size);
  out->flat<float>().device(ctx->eigen_device<CPUDevice>()) =
      in.template cast<float>();
  return absl::OkStatus();
}

template <typename T>
void Narrow(OpKernelContext* ctx, const Tensor& in, T* data, int64_t size) {
  typename tensorflow::TTypes<T>::UnalignedFlat out(data, size);
  out.device(ctx->eigen_device<CPUDevice>()) =
      in.flat<float>().template cast<T>();
}

int64_t InputSize(const ConvGeometry& g) {
  return g.batch * g.in_rows * g.in_cols * g.in_channels;
}

int64_t OutputSize(const ConvGeometry& g) {
  return g.batch * g.out_rows * g.out_cols * g.out_channels;
}

template <typename T>
absl::Status Forward(OpKernelContext* ctx, const ConvGeometry& geo,
                     const SparseConvPlan& plan, const T* input,
                     const T* weights, T* output) {
  Tensor x, w, y;
  TF_RETURN_IF_ERROR(Widen(ctx, input, InputSize(geo), &x));
  TF_RETURN_IF_ERROR(Widen(ctx, weights, plan.num_weights, &w));
  TF_RETURN_IF_ERROR(ctx->allocate_temp(
      tensorflow::DT_FLOAT, tensorflow::TensorShape({OutputSize(geo)}), &y));
  TF_RETURN_IF_ERROR(SparseConvForward<CPUDevice, float>()(
      ctx, geo, plan, x.flat<float>().data(), w.flat<float>().data(),
      y.flat<float>().data()));
  Narrow(ctx, y, output, OutputSize(geo));
  return absl::OkStatus();
}

template <typename T>
absl::Status BackpropInput(OpKernelContext* ctx, const ConvGeometry& geo,
                           const SparseConvPlan& plan, const T* out_backprop,
                           const T* weights, T* in_backprop) {
  Tensor dy, w, dx;
  TF_RETURN_IF_ERROR(Widen(ctx, out_backprop, OutputSize(geo), &dy));
  TF_RETURN_IF_ERROR(Widen(ctx, weights, plan.num_weights, &w));
  TF_RETURN_IF_ERROR(ctx->allocate_temp(
      tensorflow::DT_FLOAT, tensorflow::TensorShape({InputSize(geo)}), &dx));
  TF_RETURN_IF_ERROR(SparseConvBackpropInput<CPUDevice, float>()(
      ctx, geo, plan, dy.flat<float>().data(), w.flat<float>().data(),
      dx.flat<float>().data()));
  Narrow(ctx, dx, in_backprop, InputSize(geo));
  return absl::OkStatus();
}

template <typename T>
absl::Status BackpropFilter(OpKernelContext* ctx, const ConvGeometry& geo,
                            const SparseConvPlan& plan, const T* input,
                            const T* out_backprop, T* weights_backprop) {
  Tensor x, dy, dw;
  TF_RETURN_IF_ERROR(Widen(ctx, input, InputSize(geo), &x));
  TF_RETURN_IF_ERROR(Widen(ctx, out_backprop, OutputSize(geo), &dy));
  TF_RETURN_IF_ERROR(ctx->allocate_temp(
      tensorflow::DT_FLOAT, tensorflow::TensorShape({plan.num_weights}),
      &dw));
  TF_RETURN_IF_ERROR(SparseConvBackpropFilter<CPUDevice, float>()(
      ctx, geo, plan, x.flat<float>().data(), dy.flat<float>().data(),
      dw.flat<float>().data()));
  Narrow(ctx, dw, weights_backprop, plan.num_weights);
  return absl::OkStatus();
}

}  // namespace

SPARSEZOO_DEFINE_FUNCTORS(CPUDevice, Eigen::half, Forward, BackpropInput,
                          BackpropFilter)
SPARSEZOO_DEFINE_FUNCTORS(CPUDevice, Eigen::bfloat16, Forward,
                          BackpropInput, BackpropFilter)

}  // namespace sparsezoo
