// CPU implementation of the sparse convolution ("kn2row" shift-and-multiply).
//
// The input is split into stride_rows x stride_cols phase images (for stride
// 1 that is the input itself), with the input permutation applied. In its
// phase image every tap of the kernel is a plain shift, so all blocks that
// share a phase and an input range form one weight matrix, and each chunk of
// input pixels costs one large GEMM (Z = X W) followed by shifted additions of
// Z's column slices into the output. The backward passes are the same loop
// run the other way: gather shifted output-gradient slices into G, then
// dX += G W^T and dW += X^T G.
//
// Work is split over output (resp. input) rows so that every thread writes
// its own rows; whole images go to one thread when there are enough of them.
#define EIGEN_USE_THREADS

#include <algorithm>
#include <cstring>
#include <map>
#include <vector>

#include "Eigen/Core"
#include "custom_ops/cc/kernels/sparse_conv.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/platform/threadpool.h"

namespace sparsezoo {
namespace {

using CPUDevice = Eigen::ThreadPoolDevice;
using Matrix =
    Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMatrixMap =
    Eigen::Map<const Matrix, Eigen::Unaligned, Eigen::OuterStride<>>;
using MatrixMap = Eigen::Map<Matrix, Eigen::Unaligned, Eigen::OuterStride<>>;

// Budget for one chunk of Z (or G): about half of a core's L2 cache, but at
// least kMinChunkPixels rows so that the GEMM stays efficient (measured on
// the Table 9 shapes: 64 -> 256 took 7x7x1024 SW-SC from 0.70 to 0.38 of
// dense time).
constexpr int64_t kChunkBytes = 1 << 20;
constexpr int64_t kMinChunkPixels = 256;

int64_t FloorDiv(int64_t a, int64_t b) {
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

// One block as seen from its phase image: the output pixel (oy, ox) reads
// phase pixel (oy + shift_y, ox + shift_x).
struct PhaseItem {
  int block;
  int shift_y;
  int shift_x;
  int out_start;
  int out_size;
  int col;  // first column in the phase group's weight matrix
};

// All blocks that read the same phase image and input-channel range; their
// weights form one [in_size, num_cols] matrix.
struct PhaseGroup {
  int phase_y = 0;
  int phase_x = 0;
  int in_start = 0;
  int in_size = 0;
  int num_cols = 0;
  int min_shift_y = 0;
  int max_shift_y = 0;
  std::vector<PhaseItem> items;
  // Where the weight matrix lives: inside the packed weights when its blocks
  // are one contiguous column range of a packed group, else in a copy.
  bool packed_in_place = false;
  int64_t packed_offset = 0;
  int64_t packed_ld = 0;
  int64_t copy_offset = 0;  // into the per-call weight copy
};

std::vector<PhaseGroup> BuildPhaseGroups(const ConvGeometry& geo,
                                         const SparseConvPlan& plan,
                                         int64_t* copy_size) {
  std::vector<PhaseGroup> groups;
  for (int b = 0; b < static_cast<int>(plan.blocks.size()); ++b) {
    const PlanBlock& blk = plan.blocks[b];
    const int64_t ry = blk.tap_y - geo.pad_top;
    const int64_t rx = blk.tap_x - geo.pad_left;
    const int phase_y = static_cast<int>(ry - FloorDiv(ry, geo.stride_rows) *
                                                  geo.stride_rows);
    const int phase_x = static_cast<int>(rx - FloorDiv(rx, geo.stride_cols) *
                                                  geo.stride_cols);
    PhaseItem item;
    item.block = b;
    item.shift_y = static_cast<int>(FloorDiv(ry, geo.stride_rows));
    item.shift_x = static_cast<int>(FloorDiv(rx, geo.stride_cols));
    item.out_start = blk.out_start;
    item.out_size = blk.out_size;
    PhaseGroup* group = nullptr;
    for (PhaseGroup& g : groups) {
      if (g.phase_y == phase_y && g.phase_x == phase_x &&
          g.in_start == blk.in_start && g.in_size == blk.in_size) {
        group = &g;
        break;
      }
    }
    if (group == nullptr) {
      groups.emplace_back();
      group = &groups.back();
      group->phase_y = phase_y;
      group->phase_x = phase_x;
      group->in_start = blk.in_start;
      group->in_size = blk.in_size;
      group->min_shift_y = item.shift_y;
      group->max_shift_y = item.shift_y;
    }
    item.col = group->num_cols;
    group->num_cols += blk.out_size;
    group->min_shift_y = std::min(group->min_shift_y, item.shift_y);
    group->max_shift_y = std::max(group->max_shift_y, item.shift_y);
    group->items.push_back(item);
  }
  *copy_size = 0;
  for (PhaseGroup& g : groups) {
    const PlanBlock& first = plan.blocks[g.items.front().block];
    bool contiguous = true;
    for (size_t i = 0; i < g.items.size(); ++i) {
      const PlanBlock& blk = plan.blocks[g.items[i].block];
      contiguous = contiguous && blk.weight_ld == first.weight_ld &&
                   blk.weight_offset == first.weight_offset + g.items[i].col;
    }
    g.packed_in_place = contiguous;
    g.packed_offset = first.weight_offset;
    g.packed_ld = first.weight_ld;
    if (!contiguous) {
      g.copy_offset = *copy_size;
      *copy_size += int64_t{g.in_size} * g.num_cols;
    }
  }
  return groups;
}

// The input (or its gradient) as stride_rows x stride_cols phase images,
// each [batch, rows, cols, channels] with channels in plan order. With stride
// 1 and no input permutation the single phase image is the tensor itself.
struct PhaseLayout {
  PhaseLayout(const ConvGeometry& geo, const SparseConvPlan& plan)
      : geo(geo),
        rows((geo.in_rows + geo.stride_rows - 1) / geo.stride_rows),
        cols((geo.in_cols + geo.stride_cols - 1) / geo.stride_cols),
        is_tensor_itself(geo.stride_rows == 1 && geo.stride_cols == 1 &&
                         plan.in_perm_is_identity) {}

  int64_t PhaseSize() const {
    return geo.batch * rows * cols * geo.in_channels;
  }
  int64_t TotalSize() const {
    return PhaseSize() * geo.stride_rows * geo.stride_cols;
  }
  int64_t PhaseOffset(int phase_y, int phase_x) const {
    return (int64_t{phase_y} * geo.stride_cols + phase_x) * PhaseSize();
  }
  int64_t ValidRows(int phase_y) const {
    return (geo.in_rows - phase_y + geo.stride_rows - 1) / geo.stride_rows;
  }
  int64_t ValidCols(int phase_x) const {
    return (geo.in_cols - phase_x + geo.stride_cols - 1) / geo.stride_cols;
  }

  const ConvGeometry& geo;
  const int64_t rows;
  const int64_t cols;
  const bool is_tensor_itself;
};

// Runs fn(begin, end) over `parts` ranges of [0, batch * rows_per_image),
// in parallel. Ranges are whole images when there are enough images.
template <typename Fn>
void ParallelOverRows(tensorflow::OpKernelContext* ctx, int64_t batch,
                      int64_t rows_per_image, const Fn& fn) {
  auto* workers = ctx->device()->tensorflow_cpu_worker_threads()->workers;
  const int64_t total = batch * rows_per_image;
  const int64_t parts = std::max<int64_t>(
      1, std::min<int64_t>(workers->NumThreads(), total));
  std::vector<int64_t> bounds(parts + 1);
  for (int64_t p = 0; p <= parts; ++p) {
    bounds[p] = batch >= parts ? (batch * p / parts) * rows_per_image
                               : total * p / parts;
  }
  workers->ParallelFor(parts, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      if (bounds[p] < bounds[p + 1]) fn(bounds[p], bounds[p + 1]);
    }
  });
}

int64_t ChunkRows(int64_t cols, int num_cols) {
  const int64_t pixels = std::max<int64_t>(
      kMinChunkPixels, kChunkBytes / (int64_t{num_cols} * sizeof(float)));
  return std::max<int64_t>(1, pixels / std::max<int64_t>(cols, 1));
}

inline void AddTo(float* __restrict dst, const float* __restrict src,
                  int n) {
  for (int i = 0; i < n; ++i) dst[i] += src[i];
}

// Everything one call needs, resolved once.
struct CpuCall {
  CpuCall(const ConvGeometry& geo, const SparseConvPlan& plan)
      : geo(geo), plan(plan), layout(geo, plan) {
    groups = BuildPhaseGroups(geo, plan, &weight_copy_size);
  }

  // The [in_size, num_cols] weight matrix of a group (or its gradient).
  ConstMatrixMap Weights(const PhaseGroup& g, const float* packed,
                         const float* copy) const {
    if (g.packed_in_place) {
      return ConstMatrixMap(packed + g.packed_offset, g.in_size, g.num_cols,
                            Eigen::OuterStride<>(g.packed_ld));
    }
    return ConstMatrixMap(copy + g.copy_offset, g.in_size, g.num_cols,
                          Eigen::OuterStride<>(g.num_cols));
  }

  void CopyGroupWeights(const float* packed, float* copy) const {
    for (const PhaseGroup& g : groups) {
      if (g.packed_in_place) continue;
      for (const PhaseItem& item : g.items) {
        const PlanBlock& blk = plan.blocks[item.block];
        for (int i = 0; i < g.in_size; ++i) {
          std::memcpy(copy + g.copy_offset + int64_t{i} * g.num_cols + item.col,
                      packed + blk.weight_offset + int64_t{i} * blk.weight_ld,
                      sizeof(float) * blk.out_size);
        }
      }
    }
  }

  // Gathers the output-gradient slices that phase rows [ra, rb) of group g
  // feed into: G[(r - ra) * cols + v, col + j] = dy[n, u - sy, v - sx, k0+j].
  void GatherOutputGrad(const PhaseGroup& g, const float* dy, int64_t ra,
                        int64_t rb, float* out) const {
    const int64_t cols = layout.cols;
    const int64_t valid_rows = layout.ValidRows(g.phase_y);
    const int64_t valid_cols = layout.ValidCols(g.phase_x);
    std::fill(out, out + (rb - ra) * cols * g.num_cols, 0.0f);
    for (const PhaseItem& item : g.items) {
      const int64_t v0 = std::max<int64_t>(0, item.shift_x);
      const int64_t v1 =
          std::min<int64_t>(valid_cols, geo.out_cols + item.shift_x);
      for (int64_t r = ra; r < rb; ++r) {
        const int64_t n = r / layout.rows;
        const int64_t u = r - n * layout.rows;
        const int64_t oy = u - item.shift_y;
        if (u >= valid_rows || oy < 0 || oy >= geo.out_rows) continue;
        for (int64_t v = v0; v < v1; ++v) {
          std::memcpy(out + ((r - ra) * cols + v) * g.num_cols + item.col,
                      dy + ((n * geo.out_rows + oy) * geo.out_cols + v -
                            item.shift_x) *
                               geo.out_channels +
                          item.out_start,
                      sizeof(float) * item.out_size);
        }
      }
    }
  }

  const ConvGeometry& geo;
  const SparseConvPlan& plan;
  PhaseLayout layout;
  std::vector<PhaseGroup> groups;
  int64_t weight_copy_size = 0;
};

absl::Status AllocateFloats(tensorflow::OpKernelContext* ctx, int64_t size,
                            tensorflow::Tensor* t) {
  return ctx->allocate_temp(tensorflow::DT_FLOAT,
                            tensorflow::TensorShape({std::max<int64_t>(size, 1)}),
                            t);
}

// Calls fn(tensor_pixel, phase_pixel) with the channel-vector offsets of
// every input pixel in the tensor and in its phase image, in parallel.
template <typename Fn>
void ForEachPhasePixel(tensorflow::OpKernelContext* ctx, const CpuCall& call,
                       const Fn& fn) {
  const ConvGeometry& geo = call.geo;
  const PhaseLayout& layout = call.layout;
  ParallelOverRows(ctx, geo.batch, geo.in_rows, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t n = r / geo.in_rows, iy = r % geo.in_rows;
      const int py = static_cast<int>(iy % geo.stride_rows);
      const int64_t u = iy / geo.stride_rows;
      for (int64_t ix = 0; ix < geo.in_cols; ++ix) {
        const int px = static_cast<int>(ix % geo.stride_cols);
        const int64_t v = ix / geo.stride_cols;
        fn((r * geo.in_cols + ix) * geo.in_channels,
           layout.PhaseOffset(py, px) +
               ((n * layout.rows + u) * layout.cols + v) * geo.in_channels);
      }
    }
  });
}

// x -> phase images in plan channel order (zero where no pixel maps).
void GatherPhases(tensorflow::OpKernelContext* ctx, const CpuCall& call,
                  const float* x, float* phases) {
  const int32_t* perm = call.plan.in_perm.data();
  const int64_t channels = call.geo.in_channels;
  ForEachPhasePixel(ctx, call, [&](int64_t tensor_at, int64_t phase_at) {
    for (int64_t c = 0; c < channels; ++c) {
      phases[phase_at + c] = x[tensor_at + perm[c]];
    }
  });
}

// Inverse of GatherPhases for gradients: phase images -> dx.
void ScatterPhases(tensorflow::OpKernelContext* ctx, const CpuCall& call,
                   const float* phases, float* dx) {
  const int32_t* perm = call.plan.in_perm.data();
  const int64_t channels = call.geo.in_channels;
  ForEachPhasePixel(ctx, call, [&](int64_t tensor_at, int64_t phase_at) {
    for (int64_t c = 0; c < channels; ++c) {
      dx[tensor_at + perm[c]] = phases[phase_at + c];
    }
  });
}

// Output gradient from tensor channel order into plan order.
void GatherOutputChannels(tensorflow::OpKernelContext* ctx, int64_t pixels,
                          int64_t channels, const std::vector<int32_t>& perm,
                          const float* src, float* dst) {
  ParallelOverRows(ctx, 1, pixels, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const float* s = src + p * channels;
      float* d = dst + p * channels;
      for (int64_t j = 0; j < channels; ++j) d[j] = s[perm[j]];
    }
  });
}

}  // namespace

template <>
absl::Status SparseConvForward<CPUDevice, float>::operator()(
    tensorflow::OpKernelContext* ctx, const ConvGeometry& geo,
    const SparseConvPlan& plan, const float* input, const float* weights,
    float* output) {
  const CpuCall call(geo, plan);
  const PhaseLayout& layout = call.layout;

  tensorflow::Tensor phases_t, weights_t;
  const float* x = input;
  if (!layout.is_tensor_itself) {
    TF_RETURN_IF_ERROR(AllocateFloats(ctx, layout.TotalSize(), &phases_t));
    float* phases = phases_t.flat<float>().data();
    if (geo.stride_rows > 1 || geo.stride_cols > 1) {
      std::fill(phases, phases + layout.TotalSize(), 0.0f);
    }
    GatherPhases(ctx, call, input, phases);
    x = phases;
  }
  TF_RETURN_IF_ERROR(AllocateFloats(ctx, call.weight_copy_size, &weights_t));
  float* weight_copy = weights_t.flat<float>().data();
  call.CopyGroupWeights(weights, weight_copy);
  const int64_t row_size = geo.out_cols * geo.out_channels;
  ParallelOverRows(ctx, geo.batch, geo.out_rows, [&](int64_t s0, int64_t s1) {
    // Output rows [s0, s1) in plan channel order: the output itself, or a
    // scratch copy permuted into the output while it is still in cache.
    std::vector<float> scratch;
    float* y = output;
    if (!plan.out_perm_is_identity) {
      scratch.resize((s1 - s0) * row_size);
      y = scratch.data() - s0 * row_size;
    }
    std::fill(y + s0 * row_size, y + s1 * row_size, 0.0f);
    std::vector<float> z;
    for (const PhaseGroup& g : call.groups) {
      const float* xp = x + layout.PhaseOffset(g.phase_y, g.phase_x);
      const int64_t valid_rows = layout.ValidRows(g.phase_y);
      const int64_t valid_cols = layout.ValidCols(g.phase_x);
      const int64_t na = s0 / geo.out_rows, oa = s0 % geo.out_rows;
      const int64_t nb = (s1 - 1) / geo.out_rows, ob = (s1 - 1) % geo.out_rows;
      const int64_t r_lo =
          na * layout.rows + std::max<int64_t>(0, oa + g.min_shift_y);
      const int64_t r_hi =
          nb * layout.rows + std::min<int64_t>(valid_rows, ob + g.max_shift_y + 1);
      const int64_t step = ChunkRows(layout.cols, g.num_cols);
      const ConstMatrixMap w = call.Weights(g, weights, weight_copy);
      for (int64_t ra = r_lo; ra < r_hi; ra += step) {
        const int64_t rb = std::min(r_hi, ra + step);
        const int64_t m = (rb - ra) * layout.cols;
        z.resize(m * g.num_cols);
        ConstMatrixMap a(xp + ra * layout.cols * geo.in_channels + g.in_start,
                         m, g.in_size, Eigen::OuterStride<>(geo.in_channels));
        MatrixMap zm(z.data(), m, g.num_cols, Eigen::OuterStride<>(g.num_cols));
        zm.noalias() = a * w;
        for (const PhaseItem& item : g.items) {
          const int64_t v0 = std::max<int64_t>(0, item.shift_x);
          const int64_t v1 =
              std::min<int64_t>(valid_cols, geo.out_cols + item.shift_x);
          for (int64_t r = ra; r < rb; ++r) {
            const int64_t n = r / layout.rows;
            const int64_t u = r - n * layout.rows;
            const int64_t oy = u - item.shift_y;
            if (u >= valid_rows || oy < 0 || oy >= geo.out_rows) continue;
            const int64_t s = n * geo.out_rows + oy;
            if (s < s0 || s >= s1) continue;
            for (int64_t v = v0; v < v1; ++v) {
              AddTo(y + s * row_size + (v - item.shift_x) * geo.out_channels +
                        item.out_start,
                    z.data() + ((r - ra) * layout.cols + v) * g.num_cols +
                        item.col,
                    item.out_size);
            }
          }
        }
      }
    }
    if (!plan.out_perm_is_identity) {
      const int32_t* perm = plan.out_perm.data();
      for (int64_t p = s0 * geo.out_cols; p < s1 * geo.out_cols; ++p) {
        const float* src = y + p * geo.out_channels;
        float* dst = output + p * geo.out_channels;
        for (int64_t j = 0; j < geo.out_channels; ++j) dst[perm[j]] = src[j];
      }
    }
  });
  return absl::OkStatus();
}

template <>
absl::Status SparseConvBackpropInput<CPUDevice, float>::operator()(
    tensorflow::OpKernelContext* ctx, const ConvGeometry& geo,
    const SparseConvPlan& plan, const float* out_backprop,
    const float* weights, float* in_backprop) {
  const CpuCall call(geo, plan);
  const PhaseLayout& layout = call.layout;
  const int64_t out_pixels = geo.batch * geo.out_rows * geo.out_cols;

  tensorflow::Tensor dy_t, weights_t, phases_t;
  const float* dy = out_backprop;
  if (!plan.out_perm_is_identity) {
    TF_RETURN_IF_ERROR(
        AllocateFloats(ctx, out_pixels * geo.out_channels, &dy_t));
    GatherOutputChannels(ctx, out_pixels, geo.out_channels, plan.out_perm,
                         out_backprop, dy_t.flat<float>().data());
    dy = dy_t.flat<float>().data();
  }
  TF_RETURN_IF_ERROR(AllocateFloats(ctx, call.weight_copy_size, &weights_t));
  float* weight_copy = weights_t.flat<float>().data();
  call.CopyGroupWeights(weights, weight_copy);
  float* dx = in_backprop;
  if (!layout.is_tensor_itself) {
    TF_RETURN_IF_ERROR(AllocateFloats(ctx, layout.TotalSize(), &phases_t));
    dx = phases_t.flat<float>().data();
  }

  const int64_t phase_row_size = layout.cols * geo.in_channels;
  ParallelOverRows(ctx, geo.batch, layout.rows, [&](int64_t r0, int64_t r1) {
    for (int py = 0; py < geo.stride_rows; ++py) {
      for (int px = 0; px < geo.stride_cols; ++px) {
        float* base = dx + layout.PhaseOffset(py, px);
        std::fill(base + r0 * phase_row_size, base + r1 * phase_row_size,
                  0.0f);
      }
    }
    std::vector<float> grad;
    for (const PhaseGroup& g : call.groups) {
      float* dxp = dx + layout.PhaseOffset(g.phase_y, g.phase_x);
      const int64_t step = ChunkRows(layout.cols, g.num_cols);
      const ConstMatrixMap w = call.Weights(g, weights, weight_copy);
      for (int64_t ra = r0; ra < r1; ra += step) {
        const int64_t rb = std::min(r1, ra + step);
        const int64_t m = (rb - ra) * layout.cols;
        grad.resize(m * g.num_cols);
        call.GatherOutputGrad(g, dy, ra, rb, grad.data());
        ConstMatrixMap gm(grad.data(), m, g.num_cols,
                          Eigen::OuterStride<>(g.num_cols));
        MatrixMap dxm(dxp + ra * phase_row_size + g.in_start, m, g.in_size,
                      Eigen::OuterStride<>(geo.in_channels));
        dxm.noalias() += gm * w.transpose();
      }
    }
  });
  if (!layout.is_tensor_itself) {
    ScatterPhases(ctx, call, dx, in_backprop);
  }
  return absl::OkStatus();
}

template <>
absl::Status SparseConvBackpropFilter<CPUDevice, float>::operator()(
    tensorflow::OpKernelContext* ctx, const ConvGeometry& geo,
    const SparseConvPlan& plan, const float* input, const float* out_backprop,
    float* weights_backprop) {
  const CpuCall call(geo, plan);
  const PhaseLayout& layout = call.layout;
  const int64_t out_pixels = geo.batch * geo.out_rows * geo.out_cols;

  tensorflow::Tensor dy_t, phases_t;
  const float* dy = out_backprop;
  if (!plan.out_perm_is_identity) {
    TF_RETURN_IF_ERROR(
        AllocateFloats(ctx, out_pixels * geo.out_channels, &dy_t));
    GatherOutputChannels(ctx, out_pixels, geo.out_channels, plan.out_perm,
                         out_backprop, dy_t.flat<float>().data());
    dy = dy_t.flat<float>().data();
  }
  const float* x = input;
  if (!layout.is_tensor_itself) {
    TF_RETURN_IF_ERROR(AllocateFloats(ctx, layout.TotalSize(), &phases_t));
    float* phases = phases_t.flat<float>().data();
    if (geo.stride_rows > 1 || geo.stride_cols > 1) {
      std::fill(phases, phases + layout.TotalSize(), 0.0f);
    }
    GatherPhases(ctx, call, input, phases);
    x = phases;
  }

  // Each part of the rows accumulates its own copy of every group's
  // gradient; the copies are summed at the end in the order of their rows,
  // not in the order the parts finish, so that the weight gradient is
  // bitwise reproducible for a given number of threads.
  std::vector<int64_t> group_offset(call.groups.size() + 1, 0);
  for (size_t i = 0; i < call.groups.size(); ++i) {
    group_offset[i + 1] = group_offset[i] + int64_t{call.groups[i].in_size} *
                                                call.groups[i].num_cols;
  }
  const int64_t grad_size = group_offset.back();
  std::map<int64_t, std::vector<float>> partials;  // by first row
  tensorflow::mutex mu;
  ParallelOverRows(ctx, geo.batch, layout.rows, [&](int64_t r0, int64_t r1) {
    std::vector<float> partial(grad_size, 0.0f);
    std::vector<float> grad;
    for (size_t gi = 0; gi < call.groups.size(); ++gi) {
      const PhaseGroup& g = call.groups[gi];
      const float* xp = x + layout.PhaseOffset(g.phase_y, g.phase_x);
      const int64_t step = ChunkRows(layout.cols, g.num_cols);
      MatrixMap dw(partial.data() + group_offset[gi], g.in_size, g.num_cols,
                   Eigen::OuterStride<>(g.num_cols));
      for (int64_t ra = r0; ra < r1; ra += step) {
        const int64_t rb = std::min(r1, ra + step);
        const int64_t m = (rb - ra) * layout.cols;
        grad.resize(m * g.num_cols);
        call.GatherOutputGrad(g, dy, ra, rb, grad.data());
        ConstMatrixMap gm(grad.data(), m, g.num_cols,
                          Eigen::OuterStride<>(g.num_cols));
        ConstMatrixMap a(xp + ra * layout.cols * geo.in_channels + g.in_start,
                         m, g.in_size, Eigen::OuterStride<>(geo.in_channels));
        dw.noalias() += a.transpose() * gm;
      }
    }
    tensorflow::mutex_lock lock(mu);
    partials.emplace(r0, std::move(partial));
  });

  std::fill(weights_backprop, weights_backprop + plan.num_weights, 0.0f);
  for (size_t gi = 0; gi < call.groups.size(); ++gi) {
    const PhaseGroup& g = call.groups[gi];
    for (const PhaseItem& item : g.items) {
      const PlanBlock& blk = plan.blocks[item.block];
      for (int i = 0; i < g.in_size; ++i) {
        float* dst = weights_backprop + blk.weight_offset +
                     int64_t{i} * blk.weight_ld;
        for (const auto& [first_row, partial] : partials) {
          AddTo(dst,
                partial.data() + group_offset[gi] +
                    int64_t{i} * g.num_cols + item.col,
                blk.out_size);
        }
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace sparsezoo
