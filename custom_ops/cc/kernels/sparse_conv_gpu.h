// The GPU side of the op: device copies of validated plans, kept per op
// instance, and the functors that call the CUDA core (cuda/).
#ifndef SPARSEZOO_TF_CUSTOM_OPS_CC_KERNELS_SPARSE_CONV_GPU_H_
#define SPARSEZOO_TF_CUSTOM_OPS_CC_KERNELS_SPARSE_CONV_GPU_H_

#if GOOGLE_CUDA

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "custom_ops/cc/kernels/cuda/sparse_conv_cuda.h"
#include "custom_ops/cc/kernels/sparse_conv.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/tensor.h"
#include "tensorflow/core/platform/mutex.h"

namespace sparsezoo {

// The plans an op instance has run, uploaded once each and kept on the
// device for the instance's lifetime. A plan is recognized by its tables
// (the plan tensors are constants of the graph, so there is one per op in
// practice); past kMaxPlans distinct plans, further ones are uploaded per
// call instead.
class GpuPlanCache {
 public:
  static constexpr int kMaxPlans = 8;

  GpuPlanCache() = default;
  GpuPlanCache(const GpuPlanCache&) = delete;
  GpuPlanCache& operator=(const GpuPlanCache&) = delete;
  ~GpuPlanCache();

  // Runs `fn(const SzPlan*)` with the device plan of `plan`.
  template <typename Fn>
  absl::Status With(tensorflow::OpKernelContext* ctx,
                    const SparseConvPlan& plan, int kernel_rows,
                    int kernel_cols, Fn fn);

 private:
  struct Entry {
    std::vector<char> key;
    SzPlan* plan = nullptr;
    tensorflow::Tensor storage;  // the device tables
  };

  // Creates a plan and uploads it into a new device buffer.
  static absl::Status Upload(tensorflow::OpKernelContext* ctx,
                             const SparseConvPlan& plan, int kernel_rows,
                             int kernel_cols, Entry* entry);
  static std::vector<char> Key(const SparseConvPlan& plan, int kernel_rows,
                               int kernel_cols);

  tensorflow::mutex mu_;
  std::vector<std::unique_ptr<Entry>> entries_;
};

// Turns a CUDA core status into a TensorFlow status.
absl::Status CoreStatus(int status, const char* what);

template <typename Fn>
absl::Status GpuPlanCache::With(tensorflow::OpKernelContext* ctx,
                                const SparseConvPlan& plan, int kernel_rows,
                                int kernel_cols, Fn fn) {
  std::vector<char> key = Key(plan, kernel_rows, kernel_cols);
  const SzPlan* found = nullptr;
  {
    tensorflow::mutex_lock lock(mu_);
    for (const auto& entry : entries_) {
      if (entry->key == key) found = entry->plan;
    }
    if (found == nullptr && entries_.size() < kMaxPlans) {
      auto entry = std::make_unique<Entry>();
      TF_RETURN_IF_ERROR(
          Upload(ctx, plan, kernel_rows, kernel_cols, entry.get()));
      entry->key = std::move(key);
      found = entry->plan;
      entries_.push_back(std::move(entry));
    }
  }
  if (found != nullptr) return fn(found);
  // Beyond the cache: a plan for this call only. The upload is queued on
  // the op's stream before the kernels, and the device buffer is a
  // temporary that TensorFlow frees in stream order.
  Entry once;
  TF_RETURN_IF_ERROR(Upload(ctx, plan, kernel_rows, kernel_cols, &once));
  absl::Status status = fn(once.plan);
  sz_plan_destroy(once.plan);
  return status;
}

}  // namespace sparsezoo

#endif  // GOOGLE_CUDA
#endif  // SPARSEZOO_TF_CUSTOM_OPS_CC_KERNELS_SPARSE_CONV_GPU_H_
