// GPU functors: copy the validated plan tables to the device, then launch
// the CUDA kernels of sparse_conv_kernels.cu.cc.
#if GOOGLE_CUDA

#define EIGEN_USE_GPU

#include <cstring>
#include <vector>

#include "custom_ops/cc/kernels/sparse_conv.h"
#include "custom_ops/cc/kernels/sparse_conv_gpu.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/platform/stream_executor.h"

namespace sparsezoo {
namespace {

using GPUDevice = Eigen::GpuDevice;

// Uploads blocks, in_perm and out_perm into one device buffer owned by
// `storage` and points `view` at it.
absl::Status UploadPlan(tensorflow::OpKernelContext* ctx,
                        const SparseConvPlan& plan, tensorflow::Tensor* storage,
                        GpuPlanView* view) {
  const std::vector<PlanBlock>& blocks = plan.blocks;
  const size_t block_bytes = blocks.size() * sizeof(PlanBlock);
  const size_t in_bytes = plan.in_perm.size() * sizeof(int32_t);
  const size_t out_bytes = plan.out_perm.size() * sizeof(int32_t);
  const size_t total = block_bytes + in_bytes + out_bytes;
  std::vector<char> host(total);
  std::memcpy(host.data(), blocks.data(), block_bytes);
  std::memcpy(host.data() + block_bytes, plan.in_perm.data(), in_bytes);
  std::memcpy(host.data() + block_bytes + in_bytes, plan.out_perm.data(),
              out_bytes);
  TF_RETURN_IF_ERROR(ctx->allocate_temp(
      tensorflow::DT_INT8,
      tensorflow::TensorShape({static_cast<int64_t>(total)}), storage));
  char* device = reinterpret_cast<char*>(storage->flat<int8_t>().data());
  auto* stream = ctx->op_device_context()->stream();
  stream_executor::DeviceMemoryBase destination(device, total);
  TF_RETURN_IF_ERROR(stream->Memcpy(&destination, host.data(), total));
  // `host` is freed on return: wait for the copy (the tables are small).
  TF_RETURN_IF_ERROR(stream->BlockHostUntilDone());
  view->blocks = reinterpret_cast<const PlanBlock*>(device);
  view->num_blocks = static_cast<int>(blocks.size());
  view->in_perm = reinterpret_cast<const int32_t*>(device + block_bytes);
  view->out_perm =
      reinterpret_cast<const int32_t*>(device + block_bytes + in_bytes);
  return absl::OkStatus();
}

}  // namespace

template <>
absl::Status SparseConvForward<GPUDevice, float>::operator()(
    tensorflow::OpKernelContext* ctx, const ConvGeometry& geo,
    const SparseConvPlan& plan, const float* input, const float* weights,
    float* output) {
  tensorflow::Tensor storage;
  GpuPlanView view;
  TF_RETURN_IF_ERROR(UploadPlan(ctx, plan, &storage, &view));
  return LaunchSparseConvForward(ctx->eigen_device<GPUDevice>(), geo, view,
                                 input, weights, output);
}

template <>
absl::Status SparseConvBackpropInput<GPUDevice, float>::operator()(
    tensorflow::OpKernelContext* ctx, const ConvGeometry& geo,
    const SparseConvPlan& plan, const float* out_backprop,
    const float* weights, float* in_backprop) {
  tensorflow::Tensor storage;
  GpuPlanView view;
  TF_RETURN_IF_ERROR(UploadPlan(ctx, plan, &storage, &view));
  return LaunchSparseConvBackpropInput(ctx->eigen_device<GPUDevice>(), geo,
                                       view, out_backprop, weights,
                                       in_backprop);
}

template <>
absl::Status SparseConvBackpropFilter<GPUDevice, float>::operator()(
    tensorflow::OpKernelContext* ctx, const ConvGeometry& geo,
    const SparseConvPlan& plan, const float* input, const float* out_backprop,
    float* weights_backprop) {
  tensorflow::Tensor storage;
  GpuPlanView view;
  TF_RETURN_IF_ERROR(UploadPlan(ctx, plan, &storage, &view));
  return LaunchSparseConvBackpropFilter(ctx->eigen_device<GPUDevice>(), geo,
                                        view, plan.num_weights, input,
                                        out_backprop, weights_backprop);
}

}  // namespace sparsezoo

#endif  // GOOGLE_CUDA
