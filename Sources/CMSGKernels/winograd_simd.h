/* Vector bodies of the Winograd transforms (winograd.c), compiled once per
 * ISA (simd.h), VL channels per vector (c % VL == 0). F(2x2, .) as the
 * portable bodies, term for term; F(4x4, .) factored (W43_IN ... in winograd.c). */
#include "simd.h"

/* With MSG_WINO_BF16 (AVX-512 only): the input transforms again, storing V
 * rounded to bf16 (VCVTNEPS2BF16) for the bf16 GEMMs, named *_avx512_bf16;
 * the output transforms are not repeated. */
#undef VOUT
#undef v_store_out
#ifdef MSG_WINO_BF16
#undef FN_SUFFIX
#define FN_SUFFIX avx512_bf16
#undef TGT
#define TGT __attribute__((target("avx512f,avx512bf16,fma")))
#define VOUT uint16_t
#define v_store_out(p, x) _mm256_storeu_si256((__m256i *)(p), (__m256i)_mm512_cvtneps_pbh(x))
#else
#define VOUT float
#define v_store_out v_store
#endif

TGT static void FN(wino_input)(const float *x, int h, int w, int c, int tr0, int tr1, VOUT *v, long stride,
                              const float *zeros) {
    int tilesX = (w + 1) / 2;
    long t = 0;
    for (int ty = tr0; ty < tr1; ty++) {
        for (int tx = 0; tx < tilesX; tx++, t++) {
            const float *d[16];
            patch_pointers(x, h, w, c, 2 * ty - 1, 2 * tx - 1, 4, zeros, d);
            VOUT *o = v + t * c;
            for (int ch = 0; ch < c; ch += VL) {
                V m[16];
                for (int j = 0; j < 4; j++) {
                    V d0 = v_load(d[j] + ch), d1 = v_load(d[4 + j] + ch);
                    V d2 = v_load(d[8 + j] + ch), d3 = v_load(d[12 + j] + ch);
                    m[j] = v_sub(d0, d2); m[4 + j] = v_add(d1, d2);
                    m[8 + j] = v_sub(d2, d1); m[12 + j] = v_sub(d1, d3);
                }
                for (int i = 0; i < 4; i++) {
                    V m0 = m[i * 4], m1 = m[i * 4 + 1], m2 = m[i * 4 + 2], m3 = m[i * 4 + 3];
                    v_store_out(o + (i * 4 + 0) * stride + ch, v_sub(m0, m2));
                    v_store_out(o + (i * 4 + 1) * stride + ch, v_add(m1, m2));
                    v_store_out(o + (i * 4 + 2) * stride + ch, v_sub(m2, m1));
                    v_store_out(o + (i * 4 + 3) * stride + ch, v_sub(m1, m3));
                }
            }
        }
    }
}

#ifndef MSG_WINO_BF16
TGT static void FN(wino_output)(const float *m, long stride, int h, int w, int c, int tr0, int tr1, float *y) {
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
            for (int ch = 0; ch < c; ch += VL) {
                V r0[4], r1[4];
                for (int i = 0; i < 4; i++) {
                    V a0 = v_load(s + (i * 4 + 0) * stride + ch), a1 = v_load(s + (i * 4 + 1) * stride + ch);
                    V a2 = v_load(s + (i * 4 + 2) * stride + ch), a3 = v_load(s + (i * 4 + 3) * stride + ch);
                    r0[i] = v_add(v_add(a0, a1), a2);
                    r1[i] = v_sub(v_sub(a1, a2), a3);
                }
                v_store(y00 + ch, v_add(v_add(r0[0], r0[1]), r0[2]));
                if (two_cols) v_store(y01 + ch, v_add(v_add(r1[0], r1[1]), r1[2]));
                if (two_rows) {
                    v_store(y10 + ch, v_sub(v_sub(r0[1], r0[2]), r0[3]));
                    if (two_cols) v_store(y11 + ch, v_sub(v_sub(r1[1], r1[2]), r1[3]));
                }
            }
        }
    }
}
#endif

TGT static void FN(wino22_input)(const float *x, int h, int w, int c, int tr0, int tr1, int a, int b, VOUT *v,
                                long stride, const float *zeros) {
    int tilesX = (w + 1) / 2;
    long t = 0;
    for (int ty = tr0; ty < tr1; ty++) {
        for (int tx = 0; tx < tilesX; tx++, t++) {
            const float *d[9];
            patch_pointers(x, h, w, c, 2 * ty + a - 1, 2 * tx + b - 1, 3, zeros, d);
            VOUT *o = v + t * c;
            for (int ch = 0; ch < c; ch += VL) {
                V m[9];
                for (int j = 0; j < 3; j++) {
                    V d0 = v_load(d[j] + ch), d1 = v_load(d[3 + j] + ch), d2 = v_load(d[6 + j] + ch);
                    m[j] = v_sub(d0, d1); m[3 + j] = d1; m[6 + j] = v_sub(d2, d1);
                }
                for (int i = 0; i < 3; i++) {
                    V m0 = m[i * 3], m1 = m[i * 3 + 1], m2 = m[i * 3 + 2];
                    v_store_out(o + (i * 3 + 0) * stride + ch, v_sub(m0, m1));
                    v_store_out(o + (i * 3 + 1) * stride + ch, m1);
                    v_store_out(o + (i * 3 + 2) * stride + ch, v_sub(m2, m1));
                }
            }
        }
    }
}

#ifndef MSG_WINO_BF16
TGT static void FN(wino22_output)(const float *m, long stride, int h, int w, int c, int tr0, int tr1, int a, int b,
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
            for (int ch = 0; ch < c; ch += VL) {
                V r0[3], r1[3];
                for (int i = 0; i < 3; i++) {
                    V a0 = v_load(s + (i * 3 + 0) * stride + ch);
                    V a1 = v_load(s + (i * 3 + 1) * stride + ch);
                    V a2 = v_load(s + (i * 3 + 2) * stride + ch);
                    r0[i] = v_add(a0, a1);
                    r1[i] = v_add(a1, a2);
                }
                v_store(y00 + ch, v_add(r0[0], r0[1]));
                if (two_cols) v_store(y01 + ch, v_add(r1[0], r1[1]));
                if (two_rows) {
                    v_store(y10 + ch, v_add(r0[1], r0[2]));
                    if (two_cols) v_store(y11 + ch, v_add(r1[1], r1[2]));
                }
            }
        }
    }
}

/* One tile's input transform: patch pixel (i, j) at base + i * wc + j * c for
 * an interior tile (fixed offsets; `interior` is a constant at each call, so
 * each copy has one addressing scheme and steps its pointers by adds: with
 * 16 registers, recomputing 36 selected addresses per vector cost AVX2 2.8x
 * AVX-512's time), else at d[i * 6 + j] (zeros outside). */
#endif

TGT static inline __attribute__((always_inline))
void FN(wino43_input_tile)(int interior, const float *base, long wc, const float *const *d, int c, VOUT *o, long stride) {
    for (int ch = 0; ch < c; ch += VL) {
        V m[36];
        for (int j = 0; j < 6; j++) {
            V in[6];
            if (interior) {
                const float *p = base + (long)j * c + ch;
                for (int i = 0; i < 6; i++, p += wc) in[i] = v_load(p);
            } else {
                for (int i = 0; i < 6; i++) in[i] = v_load(d[i * 6 + j] + ch);
            }
            W43_IN(in[0], in[1], in[2], in[3], in[4], in[5], m[j], m[6 + j], m[12 + j], m[18 + j], m[24 + j], m[30 + j]);
        }
        for (int i = 0; i < 6; i++) {
            V r0, r1, r2, r3, r4, r5;
            W43_IN(m[i * 6], m[i * 6 + 1], m[i * 6 + 2], m[i * 6 + 3], m[i * 6 + 4], m[i * 6 + 5], r0, r1, r2, r3, r4, r5);
            VOUT *oi = o + (long)(i * 6) * stride + ch;
            v_store_out(oi, r0); v_store_out(oi + stride, r1); v_store_out(oi + 2 * stride, r2);
            v_store_out(oi + 3 * stride, r3); v_store_out(oi + 4 * stride, r4); v_store_out(oi + 5 * stride, r5);
        }
    }
}

TGT static void FN(wino43_input)(const float *x, int h, int w, int c, int tr0, int tr1, VOUT *v, long stride,
                                const float *zeros) {
    const int tilesX = (w + 3) / 4;
    const long wc = (long)w * c;
    long t = 0;
    for (int ty = tr0; ty < tr1; ty++) {
        const int rows_in = 4 * ty - 1 >= 0 && 4 * ty + 5 <= h;
        for (int tx = 0; tx < tilesX; tx++, t++) {
            if (rows_in && 4 * tx - 1 >= 0 && 4 * tx + 5 <= w) {
                FN(wino43_input_tile)(1, x + ((long)(4 * ty - 1) * w + 4 * tx - 1) * c, wc, NULL, c, v + t * c, stride);
            } else {
                const float *d[36];
                patch_pointers(x, h, w, c, 4 * ty - 1, 4 * tx - 1, 6, zeros, d);
                FN(wino43_input_tile)(0, NULL, 0, d, c, v + t * c, stride);
            }
        }
    }
}

#ifndef MSG_WINO_BF16
TGT static void FN(wino43_output)(const float *m, long stride, int h, int w, int c, int tr0, int tr1, float *y) {
    const int tilesX = (w + 3) / 4;
    long t = 0;
    for (int ty = tr0; ty < tr1; ty++) {
        for (int tx = 0; tx < tilesX; tx++, t++) {
            const float *s = m + t * c;
            int rows = h - 4 * ty < 4 ? h - 4 * ty : 4, cols = w - 4 * tx < 4 ? w - 4 * tx : 4;
            for (int ch = 0; ch < c; ch += VL) {
                V r[24];   /* r[j * 6 + i] = (M A)[i][j] */
                for (int i = 0; i < 6; i++) {
                    const float *si = s + (long)(i * 6) * stride + ch;
                    V a0 = v_load(si), a1 = v_load(si + stride), a2 = v_load(si + 2 * stride);
                    V a3 = v_load(si + 3 * stride), a4 = v_load(si + 4 * stride), a5 = v_load(si + 5 * stride);
                    W43_OUT(a0, a1, a2, a3, a4, a5, r[i], r[6 + i], r[12 + i], r[18 + i]);
                }
                for (int j = 0; j < cols; j++) {
                    V y0, y1, y2, y3;
                    W43_OUT(r[j * 6], r[j * 6 + 1], r[j * 6 + 2], r[j * 6 + 3], r[j * 6 + 4], r[j * 6 + 5], y0, y1, y2, y3);
                    float *yr = y + ((long)(4 * ty) * w + 4 * tx + j) * c + ch;
                    v_store(yr, y0);
                    if (rows > 1) v_store(yr + (long)w * c, y1);
                    if (rows > 2) v_store(yr + 2L * w * c, y2);
                    if (rows > 3) v_store(yr + 3L * w * c, y3);
                }
            }
        }
    }
}

/* One tile's input transform; patch pixel (i, j) at base + i * wc + j * c
 * (interior tile; `interior` constant at each call, as wino43_input_tile) or
 * d[i * 5 + j] (zeros outside the image). */
#endif

TGT static inline __attribute__((always_inline))
void FN(wino42_input_tile)(int interior, const float *base, long wc, const float *const *d, int c, VOUT *o, long stride) {
    for (int ch = 0; ch < c; ch += VL) {
        V m[25];
        for (int j = 0; j < 5; j++) {
            V in[5];
            if (interior) {
                const float *p = base + (long)j * c + ch;
                for (int i = 0; i < 5; i++, p += wc) in[i] = v_load(p);
            } else {
                for (int i = 0; i < 5; i++) in[i] = v_load(d[i * 5 + j] + ch);
            }
            W42_IN(in[0], in[1], in[2], in[3], in[4], m[j], m[5 + j], m[10 + j], m[15 + j], m[20 + j]);
        }
        for (int i = 0; i < 5; i++) {
            V r0, r1, r2, r3, r4;
            W42_IN(m[i * 5], m[i * 5 + 1], m[i * 5 + 2], m[i * 5 + 3], m[i * 5 + 4], r0, r1, r2, r3, r4);
            VOUT *oi = o + (long)(i * 5) * stride + ch;
            v_store_out(oi, r0); v_store_out(oi + stride, r1); v_store_out(oi + 2 * stride, r2);
            v_store_out(oi + 3 * stride, r3); v_store_out(oi + 4 * stride, r4);
        }
    }
}

TGT static void FN(wino42_input)(const float *x, int h, int w, int c, int tr0, int tr1, int a, int b, VOUT *v,
                                long stride, const float *zeros) {
    const int tilesX = (w + 3) / 4;
    const long wc = (long)w * c;
    long t = 0;
    for (int ty = tr0; ty < tr1; ty++) {
        const int y0 = 4 * ty + a - 1, rows_in = y0 >= 0 && y0 + 5 <= h;
        for (int tx = 0; tx < tilesX; tx++, t++) {
            const int x0 = 4 * tx + b - 1;
            if (rows_in && x0 >= 0 && x0 + 5 <= w) {
                FN(wino42_input_tile)(1, x + ((long)y0 * w + x0) * c, wc, NULL, c, v + t * c, stride);
            } else {
                const float *d[25];
                patch_pointers(x, h, w, c, y0, x0, 5, zeros, d);
                FN(wino42_input_tile)(0, NULL, 0, d, c, v + t * c, stride);
            }
        }
    }
}

#ifndef MSG_WINO_BF16
TGT static void FN(wino42_output)(const float *m, long stride, int h, int w, int c, int tr0, int tr1, int a, int b,
                                 float *y) {
    const int tilesX = (w + 3) / 4;
    const long W2c = 2L * w * c;
    long t = 0;
    for (int ty = tr0; ty < tr1; ty++) {
        for (int tx = 0; tx < tilesX; tx++, t++) {
            const float *s = m + t * c;
            int rows = h - 4 * ty < 4 ? h - 4 * ty : 4, cols = w - 4 * tx < 4 ? w - 4 * tx : 4;
            for (int ch = 0; ch < c; ch += VL) {
                V r[20];   /* r[j * 5 + i] = (M A)[i][j] */
                for (int i = 0; i < 5; i++) {
                    const float *si = s + (long)(i * 5) * stride + ch;
                    V a0 = v_load(si), a1 = v_load(si + stride), a2 = v_load(si + 2 * stride);
                    V a3 = v_load(si + 3 * stride), a4 = v_load(si + 4 * stride);
                    W42_OUT(a0, a1, a2, a3, a4, r[i], r[5 + i], r[10 + i], r[15 + i]);
                }
                for (int j = 0; j < cols; j++) {
                    V y0, y1, y2, y3;
                    W42_OUT(r[j * 5], r[j * 5 + 1], r[j * 5 + 2], r[j * 5 + 3], r[j * 5 + 4], y0, y1, y2, y3);
                    /* low-resolution (4 ty + i, 4 tx + j) -> pixel (2 (4 ty + i) + a, 2 (4 tx + j) + b) */
                    float *yr = y + ((long)(8 * ty + a) * 2 * w + 2 * (4 * tx + j) + b) * c + ch;
                    v_store(yr, y0);
                    if (rows > 1) v_store(yr + 2 * W2c, y1);
                    if (rows > 2) v_store(yr + 4 * W2c, y2);
                    if (rows > 3) v_store(yr + 6 * W2c, y3);
                }
            }
        }
    }
}
#endif

