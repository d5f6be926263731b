/* Winograd transforms (input B^T d B, output A^T m A) for F(2x2, 3x3),
 * F(2x2, 2x2) and F(4x4, 2x2) per up-conv phase, and F(4x4, 3x3): portable
 * bodies and AVX-512 ones. The GEMM between them is in wgemm.c. */
#include "kernels_private.h"

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
