/*
 * JCCL host reduction kernels, called from Java through JNA direct mapping (io.jccl.reduce.NativeReduce).
 *
 *   jccl_reduce(type, op, a, b, dst, count)   dst[i] = a[i] op b[i]       (AVG reduces as SUM)
 *   jccl_divide(type, buf, count, divisor)     buf[i] = buf[i] / divisor   (the AVG division)
 *   jccl_isa()                                 which clone the CPU runs: 3 avx512, 2 avx2, 1 baseline
 *   jccl_narrow(type, src, res, dst, count)    dst[i] = narrow(v), v = src[i] (+ res[i], then res[i] = v - widen(dst[i]),
 *                                              0 when not finite): fp32 to fp16/bf16, the error feedback of comm-ddp
 *   jccl_widen(type, src, dst, count)          dst[i] = widen(src[i]): fp16/bf16 to fp32, exact
 *
 * Types and ops use the ordinals of io.jccl.DataType (FLOAT32, FLOAT64, FLOAT16, BFLOAT16, INT8, UINT8, INT32,
 * INT64) and io.jccl.ReduceOp (SUM, PROD, MIN, MAX, AVG). The results are bit for bit those of the Java
 * kernels (io.jccl.reduce.HostReduce): IEEE arithmetic with no fast-math; MIN and MAX as Java's Math.min and
 * Math.max (a NaN first operand is returned, then a NaN second one; -0.0 orders below +0.0); fp16 and bf16
 * widened exactly, computed in fp32 and narrowed with round-to-nearest-even (NaN quieted); integers wrap
 * (computed unsigned to avoid C's undefined signed overflow); integer division truncates toward zero.
 *
 * Every loop is compiled three times (GCC target_clones: skylake-avx512, haswell (AVX2, F16C), baseline x86-64) and the dynamic
 * loader picks the widest the CPU has. Buffers may alias exactly (dst == a or dst == b) but must not otherwise
 * overlap; no alignment is required.
 */
#include <stdint.h>
#include <string.h>
#include <immintrin.h>

#define CLONES __attribute__((target_clones("arch=skylake-avx512", "arch=haswell", "default")))

enum { F32, F64, F16, BF16, I8, U8, I32, I64 };
enum { SUM, PROD, MIN, MAX, AVG };

static inline uint32_t f2u(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float u2f(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline uint64_t d2u(double f) { uint64_t u; memcpy(&u, &f, 8); return u; }

/* Java's Math.min / Math.max on floats and doubles. */
static inline float jminf(float a, float b) {
    if (a != a) return a;
    if (a == 0.0f && b == 0.0f && (f2u(b) >> 31)) return b;
    return a <= b ? a : b;
}
static inline float jmaxf(float a, float b) {
    if (a != a) return a;
    if (a == 0.0f && b == 0.0f && (f2u(a) >> 31)) return b;
    return a >= b ? a : b;
}
static inline double jmind(double a, double b) {
    if (a != a) return a;
    if (a == 0.0 && b == 0.0 && (d2u(b) >> 63)) return b;
    return a <= b ? a : b;
}
static inline double jmaxd(double a, double b) {
    if (a != a) return a;
    if (a == 0.0 && b == 0.0 && (d2u(a) >> 63)) return b;
    return a >= b ? a : b;
}

/* io.jccl.reduce.HalfFloats, line for line. */
static inline float fp16_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t e = (h >> 10) & 0x1f, m = h & 0x3ff;
    if (e == 0) {
        float v = (float) m * 0x1p-24f;
        return sign ? -v : v;
    }
    if (e == 31) return u2f(sign | 0x7f800000u | (m << 13));
    return u2f(sign | ((e + 112) << 23) | (m << 13));
}
static inline uint16_t float_to_fp16(float f) {
    uint32_t x = f2u(f);
    uint32_t sign = (x >> 16) & 0x8000;
    uint32_t abs = x & 0x7fffffff;
    if (abs >= 0x7f800000u) {
        if (abs > 0x7f800000u) return (uint16_t)(sign | 0x7e00 | ((abs >> 13) & 0x3ff));
        return (uint16_t)(sign | 0x7c00);
    }
    if (abs >= 0x477ff000u) return (uint16_t)(sign | 0x7c00);
    if (abs < 0x38800000u) {
        if (abs <= 0x33000000u) return (uint16_t) sign;
        uint32_t e = abs >> 23;
        uint32_t m = (abs & 0x7fffff) | 0x800000;
        uint32_t shift = 126 - e;
        uint32_t result = m >> shift;
        uint32_t rem = m & ((1u << shift) - 1);
        uint32_t half = 1u << (shift - 1);
        if (rem > half || (rem == half && (result & 1))) result++;
        return (uint16_t)(sign | result);
    }
    uint32_t r = abs - 0x38000000u;
    r = r + 0xfff + ((r >> 13) & 1);
    return (uint16_t)(sign | (r >> 13));
}
static inline float bf16_to_float(uint16_t b) { return u2f((uint32_t) b << 16); }
static inline uint16_t float_to_bf16(float f) {
    uint32_t x = f2u(f);
    if ((x & 0x7fffffff) > 0x7f800000u) return (uint16_t)((x >> 16) | 0x0040);
    return (uint16_t)((x + 0x7fff + ((x >> 16) & 1)) >> 16);
}

#define LOOP(T, EXPR) \
    do { const T *x = (const T *) a; const T *y = (const T *) b; T *d = (T *) dst; \
         for (long i = 0; i < n; i++) { T p = x[i], q = y[i]; d[i] = (EXPR); } } while (0)

#define INT_LOOPS(T, U) \
    switch (op) { \
        case SUM: case AVG: LOOP(T, (T) ((U) p + (U) q)); break; \
        case PROD: LOOP(T, (T) ((U) p * (U) q)); break; \
        case MIN: LOOP(T, p < q ? p : q); break; \
        case MAX: LOOP(T, p > q ? p : q); break; \
    }

#define HALF_LOOP(TOF, FROMF, EXPR) \
    do { const uint16_t *x = (const uint16_t *) a; const uint16_t *y = (const uint16_t *) b; uint16_t *d = (uint16_t *) dst; \
         for (long i = 0; i < n; i++) { float p = TOF(x[i]), q = TOF(y[i]); d[i] = FROMF(EXPR); } } while (0)

#define HALF_LOOPS(TOF, FROMF) \
    switch (op) { \
        case SUM: case AVG: HALF_LOOP(TOF, FROMF, p + q); break; \
        case PROD: HALF_LOOP(TOF, FROMF, p * q); break; \
        case MIN: HALF_LOOP(TOF, FROMF, jminf(p, q)); break; \
        case MAX: HALF_LOOP(TOF, FROMF, jmaxf(p, q)); break; \
    }

/* fp16 with the F16C conversions (round to nearest-even, like HalfFloats), 8 elements at a time. */
#define F16C_LOOP(EXPR) \
    do { const uint16_t *x = (const uint16_t *) a; const uint16_t *y = (const uint16_t *) b; uint16_t *d = (uint16_t *) dst; \
         long i = 0; \
         for (; i + 8 <= n; i += 8) { \
             __m256 p = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *) (x + i))); \
             __m256 q = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *) (y + i))); \
             _mm_storeu_si128((__m128i *) (d + i), _mm256_cvtps_ph((EXPR), _MM_FROUND_TO_NEAREST_INT)); } \
         for (; i < n; i++) { float p = fp16_to_float(x[i]), q = fp16_to_float(y[i]); d[i] = float_to_fp16( \
             op == PROD ? p * q : op == MIN ? jminf(p, q) : op == MAX ? jmaxf(p, q) : p + q); } } while (0)

/* Java's Math.min/max on 8 floats: a NaN first operand wins, then a NaN second one; -0.0 < +0.0. */
__attribute__((target("avx2,f16c"))) static inline __m256 jmin8(__m256 p, __m256 q) {
    __m256 lt = _mm256_cmp_ps(p, q, _CMP_LT_OQ);
    __m256 r = _mm256_blendv_ps(q, p, lt);                                         /* p < q ? p : q */
    __m256 eq = _mm256_cmp_ps(p, q, _CMP_EQ_OQ);                                   /* equal (incl. +-0) */
    r = _mm256_blendv_ps(r, _mm256_or_ps(p, q), eq);                               /* -0 if either is -0 */
    r = _mm256_blendv_ps(r, q, _mm256_cmp_ps(q, q, _CMP_UNORD_Q));                 /* q NaN */
    return _mm256_blendv_ps(r, p, _mm256_cmp_ps(p, p, _CMP_UNORD_Q));              /* p NaN */
}
__attribute__((target("avx2,f16c"))) static inline __m256 jmax8(__m256 p, __m256 q) {
    __m256 gt = _mm256_cmp_ps(p, q, _CMP_GT_OQ);
    __m256 r = _mm256_blendv_ps(q, p, gt);
    __m256 eq = _mm256_cmp_ps(p, q, _CMP_EQ_OQ);
    r = _mm256_blendv_ps(r, _mm256_and_ps(p, q), eq);                              /* +0 unless both -0 */
    r = _mm256_blendv_ps(r, q, _mm256_cmp_ps(q, q, _CMP_UNORD_Q));
    return _mm256_blendv_ps(r, p, _mm256_cmp_ps(p, p, _CMP_UNORD_Q));
}

__attribute__((target("avx2,f16c"))) static void fp16_f16c(int op, const void *a, const void *b, void *dst, long n) {
    switch (op) {
        case SUM: case AVG: F16C_LOOP(_mm256_add_ps(p, q)); break;
        case PROD: F16C_LOOP(_mm256_mul_ps(p, q)); break;
        case MIN: F16C_LOOP(jmin8(p, q)); break;
        case MAX: F16C_LOOP(jmax8(p, q)); break;
    }
}

/* bf16 8 at a time: widen by shifting, narrow with HalfFloats' integer rounding (NaN quieted). */
__attribute__((target("avx2"))) static inline __m256 bf16x8_to_ps(const uint16_t *src) {
    __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *) src));
    return _mm256_castsi256_ps(_mm256_slli_epi32(w, 16));
}
/* The bf16 bits of 8 floats in the low 16 bits of each 32-bit lane (as ps_to_bf16x8, before its pack). */
__attribute__((target("avx2"))) static inline __m256i bf16_bits8(__m256 f) {
    __m256i x = _mm256_castps_si256(f);
    __m256i hi = _mm256_srli_epi32(x, 16);
    __m256i lsb = _mm256_and_si256(hi, _mm256_set1_epi32(1));
    __m256i rounded = _mm256_srli_epi32(_mm256_add_epi32(_mm256_add_epi32(x, _mm256_set1_epi32(0x7fff)), lsb), 16);
    __m256i nan = _mm256_or_si256(hi, _mm256_set1_epi32(0x0040));
    __m256i isnan = _mm256_cmpgt_epi32(_mm256_and_si256(x, _mm256_set1_epi32(0x7fffffff)), _mm256_set1_epi32(0x7f800000));
    return _mm256_blendv_epi8(rounded, nan, isnan);
}

__attribute__((target("avx2"))) static inline void ps_to_bf16x8(__m256 f, uint16_t *out) {
    __m256i r = bf16_bits8(f);
    __m128i packed = _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
    _mm_storeu_si128((__m128i *) out, packed);
}

/* bf16 16 at a time: a 256-bit load widened by interleaving zero words below each element (within each 128-bit lane:
 * elements 0-3 and 8-11, then 4-7 and 12-15), the two halves computed in fp32 and narrowed, and packed back with the
 * lane-wise pack, the inverse of the interleave, so the order comes back with no cross-lane shuffle; 8 at a time for
 * what is left, then one by one. */
#define BF16_LOOP(EXPR) \
    do { const uint16_t *x = (const uint16_t *) a; const uint16_t *y = (const uint16_t *) b; uint16_t *d = (uint16_t *) dst; \
         long i = 0; \
         const __m256i zero = _mm256_setzero_si256(); \
         for (; i + 16 <= n; i += 16) { \
             __m256i xa = _mm256_loadu_si256((const __m256i *) (x + i)), ya = _mm256_loadu_si256((const __m256i *) (y + i)); \
             __m256i lo, hi; \
             { __m256 p = _mm256_castsi256_ps(_mm256_unpacklo_epi16(zero, xa)), q = _mm256_castsi256_ps(_mm256_unpacklo_epi16(zero, ya)); \
               lo = bf16_bits8((EXPR)); } \
             { __m256 p = _mm256_castsi256_ps(_mm256_unpackhi_epi16(zero, xa)), q = _mm256_castsi256_ps(_mm256_unpackhi_epi16(zero, ya)); \
               hi = bf16_bits8((EXPR)); } \
             _mm256_storeu_si256((__m256i *) (d + i), _mm256_packus_epi32(lo, hi)); } \
         for (; i + 8 <= n; i += 8) { __m256 p = bf16x8_to_ps(x + i), q = bf16x8_to_ps(y + i); ps_to_bf16x8((EXPR), d + i); } \
         for (; i < n; i++) { float p = bf16_to_float(x[i]), q = bf16_to_float(y[i]); d[i] = float_to_bf16( \
             op == PROD ? p * q : op == MIN ? jminf(p, q) : op == MAX ? jmaxf(p, q) : p + q); } } while (0)

__attribute__((target("avx2,f16c"))) static void bf16_avx2(int op, const void *a, const void *b, void *dst, long n) {
    switch (op) {
        case SUM: case AVG: BF16_LOOP(_mm256_add_ps(p, q)); break;
        case PROD: BF16_LOOP(_mm256_mul_ps(p, q)); break;
        case MIN: BF16_LOOP(jmin8(p, q)); break;
        case MAX: BF16_LOOP(jmax8(p, q)); break;
    }
}

static int has_f16c = -1;

CLONES void jccl_reduce(int type, int op, const void *a, const void *b, void *dst, long n) {
    if (type == F16 || type == BF16) {
        if (has_f16c < 0) {
            __builtin_cpu_init();
            has_f16c = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c");
        }
        if (has_f16c) {
            if (type == F16) {
                fp16_f16c(op, a, b, dst, n);
            } else {
                bf16_avx2(op, a, b, dst, n);
            }
            return;
        }
    }
    switch (type) {
        case F32:
            switch (op) {
                case SUM: case AVG: LOOP(float, p + q); break;
                case PROD: LOOP(float, p * q); break;
                case MIN: LOOP(float, jminf(p, q)); break;
                case MAX: LOOP(float, jmaxf(p, q)); break;
            }
            break;
        case F64:
            switch (op) {
                case SUM: case AVG: LOOP(double, p + q); break;
                case PROD: LOOP(double, p * q); break;
                case MIN: LOOP(double, jmind(p, q)); break;
                case MAX: LOOP(double, jmaxd(p, q)); break;
            }
            break;
        case F16: HALF_LOOPS(fp16_to_float, float_to_fp16); break;
        case BF16: HALF_LOOPS(bf16_to_float, float_to_bf16); break;
        case I8: INT_LOOPS(int8_t, uint8_t); break;
        case U8: INT_LOOPS(uint8_t, uint8_t); break;
        case I32: INT_LOOPS(int32_t, uint32_t); break;
        case I64: INT_LOOPS(int64_t, uint64_t); break;
    }
}

/* The AVG division of fp16 and bf16, 8 at a time: widened exactly, divided in fp32 (IEEE, as the scalar loop), narrowed
 * as the reductions narrow. Scalar, these conversions were the slowest part of a 16-bit all-reduce. */
__attribute__((target("avx2,f16c"))) static void half_divide_avx2(int bf16, uint16_t *x, long n, int divisor) {
    __m256 dv = _mm256_set1_ps((float) divisor);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        if (bf16) {
            ps_to_bf16x8(_mm256_div_ps(bf16x8_to_ps(x + i), dv), x + i);
        } else {
            __m256 p = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *) (x + i)));
            _mm_storeu_si128((__m128i *) (x + i), _mm256_cvtps_ph(_mm256_div_ps(p, dv), _MM_FROUND_TO_NEAREST_INT));
        }
    }
    for (; i < n; i++) {
        x[i] = bf16 ? float_to_bf16(bf16_to_float(x[i]) / (float) divisor)
                    : float_to_fp16(fp16_to_float(x[i]) / (float) divisor);
    }
}

CLONES void jccl_divide(int type, void *buf, long n, int divisor) {
    if (type == F16 || type == BF16) {
        if (has_f16c < 0) {
            __builtin_cpu_init();
            has_f16c = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c");
        }
        if (has_f16c) {
            half_divide_avx2(type == BF16, buf, n, divisor);
            return;
        }
    }
    switch (type) {
        case F32: { float *x = buf; float dv = (float) divisor; for (long i = 0; i < n; i++) x[i] = x[i] / dv; break; }
        case F64: { double *x = buf; double dv = divisor; for (long i = 0; i < n; i++) x[i] = x[i] / dv; break; }
        case F16: { uint16_t *x = buf; for (long i = 0; i < n; i++) x[i] = float_to_fp16(fp16_to_float(x[i]) / (float) divisor); break; }
        case BF16: { uint16_t *x = buf; for (long i = 0; i < n; i++) x[i] = float_to_bf16(bf16_to_float(x[i]) / (float) divisor); break; }
        case I8: { int8_t *x = buf; for (long i = 0; i < n; i++) x[i] = (int8_t)(x[i] / divisor); break; }
        case U8: { uint8_t *x = buf; for (long i = 0; i < n; i++) x[i] = (uint8_t)(x[i] / divisor); break; }
        case I32: { int32_t *x = buf; for (long i = 0; i < n; i++) x[i] = x[i] / divisor; break; }
        case I64: { int64_t *x = buf; for (long i = 0; i < n; i++) x[i] = x[i] / divisor; break; }
    }
}

int jccl_isa(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")) return 3;
    if (__builtin_cpu_supports("avx2")) return 2;
    return 1;
}

/* ---- bulk conversions fp32 <-> fp16/bf16 (HalfFloats.narrow/widen), with optional error feedback ---- */

static inline float narrow_widen1(int type, float v, uint16_t *out) {
    uint16_t h = type == F16 ? float_to_fp16(v) : float_to_bf16(v);
    *out = h;
    return type == F16 ? fp16_to_float(h) : bf16_to_float(h);
}

/* res[i] = v - w, or 0 when that is not finite (r - r is 0 exactly for finite r) */
__attribute__((target("avx2,f16c"))) static inline __m256 residual8(__m256 v, __m256 w) {
    __m256 r = _mm256_sub_ps(v, w);
    __m256 finite = _mm256_cmp_ps(_mm256_sub_ps(r, r), _mm256_setzero_ps(), _CMP_EQ_OQ);
    return _mm256_and_ps(r, finite);
}

__attribute__((target("avx2,f16c"))) static void narrow_avx2(int type, const float *src, float *res, uint16_t *dst, long n) {
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(src + i);
        if (res) v = _mm256_add_ps(v, _mm256_loadu_ps(res + i));
        __m256 w;
        if (type == F16) {
            __m128i h = _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT);
            _mm_storeu_si128((__m128i *) (dst + i), h);
            w = _mm256_cvtph_ps(h);
        } else {
            ps_to_bf16x8(v, dst + i);
            w = bf16x8_to_ps(dst + i);
        }
        if (res) _mm256_storeu_ps(res + i, residual8(v, w));
    }
    for (; i < n; i++) {
        float v = res ? src[i] + res[i] : src[i];
        float w = narrow_widen1(type, v, dst + i);
        if (res) { float r = v - w; res[i] = r - r == 0.0f ? r : 0.0f; }
    }
}

__attribute__((target("avx2,f16c"))) static void widen_avx2(int type, const uint16_t *src, float *dst, long n) {
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 w = type == F16 ? _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *) (src + i))) : bf16x8_to_ps(src + i);
        _mm256_storeu_ps(dst + i, w);
    }
    for (; i < n; i++) dst[i] = type == F16 ? fp16_to_float(src[i]) : bf16_to_float(src[i]);
}

void jccl_narrow(int type, const float *src, float *res, uint16_t *dst, long n) {
    if (has_f16c < 0) {
        __builtin_cpu_init();
        has_f16c = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c");
    }
    if (has_f16c) {
        narrow_avx2(type, src, res, dst, n);
        return;
    }
    for (long i = 0; i < n; i++) {
        float v = res ? src[i] + res[i] : src[i];
        float w = narrow_widen1(type, v, dst + i);
        if (res) { float r = v - w; res[i] = r - r == 0.0f ? r : 0.0f; }
    }
}

void jccl_widen(int type, const uint16_t *src, float *dst, long n) {
    if (has_f16c < 0) {
        __builtin_cpu_init();
        has_f16c = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c");
    }
    if (has_f16c) {
        widen_avx2(type, src, dst, n);
        return;
    }
    for (long i = 0; i < n; i++) dst[i] = type == F16 ? fp16_to_float(src[i]) : bf16_to_float(src[i]);
}
