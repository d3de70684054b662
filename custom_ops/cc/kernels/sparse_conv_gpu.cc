// GPU functors: the validated plan's device copy (uploaded once per op
// instance) and calls into the CUDA core of cuda/sparse_conv_cuda.cu.
#if GOOGLE_CUDA

#define EIGEN_USE_GPU

#include "custom_ops/cc/kernels/sparse_conv_gpu.h"

#include <cstring>

#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/types.h"

namespace sparsezoo {
namespace {

using GPUDevice = Eigen::GpuDevice;

template <typename T>
struct CoreType;
template <>
struct CoreType<float> {
  static constexpr SzDataType value = SZ_FLOAT32;
};
template <>
struct CoreType<Eigen::half> {
  static constexpr SzDataType value = SZ_FLOAT16;
};
template <>
struct CoreType<Eigen::bfloat16> {
  static constexpr SzDataType value = SZ_BFLOAT16;
};

cudaStream_t StreamOf(tensorflow::OpKernelContext* ctx) {
  return ctx->eigen_device<GPUDevice>().stream();
}

}  // namespace

absl::Status CoreStatus(int status, const char* what) {
  if (status == SZ_OK) return absl::OkStatus();
  const std::string message =
      std::string("sparse convolution (") + what + "): " + sz_last_error();
  if (status == SZ_INVALID_ARGUMENT) {
    return tensorflow::errors::InvalidArgument(message);
  }
  return tensorflow::errors::Internal(message);
}

GpuPlanCache::~GpuPlanCache() {
  for (const auto& entry : entries_) sz_plan_destroy(entry->plan);
}

std::vector<char> GpuPlanCache::Key(const SparseConvPlan& plan,
                                    int kernel_rows, int kernel_cols) {
  const size_t block_bytes = plan.blocks.size() * sizeof(PlanBlock);
  const size_t in_bytes = plan.in_perm.size() * sizeof(int32_t);
  const size_t out_bytes = plan.out_perm.size() * sizeof(int32_t);
  const int64_t header[] = {kernel_rows, kernel_cols, plan.num_weights,
                            static_cast<int64_t>(plan.blocks.size()),
                            static_cast<int64_t>(plan.in_perm.size())};
  std::vector<char> key(sizeof(header) + block_bytes + in_bytes + out_bytes);
  char* at = key.data();
  std::memcpy(at, header, sizeof(header));
  at += sizeof(header);
  if (block_bytes) std::memcpy(at, plan.blocks.data(), block_bytes);
  at += block_bytes;
  if (in_bytes) std::memcpy(at, plan.in_perm.data(), in_bytes);
  at += in_bytes;
  if (out_bytes) std::memcpy(at, plan.out_perm.data(), out_bytes);
  return key;
}

absl::Status GpuPlanCache::Upload(tensorflow::OpKernelContext* ctx,
                                  const SparseConvPlan& plan, int kernel_rows,
                                  int kernel_cols, Entry* entry) {
  TF_RETURN_IF_ERROR(CoreStatus(
      sz_plan_create(plan.blocks.data(), static_cast<int>(plan.blocks.size()),
                     plan.in_perm.data(),
                     static_cast<int64_t>(plan.in_perm.size()),
                     plan.out_perm.data(),
                     static_cast<int64_t>(plan.out_perm.size()), kernel_rows,
                     kernel_cols, plan.num_weights, &entry->plan),
      "plan"));
  const size_t bytes = sz_plan_device_bytes(entry->plan);
  absl::Status status = ctx->allocate_temp(
      tensorflow::DT_INT8,
      tensorflow::TensorShape({static_cast<int64_t>(bytes)}),
      &entry->storage);
  if (status.ok()) {
    status = CoreStatus(
        sz_plan_upload(entry->plan, entry->storage.flat<int8_t>().data(),
                       bytes, StreamOf(ctx)),
        "plan upload");
  }
  if (!status.ok()) {
    sz_plan_destroy(entry->plan);
    entry->plan = nullptr;
  }
  return status;
}

namespace {

template <typename T>
absl::Status Forward(tensorflow::OpKernelContext* ctx, const ConvGeometry& geo,
                     const SparseConvPlan& plan, const T* input,
                     const T* weights, T* output) {
  return plan.gpu_cache->With(
      ctx, plan, geo.kernel_rows, geo.kernel_cols,
      [&](const SzPlan* device_plan) {
        return CoreStatus(sz_forward(device_plan, &geo, CoreType<T>::value,
                                     input, weights, output, StreamOf(ctx)),
                          "forward");
      });
}

template <typename T>
absl::Status BackpropInput(tensorflow::OpKernelContext* ctx,
                           const ConvGeometry& geo,
                           const SparseConvPlan& plan, const T* out_backprop,
                           const T* weights, T* in_backprop) {
  return plan.gpu_cache->With(
      ctx, plan, geo.kernel_rows, geo.kernel_cols,
      [&](const SzPlan* device_plan) {
        return CoreStatus(
            sz_backprop_input(device_plan, &geo, CoreType<T>::value,
                              out_backprop, weights, in_backprop,
                              StreamOf(ctx)),
            "input gradient");
      });
}

template <typename T>
absl::Status BackpropFilter(tensorflow::OpKernelContext* ctx,
                            const ConvGeometry& geo,
                            const SparseConvPlan& plan, const T* input,
                            const T* out_backprop, T* weights_backprop) {
  return plan.gpu_cache->With(
      ctx, plan, geo.kernel_rows, geo.kernel_cols,
      [&](const SzPlan* device_plan) -> absl::Status {
        const size_t bytes =
            sz_backprop_filter_workspace_bytes(device_plan, &geo);
        tensorflow::Tensor workspace;
        void* workspace_data = nullptr;
        if (bytes > 0) {
          TF_RETURN_IF_ERROR(ctx->allocate_temp(
              tensorflow::DT_INT8,
              tensorflow::TensorShape({static_cast<int64_t>(bytes)}),
              &workspace));
          workspace_data = workspace.flat<int8_t>().data();
        }
        return CoreStatus(
            sz_backprop_filter(device_plan, &geo, CoreType<T>::value, input,
                               out_backprop, weights_backprop, workspace_data,
                               bytes, StreamOf(ctx)),
            "weight gradient");
      });
}

}  // namespace

SPARSEZOO_DEFINE_FUNCTORS(GPUDevice, float, Forward, BackpropInput,
                          BackpropFilter)
SPARSEZOO_DEFINE_FUNCTORS(GPUDevice, Eigen::half, Forward, BackpropInput,
                          BackpropFilter)
SPARSEZOO_DEFINE_FUNCTORS(GPUDevice, Eigen::bfloat16, Forward,
                          BackpropInput, BackpropFilter)

}  // namespace sparsezoo

#endif  // GOOGLE_CUDA
