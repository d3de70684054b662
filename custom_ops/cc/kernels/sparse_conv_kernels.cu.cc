// CUDA kernels of the sparse convolution: direct, one thread per output
// element (forward, input gradient) and one thread block per packed weight
// (weight gradient), over the same validated plan as the CPU path.
#if GOOGLE_CUDA

#define EIGEN_USE_GPU

#include "custom_ops/cc/kernels/sparse_conv_geometry.h"
#include "custom_ops/cc/kernels/sparse_conv_gpu.h"
#include "tensorflow/core/util/gpu_kernel_helper.h"

namespace sparsezoo {
namespace {

using tensorflow::GpuGridRangeX;

constexpr int kReduceThreads = 256;

__global__ void ForwardKernel(int64_t total, ConvGeometry g, GpuPlanView plan,
                              const float* __restrict__ x,
                              const float* __restrict__ w,
                              float* __restrict__ y) {
  for (int64_t index : GpuGridRangeX<int64_t>(total)) {
    const int64_t kp = index % g.out_channels;
    const int64_t pixel = index / g.out_channels;
    const int64_t ox = pixel % g.out_cols;
    const int64_t oy = (pixel / g.out_cols) % g.out_rows;
    const int64_t n = pixel / (g.out_cols * g.out_rows);
    float acc = 0.0f;
    for (int b = 0; b < plan.num_blocks; ++b) {
      const PlanBlock blk = plan.blocks[b];
      if (kp < blk.out_start || kp >= blk.out_start + blk.out_size) continue;
      const int64_t iy = oy * g.stride_rows - g.pad_top + blk.tap_y;
      const int64_t ix = ox * g.stride_cols - g.pad_left + blk.tap_x;
      if (iy < 0 || iy >= g.in_rows || ix < 0 || ix >= g.in_cols) continue;
      const float* xp = x + ((n * g.in_rows + iy) * g.in_cols + ix) *
                                g.in_channels;
      const float* wp = w + blk.weight_offset + (kp - blk.out_start);
      for (int i = 0; i < blk.in_size; ++i) {
        acc += xp[plan.in_perm[blk.in_start + i]] *
               wp[static_cast<int64_t>(i) * blk.weight_ld];
      }
    }
    y[pixel * g.out_channels + plan.out_perm[kp]] = acc;
  }
}

__global__ void BackpropInputKernel(int64_t total, ConvGeometry g,
                                    GpuPlanView plan,
                                    const float* __restrict__ dy,
                                    const float* __restrict__ w,
                                    float* __restrict__ dx) {
  for (int64_t index : GpuGridRangeX<int64_t>(total)) {
    const int64_t cp = index % g.in_channels;
    const int64_t pixel = index / g.in_channels;
    const int64_t ix = pixel % g.in_cols;
    const int64_t iy = (pixel / g.in_cols) % g.in_rows;
    const int64_t n = pixel / (g.in_cols * g.in_rows);
    float acc = 0.0f;
    for (int b = 0; b < plan.num_blocks; ++b) {
      const PlanBlock blk = plan.blocks[b];
      if (cp < blk.in_start || cp >= blk.in_start + blk.in_size) continue;
      const int64_t ry = iy + g.pad_top - blk.tap_y;
      const int64_t rx = ix + g.pad_left - blk.tap_x;
      if (ry < 0 || rx < 0 || ry % g.stride_rows || rx % g.stride_cols) {
        continue;
      }
      const int64_t oy = ry / g.stride_rows, ox = rx / g.stride_cols;
      if (oy >= g.out_rows || ox >= g.out_cols) continue;
      const float* dyp = dy + ((n * g.out_rows + oy) * g.out_cols + ox) *
                                  g.out_channels;
      const float* wp = w + blk.weight_offset +
                        (cp - blk.in_start) * int64_t{blk.weight_ld};
      for (int j = 0; j < blk.out_size; ++j) {
        acc += dyp[plan.out_perm[blk.out_start + j]] * wp[j];
      }
    }
    dx[pixel * g.in_channels + plan.in_perm[cp]] = acc;
  }
}

// One thread block per packed weight: sum of x * dy over all output pixels.
__global__ void BackpropFilterKernel(int64_t num_weights, ConvGeometry g,
                                     GpuPlanView plan,
                                     const float* __restrict__ x,
                                     const float* __restrict__ dy,
                                     float* __restrict__ dw) {
  __shared__ float partial[kReduceThreads];
  for (int64_t p = blockIdx.x; p < num_weights; p += gridDim.x) {
    // Find the block (and row i, column j) that owns packed weight p.
    int owner = -1, i = 0, j = 0;
    for (int b = 0; b < plan.num_blocks && owner < 0; ++b) {
      const PlanBlock blk = plan.blocks[b];
      const int64_t rel = p - blk.weight_offset;
      if (rel < 0) continue;
      const int64_t row = rel / blk.weight_ld, col = rel % blk.weight_ld;
      if (row < blk.in_size && col < blk.out_size) {
        owner = b;
        i = static_cast<int>(row);
        j = static_cast<int>(col);
      }
    }
    float acc = 0.0f;
    if (owner >= 0) {
      const PlanBlock blk = plan.blocks[owner];
      const int64_t c = plan.in_perm[blk.in_start + i];
      const int64_t k = plan.out_perm[blk.out_start + j];
      const int64_t pixels = g.batch * g.out_rows * g.out_cols;
      for (int64_t q = threadIdx.x; q < pixels; q += blockDim.x) {
        const int64_t ox = q % g.out_cols;
        const int64_t oy = (q / g.out_cols) % g.out_rows;
        const int64_t n = q / (g.out_cols * g.out_rows);
        const int64_t iy = oy * g.stride_rows - g.pad_top + blk.tap_y;
        const int64_t ix = ox * g.stride_cols - g.pad_left + blk.tap_x;
        if (iy < 0 || iy >= g.in_rows || ix < 0 || ix >= g.in_cols) continue;
        acc += x[((n * g.in_rows + iy) * g.in_cols + ix) * g.in_channels + c] *
               dy[q * g.out_channels + k];
      }
    }
    partial[threadIdx.x] = acc;
    __syncthreads();
    for (int stride = blockDim.x / 2; stride > 0; stride /= 2) {
      if (threadIdx.x < stride) {
        partial[threadIdx.x] += partial[threadIdx.x + stride];
      }
      __syncthreads();
    }
    if (threadIdx.x == 0) dw[p] = partial[0];
    __syncthreads();
  }
}

}  // namespace

absl::Status LaunchSparseConvForward(const Eigen::GpuDevice& device,
                                     const ConvGeometry& geo,
                                     const GpuPlanView& plan,
                                     const float* input, const float* weights,
                                     float* output) {
  const int64_t total =
      geo.batch * geo.out_rows * geo.out_cols * geo.out_channels;
  if (total == 0) return absl::OkStatus();
  auto config = tensorflow::GetGpuLaunchConfig(
      static_cast<int>(std::min<int64_t>(total, 1 << 30)), device,
      ForwardKernel, 0, 0);
  return tensorflow::GpuLaunchKernel(
      ForwardKernel, config.block_count, config.thread_per_block, 0,
      device.stream(), total, geo, plan, input, weights, output);
}

absl::Status LaunchSparseConvBackpropInput(const Eigen::GpuDevice& device,
                                           const ConvGeometry& geo,
                                           const GpuPlanView& plan,
                                           const float* out_backprop,
                                           const float* weights,
                                           float* in_backprop) {
  const int64_t total =
      geo.batch * geo.in_rows * geo.in_cols * geo.in_channels;
  if (total == 0) return absl::OkStatus();
  auto config = tensorflow::GetGpuLaunchConfig(
      static_cast<int>(std::min<int64_t>(total, 1 << 30)), device,
      BackpropInputKernel, 0, 0);
  return tensorflow::GpuLaunchKernel(
      BackpropInputKernel, config.block_count, config.thread_per_block, 0,
      device.stream(), total, geo, plan, out_backprop, weights, in_backprop);
}

absl::Status LaunchSparseConvBackpropFilter(const Eigen::GpuDevice& device,
                                            const ConvGeometry& geo,
                                            const GpuPlanView& plan,
                                            int64_t num_weights,
                                            const float* input,
                                            const float* out_backprop,
                                            float* weights_backprop) {
  if (num_weights == 0) return absl::OkStatus();
  const int blocks =
      static_cast<int>(std::min<int64_t>(num_weights, int64_t{1} << 20));
  return tensorflow::GpuLaunchKernel(BackpropFilterKernel, blocks,
                                     kReduceThreads, 0, device.stream(),
                                     num_weights, geo, plan, input,
                                     out_backprop, weights_backprop);
}

}  // namespace sparsezoo

#endif  // GOOGLE_CUDA
