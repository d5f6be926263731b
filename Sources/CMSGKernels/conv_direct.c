/* Direct convolution for high-resolution layers with few channels (where
 * GEMM is the wrong tool): a portable body, and vector pixel blocks
 * (conv_direct_simd.h; AVX-512 adds input-stationary blocks) chosen at run
 * time. Slow twin: MSGKernels/Reference.swift. */
#include "kernels_private.h"

/* ------------------------------------------------------------------------ */
/* Portable body (also the reference order for the vector ones).           */

static void conv_direct_c(const float *x, int h, int w, int cin, const float *wt, int kh, int kw,
                          int oy, int ox, int cout, int r0, int r1, float *out) {
    for (int y = r0; y < r1; y++) {
        for (int xo = 0; xo < w; xo++) {
            float *acc = out + ((long)(y - r0) * w + xo) * cout;
            for (int co = 0; co < cout; co++) acc[co] = 0;
            for (int ty = 0; ty < kh; ty++) {
                int iy = y + oy + ty;
                if (iy < 0 || iy >= h) continue;
                for (int tx = 0; tx < kw; tx++) {
                    int ix = xo + ox + tx;
                    if (ix < 0 || ix >= w) continue;
                    const float *xp = x + ((long)iy * w + ix) * cin;
                    const float *wp = wt + (long)((ty * kw + tx) * cin) * cout;
                    for (int ci = 0; ci < cin; ci++) {
                        float v = xp[ci];
                        const float *wr = wp + (long)ci * cout;
                        for (int co = 0; co < cout; co++) acc[co] += v * wr[co];
                    }
                }
            }
        }
    }
}

/* The stationary kernel's shapes (kernel, cin, 16-channel output vectors):
 * one AVX-512 instance each, listed once for the dispatch and
 * msg_conv_direct_stationary. */
#define STATIONARY_SHAPES(X) \
    X(3, 3, 16, 1) X(3, 3, 32, 1) X(2, 2, 16, 1) X(2, 2, 32, 1) \
    X(3, 3, 32, 2) X(3, 3, 64, 2) X(2, 2, 32, 2) X(2, 2, 64, 2)
#define STATIONARY_MATCH(KH_, KW_, CIN_, NV_) (kh == KH_ && kw == KW_ && cin == CIN_ && cout == 16 * NV_)

#define MSG_SIMD_BODY "conv_direct_simd.h"
#include "simd_instances.h"

int msg_conv_direct_stationary(int isa, int kh, int kw, int cin, int cout) {
#define X(KH_, KW_, CIN_, NV_) if (STATIONARY_MATCH(KH_, KW_, CIN_, NV_)) return msg_isa_checked(isa) == MSG_ISA_AVX512;
    STATIONARY_SHAPES(X)
#undef X
    return 0;
}

void msg_conv_direct(int isa, const float *x, int h, int w, int cin, const float *wt, int kh, int kw,
                     int oy, int ox, int cout, int r0, int r1, float *out) {
    MSG_DISPATCH(isa, cout % 16 == 0 && cout <= 64, conv_direct, (x, h, w, cin, wt, kh, kw, oy, ox, cout, r0, r1, out));
    conv_direct_c(x, h, w, cin, wt, kh, kw, oy, ox, cout, r0, r1, out);
}
