/* StyleGAN's 3x3 blur [1, 2, 1] (separable, zero padding), NHWC:
 * a portable body and vector ones (blur_simd.h). */
#include "kernels_private.h"

static void blur3_c(const float *src, float *dst, int h, int w, int c, int r0, int r1,
                    float f0, float f1, float f2) {
    const float f[3] = {f0, f1, f2};
    for (int y = r0; y < r1; y++) {
        for (int xo = 0; xo < w; xo++) {
            float *o = dst + ((long)y * w + xo) * c;
            for (int ch = 0; ch < c; ch++) o[ch] = 0;
            for (int ty = 0; ty < 3; ty++) {
                int iy = y + ty - 1;
                if (iy < 0 || iy >= h) continue;
                for (int tx = 0; tx < 3; tx++) {
                    int ix = xo + tx - 1;
                    if (ix < 0 || ix >= w) continue;
                    float k = f[ty] * f[tx];
                    const float *p = src + ((long)iy * w + ix) * c;
                    for (int ch = 0; ch < c; ch++) o[ch] += k * p[ch];
                }
            }
        }
    }
}

#define MSG_SIMD_BODY "blur_simd.h"
#include "simd_instances.h"

void msg_blur3(int isa, const float *src, float *dst, int h, int w, int c, int r0, int r1, float f0, float f1, float f2) {
    MSG_DISPATCH(isa, c % L == 0, blur3, (src, dst, h, w, c, r0, r1, f0, f1, f2));
    blur3_c(src, dst, h, w, c, r0, r1, f0, f1, f2);
}
