// Validation of the plan tensors and the convolution geometry. Everything the
// kernels index with is checked here, before any buffer is touched.
#include <string>

#include "absl/strings/str_cat.h"
#include "custom_ops/cc/kernels/sparse_conv.h"
#include "tensorflow/core/framework/tensor_shape.h"

namespace sparsezoo {
namespace {

using tensorflow::Tensor;
using tensorflow::errors::InvalidArgument;

constexpr int64_t kMaxDim = int64_t{1} << 31;

absl::Status CheckPermutation(const Tensor& perm, int64_t size,
                              const char* name, std::vector<int32_t>* out,
                              bool* is_identity) {
  if (perm.dims() != 1) {
    return InvalidArgument(name, " must be a vector, got shape ",
                           perm.shape().DebugString());
  }
  if (perm.dim_size(0) != size) {
    return InvalidArgument(name, " has ", perm.dim_size(0),
                           " entries but the tensor has ", size, " channels");
  }
  auto values = perm.flat<int32_t>();
  std::vector<bool> seen(size, false);
  out->assign(size, 0);
  *is_identity = true;
  for (int64_t i = 0; i < size; ++i) {
    const int32_t v = values(i);
    if (v < 0 || v >= size) {
      return InvalidArgument(name, "[", i, "] = ", v, " is out of range [0, ",
                             size, ")");
    }
    if (seen[v]) {
      return InvalidArgument(name, " is not a permutation: channel ", v,
                             " appears twice");
    }
    seen[v] = true;
    (*out)[i] = v;
    *is_identity = *is_identity && v == i;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status BuildPlan(const Tensor& blocks, const Tensor& in_perm,
                       const Tensor& out_perm, int64_t in_channels,
                       int kernel_rows, int kernel_cols, int64_t num_weights,
                       SparseConvPlan* plan) {
  if (blocks.dims() != 2 || blocks.dim_size(1) != kNumBlockFields) {
    return InvalidArgument("blocks must have shape [num_blocks, ",
                           kNumBlockFields, "], got ",
                           blocks.shape().DebugString());
  }
  TF_RETURN_IF_ERROR(CheckPermutation(in_perm, in_channels, "in_perm",
                                      &plan->in_perm,
                                      &plan->in_perm_is_identity));
  const int64_t out_channels = out_perm.dims() == 1 ? out_perm.dim_size(0) : 0;
  if (out_channels < 1) {
    return InvalidArgument("out_perm must be a non-empty vector, got shape ",
                           out_perm.shape().DebugString());
  }
  TF_RETURN_IF_ERROR(CheckPermutation(out_perm, out_channels, "out_perm",
                                      &plan->out_perm,
                                      &plan->out_perm_is_identity));

  auto table = blocks.matrix<int32_t>();
  const int64_t num_blocks = blocks.dim_size(0);
  plan->blocks.clear();
  plan->blocks.reserve(num_blocks);
  int64_t offset = 0;
  int64_t b = 0;
  while (b < num_blocks) {
    // A weight group: the run of blocks sharing this input range.
    const int32_t in_start = table(b, kInStart);
    const int32_t in_size = table(b, kInSize);
    int64_t group_end = b;
    int64_t group_cols = 0;
    while (group_end < num_blocks && table(group_end, kInStart) == in_start &&
           table(group_end, kInSize) == in_size) {
      const int64_t e = group_end;
      const int32_t ky = table(e, kTapY), kx = table(e, kTapX);
      const int32_t k0 = table(e, kOutStart), kn = table(e, kOutSize);
      if (ky < 0 || ky >= kernel_rows || kx < 0 || kx >= kernel_cols) {
        return InvalidArgument("block ", e, ": tap (", ky, ", ", kx,
                               ") is outside the ", kernel_rows, "x",
                               kernel_cols, " kernel");
      }
      if (in_start < 0 || in_size < 1 ||
          int64_t{in_start} + in_size > in_channels) {
        return InvalidArgument("block ", e, ": input channels [", in_start,
                               ", ", int64_t{in_start} + in_size,
                               ") are not inside [0, ", in_channels, ")");
      }
      if (k0 < 0 || kn < 1 || int64_t{k0} + kn > out_channels) {
        return InvalidArgument("block ", e, ": output channels [", k0, ", ",
                               int64_t{k0} + kn, ") are not inside [0, ",
                               out_channels, ")");
      }
      group_cols += kn;
      ++group_end;
    }
    if (group_cols >= kMaxDim) {
      return InvalidArgument("weight group starting at block ", b, " has ",
                             group_cols, " columns, more than supported");
    }
    int64_t col = 0;
    for (int64_t e = b; e < group_end; ++e) {
      PlanBlock blk;
      blk.tap_y = table(e, kTapY);
      blk.tap_x = table(e, kTapX);
      blk.in_start = in_start;
      blk.in_size = in_size;
      blk.out_start = table(e, kOutStart);
      blk.out_size = table(e, kOutSize);
      blk.weight_ld = static_cast<int>(group_cols);
      blk.weight_offset = offset + col;
      col += blk.out_size;
      plan->blocks.push_back(blk);
    }
    offset += int64_t{in_size} * group_cols;
    if (offset > num_weights) break;  // reported below
    b = group_end;
  }
  if (offset != num_weights) {
    return InvalidArgument("the plan needs ",
                           offset > num_weights ? "more than " : "", offset,
                           " packed weights but weights has ", num_weights);
  }
  plan->num_weights = num_weights;
  return absl::OkStatus();
}

absl::Status ComputeGeometry(const tensorflow::TensorShape& input_shape,
                             int64_t out_channels, int kernel_rows,
                             int kernel_cols, int stride_rows, int stride_cols,
                             tensorflow::Padding padding, ConvGeometry* geo) {
  if (input_shape.dims() != 4) {
    return InvalidArgument("input must be 4-D NHWC, got shape ",
                           input_shape.DebugString());
  }
  for (int d = 0; d < 4; ++d) {
    if (input_shape.dim_size(d) >= kMaxDim) {
      return InvalidArgument("input dimension ", d, " is too large: ",
                             input_shape.DebugString());
    }
  }
  if (input_shape.dim_size(1) < 1 || input_shape.dim_size(2) < 1 ||
      input_shape.dim_size(3) < 1) {
    return InvalidArgument(
        "input height, width and channels must be positive, got shape ",
        input_shape.DebugString());
  }
  if (kernel_rows < 1 || kernel_cols < 1 || stride_rows < 1 ||
      stride_cols < 1) {
    return InvalidArgument("kernel size and strides must be positive");
  }
  geo->batch = input_shape.dim_size(0);
  geo->in_rows = input_shape.dim_size(1);
  geo->in_cols = input_shape.dim_size(2);
  geo->in_channels = input_shape.dim_size(3);
  geo->out_channels = out_channels;
  geo->kernel_rows = kernel_rows;
  geo->kernel_cols = kernel_cols;
  geo->stride_rows = stride_rows;
  geo->stride_cols = stride_cols;

  auto one_dim = [padding](int64_t in, int k, int s, int64_t* out,
                           int* pad_before) {
    if (padding == tensorflow::Padding::VALID) {
      *out = in >= k ? (in - k) / s + 1 : 0;
      *pad_before = 0;
    } else {
      *out = (in + s - 1) / s;
      const int64_t total = std::max<int64_t>((*out - 1) * s + k - in, 0);
      *pad_before = static_cast<int>(total / 2);
    }
  };
  one_dim(geo->in_rows, kernel_rows, stride_rows, &geo->out_rows,
          &geo->pad_top);
  one_dim(geo->in_cols, kernel_cols, stride_cols, &geo->out_cols,
          &geo->pad_left);
  if (geo->out_rows < 1 || geo->out_cols < 1) {
    return InvalidArgument("VALID padding: the ", kernel_rows, "x",
                           kernel_cols, " kernel does not fit in the ",
                           geo->in_rows, "x", geo->in_cols,
                           " input (computed output size would be ",
                           geo->out_rows, "x", geo->out_cols, ")");
  }
  return absl::OkStatus();
}

}  // namespace sparsezoo
