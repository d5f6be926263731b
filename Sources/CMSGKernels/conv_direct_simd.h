/* Vector bodies of the direct convolution (conv_direct.c), compiled once per
 * ISA (simd.h): NV vectors of VL output channels, PB pixels per block sharing
 * each weight load (PB * NV accumulators stay in registers). */
#include "simd.h"
#define KERNEL TGT static inline __attribute__((always_inline))

KERNEL void FN(conv_block)(const float *x, int h, int w, int cin, const float *wt, int kh, int kw,
                       int oy, int ox, int cout, int y, int x0, int npix, float *out,
                       const int NV, const int PB, int checked) {
    V acc[8][64 / VL];
    for (int p = 0; p < PB; p++) for (int j = 0; j < NV; j++) acc[p][j] = v_zero();
    for (int ty = 0; ty < kh; ty++) {
        int iy = y + oy + ty;
        if (iy < 0 || iy >= h) continue;
        for (int tx = 0; tx < kw; tx++) {
            const float *wp = wt + (long)((ty * kw + tx) * cin) * cout;
            int ix0 = x0 + ox + tx;
            const float *xp = x + ((long)iy * w + ix0) * cin;
            if (!checked) {
                for (int ci = 0; ci < cin; ci++) {
                    V wv[64 / VL];
                    for (int j = 0; j < NV; j++) wv[j] = v_load(wp + (long)ci * cout + VL * j);
                    for (int p = 0; p < PB; p++) {
                        V xb = v_set1(xp[(long)p * cin + ci]);
                        for (int j = 0; j < NV; j++) acc[p][j] = v_fma(xb, wv[j], acc[p][j]);
                    }
                }
            } else {
                for (int ci = 0; ci < cin; ci++) {
                    V wv[64 / VL];
                    for (int j = 0; j < NV; j++) wv[j] = v_load(wp + (long)ci * cout + VL * j);
                    for (int p = 0; p < npix; p++) {
                        int ix = ix0 + p;
                        if (ix < 0 || ix >= w) continue;
                        V xb = v_set1(xp[(long)p * cin + ci]);
                        for (int j = 0; j < NV; j++) acc[p][j] = v_fma(xb, wv[j], acc[p][j]);
                    }
                }
            }
        }
    }
    for (int p = 0; p < npix; p++)
        for (int j = 0; j < NV; j++) v_store(out + (long)p * cout + VL * j, acc[p][j]);
}

KERNEL void FN(conv_rows)(const float *x, int h, int w, int cin, const float *wt, int kh, int kw,
                      int oy, int ox, int cout, int r0, int r1, float *out, const int NV, const int PB) {
    /* Pixels whose every tap column is inside the image need no checks. */
    int lo = -ox, hi = w - (ox + kw - 1);   /* interior: lo <= xo < hi */
    if (lo < 0) lo = 0;
    for (int y = r0; y < r1; y++) {
        float *row = out + (long)(y - r0) * w * cout;
        int xo = 0;
        while (xo < w) {
            int n = w - xo < PB ? w - xo : PB;
            int interior = xo >= lo && xo + n <= hi && n == PB;
            FN(conv_block)(x, h, w, cin, wt, kh, kw, oy, ox, cout, y, xo, n, row + (long)xo * cout, NV, PB, !interior);
            xo += n;
        }
    }
}

#if VL == 16
/* AVX-512 only (its 32 registers hold a block's weights and accumulators). */
/* Input-stationary blocks for 16 or 32 output channels (NV = 1 or 2 vectors)
 * and kernels of KH x KW <= 3 x 3: R x C output pixels whose every tap is
 * inside the image. Each input value is broadcast once per ci and multiplied
 * into every output of the block it reaches (up to KH * KW of them), where
 * the pixel-block kernel above broadcasts it once per output: with one or two
 * vectors per pixel that kernel is bound by its broadcasts. CIN is a constant
 * (16, 32 or 64), so the block's input addresses are fixed displacements.
 * A block's outputs sum ci-major (taps in (ty, tx) order within each ci), the
 * border pixels tap-major; which pixels take which depends only on the image
 * width and the rows of the call, never on the batch or threads. */
KERNEL void FN(conv_stationary_block)(const float *x, int w, const int CIN, const float *wt, const int KH, const int KW,
                                  const int NV, int iy0, int ix0, float *out, long ldo, const int R, const int C) {
    V acc[2][12][2];
    for (int r = 0; r < R; r++) for (int c = 0; c < C; c++) for (int j = 0; j < NV; j++) acc[r][c][j] = v_zero();
    const float *xb = x + ((long)iy0 * w + ix0) * CIN;
    const int cout = VL * NV;
    for (int ci = 0; ci < CIN; ci++) {
        V wv[9][2];
#pragma GCC unroll 9
        for (int t = 0; t < KH * KW; t++)
            for (int j = 0; j < NV; j++) wv[t][j] = v_load(wt + ((long)t * CIN + ci) * cout + VL * j);
#pragma GCC unroll 4
        for (int ir = 0; ir < R + KH - 1; ir++) {
            const float *xr = xb + (long)ir * w * CIN + ci;
#pragma GCC unroll 16
            for (int ic = 0; ic < C + KW - 1; ic++) {
                V b = v_set1(xr[ic * CIN]);
#pragma GCC unroll 3
                for (int ty = 0; ty < KH; ty++) {
                    int r = ir - ty;
                    if (r < 0 || r >= R) continue;
#pragma GCC unroll 3
                    for (int tx = 0; tx < KW; tx++) {
                        int c = ic - tx;
                        if (c < 0 || c >= C) continue;
                        for (int j = 0; j < NV; j++) acc[r][c][j] = v_fma(b, wv[ty * KW + tx][j], acc[r][c][j]);
                    }
                }
            }
        }
    }
    for (int r = 0; r < R; r++) for (int c = 0; c < C; c++) for (int j = 0; j < NV; j++)
        v_store(out + r * ldo + (long)c * cout + VL * j, acc[r][c][j]);
}

/* Rows [r0, r1) by stationary blocks of 2 (or a last 1) rows x C pixels where
 * all taps are inside the image; the border pixels by the checked pixel block. */
KERNEL void FN(conv_stationary_rows)(const float *x, int h, int w, const int CIN, const float *wt, const int KH, const int KW,
                                 int oy, int ox, const int NV, int r0, int r1, float *out) {
    /* C per block: accumulators R * C * NV plus KH * KW * NV weight vectors stay in the 32 registers. */
    const int C2 = NV == 1 ? (KH * KW > 4 ? 8 : 12) : (KH * KW > 4 ? 3 : 5);
    const int C1 = NV == 1 ? 12 : (KH * KW > 4 ? 4 : 8);
    const int PB = NV == 1 ? 8 : 6, cout = 16 * NV;
    const long ldo = (long)w * cout;
    int lo = -ox, hi = w - (ox + KW - 1);   /* pixels lo <= xo < hi read no column outside */
    if (lo < 0) lo = 0;
    for (int y = r0; y < r1;) {
        const int rows = r1 - y >= 2 ? 2 : 1;
        const int inside = y + oy >= 0 && y + rows - 1 + oy + KH - 1 < h;
        float *row = out + (long)(y - r0) * ldo;
        int xo = 0;
        if (inside) {
            xo = lo;
            if (rows == 2) for (; xo + C2 <= hi; xo += C2)
                FN(conv_stationary_block)(x, w, CIN, wt, KH, KW, NV, y + oy, xo + ox, row + (long)xo * cout, ldo, 2, C2);
            else for (; xo + C1 <= hi; xo += C1)
                FN(conv_stationary_block)(x, w, CIN, wt, KH, KW, NV, y + oy, xo + ox, row + (long)xo * cout, ldo, 1, C1);
        }
        /* The rest by the checked pixel block: [0, lo) and [xo, w) of inside
         * rows, all of the others. */
        for (int yy = y; yy < y + rows; yy++) {
            float *o = out + (long)(yy - r0) * ldo;
            int spans[2][2] = {{0, inside ? lo : w}, {inside ? xo : w, w}};
            for (int k = 0; k < 2; k++)
                for (int xs = spans[k][0]; xs < spans[k][1];) {
                    int n = spans[k][1] - xs < PB ? spans[k][1] - xs : PB;
                    FN(conv_block)(x, h, w, CIN, wt, KH, KW, oy, ox, cout, yy, xs, n, o + (long)xs * cout, NV, PB, 1);
                    xs += n;
                }
        }
        y += rows;
    }
}

/* The stationary kernel's shapes (kernel, cin, output vectors): one instance
 * each, listed once for the dispatch below and msg_conv_direct_stationary. */
#endif

/* Output channels cout (a multiple of 16, at most 64) as NV = cout / VL
 * vectors; PB pixels per block so that the PB * NV accumulators and the NV
 * weight vectors of a step fit the registers. AVX2 (16 ymm) and NEON (32 q,
 * 4 lanes) take {6, 2, 2, 1} pixels for 16 / 32 / 48 / 64 outputs: 3 pixels
 * at 32 outputs spilled and ran 10x slower on AVX2 (C microbenchmark, 128 px). */
TGT static void FN(conv_direct)(const float *x, int h, int w, int cin, const float *wt, int kh, int kw,
                                int oy, int ox, int cout, int r0, int r1, float *out) {
#if VL == 16
#define X(KH_, KW_, CIN_, NV_) if (STATIONARY_MATCH(KH_, KW_, CIN_, NV_)) { \
        FN(conv_stationary_rows)(x, h, w, CIN_, wt, KH_, KW_, oy, ox, NV_, r0, r1, out); return; }
    STATIONARY_SHAPES(X)
#undef X
    switch (cout / 16) {
    case 1: FN(conv_rows)(x, h, w, cin, wt, kh, kw, oy, ox, cout, r0, r1, out, 1, 8); break;
    case 2: FN(conv_rows)(x, h, w, cin, wt, kh, kw, oy, ox, cout, r0, r1, out, 2, 6); break;
    case 3: FN(conv_rows)(x, h, w, cin, wt, kh, kw, oy, ox, cout, r0, r1, out, 3, 4); break;
    default: FN(conv_rows)(x, h, w, cin, wt, kh, kw, oy, ox, cout, r0, r1, out, 4, 4); break;
    }
#else
    switch (cout / 16) {
    case 1: FN(conv_rows)(x, h, w, cin, wt, kh, kw, oy, ox, cout, r0, r1, out, 16 / VL, 6); break;
    case 2: FN(conv_rows)(x, h, w, cin, wt, kh, kw, oy, ox, cout, r0, r1, out, 32 / VL, 2); break;
    case 3: FN(conv_rows)(x, h, w, cin, wt, kh, kw, oy, ox, cout, r0, r1, out, 48 / VL, 2); break;
    default: FN(conv_rows)(x, h, w, cin, wt, kh, kw, oy, ox, cout, r0, r1, out, 64 / VL, 1); break;
    }
#endif
}

#undef KERNEL
