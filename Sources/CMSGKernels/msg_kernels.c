#include "msg_kernels.h"
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

__attribute__((target("avx512f,fma")))
static void conv_direct_avx512(const float *x, int h, int w, int cin, const float *wt, int kh, int kw,
                               int oy, int ox, int cout, int r0, int r1, float *out) {
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
