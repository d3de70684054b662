// Registration of the sparse convolution ops and their shape functions.
#include "tensorflow/core/framework/common_shape_fns.h"
#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/shape_inference.h"

namespace sparsezoo {
namespace {

using tensorflow::Status;
using tensorflow::shape_inference::DimensionHandle;
using tensorflow::shape_inference::InferenceContext;
using tensorflow::shape_inference::ShapeHandle;

constexpr char kCommonAttrs[] = R"doc(
Attrs shared by the three ops:
  kernel_size: [rows, cols] of the kernel the plan's taps index into.
  strides: [rows, cols], each >= 1.
  padding: "SAME" or "VALID" (TensorFlow's rules; dilation is always 1).
)doc";

absl::Status GetIntPair(InferenceContext* c, const char* name, int64_t* a,
                        int64_t* b) {
  std::vector<int32_t> values;
  TF_RETURN_IF_ERROR(c->GetAttr(name, &values));
  if (values.size() != 2 || values[0] < 1 || values[1] < 1) {
    return tensorflow::errors::InvalidArgument(
        name, " must be two positive integers [rows, cols]");
  }
  *a = values[0];
  *b = values[1];
  return absl::OkStatus();
}

// Output size along one dimension, unknown if the input size is unknown.
absl::Status OutputDim(InferenceContext* c, DimensionHandle in, int64_t k,
                       int64_t s, const std::string& padding,
                       DimensionHandle* out) {
  if (!c->ValueKnown(in)) {
    *out = c->UnknownDim();
    return absl::OkStatus();
  }
  const int64_t n = c->Value(in);
  int64_t size = padding == "VALID" ? (n >= k ? (n - k) / s + 1 : 0)
                                    : (n + s - 1) / s;
  if (size < 1) {
    return tensorflow::errors::InvalidArgument(
        "VALID padding: kernel size ", k, " does not fit in input size ", n);
  }
  *out = c->MakeDim(size);
  return absl::OkStatus();
}

// Checks the plan inputs' ranks; returns the number of output channels.
absl::Status CheckPlanShapes(InferenceContext* c, int blocks_index,
                             DimensionHandle in_channels,
                             DimensionHandle* out_channels) {
  ShapeHandle blocks, in_perm, out_perm;
  TF_RETURN_IF_ERROR(c->WithRank(c->input(blocks_index), 2, &blocks));
  DimensionHandle fields;
  TF_RETURN_IF_ERROR(c->WithValue(c->Dim(blocks, 1), 6, &fields));
  TF_RETURN_IF_ERROR(c->WithRank(c->input(blocks_index + 1), 1, &in_perm));
  TF_RETURN_IF_ERROR(c->WithRank(c->input(blocks_index + 2), 1, &out_perm));
  DimensionHandle merged;
  TF_RETURN_IF_ERROR(c->Merge(c->Dim(in_perm, 0), in_channels, &merged));
  *out_channels = c->Dim(out_perm, 0);
  return absl::OkStatus();
}

absl::Status ForwardShape(InferenceContext* c) {
  ShapeHandle input, weights;
  TF_RETURN_IF_ERROR(c->WithRank(c->input(0), 4, &input));
  TF_RETURN_IF_ERROR(c->WithRank(c->input(1), 1, &weights));
  DimensionHandle out_channels;
  TF_RETURN_IF_ERROR(CheckPlanShapes(c, 2, c->Dim(input, 3), &out_channels));
  int64_t kh, kw, sh, sw;
  TF_RETURN_IF_ERROR(GetIntPair(c, "kernel_size", &kh, &kw));
  TF_RETURN_IF_ERROR(GetIntPair(c, "strides", &sh, &sw));
  std::string padding;
  TF_RETURN_IF_ERROR(c->GetAttr("padding", &padding));
  DimensionHandle rows, cols;
  TF_RETURN_IF_ERROR(OutputDim(c, c->Dim(input, 1), kh, sh, padding, &rows));
  TF_RETURN_IF_ERROR(OutputDim(c, c->Dim(input, 2), kw, sw, padding, &cols));
  c->set_output(0, c->MakeShape({c->Dim(input, 0), rows, cols, out_channels}));
  return absl::OkStatus();
}

absl::Status BackpropInputShape(InferenceContext* c) {
  ShapeHandle input;
  TF_RETURN_IF_ERROR(c->MakeShapeFromShapeTensor(0, &input));
  TF_RETURN_IF_ERROR(c->WithRank(input, 4, &input));
  ShapeHandle weights, out_backprop;
  TF_RETURN_IF_ERROR(c->WithRank(c->input(1), 1, &weights));
  TF_RETURN_IF_ERROR(c->WithRank(c->input(5), 4, &out_backprop));
  DimensionHandle out_channels;
  TF_RETURN_IF_ERROR(CheckPlanShapes(c, 2, c->Dim(input, 3), &out_channels));
  c->set_output(0, input);
  return absl::OkStatus();
}

absl::Status BackpropFilterShape(InferenceContext* c) {
  ShapeHandle input, weights, out_backprop;
  TF_RETURN_IF_ERROR(c->WithRank(c->input(0), 4, &input));
  TF_RETURN_IF_ERROR(c->WithRank(c->input(1), 1, &weights));
  TF_RETURN_IF_ERROR(c->WithRank(c->input(5), 4, &out_backprop));
  DimensionHandle out_channels;
  TF_RETURN_IF_ERROR(CheckPlanShapes(c, 2, c->Dim(input, 3), &out_channels));
  c->set_output(0, weights);
  return absl::OkStatus();
}

}  // namespace

REGISTER_OP("SparseZoo>SparseConv2D")
    .Input("input: T")
    .Input("weights: T")
    .Input("blocks: int32")
    .Input("in_perm: int32")
    .Input("out_perm: int32")
    .Output("output: T")
    .Attr("T: {half, bfloat16, float}")
    .Attr("kernel_size: list(int) >= 2")
    .Attr("strides: list(int) >= 2")
    .Attr("padding: {'SAME', 'VALID'}")
    .SetShapeFn(ForwardShape)
    .Doc(R"doc(
2-D convolution whose kernel exists only on the blocks of a plan.

input: [batch, rows, cols, in_channels].
weights: the packed weights of the plan, a vector.
blocks: [num_blocks, 6] int32 rows (tap_y, tap_x, in_start, in_size,
  out_start, out_size) in plan channel order.
in_perm: plan input channel i is input channel in_perm[i].
out_perm: plan output channel j is output channel out_perm[j].
)doc" + std::string(kCommonAttrs));

REGISTER_OP("SparseZoo>SparseConv2DBackpropInput")
    .Input("input_sizes: int32")
    .Input("weights: T")
    .Input("blocks: int32")
    .Input("in_perm: int32")
    .Input("out_perm: int32")
    .Input("out_backprop: T")
    .Output("output: T")
    .Attr("T: {half, bfloat16, float}")
    .Attr("kernel_size: list(int) >= 2")
    .Attr("strides: list(int) >= 2")
    .Attr("padding: {'SAME', 'VALID'}")
    .SetShapeFn(BackpropInputShape)
    .Doc("Gradient of SparseZoo>SparseConv2D with respect to its input." +
         std::string(kCommonAttrs));

REGISTER_OP("SparseZoo>SparseConv2DBackpropFilter")
    .Input("input: T")
    .Input("weights: T")
    .Input("blocks: int32")
    .Input("in_perm: int32")
    .Input("out_perm: int32")
    .Input("out_backprop: T")
    .Output("output: T")
    .Attr("T: {half, bfloat16, float}")
    .Attr("kernel_size: list(int) >= 2")
    .Attr("strides: list(int) >= 2")
    .Attr("padding: {'SAME', 'VALID'}")
    .SetShapeFn(BackpropFilterShape)
    .Doc("Gradient of SparseZoo>SparseConv2D with respect to its packed "
         "weights (only the shape of `weights` is used)." +
         std::string(kCommonAttrs));

}  // namespace sparsezoo

// The TensorFlow version this library was compiled against (the build passes
// it from tf.__version__). The Python loader reads this string from the file
// and compares it with the running TensorFlow before loading the library.
#ifndef SPARSEZOO_TF_VERSION
#error "SPARSEZOO_TF_VERSION must be defined by the build"
#endif
extern "C" __attribute__((visibility("default"), used)) const char
    kSparseZooBuildInfo[] =
        "sparsezoo_tf:built_for_tensorflow=" SPARSEZOO_TF_VERSION ";";
