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

/* ------------------------------------------------------------------------ */
/* bf16 twin: bf16 input rows and weights, products summed in float32        */
/* (VDPBF16PS). The input holds only rows [row0, ...) of the image: callers   */
/* convert the rows a band reads, not the whole image.                       */

/* wt [taps * cin, cout] (msg_conv_direct's layout) -> [taps][cin / 2][cout][2],
 * element (t, k, co, e) = bf16(wt[(t * cin + 2k + e) * cout + co]); cin even. */
void msg_conv_direct_pack_bf16(const float *wt, int taps, int cin, int cout, uint16_t *packed) {
    for (int t = 0; t < taps; t++)
        for (int k = 0; k < cin / 2; k++)
            for (int co = 0; co < cout; co++)
                for (int e = 0; e < 2; e++)
                    packed[(((long)t * (cin / 2) + k) * cout + co) * 2 + e] =
                        msg_bf16_round(wt[((long)t * cin + 2 * k + e) * cout + co]);
}

/* As VDPBF16PS adds a pair of terms: the odd product, then the even one. */
static inline float conv_dp_pair(float acc, const uint16_t *a, const uint16_t *b) {
    acc += msg_bf16_float(a[1]) * msg_bf16_float(b[1]);
    acc += msg_bf16_float(a[0]) * msg_bf16_float(b[0]);
    return acc;
}

static void conv_direct_bf16_c(const uint16_t *x, int row0, int h, int w, int cin, const uint16_t *wt, int kh, int kw,
                               int oy, int ox, int cout, int r0, int r1, float *out) {
    for (int y = r0; y < r1; y++)
        for (int xo = 0; xo < w; xo++) {
            float *acc = out + ((long)(y - r0) * w + xo) * cout;
            for (int co = 0; co < cout; co++) acc[co] = 0;
            for (int ty = 0; ty < kh; ty++) {
                int iy = y + oy + ty;
                if (iy < 0 || iy >= h) continue;
                for (int tx = 0; tx < kw; tx++) {
                    int ix = xo + ox + tx;
                    if (ix < 0 || ix >= w) continue;
                    const uint16_t *xp = x + ((long)(iy - row0) * w + ix) * cin;
                    const uint16_t *wp = wt + (long)(ty * kw + tx) * cin * cout;
                    for (int k = 0; k < cin / 2; k++)
                        for (int co = 0; co < cout; co++)
                            acc[co] = conv_dp_pair(acc[co], wp + ((long)k * cout + co) * 2, xp + 2 * k);
                }
            }
        }
}

#if defined(MSG_X86)
#define BF16_TGT __attribute__((target("avx512f,avx512bf16,fma")))
/* PB pixels x NV vectors of 16 output channels; the sums run in the portable
 * twin's order (taps, then ci pairs), so both give the same bits. */
BF16_TGT static inline __attribute__((always_inline))
void conv_bf16_block(const uint16_t *x, int row0, int h, int w, int cin, const uint16_t *wt, int kh, int kw,
                     int oy, int ox, int cout, int y, int x0, int npix, float *out, const int NV, const int PB, int checked) {
    __m512 acc[12][4];
    for (int p = 0; p < PB; p++) for (int j = 0; j < NV; j++) acc[p][j] = _mm512_setzero_ps();
    for (int ty = 0; ty < kh; ty++) {
        int iy = y + oy + ty;
        if (iy < 0 || iy >= h) continue;
        for (int tx = 0; tx < kw; tx++) {
            const uint16_t *wp = wt + (long)(ty * kw + tx) * cin * cout;
            int ix0 = x0 + ox + tx;
            const uint16_t *xr = x + (long)(iy - row0) * w * cin;
            for (int k = 0; k < cin / 2; k++) {
                __m512bh wv[4];
                for (int j = 0; j < NV; j++) wv[j] = (__m512bh)_mm512_loadu_si512(wp + ((long)k * cout + 16 * j) * 2);
                for (int p = 0; p < (checked ? npix : PB); p++) {
                    int ix = ix0 + p;
                    if (checked && (ix < 0 || ix >= w)) continue;
                    int32_t pair;
                    memcpy(&pair, xr + (long)ix * cin + 2 * k, 4);
                    __m512bh s = (__m512bh)_mm512_set1_epi32(pair);
                    for (int j = 0; j < NV; j++) acc[p][j] = _mm512_dpbf16_ps(acc[p][j], wv[j], s);
                }
            }
        }
    }
    for (int p = 0; p < npix; p++)
        for (int j = 0; j < NV; j++) _mm512_storeu_ps(out + (long)p * cout + 16 * j, acc[p][j]);
}

BF16_TGT static inline __attribute__((always_inline))
void conv_bf16_rows(const uint16_t *x, int row0, int h, int w, int cin, const uint16_t *wt, int kh, int kw,
                    int oy, int ox, int cout, int r0, int r1, float *out, const int NV, const int PB) {
    int lo = -ox, hi = w - (ox + kw - 1);   /* interior: lo <= xo < hi */
    if (lo < 0) lo = 0;
    for (int y = r0; y < r1; y++) {
        float *row = out + (long)(y - r0) * w * cout;
        for (int xo = 0; xo < w;) {
            int n = w - xo < PB ? w - xo : PB;
            int interior = xo >= lo && xo + n <= hi && n == PB;
            conv_bf16_block(x, row0, h, w, cin, wt, kh, kw, oy, ox, cout, y, xo, n, row + (long)xo * cout, NV, PB, !interior);
            xo += n;
        }
    }
}

/* Input-stationary blocks (as conv_direct_simd.h's float32 ones): R x C
 * output pixels whose taps are all inside the image; each input pair of
 * channels is broadcast once and added into every output of the block it
 * reaches. The per-output sums run in another order than the pixel block's
 * (ci pairs outermost), so border and interior pixels differ by rounding only. */
BF16_TGT static inline __attribute__((always_inline))
void conv_bf16_stationary_block(const uint16_t *xb, int w, const int CIN, const uint16_t *wt, const int KH, const int KW,
                                const int NV, float *out, long ldo, const int R, const int C) {
    __m512 acc[2][12][2];
    for (int r = 0; r < R; r++) for (int c = 0; c < C; c++) for (int j = 0; j < NV; j++) acc[r][c][j] = _mm512_setzero_ps();
    const int cout = 16 * NV;
    for (int k = 0; k < CIN / 2; k++) {
        __m512bh wv[9][2];
#pragma GCC unroll 9
        for (int t = 0; t < KH * KW; t++)
            for (int j = 0; j < NV; j++)
                wv[t][j] = (__m512bh)_mm512_loadu_si512(wt + (((long)t * (CIN / 2) + k) * cout + 16 * j) * 2);
#pragma GCC unroll 4
        for (int ir = 0; ir < R + KH - 1; ir++) {
            const uint16_t *xr = xb + (long)ir * w * CIN + 2 * k;
#pragma GCC unroll 16
            for (int ic = 0; ic < C + KW - 1; ic++) {
                int32_t pair;
                memcpy(&pair, xr + ic * CIN, 4);
                __m512bh b = (__m512bh)_mm512_set1_epi32(pair);
#pragma GCC unroll 3
                for (int ty = 0; ty < KH; ty++) {
                    int r = ir - ty;
                    if (r < 0 || r >= R) continue;
#pragma GCC unroll 3
                    for (int tx = 0; tx < KW; tx++) {
                        int c = ic - tx;
                        if (c < 0 || c >= C) continue;
                        for (int j = 0; j < NV; j++) acc[r][c][j] = _mm512_dpbf16_ps(acc[r][c][j], wv[ty * KW + tx][j], b);
                    }
                }
            }
        }
    }
    for (int r = 0; r < R; r++) for (int c = 0; c < C; c++) for (int j = 0; j < NV; j++)
        _mm512_storeu_ps(out + r * ldo + (long)c * cout + 16 * j, acc[r][c][j]);
}

/* Rows [r0, r1) by stationary blocks of 2 (or a last 1) rows where all taps
 * are inside the image, the rest by the checked pixel block. */
BF16_TGT static inline __attribute__((always_inline))
void conv_bf16_stationary_rows(const uint16_t *x, int row0, int h, int w, const int CIN, const uint16_t *wt, const int KH, const int KW,
                               int oy, int ox, const int NV, int r0, int r1, float *out) {
    const int C2 = NV == 1 ? (KH * KW > 4 ? 8 : 12) : (KH * KW > 4 ? 3 : 5);
    const int C1 = NV == 1 ? 12 : (KH * KW > 4 ? 4 : 8);
    const int PB = NV == 1 ? 12 : 10, cout = 16 * NV;
    const long ldo = (long)w * cout;
    int lo = -ox, hi = w - (ox + KW - 1);
    if (lo < 0) lo = 0;
    for (int y = r0; y < r1;) {
        const int rows = r1 - y >= 2 ? 2 : 1;
        const int inside = y + oy >= 0 && y + rows - 1 + oy + KH - 1 < h;
        float *row = out + (long)(y - r0) * ldo;
        int xo = 0;
        if (inside) {
            xo = lo;
            const uint16_t *xrow = x + (long)(y + oy - row0) * w * CIN;
            if (rows == 2) for (; xo + C2 <= hi; xo += C2)
                conv_bf16_stationary_block(xrow + (long)(xo + ox) * CIN, w, CIN, wt, KH, KW, NV, row + (long)xo * cout, ldo, 2, C2);
            else for (; xo + C1 <= hi; xo += C1)
                conv_bf16_stationary_block(xrow + (long)(xo + ox) * CIN, w, CIN, wt, KH, KW, NV, row + (long)xo * cout, ldo, 1, C1);
        }
        for (int yy = y; yy < y + rows; yy++) {
            float *o = out + (long)(yy - r0) * ldo;
            int spans[2][2] = {{0, inside ? lo : w}, {inside ? xo : w, w}};
            for (int s = 0; s < 2; s++)
                for (int xs = spans[s][0]; xs < spans[s][1];) {
                    int n = spans[s][1] - xs < PB ? spans[s][1] - xs : PB;
                    conv_bf16_block(x, row0, h, w, CIN, wt, KH, KW, oy, ox, cout, yy, xs, n, o + (long)xs * cout, NV, PB, 1);
                    xs += n;
                }
        }
        y += rows;
    }
}

/* Pixels per block: PB * NV accumulators and NV weight vectors in 32 registers. */
BF16_TGT static void conv_direct_bf16_avx512(const uint16_t *x, int row0, int h, int w, int cin, const uint16_t *wt, int kh, int kw,
                                             int oy, int ox, int cout, int r0, int r1, float *out) {
#define X(KH_, KW_, CIN_, NV_) if (STATIONARY_MATCH(KH_, KW_, CIN_, NV_)) { \
        conv_bf16_stationary_rows(x, row0, h, w, CIN_, wt, KH_, KW_, oy, ox, NV_, r0, r1, out); return; }
    STATIONARY_SHAPES(X)
#undef X
    switch (cout / 16) {
    case 1: conv_bf16_rows(x, row0, h, w, cin, wt, kh, kw, oy, ox, cout, r0, r1, out, 1, 12); break;
    case 2: conv_bf16_rows(x, row0, h, w, cin, wt, kh, kw, oy, ox, cout, r0, r1, out, 2, 10); break;
    case 3: conv_bf16_rows(x, row0, h, w, cin, wt, kh, kw, oy, ox, cout, r0, r1, out, 3, 6); break;
    default: conv_bf16_rows(x, row0, h, w, cin, wt, kh, kw, oy, ox, cout, r0, r1, out, 4, 5); break;
    }
}
#endif

void msg_conv_direct_bf16(int isa, const uint16_t *x, int row0, int h, int w, int cin, const uint16_t *wt, int kh, int kw,
                          int oy, int ox, int cout, int r0, int r1, float *out) {
#if defined(MSG_X86)
    if (msg_bf16_vector(isa) && cout % 16 == 0 && cout <= 64 && cin % 2 == 0) {
        conv_direct_bf16_avx512(x, row0, h, w, cin, wt, kh, kw, oy, ox, cout, r0, r1, out);
        return;
    }
#endif
    conv_direct_bf16_c(x, row0, h, w, cin, wt, kh, kw, oy, ox, cout, r0, r1, out);
}
