#include "msg_kernels.h"
#include <math.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define MSG_X86 1
#endif

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

__attribute__((target("avx512f,fma")))
static void blur3_avx512(const float *src, float *dst, int h, int w, int c, int r0, int r1,
                         float f0, float f1, float f2) {
    /* c is a multiple of 16 here. */
    const float f[3] = {f0, f1, f2};
    for (int y = r0; y < r1; y++) {
        for (int xo = 0; xo < w; xo++) {
            float *o = dst + ((long)y * w + xo) * c;
            for (int ch = 0; ch < c; ch += 16) {
                __m512 acc = _mm512_setzero_ps();
                for (int ty = 0; ty < 3; ty++) {
                    int iy = y + ty - 1;
                    if (iy < 0 || iy >= h) continue;
                    for (int tx = 0; tx < 3; tx++) {
                        int ix = xo + tx - 1;
                        if (ix < 0 || ix >= w) continue;
                        acc = _mm512_fmadd_ps(_mm512_set1_ps(f[ty] * f[tx]),
                                              _mm512_loadu_ps(src + ((long)iy * w + ix) * c + ch), acc);
                    }
                }
                _mm512_storeu_ps(o + ch, acc);
            }
        }
    }
}
#endif

/* ------------------------------------------------------------------------ */
/* Winograd transforms and the GEMM between them. Each transform has a       */
/* portable body and an AVX-512 one (16 channels per vector, c % 16 == 0)   */
/* with the same coefficients in the same order (F(4x4, 3x3)'s AVX-512 ones  */
/* factor the products; see there).                                         */
/* The transformed planes of a band live at v + xi * stride.                 */

/* Pointers to the n x n input pixels of the patch with top-left (y0, x0)
 * of x [h, w, c]; pixels outside the image point at `zeros`. */
static inline void patch_pointers(const float *x, int h, int w, int c, int y0, int x0, int n, const float *zeros,
                                  const float **d) {
    for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) {
        int iy = y0 + i, ix = x0 + j;
        d[i * n + j] = (iy >= 0 && iy < h && ix >= 0 && ix < w) ? x + ((long)iy * w + ix) * c : zeros;
    }
}

static void wino_input_c(const float *x, int h, int w, int c, int tr0, int tr1, float *v, long stride,
                         const float *zeros) {
    int tilesX = (w + 1) / 2;
    long t = 0;
    for (int ty = tr0; ty < tr1; ty++) {
        for (int tx = 0; tx < tilesX; tx++, t++) {
            const float *d[16];
            patch_pointers(x, h, w, c, 2 * ty - 1, 2 * tx - 1, 4, zeros, d);
            float *o = v + t * c;
            for (int ch = 0; ch < c; ch++) {
                float m[16];
                for (int j = 0; j < 4; j++) {           /* B^T d */
                    float d0 = d[j][ch], d1 = d[4 + j][ch], d2 = d[8 + j][ch], d3 = d[12 + j][ch];
                    m[j] = d0 - d2; m[4 + j] = d1 + d2; m[8 + j] = d2 - d1; m[12 + j] = d1 - d3;
                }
                for (int i = 0; i < 4; i++) {           /* (B^T d) B */
                    float m0 = m[i * 4], m1 = m[i * 4 + 1], m2 = m[i * 4 + 2], m3 = m[i * 4 + 3];
                    o[(i * 4 + 0) * stride + ch] = m0 - m2;
                    o[(i * 4 + 1) * stride + ch] = m1 + m2;
                    o[(i * 4 + 2) * stride + ch] = m2 - m1;
                    o[(i * 4 + 3) * stride + ch] = m1 - m3;
                }
            }
        }
    }
}

static void wino_output_c(const float *m, long stride, int h, int w, int c, int tr0, int tr1, float *y) {
    int tilesX = (w + 1) / 2;
    long t = 0;
    for (int ty = tr0; ty < tr1; ty++) {
        for (int tx = 0; tx < tilesX; tx++, t++) {
            const float *s = m + t * c;
            int oy = 2 * ty, ox = 2 * tx;
            int two_rows = oy + 1 < h, two_cols = ox + 1 < w;
            float *y00 = y + ((long)oy * w + ox) * c;
            float *y01 = y00 + c;
            float *y10 = y00 + (long)w * c;
            float *y11 = y10 + c;
            for (int ch = 0; ch < c; ch++) {
                float r0[4], r1[4];
                for (int i = 0; i < 4; i++) {           /* M A: columns */
                    float a0 = s[(i * 4 + 0) * stride + ch], a1 = s[(i * 4 + 1) * stride + ch];
                    float a2 = s[(i * 4 + 2) * stride + ch], a3 = s[(i * 4 + 3) * stride + ch];
                    r0[i] = a0 + a1 + a2;
                    r1[i] = a1 - a2 - a3;
                }
                y00[ch] = r0[0] + r0[1] + r0[2];        /* A^T (M A) */
                if (two_cols) y01[ch] = r1[0] + r1[1] + r1[2];
                if (two_rows) {
                    y10[ch] = r0[1] - r0[2] - r0[3];
                    if (two_cols) y11[ch] = r1[1] - r1[2] - r1[3];
                }
            }
        }
    }
}

/* F(2x2, 2x2) with points {0, 1, inf}: additions only, exact in structure.
 *   B^T = [1 -1 0; 0 1 0; 0 -1 1]   G = [1 0; 1 1; 0 1]   A^T = [1 1 0; 0 1 1] */

static void wino22_input_c(const float *x, int h, int w, int c, int tr0, int tr1, int a, int b, float *v, long stride,
                           const float *zeros) {
    int tilesX = (w + 1) / 2;
    long t = 0;
    for (int ty = tr0; ty < tr1; ty++) {
        for (int tx = 0; tx < tilesX; tx++, t++) {
            const float *d[9];
            patch_pointers(x, h, w, c, 2 * ty + a - 1, 2 * tx + b - 1, 3, zeros, d);
            float *o = v + t * c;
            for (int ch = 0; ch < c; ch++) {
                float m[9];
                for (int j = 0; j < 3; j++) {           /* B^T d */
                    float d0 = d[j][ch], d1 = d[3 + j][ch], d2 = d[6 + j][ch];
                    m[j] = d0 - d1; m[3 + j] = d1; m[6 + j] = d2 - d1;
                }
                for (int i = 0; i < 3; i++) {           /* (B^T d) B */
                    float m0 = m[i * 3], m1 = m[i * 3 + 1], m2 = m[i * 3 + 2];
                    o[(i * 3 + 0) * stride + ch] = m0 - m1;
                    o[(i * 3 + 1) * stride + ch] = m1;
                    o[(i * 3 + 2) * stride + ch] = m2 - m1;
                }
            }
        }
    }
}

static void wino22_output_c(const float *m, long stride, int h, int w, int c, int tr0, int tr1, int a, int b, float *y) {
    int tilesX = (w + 1) / 2;
    long W2 = 2L * w;
    long t = 0;
    for (int ty = tr0; ty < tr1; ty++) {
        for (int tx = 0; tx < tilesX; tx++, t++) {
            const float *s = m + t * c;
            int ly = 2 * ty, lx = 2 * tx;               /* low-resolution output block */
            int two_rows = ly + 1 < h, two_cols = lx + 1 < w;
            float *y00 = y + ((long)(2 * ly + a) * W2 + 2 * lx + b) * c;
            float *y01 = y00 + 2L * c;
            float *y10 = y00 + 2L * W2 * c;
            float *y11 = y10 + 2L * c;
            for (int ch = 0; ch < c; ch++) {
                float r0[3], r1[3];
                for (int i = 0; i < 3; i++) {           /* M A */
                    float a0 = s[(i * 3 + 0) * stride + ch], a1 = s[(i * 3 + 1) * stride + ch], a2 = s[(i * 3 + 2) * stride + ch];
                    r0[i] = a0 + a1;
                    r1[i] = a1 + a2;
                }
                y00[ch] = r0[0] + r0[1];                 /* A^T (M A) */
                if (two_cols) y01[ch] = r1[0] + r1[1];
                if (two_rows) {
                    y10[ch] = r0[1] + r0[2];
                    if (two_cols) y11[ch] = r1[1] + r1[2];
                }
            }
        }
    }
}

/* GEMM of one transformed position: m [tiles, cout] = v [tiles, cin] x U,
 * U packed by msg_wgemm_pack into column blocks of 32 (the last one 16 wide
 * when cout % 32 == 16): block k at packed + k * cin * 32, [cin][width]. */
static void wgemm_c(const float *v, int tiles, int cin, const float *packed, int cout, int cb0, int cb1, float *m) {
    for (int cb = cb0; cb < cb1; cb++) {
        int co0 = 32 * cb, wd = cout - co0 < 32 ? cout - co0 : 32;
        const float *u = packed + (long)cb * cin * 32;
        for (int t = 0; t < tiles; t++) {
            float acc[32] = {0};
            const float *vt = v + (long)t * cin;
            for (int ci = 0; ci < cin; ci++) {
                float s = vt[ci];
                for (int j = 0; j < wd; j++) acc[j] += s * u[(long)ci * wd + j];
            }
            for (int j = 0; j < wd; j++) m[(long)t * cout + co0 + j] = acc[j];
        }
    }
}

#ifdef MSG_X86
__attribute__((target("avx512f,fma")))
static void wino_input_avx512(const float *x, int h, int w, int c, int tr0, int tr1, float *v, long stride,
                              const float *zeros) {
    int tilesX = (w + 1) / 2;
    long t = 0;
    for (int ty = tr0; ty < tr1; ty++) {
        for (int tx = 0; tx < tilesX; tx++, t++) {
            const float *d[16];
            patch_pointers(x, h, w, c, 2 * ty - 1, 2 * tx - 1, 4, zeros, d);
            float *o = v + t * c;
            for (int ch = 0; ch < c; ch += 16) {
                __m512 m[16];
                for (int j = 0; j < 4; j++) {
                    __m512 d0 = _mm512_loadu_ps(d[j] + ch), d1 = _mm512_loadu_ps(d[4 + j] + ch);
                    __m512 d2 = _mm512_loadu_ps(d[8 + j] + ch), d3 = _mm512_loadu_ps(d[12 + j] + ch);
                    m[j] = _mm512_sub_ps(d0, d2); m[4 + j] = _mm512_add_ps(d1, d2);
                    m[8 + j] = _mm512_sub_ps(d2, d1); m[12 + j] = _mm512_sub_ps(d1, d3);
                }
                for (int i = 0; i < 4; i++) {
                    __m512 m0 = m[i * 4], m1 = m[i * 4 + 1], m2 = m[i * 4 + 2], m3 = m[i * 4 + 3];
                    _mm512_storeu_ps(o + (i * 4 + 0) * stride + ch, _mm512_sub_ps(m0, m2));
                    _mm512_storeu_ps(o + (i * 4 + 1) * stride + ch, _mm512_add_ps(m1, m2));
                    _mm512_storeu_ps(o + (i * 4 + 2) * stride + ch, _mm512_sub_ps(m2, m1));
                    _mm512_storeu_ps(o + (i * 4 + 3) * stride + ch, _mm512_sub_ps(m1, m3));
                }
            }
        }
    }
}

__attribute__((target("avx512f,fma")))
static void wino_output_avx512(const float *m, long stride, int h, int w, int c, int tr0, int tr1, float *y) {
    int tilesX = (w + 1) / 2;
    long t = 0;
    for (int ty = tr0; ty < tr1; ty++) {
        for (int tx = 0; tx < tilesX; tx++, t++) {
            const float *s = m + t * c;
            int oy = 2 * ty, ox = 2 * tx;
            int two_rows = oy + 1 < h, two_cols = ox + 1 < w;
            float *y00 = y + ((long)oy * w + ox) * c;
            float *y01 = y00 + c;
            float *y10 = y00 + (long)w * c;
            float *y11 = y10 + c;
            for (int ch = 0; ch < c; ch += 16) {
                __m512 r0[4], r1[4];
                for (int i = 0; i < 4; i++) {
                    __m512 a0 = _mm512_loadu_ps(s + (i * 4 + 0) * stride + ch), a1 = _mm512_loadu_ps(s + (i * 4 + 1) * stride + ch);
                    __m512 a2 = _mm512_loadu_ps(s + (i * 4 + 2) * stride + ch), a3 = _mm512_loadu_ps(s + (i * 4 + 3) * stride + ch);
                    r0[i] = _mm512_add_ps(_mm512_add_ps(a0, a1), a2);
                    r1[i] = _mm512_sub_ps(_mm512_sub_ps(a1, a2), a3);
                }
                _mm512_storeu_ps(y00 + ch, _mm512_add_ps(_mm512_add_ps(r0[0], r0[1]), r0[2]));
                if (two_cols) _mm512_storeu_ps(y01 + ch, _mm512_add_ps(_mm512_add_ps(r1[0], r1[1]), r1[2]));
                if (two_rows) {
                    _mm512_storeu_ps(y10 + ch, _mm512_sub_ps(_mm512_sub_ps(r0[1], r0[2]), r0[3]));
                    if (two_cols) _mm512_storeu_ps(y11 + ch, _mm512_sub_ps(_mm512_sub_ps(r1[1], r1[2]), r1[3]));
                }
            }
        }
    }
}

__attribute__((target("avx512f,fma")))
static void wino22_input_avx512(const float *x, int h, int w, int c, int tr0, int tr1, int a, int b, float *v,
                                long stride, const float *zeros) {
    int tilesX = (w + 1) / 2;
    long t = 0;
    for (int ty = tr0; ty < tr1; ty++) {
        for (int tx = 0; tx < tilesX; tx++, t++) {
            const float *d[9];
            patch_pointers(x, h, w, c, 2 * ty + a - 1, 2 * tx + b - 1, 3, zeros, d);
            float *o = v + t * c;
            for (int ch = 0; ch < c; ch += 16) {
                __m512 m[9];
                for (int j = 0; j < 3; j++) {
                    __m512 d0 = _mm512_loadu_ps(d[j] + ch), d1 = _mm512_loadu_ps(d[3 + j] + ch), d2 = _mm512_loadu_ps(d[6 + j] + ch);
                    m[j] = _mm512_sub_ps(d0, d1); m[3 + j] = d1; m[6 + j] = _mm512_sub_ps(d2, d1);
                }
                for (int i = 0; i < 3; i++) {
                    __m512 m0 = m[i * 3], m1 = m[i * 3 + 1], m2 = m[i * 3 + 2];
                    _mm512_storeu_ps(o + (i * 3 + 0) * stride + ch, _mm512_sub_ps(m0, m1));
                    _mm512_storeu_ps(o + (i * 3 + 1) * stride + ch, m1);
                    _mm512_storeu_ps(o + (i * 3 + 2) * stride + ch, _mm512_sub_ps(m2, m1));
                }
            }
        }
    }
}

__attribute__((target("avx512f,fma")))
static void wino22_output_avx512(const float *m, long stride, int h, int w, int c, int tr0, int tr1, int a, int b,
                                 float *y) {
    int tilesX = (w + 1) / 2;
    long W2 = 2L * w;
    long t = 0;
    for (int ty = tr0; ty < tr1; ty++) {
        for (int tx = 0; tx < tilesX; tx++, t++) {
            const float *s = m + t * c;
            int ly = 2 * ty, lx = 2 * tx;
            int two_rows = ly + 1 < h, two_cols = lx + 1 < w;
            float *y00 = y + ((long)(2 * ly + a) * W2 + 2 * lx + b) * c;
            float *y01 = y00 + 2L * c;
            float *y10 = y00 + 2L * W2 * c;
            float *y11 = y10 + 2L * c;
            for (int ch = 0; ch < c; ch += 16) {
                __m512 r0[3], r1[3];
                for (int i = 0; i < 3; i++) {
                    __m512 a0 = _mm512_loadu_ps(s + (i * 3 + 0) * stride + ch);
                    __m512 a1 = _mm512_loadu_ps(s + (i * 3 + 1) * stride + ch);
                    __m512 a2 = _mm512_loadu_ps(s + (i * 3 + 2) * stride + ch);
                    r0[i] = _mm512_add_ps(a0, a1);
                    r1[i] = _mm512_add_ps(a1, a2);
                }
                _mm512_storeu_ps(y00 + ch, _mm512_add_ps(r0[0], r0[1]));
                if (two_cols) _mm512_storeu_ps(y01 + ch, _mm512_add_ps(r1[0], r1[1]));
                if (two_rows) {
                    _mm512_storeu_ps(y10 + ch, _mm512_add_ps(r0[1], r0[2]));
                    if (two_cols) _mm512_storeu_ps(y11 + ch, _mm512_add_ps(r1[1], r1[2]));
                }
            }
        }
    }
}

/* R tiles x 32 (or 16) output channels in registers; each U row is loaded
 * once per R tiles, each v value broadcast once per row of U. Accumulation
 * over ci runs in the same order as wgemm_c, one fused multiply-add per term
 * (so the two differ only by FMA rounding). */
#define WG_R 14
__attribute__((target("avx512f,fma")))
static inline __attribute__((always_inline))
void wgemm_block(const float *v, int cin, const float *u, int wd, float *m, int cout, const int R) {
    __m512 a0[WG_R], a1[WG_R];
    for (int r = 0; r < R; r++) { a0[r] = _mm512_setzero_ps(); a1[r] = _mm512_setzero_ps(); }
    if (wd == 32) {
        for (int ci = 0; ci < cin; ci++) {
            __m512 u0 = _mm512_loadu_ps(u + (long)ci * 32), u1 = _mm512_loadu_ps(u + (long)ci * 32 + 16);
            for (int r = 0; r < R; r++) {
                __m512 s = _mm512_set1_ps(v[(long)r * cin + ci]);
                a0[r] = _mm512_fmadd_ps(s, u0, a0[r]);
                a1[r] = _mm512_fmadd_ps(s, u1, a1[r]);
            }
        }
        for (int r = 0; r < R; r++) {
            _mm512_storeu_ps(m + (long)r * cout, a0[r]);
            _mm512_storeu_ps(m + (long)r * cout + 16, a1[r]);
        }
    } else {
        for (int ci = 0; ci < cin; ci++) {
            __m512 u0 = _mm512_loadu_ps(u + (long)ci * 16);
            for (int r = 0; r < R; r++) a0[r] = _mm512_fmadd_ps(_mm512_set1_ps(v[(long)r * cin + ci]), u0, a0[r]);
        }
        for (int r = 0; r < R; r++) _mm512_storeu_ps(m + (long)r * cout, a0[r]);
    }
}

__attribute__((target("avx512f,fma")))
static void wgemm_avx512(const float *v, int tiles, int cin, const float *packed, int cout, int cb0, int cb1, float *m) {
    for (int cb = cb0; cb < cb1; cb++) {
        int co0 = 32 * cb, wd = cout - co0 < 32 ? cout - co0 : 32;
        const float *u = packed + (long)cb * cin * 32;
        int t = 0;
        for (; t + WG_R <= tiles; t += WG_R)
            wgemm_block(v + (long)t * cin, cin, u, wd, m + (long)t * cout + co0, cout, WG_R);
        const float *vt = v + (long)t * cin;
        float *mt = m + (long)t * cout + co0;
        switch (tiles - t) {   /* the rest in one block, R a constant in each case */
        case 0: break;
        case 1: wgemm_block(vt, cin, u, wd, mt, cout, 1); break;
        case 2: wgemm_block(vt, cin, u, wd, mt, cout, 2); break;
        case 3: wgemm_block(vt, cin, u, wd, mt, cout, 3); break;
        case 4: wgemm_block(vt, cin, u, wd, mt, cout, 4); break;
        case 5: wgemm_block(vt, cin, u, wd, mt, cout, 5); break;
        case 6: wgemm_block(vt, cin, u, wd, mt, cout, 6); break;
        case 7: wgemm_block(vt, cin, u, wd, mt, cout, 7); break;
        case 8: wgemm_block(vt, cin, u, wd, mt, cout, 8); break;
        case 9: wgemm_block(vt, cin, u, wd, mt, cout, 9); break;
        case 10: wgemm_block(vt, cin, u, wd, mt, cout, 10); break;
        case 11: wgemm_block(vt, cin, u, wd, mt, cout, 11); break;
        case 12: wgemm_block(vt, cin, u, wd, mt, cout, 12); break;
        default: wgemm_block(vt, cin, u, wd, mt, cout, 13); break;
        }
    }
}
#endif

/* Winograd F(4x4, 3x3) with points {0, -1, 1, 1/2, -2, inf}: 36 multiplies
 * per 16 outputs (4x fewer than direct). Among the 5-point sets tried, this
 * one had the smallest fp32 error (about 8x F(2x2, 3x3)'s; tests bound it). */
static const float W43_BT[6][6] = {
    {1, -1.5f, -2, 1.5f, 1, 0},
    {0, 1, -2.5f, 0.5f, 1, 0},
    {0, -1, 0.5f, 2.5f, 1, 0},
    {0, -2, -1, 2, 1, 0},
    {0, 0.5f, -1, -0.5f, 1, 0},
    {0, 1, -1.5f, -2, 1.5f, 1},
};
static const float W43_AT[4][6] = {
    {1, 1, 1, 1, 1, 0},
    {0, -1, 1, 0.5f, -2, 0},
    {0, 1, 1, 0.25f, 4, 0},
    {0, -1, 1, 0.125f, -8, 1},
};

/* Portable F(m x m, r x r) transforms with an n x n patch (n = m + r - 1),
 * from the tables BT [n][n] and AT [m][n] (F(4x4, 3x3), F(4x4, 2x2)). The
 * patch of tile (ty, tx) starts at (m ty + a - 1, m tx + b - 1); outputs of
 * a plain conv land at (m ty + i, m tx + j), those of up-conv phase (a, b)
 * (`up`) at pixel (2 (m ty + i) + a, 2 (m tx + j) + b) of the [2h, 2w] image. */
static void wino_large_input_c(const float *x, int h, int w, int c, int tr0, int tr1, int a, int b, int n,
                               const float *bt, float *v, long stride, const float *zeros) {
    const int m = 4, tilesX = (w + m - 1) / m;
    long t = 0;
    for (int ty = tr0; ty < tr1; ty++) {
        for (int tx = 0; tx < tilesX; tx++, t++) {
            const float *d[36];
            patch_pointers(x, h, w, c, m * ty + a - 1, m * tx + b - 1, n, zeros, d);
            float *o = v + t * c;
            for (int ch = 0; ch < c; ch++) {
                float q[36];
                for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) {   /* B^T d */
                    float acc = 0;
                    for (int k = 0; k < n; k++) if (bt[i * n + k] != 0) acc += bt[i * n + k] * d[k * n + j][ch];
                    q[i * n + j] = acc;
                }
                for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) {   /* (B^T d) B */
                    float acc = 0;
                    for (int k = 0; k < n; k++) if (bt[j * n + k] != 0) acc += bt[j * n + k] * q[i * n + k];
                    o[(i * n + j) * stride + ch] = acc;
                }
            }
        }
    }
}

static void wino_large_output_c(const float *mt, long stride, int h, int w, int c, int tr0, int tr1, int up, int a,
                                int b, int n, const float *at, float *y) {
    const int m = 4, tilesX = (w + m - 1) / m;
    long t = 0;
    for (int ty = tr0; ty < tr1; ty++) {
        for (int tx = 0; tx < tilesX; tx++, t++) {
            const float *s = mt + t * c;
            for (int ch = 0; ch < c; ch++) {
                float r[6][4];
                for (int i = 0; i < n; i++) for (int j = 0; j < m; j++) {   /* M A */
                    float acc = 0;
                    for (int k = 0; k < n; k++) if (at[j * n + k] != 0) acc += at[j * n + k] * s[(i * n + k) * stride + ch];
                    r[i][j] = acc;
                }
                for (int i = 0; i < m; i++) {                                /* A^T (M A) */
                    int oy = m * ty + i;
                    if (oy >= h) break;
                    for (int j = 0; j < m; j++) {
                        int ox = m * tx + j;
                        if (ox >= w) break;
                        float acc = 0;
                        for (int k = 0; k < n; k++) if (at[i * n + k] != 0) acc += at[i * n + k] * r[k][j];
                        long p = up ? (long)(2 * oy + a) * 2 * w + 2 * ox + b : (long)oy * w + ox;
                        y[p * c + ch] = acc;
                    }
                }
            }
        }
    }
}

#ifdef MSG_X86
/* The AVX-512 bodies factor B^T and A^T (shared terms, fused multiply-adds;
 * about 20-30% faster than the plain matrix products): the portable
 * transforms up to rounding (tests bound both). Interior tiles address their
 * patch directly; border tiles go through patch_pointers' zero rows.
 * B^T of one 6-vector with shared terms (a = d4 - d2, b = d3 - d1). */
#define W43_IN(d0, d1, d2, d3, d4, d5, r0, r1, r2, r3, r4, r5) do { \
    __m512 a_ = _mm512_sub_ps(d4, d2), b_ = _mm512_sub_ps(d3, d1); \
    r0 = _mm512_fmadd_ps(_mm512_set1_ps(-2.0f), d2, _mm512_fmadd_ps(_mm512_set1_ps(1.5f), b_, _mm512_add_ps(d0, d4))); \
    r1 = _mm512_fmadd_ps(_mm512_set1_ps(0.5f), d3, _mm512_fmadd_ps(_mm512_set1_ps(-2.5f), d2, _mm512_add_ps(d1, d4))); \
    r2 = _mm512_fmadd_ps(_mm512_set1_ps(2.5f), d3, _mm512_fmadd_ps(_mm512_set1_ps(0.5f), d2, _mm512_sub_ps(d4, d1))); \
    r3 = _mm512_fmadd_ps(_mm512_set1_ps(2.0f), b_, a_); \
    r4 = _mm512_fmadd_ps(_mm512_set1_ps(-0.5f), b_, a_); \
    r5 = _mm512_fmadd_ps(_mm512_set1_ps(-2.0f), d3, _mm512_fmadd_ps(_mm512_set1_ps(1.5f), a_, _mm512_add_ps(d1, d5))); \
} while (0)
/* A^T of one 6-vector (p = m1 + m2, q = m2 - m1). */
#define W43_OUT(m0, m1, m2, m3, m4, m5, y0, y1, y2, y3) do { \
    __m512 p_ = _mm512_add_ps(m1, m2), q_ = _mm512_sub_ps(m2, m1); \
    y0 = _mm512_add_ps(_mm512_add_ps(m0, p_), _mm512_add_ps(m3, m4)); \
    y1 = _mm512_fmadd_ps(_mm512_set1_ps(-2.0f), m4, _mm512_fmadd_ps(_mm512_set1_ps(0.5f), m3, q_)); \
    y2 = _mm512_fmadd_ps(_mm512_set1_ps(4.0f), m4, _mm512_fmadd_ps(_mm512_set1_ps(0.25f), m3, p_)); \
    y3 = _mm512_fmadd_ps(_mm512_set1_ps(-8.0f), m4, _mm512_fmadd_ps(_mm512_set1_ps(0.125f), m3, _mm512_add_ps(q_, m5))); \
} while (0)

/* One tile's input transform: patch pixel (i, j) at base + i * wc + j * c for
 * an interior tile (fixed offsets), else at d[i * 6 + j] (zeros outside). */
__attribute__((target("avx512f,fma")))
static inline __attribute__((always_inline))
void wino43_input_tile(const float *base, long wc, const float *const *d, int c, float *o, long stride) {
    for (int ch = 0; ch < c; ch += 16) {
        __m512 m[36];
        for (int j = 0; j < 6; j++) {
            __m512 in[6];
            for (int i = 0; i < 6; i++)
                in[i] = _mm512_loadu_ps((base ? base + i * wc + (long)j * c : d[i * 6 + j]) + ch);
            W43_IN(in[0], in[1], in[2], in[3], in[4], in[5], m[j], m[6 + j], m[12 + j], m[18 + j], m[24 + j], m[30 + j]);
        }
        for (int i = 0; i < 6; i++) {
            __m512 r0, r1, r2, r3, r4, r5;
            W43_IN(m[i * 6], m[i * 6 + 1], m[i * 6 + 2], m[i * 6 + 3], m[i * 6 + 4], m[i * 6 + 5], r0, r1, r2, r3, r4, r5);
            float *oi = o + (long)(i * 6) * stride + ch;
            _mm512_storeu_ps(oi, r0); _mm512_storeu_ps(oi + stride, r1); _mm512_storeu_ps(oi + 2 * stride, r2);
            _mm512_storeu_ps(oi + 3 * stride, r3); _mm512_storeu_ps(oi + 4 * stride, r4); _mm512_storeu_ps(oi + 5 * stride, r5);
        }
    }
}

__attribute__((target("avx512f,fma")))
static void wino43_input_avx512(const float *x, int h, int w, int c, int tr0, int tr1, float *v, long stride,
                                const float *zeros) {
    const int tilesX = (w + 3) / 4;
    const long wc = (long)w * c;
    long t = 0;
    for (int ty = tr0; ty < tr1; ty++) {
        const int rows_in = 4 * ty - 1 >= 0 && 4 * ty + 5 <= h;
        for (int tx = 0; tx < tilesX; tx++, t++) {
            if (rows_in && 4 * tx - 1 >= 0 && 4 * tx + 5 <= w) {
                wino43_input_tile(x + ((long)(4 * ty - 1) * w + 4 * tx - 1) * c, wc, NULL, c, v + t * c, stride);
            } else {
                const float *d[36];
                patch_pointers(x, h, w, c, 4 * ty - 1, 4 * tx - 1, 6, zeros, d);
                wino43_input_tile(NULL, 0, d, c, v + t * c, stride);
            }
        }
    }
}

__attribute__((target("avx512f,fma")))
static void wino43_output_avx512(const float *m, long stride, int h, int w, int c, int tr0, int tr1, float *y) {
    const int tilesX = (w + 3) / 4;
    long t = 0;
    for (int ty = tr0; ty < tr1; ty++) {
        for (int tx = 0; tx < tilesX; tx++, t++) {
            const float *s = m + t * c;
            int rows = h - 4 * ty < 4 ? h - 4 * ty : 4, cols = w - 4 * tx < 4 ? w - 4 * tx : 4;
            for (int ch = 0; ch < c; ch += 16) {
                __m512 r[24];   /* r[j * 6 + i] = (M A)[i][j] */
                for (int i = 0; i < 6; i++) {
                    const float *si = s + (long)(i * 6) * stride + ch;
                    __m512 a0 = _mm512_loadu_ps(si), a1 = _mm512_loadu_ps(si + stride), a2 = _mm512_loadu_ps(si + 2 * stride);
                    __m512 a3 = _mm512_loadu_ps(si + 3 * stride), a4 = _mm512_loadu_ps(si + 4 * stride), a5 = _mm512_loadu_ps(si + 5 * stride);
                    W43_OUT(a0, a1, a2, a3, a4, a5, r[i], r[6 + i], r[12 + i], r[18 + i]);
                }
                for (int j = 0; j < cols; j++) {
                    __m512 y0, y1, y2, y3;
                    W43_OUT(r[j * 6], r[j * 6 + 1], r[j * 6 + 2], r[j * 6 + 3], r[j * 6 + 4], r[j * 6 + 5], y0, y1, y2, y3);
                    float *yr = y + ((long)(4 * ty) * w + 4 * tx + j) * c + ch;
                    _mm512_storeu_ps(yr, y0);
                    if (rows > 1) _mm512_storeu_ps(yr + (long)w * c, y1);
                    if (rows > 2) _mm512_storeu_ps(yr + 2L * w * c, y2);
                    if (rows > 3) _mm512_storeu_ps(yr + 3L * w * c, y3);
                }
            }
        }
    }
}
#endif

/* Winograd F(4x4, 2x2) for one phase of an up-conv, points {0, 1, -1, 2, inf}:
 * 25 multiplies per 16 outputs of the phase (vs 36 for four F(2x2, 2x2)
 * tiles); B^T and A^T hold small integers and powers of two (G has sixths;
 * weights are transformed in float64). Its fp32 error is about F(4x4, 3x3)'s. */
static const float W42_BT[5][5] = {
    {2, -1, -2, 1, 0},
    {0, -2, -1, 1, 0},
    {0, 2, -3, 1, 0},
    {0, -1, 0, 1, 0},
    {0, 2, -1, -2, 1},
};
static const float W42_AT[4][5] = {
    {1, 1, 1, 1, 0},
    {0, 1, -1, 2, 0},
    {0, 1, 1, 4, 0},
    {0, 1, -1, 8, 1},
};

#ifdef MSG_X86
/* B^T of one 5-vector, factored (s = d3 - d1). */
#define W42_IN(d0, d1, d2, d3, d4, r0, r1, r2, r3, r4) do { \
    __m512 s_ = _mm512_sub_ps(d3, d1); \
    r0 = _mm512_fmadd_ps(_mm512_set1_ps(2.0f), _mm512_sub_ps(d0, d2), s_); \
    r1 = _mm512_sub_ps(s_, _mm512_add_ps(d1, d2)); \
    r2 = _mm512_fmadd_ps(_mm512_set1_ps(3.0f), _mm512_sub_ps(d1, d2), s_); \
    r4 = _mm512_fmadd_ps(_mm512_set1_ps(-2.0f), s_, _mm512_sub_ps(d4, d2)); \
    r3 = s_; \
} while (0)
/* A^T of one 5-vector (p = m1 + m2, q = m1 - m2). */
#define W42_OUT(m0, m1, m2, m3, m4, y0, y1, y2, y3) do { \
    __m512 p_ = _mm512_add_ps(m1, m2), q_ = _mm512_sub_ps(m1, m2); \
    y0 = _mm512_add_ps(_mm512_add_ps(m0, p_), m3); \
    y1 = _mm512_fmadd_ps(_mm512_set1_ps(2.0f), m3, q_); \
    y2 = _mm512_fmadd_ps(_mm512_set1_ps(4.0f), m3, p_); \
    y3 = _mm512_fmadd_ps(_mm512_set1_ps(8.0f), m3, _mm512_add_ps(q_, m4)); \
} while (0)

/* One tile's input transform; patch pixel (i, j) at base + i * wc + j * c
 * (interior tile) or d[i * 5 + j] (zeros outside the image). */
__attribute__((target("avx512f,fma")))
static inline __attribute__((always_inline))
void wino42_input_tile(const float *base, long wc, const float *const *d, int c, float *o, long stride) {
    for (int ch = 0; ch < c; ch += 16) {
        __m512 m[25];
        for (int j = 0; j < 5; j++) {
            __m512 in[5];
            for (int i = 0; i < 5; i++)
                in[i] = _mm512_loadu_ps((base ? base + i * wc + (long)j * c : d[i * 5 + j]) + ch);
            W42_IN(in[0], in[1], in[2], in[3], in[4], m[j], m[5 + j], m[10 + j], m[15 + j], m[20 + j]);
        }
        for (int i = 0; i < 5; i++) {
            __m512 r0, r1, r2, r3, r4;
            W42_IN(m[i * 5], m[i * 5 + 1], m[i * 5 + 2], m[i * 5 + 3], m[i * 5 + 4], r0, r1, r2, r3, r4);
            float *oi = o + (long)(i * 5) * stride + ch;
            _mm512_storeu_ps(oi, r0); _mm512_storeu_ps(oi + stride, r1); _mm512_storeu_ps(oi + 2 * stride, r2);
            _mm512_storeu_ps(oi + 3 * stride, r3); _mm512_storeu_ps(oi + 4 * stride, r4);
        }
    }
}

__attribute__((target("avx512f,fma")))
static void wino42_input_avx512(const float *x, int h, int w, int c, int tr0, int tr1, int a, int b, float *v,
                                long stride, const float *zeros) {
    const int tilesX = (w + 3) / 4;
    const long wc = (long)w * c;
    long t = 0;
    for (int ty = tr0; ty < tr1; ty++) {
        const int y0 = 4 * ty + a - 1, rows_in = y0 >= 0 && y0 + 5 <= h;
        for (int tx = 0; tx < tilesX; tx++, t++) {
            const int x0 = 4 * tx + b - 1;
            if (rows_in && x0 >= 0 && x0 + 5 <= w) {
                wino42_input_tile(x + ((long)y0 * w + x0) * c, wc, NULL, c, v + t * c, stride);
            } else {
                const float *d[25];
                patch_pointers(x, h, w, c, y0, x0, 5, zeros, d);
                wino42_input_tile(NULL, 0, d, c, v + t * c, stride);
            }
        }
    }
}

__attribute__((target("avx512f,fma")))
static void wino42_output_avx512(const float *m, long stride, int h, int w, int c, int tr0, int tr1, int a, int b,
                                 float *y) {
    const int tilesX = (w + 3) / 4;
    const long W2c = 2L * w * c;
    long t = 0;
    for (int ty = tr0; ty < tr1; ty++) {
        for (int tx = 0; tx < tilesX; tx++, t++) {
            const float *s = m + t * c;
            int rows = h - 4 * ty < 4 ? h - 4 * ty : 4, cols = w - 4 * tx < 4 ? w - 4 * tx : 4;
            for (int ch = 0; ch < c; ch += 16) {
                __m512 r[20];   /* r[j * 5 + i] = (M A)[i][j] */
                for (int i = 0; i < 5; i++) {
                    const float *si = s + (long)(i * 5) * stride + ch;
                    __m512 a0 = _mm512_loadu_ps(si), a1 = _mm512_loadu_ps(si + stride), a2 = _mm512_loadu_ps(si + 2 * stride);
                    __m512 a3 = _mm512_loadu_ps(si + 3 * stride), a4 = _mm512_loadu_ps(si + 4 * stride);
                    W42_OUT(a0, a1, a2, a3, a4, r[i], r[5 + i], r[10 + i], r[15 + i]);
                }
                for (int j = 0; j < cols; j++) {
                    __m512 y0, y1, y2, y3;
                    W42_OUT(r[j * 5], r[j * 5 + 1], r[j * 5 + 2], r[j * 5 + 3], r[j * 5 + 4], y0, y1, y2, y3);
                    /* low-resolution (4 ty + i, 4 tx + j) -> pixel (2 (4 ty + i) + a, 2 (4 tx + j) + b) */
                    float *yr = y + ((long)(8 * ty + a) * 2 * w + 2 * (4 * tx + j) + b) * c + ch;
                    _mm512_storeu_ps(yr, y0);
                    if (rows > 1) _mm512_storeu_ps(yr + 2 * W2c, y1);
                    if (rows > 2) _mm512_storeu_ps(yr + 4 * W2c, y2);
                    if (rows > 3) _mm512_storeu_ps(yr + 6 * W2c, y3);
                }
            }
        }
    }
}
#endif

static int wino_vector(int c) {
#ifdef MSG_X86
    return msg_kernels_isa() == 2 && c % 16 == 0;
#else
    (void)c; return 0;
#endif
}

void msg_wino_input(const float *x, int h, int w, int c, int tr0, int tr1, float *v, long stride) {
    float zeros[c > 0 ? c : 1];
    memset(zeros, 0, sizeof(float) * (c > 0 ? c : 1));
#ifdef MSG_X86
    if (wino_vector(c)) { wino_input_avx512(x, h, w, c, tr0, tr1, v, stride, zeros); return; }
#endif
    wino_input_c(x, h, w, c, tr0, tr1, v, stride, zeros);
}

void msg_wino_output(const float *m, long stride, int h, int w, int c, int tr0, int tr1, float *y) {
#ifdef MSG_X86
    if (wino_vector(c)) { wino_output_avx512(m, stride, h, w, c, tr0, tr1, y); return; }
#endif
    wino_output_c(m, stride, h, w, c, tr0, tr1, y);
}

void msg_wino22_input(const float *x, int h, int w, int c, int tr0, int tr1, int a, int b, float *v, long stride) {
    float zeros[c > 0 ? c : 1];
    memset(zeros, 0, sizeof(float) * (c > 0 ? c : 1));
#ifdef MSG_X86
    if (wino_vector(c)) { wino22_input_avx512(x, h, w, c, tr0, tr1, a, b, v, stride, zeros); return; }
#endif
    wino22_input_c(x, h, w, c, tr0, tr1, a, b, v, stride, zeros);
}

void msg_wino22_output(const float *m, long stride, int h, int w, int c, int tr0, int tr1, int a, int b, float *y) {
#ifdef MSG_X86
    if (wino_vector(c)) { wino22_output_avx512(m, stride, h, w, c, tr0, tr1, a, b, y); return; }
#endif
    wino22_output_c(m, stride, h, w, c, tr0, tr1, a, b, y);
}

void msg_wino43_input(const float *x, int h, int w, int c, int tr0, int tr1, float *v, long stride) {
    float zeros[c > 0 ? c : 1];
    memset(zeros, 0, sizeof(float) * (c > 0 ? c : 1));
#ifdef MSG_X86
    if (wino_vector(c)) { wino43_input_avx512(x, h, w, c, tr0, tr1, v, stride, zeros); return; }
#endif
    wino_large_input_c(x, h, w, c, tr0, tr1, 0, 0, 6, &W43_BT[0][0], v, stride, zeros);
}

void msg_wino43_output(const float *m, long stride, int h, int w, int c, int tr0, int tr1, float *y) {
#ifdef MSG_X86
    if (wino_vector(c)) { wino43_output_avx512(m, stride, h, w, c, tr0, tr1, y); return; }
#endif
    wino_large_output_c(m, stride, h, w, c, tr0, tr1, 0, 0, 0, 6, &W43_AT[0][0], y);
}

void msg_wino42_input(const float *x, int h, int w, int c, int tr0, int tr1, int a, int b, float *v, long stride) {
    float zeros[c > 0 ? c : 1];
    memset(zeros, 0, sizeof(float) * (c > 0 ? c : 1));
#ifdef MSG_X86
    if (wino_vector(c)) { wino42_input_avx512(x, h, w, c, tr0, tr1, a, b, v, stride, zeros); return; }
#endif
    wino_large_input_c(x, h, w, c, tr0, tr1, a, b, 5, &W42_BT[0][0], v, stride, zeros);
}

void msg_wino42_output(const float *m, long stride, int h, int w, int c, int tr0, int tr1, int a, int b, float *y) {
#ifdef MSG_X86
    if (wino_vector(c)) { wino42_output_avx512(m, stride, h, w, c, tr0, tr1, a, b, y); return; }
#endif
    wino_large_output_c(m, stride, h, w, c, tr0, tr1, 1, a, b, 5, &W42_AT[0][0], y);
}

void msg_wgemm_pack(const float *u, int cin, int cout, float *packed) {
    for (int cb = 0; cb * 32 < cout; cb++) {
        int co0 = 32 * cb, wd = cout - co0 < 32 ? cout - co0 : 32;
        float *dst = packed + (long)cb * cin * 32;
        for (int ci = 0; ci < cin; ci++)
            for (int j = 0; j < wd; j++) dst[(long)ci * wd + j] = u[(long)ci * cout + co0 + j];
    }
}

void msg_wgemm(const float *v, int tiles, int cin, const float *packed, int cout, int cb0, int cb1, float *m) {
#ifdef MSG_X86
    if (wino_vector(cout)) { wgemm_avx512(v, tiles, cin, packed, cout, cb0, cb1, m); return; }
#endif
    wgemm_c(v, tiles, cin, packed, cout, cb0, cb1, m);
}

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

#ifdef MSG_X86
/* Lane p of the result = the sum of the 16 lanes of a[p]: a tree of two-input
 * permutes that halves the partial sums per vector at each level (45 ops for
 * 16 sums instead of 16 separate reductions). */
__attribute__((target("avx512f,fma")))
static inline __m512 sum16(__m512 *a) {
    const __m512i l1a = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
    const __m512i l1b = _mm512_setr_epi32(8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
    const __m512i l2a = _mm512_setr_epi32(0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27);
    const __m512i l2b = _mm512_setr_epi32(4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31);
    const __m512i l3a = _mm512_setr_epi32(0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29);
    const __m512i l3b = _mm512_setr_epi32(2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31);
    const __m512i l4a = _mm512_setr_epi32(0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30);
    const __m512i l4b = _mm512_setr_epi32(1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31);
    __m512 b[8], c[4], d[2];
    /* b[i]: 8 partials of a[i], then 8 of a[i + 8] */
    for (int i = 0; i < 8; i++)
        b[i] = _mm512_add_ps(_mm512_permutex2var_ps(a[i], l1a, a[i + 8]), _mm512_permutex2var_ps(a[i], l1b, a[i + 8]));
    /* c[i]: 4 partials each of a[i], a[i + 4], a[i + 8], a[i + 12] */
    for (int i = 0; i < 4; i++)
        c[i] = _mm512_add_ps(_mm512_permutex2var_ps(b[i], l2a, b[i + 4]), _mm512_permutex2var_ps(b[i], l2b, b[i + 4]));
    /* d[i]: 2 partials each of a[i], a[i + 2], ..., a[i + 14] */
    for (int i = 0; i < 2; i++)
        d[i] = _mm512_add_ps(_mm512_permutex2var_ps(c[i], l3a, c[i + 2]), _mm512_permutex2var_ps(c[i], l3b, c[i + 2]));
    return _mm512_add_ps(_mm512_permutex2var_ps(d[0], l4a, d[1]), _mm512_permutex2var_ps(d[0], l4b, d[1]));
}

/* One pixel's row: bias + LReLU in place; returns the 16-lane partial sums of squares. */
__attribute__((target("avx512f,fma")))
static inline __m512 epi_act(float *row, int c, const float *bias, __m512 vs) {
    __m512 ss = _mm512_setzero_ps();
    for (int ch = 0; ch < c; ch += 16) {
        __m512 v = _mm512_add_ps(_mm512_loadu_ps(row + ch), _mm512_loadu_ps(bias + ch));
        __mmask16 neg = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LT_OQ);
        v = _mm512_mask_mul_ps(v, neg, v, vs);
        _mm512_storeu_ps(row + ch, v);
        ss = _mm512_fmadd_ps(v, v, ss);
    }
    return ss;
}

/* One pixel's row scaled by s in place (when norm), with its to-RGB partial sums. */
__attribute__((target("avx512f,fma")))
static inline void epi_scale_rgb(float *row, int c, __m512 s, int norm, const float *wr, const float *wg,
                                 const float *wb, __m512 *ar, __m512 *ag, __m512 *ab) {
    __m512 r = _mm512_setzero_ps(), g = _mm512_setzero_ps(), b = _mm512_setzero_ps();
    for (int ch = 0; ch < c; ch += 16) {
        __m512 v = _mm512_mul_ps(_mm512_loadu_ps(row + ch), s);
        if (norm) _mm512_storeu_ps(row + ch, v);
        if (wr) {
            r = _mm512_fmadd_ps(v, _mm512_loadu_ps(wr + ch), r);
            g = _mm512_fmadd_ps(v, _mm512_loadu_ps(wg + ch), g);
            b = _mm512_fmadd_ps(v, _mm512_loadu_ps(wb + ch), b);
        }
    }
    *ar = r; *ag = g; *ab = b;
}

/* Pixels in groups of 16: each pixel's channels stay a vector (c is a multiple
 * of 16); the per-pixel sums (PixelNorm's mean square, the three to-RGB dots)
 * of the group are reduced together (sum16), and the group's 16 PixelNorm
 * scales computed as one vector. The last < 16 pixels reduce one by one. */
__attribute__((target("avx512f,fma")))
static void epilogue_avx512(float *rows, int pixels, int c, const float *bias, float slope, float eps,
                            const float *wr, const float *wg, const float *wb, float rb, float gb, float bb,
                            float *r_out, float *g_out, float *b_out) {
    const __m512 vs = _mm512_set1_ps(slope), one = _mm512_set1_ps(1.0f);
    const int norm = eps >= 0;
    int p = 0;
    for (; p + 16 <= pixels; p += 16) {
        float *grp = rows + (long)p * c;
        __m512 ar[16], ag[16], ab[16];   /* ar: first each pixel's squares, then its red dot */
        for (int k = 0; k < 16; k++) ar[k] = epi_act(grp + (long)k * c, c, bias, vs);
        if (!norm && !wr) continue;
        float sc[16];
        __m512 scale = one;
        if (norm) scale = _mm512_div_ps(one, _mm512_sqrt_ps(_mm512_add_ps(_mm512_div_ps(sum16(ar), _mm512_set1_ps((float)c)),
                                                                           _mm512_set1_ps(eps))));
        _mm512_storeu_ps(sc, scale);
        for (int k = 0; k < 16; k++)
            epi_scale_rgb(grp + (long)k * c, c, _mm512_set1_ps(sc[k]), norm, wr, wg, wb, &ar[k], &ag[k], &ab[k]);
        if (wr) {
            _mm512_storeu_ps(r_out + p, _mm512_add_ps(_mm512_set1_ps(rb), sum16(ar)));
            _mm512_storeu_ps(g_out + p, _mm512_add_ps(_mm512_set1_ps(gb), sum16(ag)));
            _mm512_storeu_ps(b_out + p, _mm512_add_ps(_mm512_set1_ps(bb), sum16(ab)));
        }
    }
    for (; p < pixels; p++) {
        float *row = rows + (long)p * c;
        __m512 ss = epi_act(row, c, bias, vs);
        if (!norm && !wr) continue;
        float s = norm ? 1.0f / sqrtf(_mm512_reduce_add_ps(ss) / (float)c + eps) : 1.0f;
        __m512 ar, ag, ab;
        epi_scale_rgb(row, c, _mm512_set1_ps(s), norm, wr, wg, wb, &ar, &ag, &ab);
        if (wr) {
            r_out[p] = rb + _mm512_reduce_add_ps(ar);
            g_out[p] = gb + _mm512_reduce_add_ps(ag);
            b_out[p] = bb + _mm512_reduce_add_ps(ab);
        }
    }
}
#endif

void msg_epilogue(float *rows, int pixels, int c, const float *bias, float slope, float eps,
                  const float *wr, const float *wg, const float *wb, float rb, float gb, float bb,
                  float *r_out, float *g_out, float *b_out) {
#ifdef MSG_X86
    if (msg_kernels_isa() == 2 && c % 16 == 0) {
        epilogue_avx512(rows, pixels, c, bias, slope, eps, wr, wg, wb, rb, gb, bb, r_out, g_out, b_out);
        return;
    }
#endif
    epilogue_c(rows, pixels, c, bias, slope, eps, wr, wg, wb, rb, gb, bb, r_out, g_out, b_out);
}

/* ------------------------------------------------------------------------ */
static int isa = -1;

int msg_kernels_isa(void) {
    if (isa < 0) {
#ifdef MSG_X86
        __builtin_cpu_init();
        isa = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma") ? 2 : 0;
#else
        isa = 0;
#endif
    }
    return isa;
}

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

void msg_blur3(const float *src, float *dst, int h, int w, int c, int r0, int r1, float f0, float f1, float f2) {
#ifdef MSG_X86
    if (msg_kernels_isa() == 2 && c % 16 == 0) {
        blur3_avx512(src, dst, h, w, c, r0, r1, f0, f1, f2);
        return;
    }
#endif
    blur3_c(src, dst, h, w, c, r0, r1, f0, f1, f2);
}
