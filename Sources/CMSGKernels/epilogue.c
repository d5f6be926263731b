/* Conv epilogue (bias, LReLU, PixelNorm) fused with the to-RGB projection:
 * a portable body and vector ones (epilogue_simd.h). */
#include "kernels_private.h"

/* ------------------------------------------------------------------------ */
/* Conv epilogue (bias, LReLU, PixelNorm) fused with the to-RGB projection.   */

static void epilogue_c(float *rows, int pixels, int c, const float *bias, float slope, float eps,
                       const float *wr, const float *wg, const float *wb, float rb, float gb, float bb,
                       float *r_out, float *g_out, float *b_out) {
    for (int p = 0; p < pixels; p++) {
        float *row = rows + (long)p * c;
        float ss = 0;
        for (int ch = 0; ch < c; ch++) {
            float v = row[ch] + bias[ch];
            v = v < 0 ? v * slope : v;
            row[ch] = v;
            ss += v * v;
        }
        if (eps >= 0) {
            float inv = 1.0f / sqrtf(ss / (float)c + eps);
            for (int ch = 0; ch < c; ch++) row[ch] *= inv;
        }
        if (wr) {
            float r = rb, g = gb, b = bb;
            for (int ch = 0; ch < c; ch++) { r += row[ch] * wr[ch]; g += row[ch] * wg[ch]; b += row[ch] * wb[ch]; }
            r_out[p] = r; g_out[p] = g; b_out[p] = b;
        }
    }
}

#define MSG_SIMD_BODY "epilogue_simd.h"
#include "simd_instances.h"

void msg_epilogue(int isa, float *rows, int pixels, int c, const float *bias, float slope, float eps,
                  const float *wr, const float *wg, const float *wb, float rb, float gb, float bb,
                  float *r_out, float *g_out, float *b_out) {
    MSG_DISPATCH(isa, c % L == 0, epilogue, (rows, pixels, c, bias, slope, eps, wr, wg, wb, rb, gb, bb, r_out, g_out, b_out));
    epilogue_c(rows, pixels, c, bias, slope, eps, wr, wg, wb, rb, gb, bb, r_out, g_out, b_out);
}
