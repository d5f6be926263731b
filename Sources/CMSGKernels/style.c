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

void msg_style_pass1(int isa, float *rows, int pixels, int c, const float *noise, const float *nw,
                     const float *bias, float slope, double *stats) {
    MSG_DISPATCH(isa, 1, style_pass1, (rows, pixels, c, noise, nw, bias, slope, stats));
    style_pass1_c(rows, pixels, c, noise, nw, bias, slope, stats);
}

void msg_style_affine(int isa, float *rows, int pixels, int c, const float *scale, const float *shift) {
    MSG_DISPATCH(isa, 1, style_affine, (rows, pixels, c, scale, shift));
    style_affine_c(rows, pixels, c, scale, shift);
}
