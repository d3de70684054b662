// CUDA kernels of the sparse convolution behind the C interface of
// sparse_conv_cuda.h. No TensorFlow here: Bazel links this file into the op
// library, and tools/gpu_check compiles it alone with nvcc.
//
// Forward and input gradient are one tiled implicit GEMM: a thread block
// computes a BM x BN tile of (pixels of the result) x (channels of the
// result, in plan order) and walks the schedule entries of its channel tile:
// the plan blocks whose result channels meet the tile, each contributing
// (shifted source pixels) x (its reduced channels) @ (its weights), staged
// through shared memory BK reduced channels at a time (double-buffered).
// The weight gradient is a GEMM per plan block over the output pixels,
// split into slices whose partial sums a second kernel adds in slice order.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <mma.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "custom_ops/cc/kernels/cuda/sparse_conv_cuda.h"

// Thread blocks per multiprocessor the kernels are compiled for (2 caps the
// large tile at 128 registers per thread).
#ifndef SZ_MIN_BLOCKS_PER_SM
#define SZ_MIN_BLOCKS_PER_SM 2
#endif

namespace {

thread_local std::string last_error;

int Fail(int code, const std::string& message) {
  last_error = message;
  return code;
}

int CudaFail(cudaError_t error, const char* what) {
  return Fail(SZ_CUDA_ERROR,
              std::string(what) + ": " + cudaGetErrorString(error));
}

constexpr int64_t kMaxInt = 2147483647;

// A plan block's contribution to one tile of result channels: plan block
// `block` covers result channels [lo, hi) of the tile.
struct Entry {
  int block;
  int lo;
  int hi;
};

// A weight-gradient tile: rows [row0, row0 + BM) x columns [col0, col0 + BN)
// of plan block `block`'s weight matrix.
struct WorkItem {
  int block;
  int row0;
  int col0;
};

// ---------------------------------------------------------------------------
// Tile shapes. Both use 256 threads; each thread owns TM x TN results.
template <int kBM, int kBN, int kBK, int kTM, int kTN>
struct TileShape {
  static constexpr int BM = kBM, BN = kBN, BK = kBK, TM = kTM, TN = kTN;
  static constexpr int kThreads = (BM / TM) * (BN / TN);
  static constexpr int kLdA = BM + 4;  // padding: conflict-free k-major stores
  static constexpr int kLdB = BN + 4;
  static_assert(kThreads == 256, "tiles use 256 threads");
  static_assert(TM % 4 == 0 && TN % 4 == 0, "micro-tiles of float4");
  static_assert(kThreads % BK == 0 && kThreads % BM == 0 &&
                    kThreads % BN == 0 && (BK * BM) % kThreads == 0 &&
                    (BK * BN) % kThreads == 0,
                "loads must divide evenly");
};
using LargeTile = TileShape<128, 128, 8, 8, 8>;
using SmallTile = TileShape<64, 64, 8, 4, 4>;
constexpr int kNumTileShapes = 2;  // index 0: LargeTile, 1: SmallTile
constexpr int kTileRows[kNumTileShapes] = {128, 64};
constexpr int kTileCols[kNumTileShapes] = {128, 64};
constexpr int kTileDepth = 8;
// Relative cost of one multiply-add in each shape (the small tile reloads
// shared memory more often per multiply-add).
constexpr double kTileCost[kNumTileShapes] = {1.0, 1.35};

__device__ __forceinline__ float ToFloat(float v) { return v; }
__device__ __forceinline__ float ToFloat(__half v) { return __half2float(v); }
__device__ __forceinline__ float ToFloat(__nv_bfloat16 v) {
  return __bfloat162float(v);
}
template <typename T>
__device__ __forceinline__ T FromFloat(float v);
template <>
__device__ __forceinline__ float FromFloat<float>(float v) {
  return v;
}
template <>
__device__ __forceinline__ __half FromFloat<__half>(float v) {
  return __float2half_rn(v);
}
template <>
__device__ __forceinline__ __nv_bfloat16 FromFloat<__nv_bfloat16>(float v) {
  return __float2bfloat16_rn(v);
}

// Row r of a thread's micro-tile is tile row RowOf(r, tm): TM/4 runs of 4
// rows, BM*4/TM apart, so that a warp's float4 reads stay conflict-free.
template <class S>
__device__ __forceinline__ int RowOf(int r, int tm) {
  return (r / 4) * (S::BM * 4 / S::TM) + tm * 4 + (r % 4);
}
template <class S>
__device__ __forceinline__ int ColOf(int c, int tn) {
  return (c / 4) * (S::BN * 4 / S::TN) + tn * 4 + (c % 4);
}

// acc += As^T Bs for one BK-deep slice held in shared memory.
template <class S>
__device__ __forceinline__ void MultiplySlice(const float* __restrict__ as,
                                              const float* __restrict__ bs,
                                              float (&acc)[S::TM][S::TN],
                                              int tm, int tn) {
#pragma unroll
  for (int k = 0; k < S::BK; ++k) {
    float a[S::TM], b[S::TN];
#pragma unroll
    for (int r = 0; r < S::TM / 4; ++r) {
      const float4 v = *reinterpret_cast<const float4*>(
          as + k * S::kLdA + r * (S::BM * 4 / S::TM) + tm * 4);
      a[r * 4 + 0] = v.x;
      a[r * 4 + 1] = v.y;
      a[r * 4 + 2] = v.z;
      a[r * 4 + 3] = v.w;
    }
#pragma unroll
    for (int c = 0; c < S::TN / 4; ++c) {
      const float4 v = *reinterpret_cast<const float4*>(
          bs + k * S::kLdB + c * (S::BN * 4 / S::TN) + tn * 4);
      b[c * 4 + 0] = v.x;
      b[c * 4 + 1] = v.y;
      b[c * 4 + 2] = v.z;
      b[c * 4 + 3] = v.w;
    }
#pragma unroll
    for (int i = 0; i < S::TM; ++i) {
#pragma unroll
      for (int j = 0; j < S::TN; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
  }
}

// ---------------------------------------------------------------------------
// Forward (kBackward = false) and input gradient (kBackward = true).
//
// Forward: result = y (pixels = output pixels, channels = output channels),
// source = x, reduced channels = a block's input channels.
// Input gradient: result = dx (pixels = input pixels, channels = input
// channels), source = dy, reduced channels = a block's output channels,
// weights read transposed, and a source pixel exists only where the stride
// divides the offset.
template <typename T>
struct ConvArgs {
  const T* source;
  const T* weights;
  T* result;
  const SzBlock* blocks;
  const int* tile_begin;  // [channel tiles + 1] into entries
  const Entry* entries;
  const int32_t* reduced_perm;  // plan -> tensor channel of the source
  const int32_t* result_perm;   // plan -> tensor channel of the result
  int pixels;                   // batch * result rows * result cols
  int result_rows, result_cols, result_channels;
  int source_rows, source_cols, source_channels;
  int stride_rows, stride_cols, pad_top, pad_left;
};

template <typename T, class S, bool kBackward>
__global__ void __launch_bounds__(256, SZ_MIN_BLOCKS_PER_SM)
    ConvKernel(const ConvArgs<T> args) {
  constexpr int BM = S::BM, BN = S::BN, BK = S::BK, NT = S::kThreads;
  constexpr int kALoads = BK * BM / NT;
  constexpr int kBLoads = BK * BN / NT;
  __shared__ __align__(16) float as[2][BK * S::kLdA];
  __shared__ __align__(16) float bs[2][BK * S::kLdB];

  const int tid = threadIdx.x;
  const int m0 = blockIdx.x * BM;
  const int n0 = blockIdx.y * BN;
  const int tm = tid / (BN / S::TN);
  const int tn = tid % (BN / S::TN);

  // The source rows of this thread's A loads: A[k][m] with k = tid % BK.
  const int a_k = tid % BK;
  int a_image[kALoads], a_row[kALoads], a_col[kALoads];
#pragma unroll
  for (int q = 0; q < kALoads; ++q) {
    const int m = m0 + tid / BK + q * (NT / BK);
    if (m < args.pixels) {
      const int col = m % args.result_cols;
      const int rest = m / args.result_cols;
      const int row = rest % args.result_rows;
      a_image[q] = rest / args.result_rows;
      if (kBackward) {
        a_row[q] = row + args.pad_top;
        a_col[q] = col + args.pad_left;
      } else {
        a_row[q] = row * args.stride_rows - args.pad_top;
        a_col[q] = col * args.stride_cols - args.pad_left;
      }
    } else {
      a_image[q] = -1;
      a_row[q] = a_col[q] = 0;
    }
  }

  const int first = args.tile_begin[blockIdx.y];
  const int last = args.tile_begin[blockIdx.y + 1];
  float ra[kALoads], rb[kBLoads];

  // Loads reduced channels [k0, k0 + BK) of entry e into ra / rb.
  auto load = [&](int e, int k0) {
    const Entry entry = args.entries[e];
    const SzBlock blk = args.blocks[entry.block];
    const int reduced_start = kBackward ? blk.out_start : blk.in_start;
    const int reduced_size = kBackward ? blk.out_size : blk.in_size;
    const int result_start = kBackward ? blk.in_start : blk.out_start;
    {
      const int k = k0 + a_k;
      const bool k_ok = k < reduced_size;
      const int channel =
          k_ok ? (args.reduced_perm ? args.reduced_perm[reduced_start + k]
                                    : reduced_start + k)
               : 0;
#pragma unroll
      for (int q = 0; q < kALoads; ++q) {
        int r, c;
        bool ok = k_ok && a_image[q] >= 0;
        if (kBackward) {
          const int rr = a_row[q] - blk.tap_y, cc = a_col[q] - blk.tap_x;
          ok = ok && rr >= 0 && cc >= 0;
          if (args.stride_rows == 1 && args.stride_cols == 1) {
            r = rr;
            c = cc;
          } else {
            ok = ok && rr % args.stride_rows == 0 &&
                 cc % args.stride_cols == 0;
            r = rr / args.stride_rows;
            c = cc / args.stride_cols;
          }
          ok = ok && r < args.source_rows && c < args.source_cols;
        } else {
          r = a_row[q] + blk.tap_y;
          c = a_col[q] + blk.tap_x;
          ok = ok && r >= 0 && c >= 0 && r < args.source_rows &&
               c < args.source_cols;
        }
        ra[q] = ok ? ToFloat(args.source[((int64_t{a_image[q]} *
                                               args.source_rows +
                                           r) * args.source_cols +
                                          c) * args.source_channels +
                                         channel])
                   : 0.0f;
      }
    }
#pragma unroll
    for (int q = 0; q < kBLoads; ++q) {
      // Forward: columns of W_b are contiguous, so neighbouring threads take
      // neighbouring result channels; transposed, neighbouring k.
      const int k = kBackward ? k0 + tid % BK : k0 + tid / BN + q * (NT / BN);
      const int n = kBackward ? n0 + tid / BK + q * (NT / BK) : n0 + tid % BN;
      const bool ok = k < reduced_size && n >= entry.lo && n < entry.hi;
      const int64_t index =
          kBackward ? blk.weight_offset +
                          int64_t{n - result_start} * blk.weight_ld + k
                    : blk.weight_offset + int64_t{k} * blk.weight_ld +
                          (n - result_start);
      rb[q] = ok ? ToFloat(args.weights[index]) : 0.0f;
    }
  };
  auto store = [&](int buffer) {
#pragma unroll
    for (int q = 0; q < kALoads; ++q) {
      as[buffer][a_k * S::kLdA + tid / BK + q * (NT / BK)] = ra[q];
    }
#pragma unroll
    for (int q = 0; q < kBLoads; ++q) {
      const int k = kBackward ? tid % BK : tid / BN + q * (NT / BN);
      const int n = kBackward ? tid / BK + q * (NT / BK) : tid % BN;
      bs[buffer][k * S::kLdB + n] = rb[q];
    }
  };
  auto reduced_size_of = [&](int e) {
    const SzBlock& blk = args.blocks[args.entries[e].block];
    return kBackward ? blk.out_size : blk.in_size;
  };

  float acc[S::TM][S::TN];
#pragma unroll
  for (int i = 0; i < S::TM; ++i) {
#pragma unroll
    for (int j = 0; j < S::TN; ++j) acc[i][j] = 0.0f;
  }

  if (first < last) {
    int e = first, k0 = 0, size = reduced_size_of(first);
    load(e, k0);
    store(0);
    __syncthreads();
    int buffer = 0;
    while (true) {
      // The next slice: further into this entry, or the next entry.
      int next_e = e, next_k0 = k0 + BK, next_size = size;
      if (next_k0 >= size) {
        ++next_e;
        next_k0 = 0;
        if (next_e < last) next_size = reduced_size_of(next_e);
      }
      const bool more = next_e < last;
      if (more) load(next_e, next_k0);
      MultiplySlice<S>(as[buffer], bs[buffer], acc, tm, tn);
      if (!more) break;
      store(buffer ^ 1);
      __syncthreads();
      buffer ^= 1;
      e = next_e;
      k0 = next_k0;
      size = next_size;
    }
  }

  int channel[S::TN];
#pragma unroll
  for (int j = 0; j < S::TN; ++j) {
    const int n = n0 + ColOf<S>(j, tn);
    channel[j] = n < args.result_channels
                     ? (args.result_perm ? args.result_perm[n] : n)
                     : -1;
  }
#pragma unroll
  for (int i = 0; i < S::TM; ++i) {
    const int m = m0 + RowOf<S>(i, tm);
    if (m >= args.pixels) continue;
    T* out = args.result + int64_t{m} * args.result_channels;
#pragma unroll
    for (int j = 0; j < S::TN; ++j) {
      if (channel[j] >= 0) out[channel[j]] = FromFloat<T>(acc[i][j]);
    }
  }
}

// ---------------------------------------------------------------------------
// The same forward / input-gradient GEMM on tensor cores (compute
// capability 8.0 and up), through WMMA: float16 and bfloat16 directly, and
// float32 as 3xTF32 (each operand split into a TF32 high part and a TF32
// remainder; hi*hi + hi*lo + lo*hi keeps float32 accuracy). Tile: 128
// pixels x 64 channels x 16 reduced channels; 8 warps of 32 x 32.
namespace tc {

namespace wmma = nvcuda::wmma;

// Below compute capability 8.0 the kernel body is compiled out, and with it
// every use of these constants.
#pragma nv_diag_suppress 177

constexpr int BM = 128, BN = 64, BK = 16, kThreads = 256;
constexpr int kLdA = BK + 8;   // elements; keeps fragment rows 32-byte aligned
constexpr int kLdB = BN + 8;
constexpr int kLdC = BN + 4;
constexpr int kAPixels = BM * BK / (kThreads * 2);  // 2 channels per pixel
constexpr int kBLoads = BK * BN / kThreads;

template <typename T>
struct Traits {  // float16, bfloat16: 16-deep fragments of T
  using Smem = T;
  using Precision = T;
  static constexpr int kFragK = 16;
};
template <>
struct Traits<float> {  // float32: 8-deep TF32 fragments read from float
  using Smem = float;
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800
  using Precision = float;  // no TF32 (the kernel body is empty there)
#else
  using Precision = wmma::precision::tf32;
#endif
  static constexpr int kFragK = 8;
};

template <typename T>
constexpr size_t SharedBytes() {
  using S = typename Traits<T>::Smem;
  const size_t ab = 2 * (BM * kLdA + BK * kLdB) * sizeof(S);
  const size_t c = BM * kLdC * sizeof(float);
  return ab > c ? ab : c;
}

template <typename T, bool kBackward>
__global__ void __launch_bounds__(kThreads)
    ConvKernel(const ConvArgs<T> args) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  using S = typename Traits<T>::Smem;
  using P = typename Traits<T>::Precision;
  constexpr int FK = Traits<T>::kFragK;
  constexpr bool kSplit = sizeof(S) == 4;  // 3xTF32
  __shared__ __align__(128) unsigned char shared[SharedBytes<T>()];
  S* const as = reinterpret_cast<S*>(shared);
  S* const bs = as + 2 * BM * kLdA;
  float* const cs = reinterpret_cast<float*>(shared);

  const int tid = threadIdx.x;
  const int warp = tid / 32;
  const int wm = warp % 4, wn = warp / 4;
  const int m0 = blockIdx.x * BM;
  const int n0 = blockIdx.y * BN;

  // A loads: channels 2 * (tid % 8) + {0, 1} of pixels tid / 8 + 32 q.
  const int a_k = 2 * (tid % 8);
  int a_image[kAPixels], a_row[kAPixels], a_col[kAPixels];
#pragma unroll
  for (int q = 0; q < kAPixels; ++q) {
    const int m = m0 + tid / 8 + q * 32;
    if (m < args.pixels) {
      const int col = m % args.result_cols;
      const int rest = m / args.result_cols;
      const int row = rest % args.result_rows;
      a_image[q] = rest / args.result_rows;
      a_row[q] = kBackward ? row + args.pad_top
                           : row * args.stride_rows - args.pad_top;
      a_col[q] = kBackward ? col + args.pad_left
                           : col * args.stride_cols - args.pad_left;
    } else {
      a_image[q] = -1;
      a_row[q] = a_col[q] = 0;
    }
  }

  const int first = args.tile_begin[blockIdx.y];
  const int last = args.tile_begin[blockIdx.y + 1];
  float ra[kAPixels][2], rb[kBLoads];

  auto load = [&](int e, int k0) {
    const Entry entry = args.entries[e];
    const SzBlock blk = args.blocks[entry.block];
    const int reduced_start = kBackward ? blk.out_start : blk.in_start;
    const int reduced_size = kBackward ? blk.out_size : blk.in_size;
    const int result_start = kBackward ? blk.in_start : blk.out_start;
    int channel[2];
    bool k_ok[2];
#pragma unroll
    for (int v = 0; v < 2; ++v) {
      const int k = k0 + a_k + v;
      k_ok[v] = k < reduced_size;
      channel[v] = k_ok[v] ? (args.reduced_perm
                                  ? args.reduced_perm[reduced_start + k]
                                  : reduced_start + k)
                           : 0;
    }
#pragma unroll
    for (int q = 0; q < kAPixels; ++q) {
      int r, c;
      bool ok = a_image[q] >= 0;
      if (kBackward) {
        const int rr = a_row[q] - blk.tap_y, cc = a_col[q] - blk.tap_x;
        ok = ok && rr >= 0 && cc >= 0;
        if (args.stride_rows == 1 && args.stride_cols == 1) {
          r = rr;
          c = cc;
        } else {
          ok = ok && rr % args.stride_rows == 0 && cc % args.stride_cols == 0;
          r = rr / args.stride_rows;
          c = cc / args.stride_cols;
        }
        ok = ok && r < args.source_rows && c < args.source_cols;
      } else {
        r = a_row[q] + blk.tap_y;
        c = a_col[q] + blk.tap_x;
        ok = ok && r >= 0 && c >= 0 && r < args.source_rows &&
             c < args.source_cols;
      }
      const T* pixel =
          args.source +
          ((int64_t{a_image[q]} * args.source_rows + r) * args.source_cols +
           c) * args.source_channels;
#pragma unroll
      for (int v = 0; v < 2; ++v) {
        ra[q][v] = ok && k_ok[v] ? ToFloat(pixel[channel[v]]) : 0.0f;
      }
    }
#pragma unroll
    for (int q = 0; q < kBLoads; ++q) {
      const int k = kBackward ? k0 + tid % BK : k0 + tid / BN + q * (kThreads / BN);
      const int n = kBackward ? n0 + tid / BK + q * (kThreads / BK) : n0 + tid % BN;
      const bool ok = k < reduced_size && n >= entry.lo && n < entry.hi;
      const int64_t index =
          kBackward ? blk.weight_offset +
                          int64_t{n - result_start} * blk.weight_ld + k
                    : blk.weight_offset + int64_t{k} * blk.weight_ld +
                          (n - result_start);
      rb[q] = ok ? ToFloat(args.weights[index]) : 0.0f;
    }
  };
  auto store = [&](int buffer) {
    S* a = as + buffer * BM * kLdA;
    S* b = bs + buffer * BK * kLdB;
#pragma unroll
    for (int q = 0; q < kAPixels; ++q) {
#pragma unroll
      for (int v = 0; v < 2; ++v) {
        a[(tid / 8 + q * 32) * kLdA + a_k + v] = FromFloat<S>(ra[q][v]);
      }
    }
#pragma unroll
    for (int q = 0; q < kBLoads; ++q) {
      const int k = kBackward ? tid % BK : tid / BN + q * (kThreads / BN);
      const int n = kBackward ? tid / BK + q * (kThreads / BK) : tid % BN;
      b[k * kLdB + n] = FromFloat<S>(rb[q]);
    }
  };
  auto reduced_size_of = [&](int e) {
    const SzBlock& blk = args.blocks[args.entries[e].block];
    return kBackward ? blk.out_size : blk.in_size;
  };

  wmma::fragment<wmma::accumulator, 16, 16, FK, float> acc[2][2];
#pragma unroll
  for (int i = 0; i < 2; ++i) {
#pragma unroll
    for (int j = 0; j < 2; ++j) wmma::fill_fragment(acc[i][j], 0.0f);
  }
  auto multiply = [&](int buffer) {
    const S* a = as + buffer * BM * kLdA;
    const S* b = bs + buffer * BK * kLdB;
#pragma unroll
    for (int kk = 0; kk < BK; kk += FK) {
      using FragA = wmma::fragment<wmma::matrix_a, 16, 16, FK, P,
                                   wmma::row_major>;
      using FragB = wmma::fragment<wmma::matrix_b, 16, 16, FK, P,
                                   wmma::row_major>;
      FragA fa[2];
      FragB fb[2];
#pragma unroll
      for (int i = 0; i < 2; ++i) {
        wmma::load_matrix_sync(fa[i], a + (wm * 32 + i * 16) * kLdA + kk,
                               kLdA);
      }
#pragma unroll
      for (int j = 0; j < 2; ++j) {
        wmma::load_matrix_sync(fb[j], b + kk * kLdB + wn * 32 + j * 16, kLdB);
      }
      if constexpr (kSplit) {
        FragA fa_lo[2];
        FragB fb_lo[2];
#pragma unroll
        for (int i = 0; i < 2; ++i) {
#pragma unroll
          for (int t = 0; t < fa[i].num_elements; ++t) {
            const float v = fa[i].x[t];
            const float hi = wmma::__float_to_tf32(v);
            fa[i].x[t] = hi;
            fa_lo[i].x[t] = wmma::__float_to_tf32(v - hi);
          }
#pragma unroll
          for (int t = 0; t < fb[i].num_elements; ++t) {
            const float v = fb[i].x[t];
            const float hi = wmma::__float_to_tf32(v);
            fb[i].x[t] = hi;
            fb_lo[i].x[t] = wmma::__float_to_tf32(v - hi);
          }
        }
#pragma unroll
        for (int i = 0; i < 2; ++i) {
#pragma unroll
          for (int j = 0; j < 2; ++j) {
            wmma::mma_sync(acc[i][j], fa_lo[i], fb[j], acc[i][j]);
            wmma::mma_sync(acc[i][j], fa[i], fb_lo[j], acc[i][j]);
            wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
          }
        }
      } else {
#pragma unroll
        for (int i = 0; i < 2; ++i) {
#pragma unroll
          for (int j = 0; j < 2; ++j) {
            wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
          }
        }
      }
    }
  };

  if (first < last) {
    int e = first, k0 = 0, size = reduced_size_of(first);
    load(e, k0);
    store(0);
    __syncthreads();
    int buffer = 0;
    while (true) {
      int next_e = e, next_k0 = k0 + BK, next_size = size;
      if (next_k0 >= size) {
        ++next_e;
        next_k0 = 0;
        if (next_e < last) next_size = reduced_size_of(next_e);
      }
      const bool more = next_e < last;
      if (more) load(next_e, next_k0);
      multiply(buffer);
      if (!more) break;
      store(buffer ^ 1);
      __syncthreads();
      buffer ^= 1;
      e = next_e;
      k0 = next_k0;
      size = next_size;
    }
  }
  __syncthreads();  // the tiles' memory becomes the result staging area
#pragma unroll
  for (int i = 0; i < 2; ++i) {
#pragma unroll
    for (int j = 0; j < 2; ++j) {
      wmma::store_matrix_sync(cs + (wm * 32 + i * 16) * kLdC + wn * 32 + j * 16,
                              acc[i][j], kLdC, wmma::mem_row_major);
    }
  }
  __syncthreads();
  const int n = n0 + tid % BN;
  if (n < args.result_channels) {
    const int channel = args.result_perm ? args.result_perm[n] : n;
    for (int row = tid / BN; row < BM; row += kThreads / BN) {
      const int m = m0 + row;
      if (m >= args.pixels) break;
      args.result[int64_t{m} * args.result_channels + channel] =
          FromFloat<T>(cs[row * kLdC + tid % BN]);
    }
  }
#endif
}

#pragma nv_diag_default 177

}  // namespace tc

// ---------------------------------------------------------------------------
// Weight gradient: dW_b[i][j] = sum over output pixels m of
// x_p[source pixel of m for b's tap, in_start + i] * dy_p[m, out_start + j].
// blockIdx.x: a work item (a BM x BN tile of one block's weights);
// blockIdx.y: a slice of the output pixels.
template <typename T>
struct FilterArgs {
  const T* input;
  const T* out_backprop;
  T* weights_backprop;  // written directly when there is one slice
  float* partial;       // [slices, num_weights] otherwise
  const SzBlock* blocks;
  const WorkItem* items;
  const int32_t* in_perm;
  const int32_t* out_perm;
  int64_t num_weights;
  int pixels;  // batch * out_rows * out_cols
  int slice;   // pixels per slice, a multiple of BK
  int out_rows, out_cols, out_channels;
  int in_rows, in_cols, in_channels;
  int stride_rows, stride_cols, pad_top, pad_left;
};

template <typename T, class S>
__global__ void __launch_bounds__(256, SZ_MIN_BLOCKS_PER_SM)
    FilterKernel(const FilterArgs<T> args) {
  constexpr int BM = S::BM, BN = S::BN, BK = S::BK, NT = S::kThreads;
  constexpr int kALoads = BK * BM / NT;
  constexpr int kBLoads = BK * BN / NT;
  __shared__ __align__(16) float as[2][BK * S::kLdA];
  __shared__ __align__(16) float bs[2][BK * S::kLdB];

  const int tid = threadIdx.x;
  const int tm = tid / (BN / S::TN);
  const int tn = tid % (BN / S::TN);
  const WorkItem item = args.items[blockIdx.x];
  const SzBlock blk = args.blocks[item.block];
  const int begin = blockIdx.y * args.slice;
  const int end = min(args.pixels, begin + args.slice);

  // Rows (input channels) and columns (output channels) this thread loads.
  const int a_i = item.row0 + tid % BM;
  const bool a_ok = a_i < blk.in_size;
  const int a_channel =
      a_ok ? (args.in_perm ? args.in_perm[blk.in_start + a_i]
                           : blk.in_start + a_i)
           : 0;
  const int b_j = item.col0 + tid % BN;
  const bool b_ok = b_j < blk.out_size;
  const int b_channel =
      b_ok ? (args.out_perm ? args.out_perm[blk.out_start + b_j]
                            : blk.out_start + b_j)
           : 0;

  float ra[kALoads], rb[kBLoads];
  auto load = [&](int k0) {
#pragma unroll
    for (int q = 0; q < kALoads; ++q) {
      const int m = k0 + tid / BM + q * (NT / BM);
      float v = 0.0f;
      if (a_ok && m < end) {
        const int col = m % args.out_cols;
        const int rest = m / args.out_cols;
        const int row = rest % args.out_rows;
        const int image = rest / args.out_rows;
        const int r = row * args.stride_rows - args.pad_top + blk.tap_y;
        const int c = col * args.stride_cols - args.pad_left + blk.tap_x;
        if (r >= 0 && c >= 0 && r < args.in_rows && c < args.in_cols) {
          v = ToFloat(args.input[((int64_t{image} * args.in_rows + r) *
                                      args.in_cols +
                                  c) * args.in_channels +
                                 a_channel]);
        }
      }
      ra[q] = v;
    }
#pragma unroll
    for (int q = 0; q < kBLoads; ++q) {
      const int m = k0 + tid / BN + q * (NT / BN);
      rb[q] = b_ok && m < end
                  ? ToFloat(args.out_backprop[int64_t{m} * args.out_channels +
                                              b_channel])
                  : 0.0f;
    }
  };
  auto store = [&](int buffer) {
#pragma unroll
    for (int q = 0; q < kALoads; ++q) {
      as[buffer][(tid / BM + q * (NT / BM)) * S::kLdA + tid % BM] = ra[q];
    }
#pragma unroll
    for (int q = 0; q < kBLoads; ++q) {
      bs[buffer][(tid / BN + q * (NT / BN)) * S::kLdB + tid % BN] = rb[q];
    }
  };

  float acc[S::TM][S::TN];
#pragma unroll
  for (int i = 0; i < S::TM; ++i) {
#pragma unroll
    for (int j = 0; j < S::TN; ++j) acc[i][j] = 0.0f;
  }
  if (begin < end) {
    load(begin);
    store(0);
    __syncthreads();
    int buffer = 0;
    for (int k0 = begin;; k0 += BK) {
      const bool more = k0 + BK < end;
      if (more) load(k0 + BK);
      MultiplySlice<S>(as[buffer], bs[buffer], acc, tm, tn);
      if (!more) break;
      store(buffer ^ 1);
      __syncthreads();
      buffer ^= 1;
    }
  }

#pragma unroll
  for (int i = 0; i < S::TM; ++i) {
    const int row = item.row0 + RowOf<S>(i, tm);
    if (row >= blk.in_size) continue;
    const int64_t base = blk.weight_offset + int64_t{row} * blk.weight_ld;
#pragma unroll
    for (int j = 0; j < S::TN; ++j) {
      const int col = item.col0 + ColOf<S>(j, tn);
      if (col >= blk.out_size) continue;
      if (args.partial) {
        args.partial[blockIdx.y * args.num_weights + base + col] = acc[i][j];
      } else {
        args.weights_backprop[base + col] = FromFloat<T>(acc[i][j]);
      }
    }
  }
}

// dw[p] = sum over slices s, in order, of partial[s][p].
template <typename T>
__global__ void SumSlicesKernel(const float* __restrict__ partial,
                                int slices, int64_t num_weights,
                                T* __restrict__ weights_backprop) {
  for (int64_t p = blockIdx.x * int64_t{blockDim.x} + threadIdx.x;
       p < num_weights; p += int64_t{gridDim.x} * blockDim.x) {
    float sum = 0.0f;
    for (int s = 0; s < slices; ++s) sum += partial[s * num_weights + p];
    weights_backprop[p] = FromFloat<T>(sum);
  }
}

// ---------------------------------------------------------------------------
// Host side.

// A tile schedule: for channel tile t of width `tile`, the entries
// [begin[t], begin[t + 1]).
struct Schedule {
  std::vector<int> begin;
  std::vector<Entry> entries;
  int64_t padded_depth = 0;  // sum over tiles of entries' depths, BK-padded
  size_t begin_at = 0, entries_at = 0;  // byte offsets in the device image
};

struct WorkList {
  std::vector<WorkItem> items;
  int64_t padded_area = 0;  // sum of BM x BN over items
  size_t items_at = 0;
};

size_t Align(size_t n) { return (n + 255) / 256 * 256; }

}  // namespace

struct SzPlan {
  std::vector<SzBlock> blocks;
  std::vector<int32_t> in_perm, out_perm;
  bool in_identity = true, out_identity = true;
  int64_t in_channels = 0, out_channels = 0;
  int kernel_rows = 0, kernel_cols = 0;
  int64_t num_weights = 0;
  Schedule forward[kNumTileShapes];   // tiles of output channels
  Schedule backward[kNumTileShapes];  // tiles of input channels
  WorkList filter[kNumTileShapes];
  int math = SZ_MATH_DEFAULT;
  std::vector<unsigned char> image;  // the device tables, laid out
  size_t blocks_at = 0, in_perm_at = 0, out_perm_at = 0;
  const unsigned char* device = nullptr;
};

namespace {

bool IsPermutation(const int32_t* perm, int64_t size, bool* identity) {
  std::vector<bool> seen(size, false);
  *identity = true;
  for (int64_t i = 0; i < size; ++i) {
    if (perm[i] < 0 || perm[i] >= size || seen[perm[i]]) return false;
    seen[perm[i]] = true;
    *identity = *identity && perm[i] == i;
  }
  return true;
}

// Entries of every `tile`-wide range of result channels: blocks whose
// result range ([start, start + size) in plan order) meets it.
Schedule BuildSchedule(const std::vector<SzBlock>& blocks, int64_t channels,
                       int tile, bool backward) {
  Schedule s;
  const int64_t tiles = (channels + tile - 1) / tile;
  s.begin.reserve(tiles + 1);
  for (int64_t t = 0; t < tiles; ++t) {
    s.begin.push_back(static_cast<int>(s.entries.size()));
    const int64_t lo = t * tile, hi = std::min(channels, lo + tile);
    for (size_t b = 0; b < blocks.size(); ++b) {
      const SzBlock& blk = blocks[b];
      const int64_t start = backward ? blk.in_start : blk.out_start;
      const int64_t size = backward ? blk.in_size : blk.out_size;
      const int64_t depth = backward ? blk.out_size : blk.in_size;
      if (start + size <= lo || start >= hi) continue;
      s.entries.push_back({static_cast<int>(b),
                           static_cast<int>(std::max(lo, start)),
                           static_cast<int>(std::min(hi, start + size))});
      s.padded_depth += (depth + kTileDepth - 1) / kTileDepth * kTileDepth;
    }
  }
  s.begin.push_back(static_cast<int>(s.entries.size()));
  return s;
}

WorkList BuildWorkList(const std::vector<SzBlock>& blocks, int rows,
                       int cols) {
  WorkList w;
  for (size_t b = 0; b < blocks.size(); ++b) {
    for (int r = 0; r < blocks[b].in_size; r += rows) {
      for (int c = 0; c < blocks[b].out_size; c += cols) {
        w.items.push_back({static_cast<int>(b), r, c});
        w.padded_area += int64_t{rows} * cols;
      }
    }
  }
  return w;
}

int MultiprocessorCount() {
  int device = 0, count = 0;
  if (cudaGetDevice(&device) != cudaSuccess ||
      cudaDeviceGetAttribute(&count, cudaDevAttrMultiProcessorCount,
                             device) != cudaSuccess ||
      count < 1) {
    cudaGetLastError();  // clear: the count only tunes the launch
    return 80;
  }
  return count;
}

// Tensor cores through WMMA need compute capability 8.0 (bfloat16, TF32).
bool HasTensorCores() {
  int device = 0, major = 0;
  if (cudaGetDevice(&device) != cudaSuccess ||
      cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor,
                             device) != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  return major >= 8;
}

// Checks a call's plan and geometry; `pixels` is the GEMM's M.
int CheckCall(const SzPlan* plan, const SzGeometry* g, SzDataType dtype) {
  if (plan == nullptr || g == nullptr) {
    return Fail(SZ_INVALID_ARGUMENT, "plan and geometry must not be null");
  }
  if (plan->device == nullptr) {
    return Fail(SZ_INVALID_ARGUMENT,
                "the plan was not uploaded (call sz_plan_upload first)");
  }
  if (dtype != SZ_FLOAT32 && dtype != SZ_FLOAT16 && dtype != SZ_BFLOAT16) {
    return Fail(SZ_INVALID_ARGUMENT, "unknown data type " +
                                         std::to_string(static_cast<int>(dtype)));
  }
  if (g->in_channels != plan->in_channels ||
      g->out_channels != plan->out_channels ||
      g->kernel_rows != plan->kernel_rows ||
      g->kernel_cols != plan->kernel_cols) {
    return Fail(SZ_INVALID_ARGUMENT,
                "the geometry's channels or kernel size differ from the "
                "plan's (" + std::to_string(plan->kernel_rows) + "x" +
                    std::to_string(plan->kernel_cols) + ", " +
                    std::to_string(plan->in_channels) + "->" +
                    std::to_string(plan->out_channels) + ")");
  }
  if (g->batch < 0 || g->in_rows < 1 || g->in_cols < 1 || g->out_rows < 1 ||
      g->out_cols < 1 || g->stride_rows < 1 || g->stride_cols < 1 ||
      g->pad_top < 0 || g->pad_left < 0) {
    return Fail(SZ_INVALID_ARGUMENT,
                "sizes and strides must be positive, batch and padding "
                "non-negative");
  }
  // 32-bit pixel indexing: a batch of more than 2^31 pixels must be split.
  if (g->batch * g->in_rows * g->in_cols > kMaxInt ||
      g->batch * g->out_rows * g->out_cols > kMaxInt ||
      g->in_rows > kMaxInt / 4 || g->in_cols > kMaxInt / 4) {
    return Fail(SZ_INVALID_ARGUMENT,
                "more than 2^31 - 1 pixels in one call; split the batch");
  }
  return SZ_OK;
}

template <typename T>
const T* At(const SzPlan* plan, size_t offset) {
  return reinterpret_cast<const T*>(plan->device + offset);
}

// Picks the tile shape with the lowest estimated cost: padded multiply-adds
// times the shape's cost, times the idle share of the GPU when a launch has
// fewer thread blocks than there are multiprocessors.
int PickShape(int64_t rows, const Schedule* schedules) {
  const int sms = MultiprocessorCount();
  int best = 0;
  double best_cost = 0;
  for (int s = 0; s < kNumTileShapes; ++s) {
    const int64_t row_tiles = (rows + kTileRows[s] - 1) / kTileRows[s];
    const int64_t col_tiles =
        static_cast<int64_t>(schedules[s].begin.size()) - 1;
    const double work = static_cast<double>(row_tiles) * kTileRows[s] *
                        kTileCols[s] * schedules[s].padded_depth;
    const double blocks = static_cast<double>(row_tiles * col_tiles);
    double cost = work * kTileCost[s];
    if (blocks < 2 * sms) cost *= 2.0 * sms / std::max(blocks, 1.0);
    if (s == 0 || cost < best_cost) {
      best = s;
      best_cost = cost;
    }
  }
  return best;
}

template <typename T, class S, bool kBackward>
int LaunchConv(const SzPlan* plan, const Schedule& schedule,
               const ConvArgs<T>& args, cudaStream_t stream) {
  const int64_t row_tiles = (int64_t{args.pixels} + S::BM - 1) / S::BM;
  const int64_t col_tiles = static_cast<int64_t>(schedule.begin.size()) - 1;
  if (col_tiles > 65535) {
    return Fail(SZ_INVALID_ARGUMENT, "too many channels for one launch");
  }
  ConvArgs<T> a = args;
  a.tile_begin = At<int>(plan, schedule.begin_at);
  a.entries = At<Entry>(plan, schedule.entries_at);
  ConvKernel<T, S, kBackward>
      <<<dim3(static_cast<unsigned>(row_tiles),
              static_cast<unsigned>(col_tiles)),
         S::kThreads, 0, stream>>>(a);
  const cudaError_t error = cudaGetLastError();
  return error == cudaSuccess ? SZ_OK : CudaFail(error, "kernel launch");
}

template <typename T, bool kBackward>
int LaunchTensorConv(const SzPlan* plan, const Schedule& schedule,
                     const ConvArgs<T>& args, cudaStream_t stream) {
  static_assert(tc::BN == 64, "the tensor-core tile uses the 64-wide schedule");
  const int64_t row_tiles = (int64_t{args.pixels} + tc::BM - 1) / tc::BM;
  const int64_t col_tiles = static_cast<int64_t>(schedule.begin.size()) - 1;
  if (col_tiles > 65535) {
    return Fail(SZ_INVALID_ARGUMENT, "too many channels for one launch");
  }
  ConvArgs<T> a = args;
  a.tile_begin = At<int>(plan, schedule.begin_at);
  a.entries = At<Entry>(plan, schedule.entries_at);
  tc::ConvKernel<T, kBackward>
      <<<dim3(static_cast<unsigned>(row_tiles),
              static_cast<unsigned>(col_tiles)),
         tc::kThreads, 0, stream>>>(a);
  const cudaError_t error = cudaGetLastError();
  return error == cudaSuccess ? SZ_OK : CudaFail(error, "kernel launch");
}

template <typename T, bool kBackward>
int RunConv(const SzPlan* plan, const SzGeometry* g, const void* source,
            const void* weights, void* result, cudaStream_t stream) {
  ConvArgs<T> a{};
  a.source = static_cast<const T*>(source);
  a.weights = static_cast<const T*>(weights);
  a.result = static_cast<T*>(result);
  a.blocks = At<SzBlock>(plan, plan->blocks_at);
  const int32_t* in_perm =
      plan->in_identity ? nullptr : At<int32_t>(plan, plan->in_perm_at);
  const int32_t* out_perm =
      plan->out_identity ? nullptr : At<int32_t>(plan, plan->out_perm_at);
  a.reduced_perm = kBackward ? out_perm : in_perm;
  a.result_perm = kBackward ? in_perm : out_perm;
  if (kBackward) {
    a.result_rows = static_cast<int>(g->in_rows);
    a.result_cols = static_cast<int>(g->in_cols);
    a.result_channels = static_cast<int>(g->in_channels);
    a.source_rows = static_cast<int>(g->out_rows);
    a.source_cols = static_cast<int>(g->out_cols);
    a.source_channels = static_cast<int>(g->out_channels);
  } else {
    a.result_rows = static_cast<int>(g->out_rows);
    a.result_cols = static_cast<int>(g->out_cols);
    a.result_channels = static_cast<int>(g->out_channels);
    a.source_rows = static_cast<int>(g->in_rows);
    a.source_cols = static_cast<int>(g->in_cols);
    a.source_channels = static_cast<int>(g->in_channels);
  }
  a.pixels = static_cast<int>(g->batch * a.result_rows * a.result_cols);
  a.stride_rows = g->stride_rows;
  a.stride_cols = g->stride_cols;
  a.pad_top = g->pad_top;
  a.pad_left = g->pad_left;
  if (a.pixels == 0) return SZ_OK;
  const Schedule* schedules = kBackward ? plan->backward : plan->forward;
  const bool tensor_cores =
      plan->math == SZ_MATH_TENSOR_CORES ||
      (plan->math == SZ_MATH_DEFAULT && sizeof(T) == 2);
  if (tensor_cores && HasTensorCores()) {
    return LaunchTensorConv<T, kBackward>(plan, schedules[1], a, stream);
  }
  if (PickShape(a.pixels, schedules) == 0) {
    return LaunchConv<T, LargeTile, kBackward>(plan, schedules[0], a, stream);
  }
  return LaunchConv<T, SmallTile, kBackward>(plan, schedules[1], a, stream);
}

// How the weight gradient is split: tile shape and number of pixel slices.
struct FilterSplit {
  int shape = 0;
  int slices = 1;
  int slice = 0;  // pixels per slice
};

FilterSplit PlanFilterSplit(const SzPlan* plan, const SzGeometry* g) {
  FilterSplit split;
  const int64_t pixels = g->batch * g->out_rows * g->out_cols;
  split.shape =
      plan->filter[0].padded_area * kTileCost[0] <=
              plan->filter[1].padded_area * kTileCost[1]
          ? 0
          : 1;
  const int64_t items =
      std::max<int64_t>(1, plan->filter[split.shape].items.size());
  // About four thread blocks per multiprocessor, at least 16 slices of
  // depth per thread block, and at most 256 MB of partial sums.
  const int64_t wanted = (4 * MultiprocessorCount() + items - 1) / items;
  const int64_t by_depth = std::max<int64_t>(1, pixels / (16 * kTileDepth));
  const int64_t by_memory = std::max<int64_t>(
      1, (int64_t{256} << 20) /
             std::max<int64_t>(1, plan->num_weights * int64_t{4}));
  int64_t slices = std::min({wanted, by_depth, by_memory, int64_t{1024}});
  slices = std::max<int64_t>(1, slices);
  int64_t slice = (pixels + slices - 1) / slices;
  slice = (slice + kTileDepth - 1) / kTileDepth * kTileDepth;
  slice = std::max<int64_t>(slice, kTileDepth);
  split.slices = static_cast<int>((pixels + slice - 1) / slice);
  split.slices = std::max(split.slices, 1);
  split.slice = static_cast<int>(slice);
  return split;
}

template <typename T, class S>
int RunFilter(const SzPlan* plan, const SzGeometry* g, const FilterSplit& sp,
              const void* input, const void* out_backprop,
              void* weights_backprop, void* workspace, cudaStream_t stream) {
  FilterArgs<T> a{};
  a.input = static_cast<const T*>(input);
  a.out_backprop = static_cast<const T*>(out_backprop);
  a.weights_backprop = static_cast<T*>(weights_backprop);
  a.partial = sp.slices > 1 ? static_cast<float*>(workspace) : nullptr;
  a.blocks = At<SzBlock>(plan, plan->blocks_at);
  a.items = At<WorkItem>(plan, plan->filter[sp.shape].items_at);
  a.in_perm = plan->in_identity ? nullptr : At<int32_t>(plan, plan->in_perm_at);
  a.out_perm =
      plan->out_identity ? nullptr : At<int32_t>(plan, plan->out_perm_at);
  a.num_weights = plan->num_weights;
  a.pixels = static_cast<int>(g->batch * g->out_rows * g->out_cols);
  a.slice = sp.slice;
  a.out_rows = static_cast<int>(g->out_rows);
  a.out_cols = static_cast<int>(g->out_cols);
  a.out_channels = static_cast<int>(g->out_channels);
  a.in_rows = static_cast<int>(g->in_rows);
  a.in_cols = static_cast<int>(g->in_cols);
  a.in_channels = static_cast<int>(g->in_channels);
  a.stride_rows = g->stride_rows;
  a.stride_cols = g->stride_cols;
  a.pad_top = g->pad_top;
  a.pad_left = g->pad_left;
  const size_t items = plan->filter[sp.shape].items.size();
  if (items > static_cast<size_t>(kMaxInt)) {
    return Fail(SZ_INVALID_ARGUMENT, "too many weight tiles for one launch");
  }
  FilterKernel<T, S><<<dim3(static_cast<unsigned>(items),
                            static_cast<unsigned>(sp.slices)),
                       S::kThreads, 0, stream>>>(a);
  cudaError_t error = cudaGetLastError();
  if (error != cudaSuccess) return CudaFail(error, "kernel launch");
  if (sp.slices > 1) {
    const int64_t blocks =
        std::min<int64_t>((plan->num_weights + 255) / 256, 65535);
    SumSlicesKernel<T><<<static_cast<unsigned>(blocks), 256, 0, stream>>>(
        a.partial, sp.slices, plan->num_weights, a.weights_backprop);
    error = cudaGetLastError();
    if (error != cudaSuccess) return CudaFail(error, "kernel launch");
  }
  return SZ_OK;
}

template <typename T>
int DispatchFilter(const SzPlan* plan, const SzGeometry* g,
                   const FilterSplit& sp, const void* input,
                   const void* out_backprop, void* weights_backprop,
                   void* workspace, cudaStream_t stream) {
  if (sp.shape == 0) {
    return RunFilter<T, LargeTile>(plan, g, sp, input, out_backprop,
                                   weights_backprop, workspace, stream);
  }
  return RunFilter<T, SmallTile>(plan, g, sp, input, out_backprop,
                                 weights_backprop, workspace, stream);
}

size_t ElementBytes(SzDataType dtype) {
  return dtype == SZ_FLOAT32 ? 4 : 2;
}

}  // namespace

extern "C" {

int sz_abi_version(void) { return SZ_CUDA_ABI_VERSION; }

const char* sz_last_error(void) { return last_error.c_str(); }

int sz_plan_create(const SzBlock* blocks, int num_blocks,
                   const int32_t* in_perm, int64_t in_channels,
                   const int32_t* out_perm, int64_t out_channels,
                   int kernel_rows, int kernel_cols, int64_t num_weights,
                   SzPlan** plan_out) {
  last_error.clear();
  if (plan_out == nullptr) {
    return Fail(SZ_INVALID_ARGUMENT, "plan must not be null");
  }
  *plan_out = nullptr;
  if (num_blocks < 0 || (num_blocks > 0 && blocks == nullptr) ||
      in_perm == nullptr || out_perm == nullptr) {
    return Fail(SZ_INVALID_ARGUMENT,
                "blocks, in_perm and out_perm must be given");
  }
  if (in_channels < 1 || out_channels < 1 || in_channels > kMaxInt ||
      out_channels > kMaxInt || kernel_rows < 1 || kernel_cols < 1 ||
      num_weights < 0) {
    return Fail(SZ_INVALID_ARGUMENT,
                "channels and kernel size must be positive, num_weights "
                "non-negative");
  }
  SzPlan* plan = new (std::nothrow) SzPlan;
  if (plan == nullptr) return Fail(SZ_OUT_OF_MEMORY, "out of host memory");
  try {
    plan->blocks.assign(blocks, blocks + num_blocks);
    plan->in_perm.assign(in_perm, in_perm + in_channels);
    plan->out_perm.assign(out_perm, out_perm + out_channels);
    plan->in_channels = in_channels;
    plan->out_channels = out_channels;
    plan->kernel_rows = kernel_rows;
    plan->kernel_cols = kernel_cols;
    plan->num_weights = num_weights;
    if (!IsPermutation(in_perm, in_channels, &plan->in_identity) ||
        !IsPermutation(out_perm, out_channels, &plan->out_identity)) {
      delete plan;
      return Fail(SZ_INVALID_ARGUMENT,
                  "in_perm and out_perm must be permutations of the "
                  "channels");
    }
    // Every packed weight must belong to exactly one block.
    std::vector<bool> owned(num_weights, false);
    int64_t total = 0;
    for (int b = 0; b < num_blocks; ++b) {
      const SzBlock& k = blocks[b];
      const std::string where = "block " + std::to_string(b) + ": ";
      if (k.tap_y < 0 || k.tap_y >= kernel_rows || k.tap_x < 0 ||
          k.tap_x >= kernel_cols) {
        delete plan;
        return Fail(SZ_INVALID_ARGUMENT, where + "tap outside the kernel");
      }
      if (k.in_size < 1 || k.in_start < 0 ||
          int64_t{k.in_start} + k.in_size > in_channels || k.out_size < 1 ||
          k.out_start < 0 || int64_t{k.out_start} + k.out_size > out_channels) {
        delete plan;
        return Fail(SZ_INVALID_ARGUMENT,
                    where + "channel range outside the tensors");
      }
      if (k.weight_ld < k.out_size || k.weight_offset < 0 ||
          k.weight_offset + int64_t{k.in_size - 1} * k.weight_ld +
                  k.out_size > num_weights) {
        delete plan;
        return Fail(SZ_INVALID_ARGUMENT,
                    where + "weights outside the packed vector");
      }
      for (int i = 0; i < k.in_size; ++i) {
        for (int j = 0; j < k.out_size; ++j) {
          const int64_t p = k.weight_offset + int64_t{i} * k.weight_ld + j;
          if (owned[p]) {
            delete plan;
            return Fail(SZ_INVALID_ARGUMENT,
                        where + "shares packed weights with another block");
          }
          owned[p] = true;
        }
      }
      total += int64_t{k.in_size} * k.out_size;
    }
    if (total != num_weights) {
      delete plan;
      return Fail(SZ_INVALID_ARGUMENT,
                  "the blocks own " + std::to_string(total) +
                      " packed weights but num_weights is " +
                      std::to_string(num_weights));
    }
    for (int s = 0; s < kNumTileShapes; ++s) {
      plan->forward[s] =
          BuildSchedule(plan->blocks, out_channels, kTileCols[s], false);
      plan->backward[s] =
          BuildSchedule(plan->blocks, in_channels, kTileCols[s], true);
      plan->filter[s] =
          BuildWorkList(plan->blocks, kTileRows[s], kTileCols[s]);
    }
    // Lay the tables out for the device.
    size_t size = 0;
    auto place = [&size](size_t bytes) {
      const size_t at = size;
      size = Align(size + bytes);
      return at;
    };
    plan->blocks_at = place(plan->blocks.size() * sizeof(SzBlock));
    plan->in_perm_at = place(plan->in_perm.size() * sizeof(int32_t));
    plan->out_perm_at = place(plan->out_perm.size() * sizeof(int32_t));
    for (int s = 0; s < kNumTileShapes; ++s) {
      for (Schedule* sc : {&plan->forward[s], &plan->backward[s]}) {
        sc->begin_at = place(sc->begin.size() * sizeof(int));
        sc->entries_at = place(sc->entries.size() * sizeof(Entry));
      }
      plan->filter[s].items_at =
          place(plan->filter[s].items.size() * sizeof(WorkItem));
    }
    plan->image.assign(std::max<size_t>(size, 256), 0);
    auto copy = [plan](size_t at, const void* data, size_t bytes) {
      if (bytes) std::memcpy(plan->image.data() + at, data, bytes);
    };
    copy(plan->blocks_at, plan->blocks.data(),
         plan->blocks.size() * sizeof(SzBlock));
    copy(plan->in_perm_at, plan->in_perm.data(),
         plan->in_perm.size() * sizeof(int32_t));
    copy(plan->out_perm_at, plan->out_perm.data(),
         plan->out_perm.size() * sizeof(int32_t));
    for (int s = 0; s < kNumTileShapes; ++s) {
      for (const Schedule* sc : {&plan->forward[s], &plan->backward[s]}) {
        copy(sc->begin_at, sc->begin.data(), sc->begin.size() * sizeof(int));
        copy(sc->entries_at, sc->entries.data(),
             sc->entries.size() * sizeof(Entry));
      }
      copy(plan->filter[s].items_at, plan->filter[s].items.data(),
           plan->filter[s].items.size() * sizeof(WorkItem));
    }
  } catch (const std::bad_alloc&) {
    delete plan;
    return Fail(SZ_OUT_OF_MEMORY, "out of host memory for the plan tables");
  }
  *plan_out = plan;
  return SZ_OK;
}

size_t sz_plan_device_bytes(const SzPlan* plan) {
  return plan == nullptr ? 0 : plan->image.size();
}

int sz_plan_upload(SzPlan* plan, void* device_buffer, size_t bytes,
                   cudaStream_t stream) {
  last_error.clear();
  if (plan == nullptr || device_buffer == nullptr) {
    return Fail(SZ_INVALID_ARGUMENT, "plan and device_buffer must be given");
  }
  if (bytes < plan->image.size()) {
    return Fail(SZ_INVALID_ARGUMENT,
                "device_buffer holds " + std::to_string(bytes) +
                    " bytes, the plan needs " +
                    std::to_string(plan->image.size()));
  }
  if (reinterpret_cast<uintptr_t>(device_buffer) % 256 != 0) {
    return Fail(SZ_INVALID_ARGUMENT, "device_buffer must be 256-byte aligned");
  }
  const cudaError_t error =
      cudaMemcpyAsync(device_buffer, plan->image.data(), plan->image.size(),
                      cudaMemcpyHostToDevice, stream);
  if (error != cudaSuccess) return CudaFail(error, "plan upload");
  plan->device = static_cast<const unsigned char*>(device_buffer);
  return SZ_OK;
}

void sz_plan_destroy(SzPlan* plan) { delete plan; }

int sz_plan_set_math(SzPlan* plan, int math) {
  last_error.clear();
  if (plan == nullptr) return Fail(SZ_INVALID_ARGUMENT, "plan must be given");
  if (math != SZ_MATH_DEFAULT && math != SZ_MATH_CUDA_CORES &&
      math != SZ_MATH_TENSOR_CORES) {
    return Fail(SZ_INVALID_ARGUMENT,
                "math must be SZ_MATH_DEFAULT, SZ_MATH_CUDA_CORES or "
                "SZ_MATH_TENSOR_CORES, got " + std::to_string(math));
  }
  plan->math = math;
  return SZ_OK;
}

int sz_forward(const SzPlan* plan, const SzGeometry* geometry,
               SzDataType dtype, const void* input, const void* weights,
               void* output, cudaStream_t stream) {
  last_error.clear();
  if (int status = CheckCall(plan, geometry, dtype)) return status;
  if (geometry->batch == 0) return SZ_OK;
  if (input == nullptr || output == nullptr ||
      (weights == nullptr && plan->num_weights > 0)) {
    return Fail(SZ_INVALID_ARGUMENT, "input, weights and output must be given");
  }
  switch (dtype) {
    case SZ_FLOAT32:
      return RunConv<float, false>(plan, geometry, input, weights, output,
                                   stream);
    case SZ_FLOAT16:
      return RunConv<__half, false>(plan, geometry, input, weights, output,
                                    stream);
    default:
      return RunConv<__nv_bfloat16, false>(plan, geometry, input, weights,
                                           output, stream);
  }
}

int sz_backprop_input(const SzPlan* plan, const SzGeometry* geometry,
                      SzDataType dtype, const void* out_backprop,
                      const void* weights, void* in_backprop,
                      cudaStream_t stream) {
  last_error.clear();
  if (int status = CheckCall(plan, geometry, dtype)) return status;
  if (geometry->batch == 0) return SZ_OK;
  if (out_backprop == nullptr || in_backprop == nullptr ||
      (weights == nullptr && plan->num_weights > 0)) {
    return Fail(SZ_INVALID_ARGUMENT,
                "out_backprop, weights and in_backprop must be given");
  }
  switch (dtype) {
    case SZ_FLOAT32:
      return RunConv<float, true>(plan, geometry, out_backprop, weights,
                                  in_backprop, stream);
    case SZ_FLOAT16:
      return RunConv<__half, true>(plan, geometry, out_backprop, weights,
                                   in_backprop, stream);
    default:
      return RunConv<__nv_bfloat16, true>(plan, geometry, out_backprop,
                                          weights, in_backprop, stream);
  }
}

size_t sz_backprop_filter_workspace_bytes(const SzPlan* plan,
                                          const SzGeometry* geometry) {
  if (plan == nullptr || geometry == nullptr || plan->num_weights == 0 ||
      geometry->batch <= 0 || geometry->out_rows < 1 ||
      geometry->out_cols < 1) {
    return 0;
  }
  const FilterSplit split = PlanFilterSplit(plan, geometry);
  if (split.slices <= 1) return 0;
  return static_cast<size_t>(split.slices) *
         static_cast<size_t>(plan->num_weights) * sizeof(float);
}

int sz_backprop_filter(const SzPlan* plan, const SzGeometry* geometry,
                       SzDataType dtype, const void* input,
                       const void* out_backprop, void* weights_backprop,
                       void* workspace, size_t workspace_bytes,
                       cudaStream_t stream) {
  last_error.clear();
  if (int status = CheckCall(plan, geometry, dtype)) return status;
  if (plan->num_weights == 0) return SZ_OK;
  if (weights_backprop == nullptr) {
    return Fail(SZ_INVALID_ARGUMENT, "weights_backprop must be given");
  }
  if (geometry->batch == 0) {
    const cudaError_t error = cudaMemsetAsync(
        weights_backprop, 0, plan->num_weights * ElementBytes(dtype), stream);
    return error == cudaSuccess ? SZ_OK : CudaFail(error, "memset");
  }
  if (input == nullptr || out_backprop == nullptr) {
    return Fail(SZ_INVALID_ARGUMENT, "input and out_backprop must be given");
  }
  const FilterSplit split = PlanFilterSplit(plan, geometry);
  const size_t needed = sz_backprop_filter_workspace_bytes(plan, geometry);
  if (needed > 0 && (workspace == nullptr || workspace_bytes < needed)) {
    return Fail(SZ_INVALID_ARGUMENT,
                "the workspace holds " + std::to_string(workspace_bytes) +
                    " bytes, this call needs " + std::to_string(needed));
  }
  switch (dtype) {
    case SZ_FLOAT32:
      return DispatchFilter<float>(plan, geometry, split, input, out_backprop,
                                   weights_backprop, workspace, stream);
    case SZ_FLOAT16:
      return DispatchFilter<__half>(plan, geometry, split, input,
                                    out_backprop, weights_backprop, workspace,
                                    stream);
    default:
      return DispatchFilter<__nv_bfloat16>(plan, geometry, split, input,
                                           out_backprop, weights_backprop,
                                           workspace, stream);
  }
}

}  // extern "C"
