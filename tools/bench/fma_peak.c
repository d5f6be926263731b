/* The machine's arithmetic ceiling, for tools/bench/compare.py's "% of FMA
 * ceiling" columns: GFLOP/s of register-only loops of independent
 * multiply-adds on every thread (no memory traffic), per instruction kind:
 *
 *   fp32-avx512   VFMADD231PS zmm (16 lanes x 2 flops)
 *   fp32-avx2     VFMADD231PS ymm (8 lanes x 2 flops)
 *   bf16-avx512   VDPBF16PS zmm (16 lanes x 2 products x 2 flops), AVX512-BF16 only
 *
 * and the memory bandwidth the same threads reach (STREAM's triad
 * a = b + s c on 128 MB float arrays, 12 bytes moved per element, best of 5):
 * "triad-GBps".
 *
 *   cc -O2 -pthread tools/bench/fma_peak.c -o /tmp/fma_peak && /tmp/fma_peak [threads]
 *
 * Prints one JSON object: {"threads": n, "fp32-avx512": GFLOP/s, ...}; kinds
 * this CPU lacks are left out. Best of 5 runs of each of several chain counts. */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define ITERS 20000000L

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static volatile float sink;

/* One loop per (kind, number of independent chains): which chain count
 * reaches the ceiling depends on the core's latency and pipes, and on what
 * the compiler keeps in registers, so each kind takes the best of several. */
#define FP32_512(ACC) \
__attribute__((target("avx512f,fma"))) static void *fp32_512_##ACC(void *arg) { \
    (void)arg; \
    __m512 a[ACC], b = _mm512_set1_ps(0.999f), c = _mm512_set1_ps(1e-3f); \
    for (int i = 0; i < ACC; i++) a[i] = _mm512_set1_ps((float)i); \
    for (long k = 0; k < ITERS / ACC; k++) \
        _Pragma("GCC unroll 32") for (int i = 0; i < ACC; i++) a[i] = _mm512_fmadd_ps(a[i], b, c); \
    float s = 0; \
    for (int i = 0; i < ACC; i++) s += _mm512_reduce_add_ps(a[i]); \
    sink = s; \
    return NULL; \
}
#define FP32_256(ACC) \
__attribute__((target("avx2,fma"))) static void *fp32_256_##ACC(void *arg) { \
    (void)arg; \
    __m256 a[ACC], b = _mm256_set1_ps(0.999f), c = _mm256_set1_ps(1e-3f); \
    for (int i = 0; i < ACC; i++) a[i] = _mm256_set1_ps((float)i); \
    for (long k = 0; k < ITERS / ACC; k++) \
        _Pragma("GCC unroll 32") for (int i = 0; i < ACC; i++) a[i] = _mm256_fmadd_ps(a[i], b, c); \
    float s = 0, t[8]; \
    for (int i = 0; i < ACC; i++) { _mm256_storeu_ps(t, a[i]); for (int j = 0; j < 8; j++) s += t[j]; } \
    sink = s; \
    return NULL; \
}
#define BF16_512(ACC) \
__attribute__((target("avx512f,avx512bf16"))) static void *bf16_512_##ACC(void *arg) { \
    (void)arg; \
    __m512 a[ACC]; \
    __m512bh b = (__m512bh)_mm512_set1_epi32(0x3f803f80), c = (__m512bh)_mm512_set1_epi32(0x3a833a83); \
    for (int i = 0; i < ACC; i++) a[i] = _mm512_set1_ps((float)i); \
    for (long k = 0; k < ITERS / ACC; k++) \
        _Pragma("GCC unroll 32") for (int i = 0; i < ACC; i++) a[i] = _mm512_dpbf16_ps(a[i], b, c); \
    float s = 0; \
    for (int i = 0; i < ACC; i++) s += _mm512_reduce_add_ps(a[i]); \
    sink = s; \
    return NULL; \
}
FP32_512(8) FP32_512(12) FP32_512(16) FP32_512(24)
FP32_256(8) FP32_256(12)
BF16_512(8) BF16_512(12) BF16_512(16) BF16_512(24)

#define TRIAD_N (32L << 20)
static float *ta, *tb, *tc;
struct part { long i0, i1; };
static void *triad_part(void *arg) {
    struct part *p = arg;
    for (long i = p->i0; i < p->i1; i++) ta[i] = tb[i] + 0.5f * tc[i];
    return NULL;
}
static double triad(int threads) {
    ta = malloc(TRIAD_N * 4); tb = malloc(TRIAD_N * 4); tc = malloc(TRIAD_N * 4);
    if (!ta || !tb || !tc) return 0;
    for (long i = 0; i < TRIAD_N; i++) { ta[i] = 0; tb[i] = 1; tc[i] = 2; }
    double best = 0;
    for (int r = 0; r < 5; r++) {
        pthread_t t[256];
        struct part p[256];
        double t0 = now();
        for (int i = 0; i < threads; i++) {
            p[i].i0 = TRIAD_N * i / threads; p[i].i1 = TRIAD_N * (i + 1) / threads;
            pthread_create(&t[i], NULL, triad_part, &p[i]);
        }
        for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
        double g = 12.0 * TRIAD_N / (now() - t0) / 1e9;
        if (g > best) best = g;
    }
    sink = ta[TRIAD_N / 2];
    free(ta); free(tb); free(tc);
    return best;
}

/* GFLOP/s of `fn` on `threads` threads; flops per instruction `per`. */
static double measure(void *(*fn)(void *), int threads, double per) {
    double best = 0;
    for (int r = 0; r < 5; r++) {
        pthread_t t[256];
        double t0 = now();
        for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, fn, NULL);
        for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
        double dt = now() - t0;
        double g = (double)threads * ITERS * per / dt / 1e9;
        if (g > best) best = g;
    }
    return best;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    if (threads < 1 || threads > 256) { fprintf(stderr, "threads: 1 ... 256\n"); return 2; }
    __builtin_cpu_init();
    printf("{\"threads\": %d", threads);
#define BEST(a, b) ((a) > (b) ? (a) : (b))
    if (__builtin_cpu_supports("avx512f"))
        printf(", \"fp32-avx512\": %.1f", BEST(BEST(measure(fp32_512_8, threads, 32), measure(fp32_512_12, threads, 32)),
                                              BEST(measure(fp32_512_16, threads, 32), measure(fp32_512_24, threads, 32))));
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        printf(", \"fp32-avx2\": %.1f", BEST(measure(fp32_256_8, threads, 16), measure(fp32_256_12, threads, 16)));
    if (__builtin_cpu_supports("avx512bf16"))
        printf(", \"bf16-avx512\": %.1f", BEST(BEST(measure(bf16_512_8, threads, 64), measure(bf16_512_12, threads, 64)),
                                              BEST(measure(bf16_512_16, threads, 64), measure(bf16_512_24, threads, 64))));
    printf(", \"triad-GBps\": %.1f}\n", triad(threads));
    return 0;
}
