/* StyleGAN epilogue passes: noise + bias + LReLU with per-channel statistics
 * for the instance norm, and the style affine. One C body each, compiled
 * (and vectorised by the compiler) once per ISA's target. */
#include "kernels_private.h"

/* ------------------------------------------------------------------------ */
/* StyleGAN epilogue passes (vectorised over channels; per-channel sums run   */
/* pixel by pixel in the same order on every ISA).                           */

/* The bodies, instantiated per ISA below (plain C: the compiler vectorises
 * them for each target; sums and products are the same per element on every
 * ISA up to the fused multiply-add of the affine). */
#define STYLE_BODIES(SUFFIX_, ATTR_) \
ATTR_ static void style_pass1_##SUFFIX_(float *rows, int pixels, int c, const float *noise, const float *nw,       \
                     const float *bias, float slope, double *stats) {                                              \
    double *sum = stats, *sq = stats + c;                                                                          \
    for (int p = 0; p < pixels; p++) {                                                                             \
        float *row = rows + (long)p * c;                                                                           \
        float nz = noise ? noise[p] : 0.0f;                                                                        \
        if (nw) {                                                                                                  \
            for (int ch = 0; ch < c; ch++) {                                                                       \
                float v = row[ch] + nz * nw[ch] + bias[ch];                                                        \
                v = v < 0 ? v * slope : v;                                                                         \
                row[ch] = v;                                                                                       \
                sum[ch] += (double)v;                                                                              \
                sq[ch] += (double)v * (double)v;                                                                   \
            }                                                                                                      \
        } else {                                                                                                   \
            for (int ch = 0; ch < c; ch++) {                                                                       \
                float v = row[ch] + bias[ch];                                                                      \
                v = v < 0 ? v * slope : v;                                                                         \
                row[ch] = v;                                                                                       \
                sum[ch] += (double)v;                                                                              \
                sq[ch] += (double)v * (double)v;                                                                   \
            }                                                                                                      \
        }                                                                                                          \
    }                                                                                                              \
}                                                                                                                  \
                                                                                                                   \
ATTR_ static void style_affine_##SUFFIX_(float *rows, int pixels, int c, const float *scale, const float *shift) { \
    for (int p = 0; p < pixels; p++) {                                                                             \
        float *row = rows + (long)p * c;                                                                           \
        for (int ch = 0; ch < c; ch++) row[ch] = row[ch] * scale[ch] + shift[ch];                                  \
    }                                                                                                              \
}                                                                                                                  \

STYLE_BODIES(c, )
#if defined(MSG_X86)
STYLE_BODIES(avx512, __attribute__((target("avx512f,fma"))))
STYLE_BODIES(avx2, __attribute__((target("avx2,fma"))))
#elif defined(MSG_ARM64)
STYLE_BODIES(neon, )
#endif

#if defined(MSG_X86)
/* Pass 1 with the sums in registers (x86, c % 16 == 0): one block of 16
 * channels at a time over all pixels, so each channel's sums still run pixel
 * by pixel with the same operations as the C body above (which the compiler
 * builds with its sums in memory, reloaded and stored every pixel: bound by
 * store-to-load latency). The float part is the C body's as compiled (noise
 * term fused into one multiply-add, then the bias); squares of floats are exact
 * in double, so fused or not they are the same: the bits do not change. */
__attribute__((target("avx512f,fma")))
static void style_pass1_regs_avx512(float *rows, int pixels, int c, const float *noise, const float *nw,
                                    const float *bias, float slope, double *stats) {
    const __m512 sl = _mm512_set1_ps(slope), zero = _mm512_setzero_ps();
    for (int c0 = 0; c0 < c; c0 += 16) {
        __m512d s0 = _mm512_loadu_pd(stats + c0), s1 = _mm512_loadu_pd(stats + c0 + 8);
        __m512d q0 = _mm512_loadu_pd(stats + c + c0), q1 = _mm512_loadu_pd(stats + c + c0 + 8);
        const __m512 b = _mm512_loadu_ps(bias + c0), w = nw ? _mm512_loadu_ps(nw + c0) : zero;
        for (int p = 0; p < pixels; p++) {
            float *row = rows + (long)p * c + c0;
            __m512 v = _mm512_loadu_ps(row);
            if (nw) v = _mm512_fmadd_ps(_mm512_set1_ps(noise ? noise[p] : 0.0f), w, v);
            v = _mm512_add_ps(v, b);
            v = _mm512_mask_mul_ps(v, _mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ), v, sl);
            _mm512_storeu_ps(row, v);
            __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(v));
            __m512d hi = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
            s0 = _mm512_add_pd(s0, lo); s1 = _mm512_add_pd(s1, hi);
            q0 = _mm512_fmadd_pd(lo, lo, q0); q1 = _mm512_fmadd_pd(hi, hi, q1);
        }
        _mm512_storeu_pd(stats + c0, s0); _mm512_storeu_pd(stats + c0 + 8, s1);
        _mm512_storeu_pd(stats + c + c0, q0); _mm512_storeu_pd(stats + c + c0 + 8, q1);
    }
}

__attribute__((target("avx2,fma")))
static void style_pass1_regs_avx2(float *rows, int pixels, int c, const float *noise, const float *nw,
                                  const float *bias, float slope, double *stats) {
    const __m256 sl = _mm256_set1_ps(slope), zero = _mm256_setzero_ps();
    for (int c0 = 0; c0 < c; c0 += 8) {
        __m256d s0 = _mm256_loadu_pd(stats + c0), s1 = _mm256_loadu_pd(stats + c0 + 4);
        __m256d q0 = _mm256_loadu_pd(stats + c + c0), q1 = _mm256_loadu_pd(stats + c + c0 + 4);
        const __m256 b = _mm256_loadu_ps(bias + c0), w = nw ? _mm256_loadu_ps(nw + c0) : zero;
        for (int p = 0; p < pixels; p++) {
            float *row = rows + (long)p * c + c0;
            __m256 v = _mm256_loadu_ps(row);
            if (nw) v = _mm256_fmadd_ps(_mm256_set1_ps(noise ? noise[p] : 0.0f), w, v);
            v = _mm256_add_ps(v, b);
            v = _mm256_blendv_ps(v, _mm256_mul_ps(v, sl), _mm256_cmp_ps(v, zero, _CMP_LT_OQ));
            _mm256_storeu_ps(row, v);
            __m256d lo = _mm256_cvtps_pd(_mm256_castps256_ps128(v)), hi = _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
            s0 = _mm256_add_pd(s0, lo); s1 = _mm256_add_pd(s1, hi);
            q0 = _mm256_fmadd_pd(lo, lo, q0); q1 = _mm256_fmadd_pd(hi, hi, q1);
        }
        _mm256_storeu_pd(stats + c0, s0); _mm256_storeu_pd(stats + c0 + 4, s1);
        _mm256_storeu_pd(stats + c + c0, q0); _mm256_storeu_pd(stats + c + c0 + 4, q1);
    }
}
#endif

void msg_style_pass1(int isa, float *rows, int pixels, int c, const float *noise, const float *nw,
                     const float *bias, float slope, double *stats) {
#if defined(MSG_X86)
    if (c % 16 == 0) MSG_DISPATCH(isa, 1, style_pass1_regs, (rows, pixels, c, noise, nw, bias, slope, stats));
#endif
    MSG_DISPATCH(isa, 1, style_pass1, (rows, pixels, c, noise, nw, bias, slope, stats));
    style_pass1_c(rows, pixels, c, noise, nw, bias, slope, stats);
}

void msg_style_affine(int isa, float *rows, int pixels, int c, const float *scale, const float *shift) {
    MSG_DISPATCH(isa, 1, style_affine, (rows, pixels, c, scale, shift));
    style_affine_c(rows, pixels, c, scale, shift);
}
