/* StyleGAN epilogue passes: noise + bias + LReLU with per-channel statistics
 * for the instance norm, and the style affine (compiler-vectorised clones). */
#include "kernels_private.h"

/* ------------------------------------------------------------------------ */
/* StyleGAN epilogue passes (vectorised over channels; per-channel sums run   */
/* pixel by pixel in the same order on every ISA).                           */

#define WINO_CLONES __attribute__((target_clones("avx512f", "default")))

WINO_CLONES
void msg_style_pass1(float *rows, int pixels, int c, const float *noise, const float *nw,
                     const float *bias, float slope, double *stats) {
    double *sum = stats, *sq = stats + c;
    for (int p = 0; p < pixels; p++) {
        float *row = rows + (long)p * c;
        float nz = noise ? noise[p] : 0.0f;
        if (nw) {
            for (int ch = 0; ch < c; ch++) {
                float v = row[ch] + nz * nw[ch] + bias[ch];
                v = v < 0 ? v * slope : v;
                row[ch] = v;
                sum[ch] += (double)v;
                sq[ch] += (double)v * (double)v;
            }
        } else {
            for (int ch = 0; ch < c; ch++) {
                float v = row[ch] + bias[ch];
                v = v < 0 ? v * slope : v;
                row[ch] = v;
                sum[ch] += (double)v;
                sq[ch] += (double)v * (double)v;
            }
        }
    }
}

WINO_CLONES
void msg_style_affine(float *rows, int pixels, int c, const float *scale, const float *shift) {
    for (int p = 0; p < pixels; p++) {
        float *row = rows + (long)p * c;
        for (int ch = 0; ch < c; ch++) row[ch] = row[ch] * scale[ch] + shift[ch];
    }
}
