/* Vector body of the 3x3 blur (blur.c), compiled once per ISA (simd.h);
 * c is a multiple of VL. Taps sum in the portable body's order. */
#include "simd.h"

TGT static void FN(blur3)(const float *src, float *dst, int h, int w, int c, int r0, int r1,
                          float f0, float f1, float f2) {
    const float f[3] = {f0, f1, f2};
    for (int y = r0; y < r1; y++) {
        for (int xo = 0; xo < w; xo++) {
            float *o = dst + ((long)y * w + xo) * c;
            for (int ch = 0; ch < c; ch += VL) {
                V acc = v_zero();
                for (int ty = 0; ty < 3; ty++) {
                    int iy = y + ty - 1;
                    if (iy < 0 || iy >= h) continue;
                    for (int tx = 0; tx < 3; tx++) {
                        int ix = xo + tx - 1;
                        if (ix < 0 || ix >= w) continue;
                        acc = v_fma(v_set1(f[ty] * f[tx]), v_load(src + ((long)iy * w + ix) * c + ch), acc);
                    }
                }
                v_store(o + ch, acc);
            }
        }
    }
}
