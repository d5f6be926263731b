/* Direct convolution for high-resolution layers with few channels (where
 * GEMM is the wrong tool): a portable body, and AVX-512 pixel blocks and
 * input-stationary blocks chosen at run time. Slow twin: MSGKernels/Reference.swift. */
#include "kernels_private.h"

/* ------------------------------------------------------------------------ */
/* Portable bodies (also the reference order for the vector ones).          */

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

/* ------------------------------------------------------------------------ */
/* AVX-512: NV vectors of 16 output channels, PB pixels per block sharing    */
/* each weight load (PB * NV accumulators stay in zmm registers).           */
#ifdef MSG_X86
#define AVX512 __attribute__((target("avx512f,fma"))) static inline __attribute__((always_inline))

AVX512 void conv_block(const float *x, int h, int w, int cin, const float *wt, int kh, int kw,
                       int oy, int ox, int cout, int y, int x0, int npix, float *out,
                       const int NV, const int PB, int checked) {
    __m512 acc[8][4];
    for (int p = 0; p < PB; p++) for (int j = 0; j < NV; j++) acc[p][j] = _mm512_setzero_ps();
    for (int ty = 0; ty < kh; ty++) {
        int iy = y + oy + ty;
        if (iy < 0 || iy >= h) continue;
        for (int tx = 0; tx < kw; tx++) {
            const float *wp = wt + (long)((ty * kw + tx) * cin) * cout;
            int ix0 = x0 + ox + tx;
            const float *xp = x + ((long)iy * w + ix0) * cin;
            if (!checked) {
                for (int ci = 0; ci < cin; ci++) {
                    __m512 wv[4];
                    for (int j = 0; j < NV; j++) wv[j] = _mm512_loadu_ps(wp + (long)ci * cout + 16 * j);
                    for (int p = 0; p < PB; p++) {
                        __m512 xb = _mm512_set1_ps(xp[(long)p * cin + ci]);
                        for (int j = 0; j < NV; j++) acc[p][j] = _mm512_fmadd_ps(xb, wv[j], acc[p][j]);
                    }
                }
            } else {
                for (int ci = 0; ci < cin; ci++) {
                    __m512 wv[4];
                    for (int j = 0; j < NV; j++) wv[j] = _mm512_loadu_ps(wp + (long)ci * cout + 16 * j);
                    for (int p = 0; p < npix; p++) {
                        int ix = ix0 + p;
                        if (ix < 0 || ix >= w) continue;
                        __m512 xb = _mm512_set1_ps(xp[(long)p * cin + ci]);
                        for (int j = 0; j < NV; j++) acc[p][j] = _mm512_fmadd_ps(xb, wv[j], acc[p][j]);
                    }
                }
            }
        }
    }
    for (int p = 0; p < npix; p++)
        for (int j = 0; j < NV; j++) _mm512_storeu_ps(out + (long)p * cout + 16 * j, acc[p][j]);
}

AVX512 void conv_rows(const float *x, int h, int w, int cin, const float *wt, int kh, int kw,
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
            conv_block(x, h, w, cin, wt, kh, kw, oy, ox, cout, y, xo, n, row + (long)xo * cout, NV, PB, !interior);
            xo += n;
        }
    }
}

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
AVX512 void conv_stationary_block(const float *x, int w, const int CIN, const float *wt, const int KH, const int KW,
                                  const int NV, int iy0, int ix0, float *out, long ldo, const int R, const int C) {
    __m512 acc[2][12][2];
    for (int r = 0; r < R; r++) for (int c = 0; c < C; c++) for (int j = 0; j < NV; j++) acc[r][c][j] = _mm512_setzero_ps();
    const float *xb = x + ((long)iy0 * w + ix0) * CIN;
    const int cout = 16 * NV;
    for (int ci = 0; ci < CIN; ci++) {
        __m512 wv[9][2];
#pragma GCC unroll 9
        for (int t = 0; t < KH * KW; t++)
            for (int j = 0; j < NV; j++) wv[t][j] = _mm512_loadu_ps(wt + ((long)t * CIN + ci) * cout + 16 * j);
#pragma GCC unroll 4
        for (int ir = 0; ir < R + KH - 1; ir++) {
            const float *xr = xb + (long)ir * w * CIN + ci;
#pragma GCC unroll 16
            for (int ic = 0; ic < C + KW - 1; ic++) {
                __m512 b = _mm512_set1_ps(xr[ic * CIN]);
#pragma GCC unroll 3
                for (int ty = 0; ty < KH; ty++) {
                    int r = ir - ty;
                    if (r < 0 || r >= R) continue;
#pragma GCC unroll 3
                    for (int tx = 0; tx < KW; tx++) {
                        int c = ic - tx;
                        if (c < 0 || c >= C) continue;
                        for (int j = 0; j < NV; j++) acc[r][c][j] = _mm512_fmadd_ps(b, wv[ty * KW + tx][j], acc[r][c][j]);
                    }
                }
            }
        }
    }
    for (int r = 0; r < R; r++) for (int c = 0; c < C; c++) for (int j = 0; j < NV; j++)
        _mm512_storeu_ps(out + r * ldo + (long)c * cout + 16 * j, acc[r][c][j]);
}

/* Rows [r0, r1) by stationary blocks of 2 (or a last 1) rows x C pixels where
 * all taps are inside the image; the border pixels by the checked pixel block. */
AVX512 void conv_stationary_rows(const float *x, int h, int w, const int CIN, const float *wt, const int KH, const int KW,
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
                conv_stationary_block(x, w, CIN, wt, KH, KW, NV, y + oy, xo + ox, row + (long)xo * cout, ldo, 2, C2);
            else for (; xo + C1 <= hi; xo += C1)
                conv_stationary_block(x, w, CIN, wt, KH, KW, NV, y + oy, xo + ox, row + (long)xo * cout, ldo, 1, C1);
        }
        /* The rest by the checked pixel block: [0, lo) and [xo, w) of inside
         * rows, all of the others. */
        for (int yy = y; yy < y + rows; yy++) {
            float *o = out + (long)(yy - r0) * ldo;
            int spans[2][2] = {{0, inside ? lo : w}, {inside ? xo : w, w}};
            for (int k = 0; k < 2; k++)
                for (int xs = spans[k][0]; xs < spans[k][1];) {
                    int n = spans[k][1] - xs < PB ? spans[k][1] - xs : PB;
                    conv_block(x, h, w, CIN, wt, KH, KW, oy, ox, cout, yy, xs, n, o + (long)xs * cout, NV, PB, 1);
                    xs += n;
                }
        }
        y += rows;
    }
}

/* The stationary kernel's shapes (kernel, cin, output vectors): one instance
 * each, listed once for the dispatch below and msg_conv_direct_stationary. */
#define STATIONARY_SHAPES(X) \
    X(3, 3, 16, 1) X(3, 3, 32, 1) X(2, 2, 16, 1) X(2, 2, 32, 1) \
    X(3, 3, 32, 2) X(3, 3, 64, 2) X(2, 2, 32, 2) X(2, 2, 64, 2)
#define STATIONARY_MATCH(KH_, KW_, CIN_, NV_) (kh == KH_ && kw == KW_ && cin == CIN_ && cout == 16 * NV_)

__attribute__((target("avx512f,fma")))
static void conv_direct_avx512(const float *x, int h, int w, int cin, const float *wt, int kh, int kw,
                               int oy, int ox, int cout, int r0, int r1, float *out) {
#define X(KH_, KW_, CIN_, NV_) if (STATIONARY_MATCH(KH_, KW_, CIN_, NV_)) { \
        conv_stationary_rows(x, h, w, CIN_, wt, KH_, KW_, oy, ox, NV_, r0, r1, out); return; }
    STATIONARY_SHAPES(X)
#undef X
    switch (cout / 16) {
    case 1: conv_rows(x, h, w, cin, wt, kh, kw, oy, ox, cout, r0, r1, out, 1, 8); break;
    case 2: conv_rows(x, h, w, cin, wt, kh, kw, oy, ox, cout, r0, r1, out, 2, 6); break;
    case 3: conv_rows(x, h, w, cin, wt, kh, kw, oy, ox, cout, r0, r1, out, 3, 4); break;
    default: conv_rows(x, h, w, cin, wt, kh, kw, oy, ox, cout, r0, r1, out, 4, 4); break;
    }
}
#endif

int msg_conv_direct_stationary(int kh, int kw, int cin, int cout) {
#ifdef MSG_X86
#define X(KH_, KW_, CIN_, NV_) if (STATIONARY_MATCH(KH_, KW_, CIN_, NV_)) return msg_kernels_isa() == 2;
    STATIONARY_SHAPES(X)
#undef X
#else
    (void)kh; (void)kw; (void)cin; (void)cout;
#endif
    return 0;
}

void msg_conv_direct(const float *x, int h, int w, int cin, const float *wt, int kh, int kw,
                     int oy, int ox, int cout, int r0, int r1, float *out) {
#ifdef MSG_X86
    if (msg_kernels_isa() == 2 && cout % 16 == 0 && cout <= 64) {
        conv_direct_avx512(x, h, w, cin, wt, kh, kw, oy, ox, cout, r0, r1, out);
        return;
    }
#endif
    conv_direct_c(x, h, w, cin, wt, kh, kw, oy, ox, cout, r0, r1, out);
}
