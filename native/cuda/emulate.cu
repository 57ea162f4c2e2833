// Runs the element functions of jccl_reduce.cu on the CPU, over whole files, so that the kernels' arithmetic
// can be checked against the Java host kernels on a machine without a GPU (comm-cuda KernelEmulationTest).
// It exercises the per-element code (NaN rules, -0.0, fp16/bf16 conversions, integer wrap, AVG division);
// the vector/alignment paths and the GPU's own arithmetic units are checked only by the GPU tests.
//
//   emulate OP TYPE A B OUT        OP: sum prod min max; A, B, OUT: raw native-order element files
//   emulate div TYPE A DIVISOR OUT
//   TYPE: f32 f64 f16 bf16 i8 u8 i32 i64
//
// Build: nvcc -O2 -std=c++17 -o emulate emulate.cu
#include "jccl_reduce.cu"

#include <stdio.h>
#include <stdlib.h>
#include <vector>

static std::vector<unsigned char> slurp(const char* path) {
    FILE* f = fopen(path, "rb");
    if (!f) { perror(path); exit(2); }
    std::vector<unsigned char> v;
    unsigned char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) v.insert(v.end(), buf, buf + n);
    fclose(f);
    return v;
}

static void spit(const char* path, const std::vector<unsigned char>& v) {
    FILE* f = fopen(path, "wb");
    if (!f || fwrite(v.data(), 1, v.size(), f) != v.size()) { perror(path); exit(2); }
    fclose(f);
}

template <typename F>
static void binary(const std::vector<unsigned char>& a, const std::vector<unsigned char>& b, std::vector<unsigned char>& out) {
    typedef typename F::S S;
    size_t n = a.size() / sizeof(S);
    for (size_t i = 0; i < n; i++) {
        S x, y, r;
        memcpy(&x, &a[i * sizeof(S)], sizeof(S));
        memcpy(&y, &b[i * sizeof(S)], sizeof(S));
        r = F::apply(x, y);
        memcpy(&out[i * sizeof(S)], &r, sizeof(S));
    }
}

template <typename F>
static void divide(const std::vector<unsigned char>& a, int d, std::vector<unsigned char>& out) {
    typedef typename F::S S;
    size_t n = a.size() / sizeof(S);
    for (size_t i = 0; i < n; i++) {
        S x, r;
        memcpy(&x, &a[i * sizeof(S)], sizeof(S));
        r = F::apply(x, d);
        memcpy(&out[i * sizeof(S)], &r, sizeof(S));
    }
}

template <template <Op> class T>
static bool byOp(const char* op, const std::vector<unsigned char>& a, const std::vector<unsigned char>& b,
                 std::vector<unsigned char>& out) {
    if (!strcmp(op, "sum")) binary<T<SUM> >(a, b, out);
    else if (!strcmp(op, "prod")) binary<T<PROD> >(a, b, out);
    else if (!strcmp(op, "min")) binary<T<MIN> >(a, b, out);
    else if (!strcmp(op, "max")) binary<T<MAX> >(a, b, out);
    else return false;
    return true;
}

int main(int argc, char** argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: emulate OP TYPE A B OUT | emulate div TYPE A DIVISOR OUT\n");
        return 2;
    }
    const char* op = argv[1];
    const char* t = argv[2];
    std::vector<unsigned char> a = slurp(argv[3]);
    std::vector<unsigned char> out(a.size());
    bool ok;
    if (!strcmp(op, "div")) {
        int d = atoi(argv[4]);
        ok = true;
        if (!strcmp(t, "f32")) divide<DivF32>(a, d, out);
        else if (!strcmp(t, "f64")) divide<DivF64>(a, d, out);
        else if (!strcmp(t, "f16")) divide<DivF16>(a, d, out);
        else if (!strcmp(t, "bf16")) divide<DivBF16>(a, d, out);
        else if (!strcmp(t, "i8")) divide<DivI8>(a, d, out);
        else if (!strcmp(t, "u8")) divide<DivU8>(a, d, out);
        else if (!strcmp(t, "i32")) divide<DivI32>(a, d, out);
        else if (!strcmp(t, "i64")) divide<DivI64>(a, d, out);
        else ok = false;
    } else {
        std::vector<unsigned char> b = slurp(argv[4]);
        if (b.size() != a.size()) { fprintf(stderr, "A and B differ in size\n"); return 2; }
        if (!strcmp(t, "f32")) ok = byOp<F32>(op, a, b, out);
        else if (!strcmp(t, "f64")) ok = byOp<F64>(op, a, b, out);
        else if (!strcmp(t, "f16")) ok = byOp<F16>(op, a, b, out);
        else if (!strcmp(t, "bf16")) ok = byOp<BF16>(op, a, b, out);
        else if (!strcmp(t, "i8")) ok = byOp<I8>(op, a, b, out);
        else if (!strcmp(t, "u8")) ok = byOp<U8>(op, a, b, out);
        else if (!strcmp(t, "i32")) ok = byOp<I32>(op, a, b, out);
        else if (!strcmp(t, "i64")) ok = byOp<I64>(op, a, b, out);
        else ok = false;
    }
    if (!ok) {
        fprintf(stderr, "unknown op or type: %s %s\n", op, t);
        return 2;
    }
    spit(argv[5], out);
    return 0;
}
