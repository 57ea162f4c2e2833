// JCCL CUDA reduction kernels: dst[i] = a[i] op b[i] and the AVG division, for every op x type.
//
// The results are the same bits as the Java host kernels (io.jccl.reduce.HostReduce running on x86-64):
//
//  * float32 / float64: one IEEE operation rounded to nearest-even (__fadd_rn, __dmul_rn, ...: never
//    contracted into an FMA, subnormals kept because nothing here is built with -ftz=true).
//  * float16 / bfloat16: widen both operands exactly to fp32, one fp32 operation, narrow with
//    round-to-nearest-even (__float2half_rn / __float2bfloat16_rn); overflow gives infinity.
//  * NaN, as x86 SSE and Java produce it (the GPU's own canonical NaN 0x7fffffff is never stored):
//      sum, prod, avg-divide: the first NaN operand (a before b), quieted; a NaN made from non-NaN
//      operands (inf - inf, 0 * inf) is the x86 "default NaN" 0xffc00000 / 0xfff8000000000000;
//      min, max: as Math.min / Math.max (a if a is NaN, else b if b is NaN, raw bits);
//      fp16/bf16: NaN operands widen with their payload; narrowing a NaN keeps the payload's top bits
//      and sets the quiet bit (HalfFloats.floatToFp16 / floatToBf16).
//    The Java JIT may swap the operands of a float addition, so when a and b are both NaN with different
//    payloads the host's own choice is not fixed; every other case is bit-exact.
//  * min / max order -0.0 below +0.0 (Math.min / Math.max).
//  * integers wrap (two's complement); uint8 min/max compare unsigned; the AVG division truncates toward
//    zero (Java's integer division).
//
// Layout: every kernel takes base pointers plus byte offsets (offsets are added here so the host never
// has to build offset device pointers) and an element count. Pointers must be aligned to the element size.
// When dst, a and b share the same alignment modulo 16 bytes the body runs on 16-byte vectors, with
// scalar elements before the first aligned address and after the last whole vector; otherwise every
// element is scalar. Grid-stride loops: any grid size is correct.
//
// dst may alias a or b exactly (same address); other overlaps are not supported.

#include <cuda_fp16.h>
#include <cuda_bf16.h>
#include <stdint.h>
#include <string.h>

#define JCCL_THREADS 256

// The element functions are __host__ __device__ so that native/cuda/emulate.cu can run exactly this code on
// the CPU (comm-cuda's KernelEmulationTest compares it with the Java host kernels on a machine without a
// GPU). On the device the IEEE intrinsics below are used; on the host, plain SSE arithmetic, which rounds to
// nearest-even the same way.
#define JHD __host__ __device__ __forceinline__

namespace {

#ifdef __CUDA_ARCH__
JHD float j_fadd(float a, float b) { return __fadd_rn(a, b); }
JHD float j_fmul(float a, float b) { return __fmul_rn(a, b); }
JHD float j_fdiv(float a, float b) { return __fdiv_rn(a, b); }
JHD double j_dadd(double a, double b) { return __dadd_rn(a, b); }
JHD double j_dmul(double a, double b) { return __dmul_rn(a, b); }
JHD double j_ddiv(double a, double b) { return __ddiv_rn(a, b); }
JHD float j_u2f(uint32_t x) { return __uint_as_float(x); }
JHD uint32_t j_f2u(float f) { return __float_as_uint(f); }
JHD double j_u2d(uint64_t x) { return __longlong_as_double((long long)x); }
JHD uint64_t j_d2u(double d) { return (uint64_t)__double_as_longlong(d); }
#else
inline float j_fadd(float a, float b) { return a + b; }
inline float j_fmul(float a, float b) { return a * b; }
inline float j_fdiv(float a, float b) { return a / b; }
inline double j_dadd(double a, double b) { return a + b; }
inline double j_dmul(double a, double b) { return a * b; }
inline double j_ddiv(double a, double b) { return a / b; }
inline float j_u2f(uint32_t x) { float f; memcpy(&f, &x, 4); return f; }
inline uint32_t j_f2u(float f) { uint32_t x; memcpy(&x, &f, 4); return x; }
inline double j_u2d(uint64_t x) { double d; memcpy(&d, &x, 8); return d; }
inline uint64_t j_d2u(double d) { uint64_t x; memcpy(&x, &d, 8); return x; }
#endif

// ------------------------------------------------------------------ bit helpers

JHD bool f32_isnan(uint32_t x) { return (x & 0x7fffffffu) > 0x7f800000u; }
JHD bool f64_isnan(uint64_t x) { return (x & 0x7fffffffffffffffull) > 0x7ff0000000000000ull; }

constexpr uint32_t F32_QUIET = 0x00400000u;
constexpr uint64_t F64_QUIET = 0x0008000000000000ull;
constexpr uint32_t F32_DEFAULT_NAN = 0xffc00000u;            // x86 "real indefinite"
constexpr uint64_t F64_DEFAULT_NAN = 0xfff8000000000000ull;

// fp16 bits -> fp32 bits, exact; NaN keeps sign, payload and (non-)quietness (HalfFloats.fp16ToFloat).
JHD uint32_t fp16_to_f32(uint16_t h) {
    if ((h & 0x7c00u) == 0x7c00u && (h & 0x03ffu) != 0u) {
        return ((uint32_t)(h & 0x8000u) << 16) | 0x7f800000u | ((uint32_t)(h & 0x03ffu) << 13);
    }
    return j_f2u(__half2float(__ushort_as_half(h)));
}

// fp32 bits -> fp16 bits, round-to-nearest-even (HalfFloats.floatToFp16).
JHD uint16_t f32_to_fp16(uint32_t x) {
    if (f32_isnan(x)) {
        return (uint16_t)(((x >> 16) & 0x8000u) | 0x7e00u | ((x >> 13) & 0x03ffu));
    }
    return __half_as_ushort(__float2half_rn(j_u2f(x)));
}

JHD uint32_t bf16_to_f32(uint16_t b) { return (uint32_t)b << 16; }

// fp32 bits -> bf16 bits, round-to-nearest-even (HalfFloats.floatToBf16).
JHD uint16_t f32_to_bf16(uint32_t x) {
    if (f32_isnan(x)) {
        return (uint16_t)((x >> 16) | 0x0040u);
    }
    return __bfloat16_as_ushort(__float2bfloat16_rn(j_u2f(x)));
}

// ------------------------------------------------------------------ fp32 / fp64 ops on raw bits

enum Op { SUM, PROD, MIN, MAX };

template <Op OP>
JHD uint32_t f32_op(uint32_t x, uint32_t y) {
    if (OP == SUM || OP == PROD) {
        if (f32_isnan(x)) return x | F32_QUIET;
        if (f32_isnan(y)) return y | F32_QUIET;
        float fx = j_u2f(x), fy = j_u2f(y);
        uint32_t r = j_f2u(OP == SUM ? j_fadd(fx, fy) : j_fmul(fx, fy));
        return f32_isnan(r) ? F32_DEFAULT_NAN : r;
    } else {
        // Math.min / Math.max
        if (f32_isnan(x)) return x;
        if (f32_isnan(y)) return y;
        float fx = j_u2f(x), fy = j_u2f(y);
        if (fx == 0.0f && fy == 0.0f) {
            // both zeros: min prefers -0.0, max prefers +0.0
            return OP == MIN ? (x | y) : (x & y);
        }
        if (OP == MIN) return fx <= fy ? x : y;
        return fx >= fy ? x : y;
    }
}

template <Op OP>
JHD uint64_t f64_op(uint64_t x, uint64_t y) {
    if (OP == SUM || OP == PROD) {
        if (f64_isnan(x)) return x | F64_QUIET;
        if (f64_isnan(y)) return y | F64_QUIET;
        double fx = j_u2d(x), fy = j_u2d(y);
        uint64_t r = j_d2u(OP == SUM ? j_dadd(fx, fy) : j_dmul(fx, fy));
        return f64_isnan(r) ? F64_DEFAULT_NAN : r;
    } else {
        if (f64_isnan(x)) return x;
        if (f64_isnan(y)) return y;
        double fx = j_u2d(x), fy = j_u2d(y);
        if (fx == 0.0 && fy == 0.0) {
            return OP == MIN ? (x | y) : (x & y);
        }
        if (OP == MIN) return fx <= fy ? x : y;
        return fx >= fy ? x : y;
    }
}

// ------------------------------------------------------------------ element functors (storage type S)

template <Op OP> struct F32 {
    typedef uint32_t S;
    JHD static S apply(S x, S y) { return f32_op<OP>(x, y); }
};
template <Op OP> struct F64 {
    typedef uint64_t S;
    JHD static S apply(S x, S y) { return f64_op<OP>(x, y); }
};
template <Op OP> struct F16 {
    typedef uint16_t S;
    JHD static S apply(S x, S y) {
        return f32_to_fp16(f32_op<OP>(fp16_to_f32(x), fp16_to_f32(y)));
    }
};
template <Op OP> struct BF16 {
    typedef uint16_t S;
    JHD static S apply(S x, S y) {
        return f32_to_bf16(f32_op<OP>(bf16_to_f32(x), bf16_to_f32(y)));
    }
};

// Integers: S is the unsigned storage type, I the type whose order MIN/MAX use. Sum and product are
// computed unsigned, which wraps and gives the same low bits as signed two's complement arithmetic.
template <Op OP, typename S_, typename I>
struct Int {
    typedef S_ S;
    JHD static S apply(S x, S y) {
        switch (OP) {
            case SUM: return (S)(x + y);
            case PROD: return (S)(x * y);
            case MIN: return ((I)x <= (I)y) ? x : y;
            default: return ((I)x >= (I)y) ? x : y;
        }
    }
};
template <Op OP> struct I8 : Int<OP, uint8_t, int8_t> {};
template <Op OP> struct U8 : Int<OP, uint8_t, uint8_t> {};
template <Op OP> struct I32 : Int<OP, uint32_t, int32_t> {};
template <Op OP> struct I64 : Int<OP, uint64_t, int64_t> {};

// ------------------------------------------------------------------ AVG division functors

struct DivF32 {
    typedef uint32_t S;
    JHD static S apply(S x, int d) {
        if (f32_isnan(x)) return x | F32_QUIET;
        return j_f2u(j_fdiv(j_u2f(x), (float)d));
    }
};
struct DivF64 {
    typedef uint64_t S;
    JHD static S apply(S x, int d) {
        if (f64_isnan(x)) return x | F64_QUIET;
        return j_d2u(j_ddiv(j_u2d(x), (double)d));
    }
};
struct DivF16 {
    typedef uint16_t S;
    JHD static S apply(S x, int d) { return f32_to_fp16(DivF32::apply(fp16_to_f32(x), d)); }
};
struct DivBF16 {
    typedef uint16_t S;
    JHD static S apply(S x, int d) { return f32_to_bf16(DivF32::apply(bf16_to_f32(x), d)); }
};
struct DivI8 {
    typedef uint8_t S;
    JHD static S apply(S x, int d) { return (S)(int8_t)((int)(int8_t)x / d); }
};
struct DivU8 {
    typedef uint8_t S;
    JHD static S apply(S x, int d) { return (S)((int)x / d); }
};
struct DivI32 {
    typedef uint32_t S;
    JHD static S apply(S x, int d) { return (S)((int32_t)x / d); }
};
struct DivI64 {
    typedef uint64_t S;
    JHD static S apply(S x, int d) { return (S)((int64_t)x / (int64_t)d); }
};

// ------------------------------------------------------------------ 16-byte vectors

template <typename S>
union Vec {
    uint4 u;
    S e[16 / sizeof(S)];
};

// Elements before the first 16-byte aligned address of p (p is element-aligned).
template <typename S>
__device__ __forceinline__ unsigned long long head_elems(const void* p, unsigned long long n) {
    unsigned long long mis = (unsigned long long)(uintptr_t)p & 15ull;
    unsigned long long h = mis == 0 ? 0 : (16ull - mis) / sizeof(S);
    return h < n ? h : n;
}

template <typename F>
__device__ __forceinline__ void reduce_body(void* dstBase, unsigned long long dstOff, const void* aBase,
                                            unsigned long long aOff, const void* bBase, unsigned long long bOff,
                                            unsigned long long n) {
    typedef typename F::S S;
    constexpr int V = 16 / sizeof(S);
    S* dst = (S*)((char*)dstBase + dstOff);
    const S* a = (const S*)((const char*)aBase + aOff);
    const S* b = (const S*)((const char*)bBase + bOff);
    const unsigned long long tid = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x;
    const unsigned long long stride = (unsigned long long)gridDim.x * blockDim.x;

    const uintptr_t pd = (uintptr_t)dst;
    const bool vec = (((pd ^ (uintptr_t)a) | (pd ^ (uintptr_t)b)) & 15u) == 0;
    const unsigned long long head = vec ? head_elems<S>(dst, n) : n;

    for (unsigned long long i = tid; i < head; i += stride) {
        dst[i] = F::apply(a[i], b[i]);
    }
    if (!vec) {
        return;
    }
    const unsigned long long nv = (n - head) / V;
    const uint4* av = (const uint4*)(a + head);
    const uint4* bv = (const uint4*)(b + head);
    uint4* dv = (uint4*)(dst + head);
    for (unsigned long long i = tid; i < nv; i += stride) {
        Vec<S> x, y;
        x.u = av[i];
        y.u = bv[i];
#pragma unroll
        for (int k = 0; k < V; k++) {
            x.e[k] = F::apply(x.e[k], y.e[k]);
        }
        dv[i] = x.u;
    }
    for (unsigned long long i = head + nv * V + tid; i < n; i += stride) {
        dst[i] = F::apply(a[i], b[i]);
    }
}

template <typename F>
__device__ __forceinline__ void divide_body(void* base, unsigned long long off, unsigned long long n, int d) {
    typedef typename F::S S;
    constexpr int V = 16 / sizeof(S);
    S* p = (S*)((char*)base + off);
    const unsigned long long tid = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x;
    const unsigned long long stride = (unsigned long long)gridDim.x * blockDim.x;
    const unsigned long long head = head_elems<S>(p, n);
    for (unsigned long long i = tid; i < head; i += stride) {
        p[i] = F::apply(p[i], d);
    }
    const unsigned long long nv = (n - head) / V;
    uint4* pv = (uint4*)(p + head);
    for (unsigned long long i = tid; i < nv; i += stride) {
        Vec<S> x;
        x.u = pv[i];
#pragma unroll
        for (int k = 0; k < V; k++) {
            x.e[k] = F::apply(x.e[k], d);
        }
        pv[i] = x.u;
    }
    for (unsigned long long i = head + nv * V + tid; i < n; i += stride) {
        p[i] = F::apply(p[i], d);
    }
}

}  // namespace

// ------------------------------------------------------------------ exported kernels (extern "C" names)
//
// jccl_reduce_<op>_<type>(void* dst, u64 dstOffsetBytes, const void* a, u64 aOffsetBytes,
//                         const void* b, u64 bOffsetBytes, u64 count)
// jccl_divide_<type>(void* buf, u64 offsetBytes, u64 count, int divisor)   divisor >= 1
//
// op: sum prod min max (avg reduces with sum, then jccl_divide_<type> by the world size)
// type: f32 f64 f16 bf16 i8 u8 i32 i64

#define JCCL_REDUCE(opname, OPV, tname, FUNCTOR)                                                           \
    extern "C" __global__ void __launch_bounds__(JCCL_THREADS) jccl_reduce_##opname##_##tname(             \
        void* dst, unsigned long long dstOff, const void* a, unsigned long long aOff, const void* b,       \
        unsigned long long bOff, unsigned long long n) {                                                   \
        reduce_body<FUNCTOR<OPV> >(dst, dstOff, a, aOff, b, bOff, n);                                      \
    }

#define JCCL_REDUCE_ALL_OPS(tname, FUNCTOR)  \
    JCCL_REDUCE(sum, SUM, tname, FUNCTOR)    \
    JCCL_REDUCE(prod, PROD, tname, FUNCTOR)  \
    JCCL_REDUCE(min, MIN, tname, FUNCTOR)    \
    JCCL_REDUCE(max, MAX, tname, FUNCTOR)

JCCL_REDUCE_ALL_OPS(f32, F32)
JCCL_REDUCE_ALL_OPS(f64, F64)
JCCL_REDUCE_ALL_OPS(f16, F16)
JCCL_REDUCE_ALL_OPS(bf16, BF16)
JCCL_REDUCE_ALL_OPS(i8, I8)
JCCL_REDUCE_ALL_OPS(u8, U8)
JCCL_REDUCE_ALL_OPS(i32, I32)
JCCL_REDUCE_ALL_OPS(i64, I64)

#define JCCL_DIVIDE(tname, FUNCTOR)                                                                        \
    extern "C" __global__ void __launch_bounds__(JCCL_THREADS) jccl_divide_##tname(                        \
        void* buf, unsigned long long off, unsigned long long n, int divisor) {                            \
        divide_body<FUNCTOR>(buf, off, n, divisor);                                                        \
    }

JCCL_DIVIDE(f32, DivF32)
JCCL_DIVIDE(f64, DivF64)
JCCL_DIVIDE(f16, DivF16)
JCCL_DIVIDE(bf16, DivBF16)
JCCL_DIVIDE(i8, DivI8)
JCCL_DIVIDE(u8, DivU8)
JCCL_DIVIDE(i32, DivI32)
JCCL_DIVIDE(i64, DivI64)
