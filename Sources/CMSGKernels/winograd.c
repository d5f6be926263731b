/* Winograd transforms (input B^T d B, output A^T m A) for F(2x2, 3x3),
 * F(2x2, 2x2) and F(4x4, 2x2) per up-conv phase, and F(4x4, 3x3): portable
 * bodies and vector ones. The GEMM between them is in wgemm.c. */
#include "kernels_private.h"
#include <stdlib.h>

/* ------------------------------------------------------------------------ */
/* Winograd transforms. Each has a portable body and vector ones            */
/* (winograd_simd.h, VL channels per vector, c % VL == 0) with the same      */
/* coefficients in the same order (the F(4x4, .) vector ones factor the      */
/* products; see there).                                                     */
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

/* The vector bodies factor B^T and A^T (shared terms, fused multiply-adds;
 * about 20-30% faster than the plain matrix products): the portable
 * transforms up to rounding (tests bound both). Interior tiles address their
 * patch directly; border tiles go through patch_pointers' zero rows.
 * (Macros over simd.h's vocabulary, expanded in each ISA's body.)
 * B^T of one 6-vector with shared terms (a = d4 - d2, b = d3 - d1). */
#define W43_IN(d0, d1, d2, d3, d4, d5, r0, r1, r2, r3, r4, r5) do { \
    V a_ = v_sub(d4, d2), b_ = v_sub(d3, d1); \
    r0 = v_fma(v_set1(-2.0f), d2, v_fma(v_set1(1.5f), b_, v_add(d0, d4))); \
    r1 = v_fma(v_set1(0.5f), d3, v_fma(v_set1(-2.5f), d2, v_add(d1, d4))); \
    r2 = v_fma(v_set1(2.5f), d3, v_fma(v_set1(0.5f), d2, v_sub(d4, d1))); \
    r3 = v_fma(v_set1(2.0f), b_, a_); \
    r4 = v_fma(v_set1(-0.5f), b_, a_); \
    r5 = v_fma(v_set1(-2.0f), d3, v_fma(v_set1(1.5f), a_, v_add(d1, d5))); \
} while (0)
/* A^T of one 6-vector (p = m1 + m2, q = m2 - m1). */
#define W43_OUT(m0, m1, m2, m3, m4, m5, y0, y1, y2, y3) do { \
    V p_ = v_add(m1, m2), q_ = v_sub(m2, m1); \
    y0 = v_add(v_add(m0, p_), v_add(m3, m4)); \
    y1 = v_fma(v_set1(-2.0f), m4, v_fma(v_set1(0.5f), m3, q_)); \
    y2 = v_fma(v_set1(4.0f), m4, v_fma(v_set1(0.25f), m3, p_)); \
    y3 = v_fma(v_set1(-8.0f), m4, v_fma(v_set1(0.125f), m3, v_add(q_, m5))); \
} while (0)
/* B^T of one 5-vector, factored (s = d3 - d1). */
#define W42_IN(d0, d1, d2, d3, d4, r0, r1, r2, r3, r4) do { \
    V s_ = v_sub(d3, d1); \
    r0 = v_fma(v_set1(2.0f), v_sub(d0, d2), s_); \
    r1 = v_sub(s_, v_add(d1, d2)); \
    r2 = v_fma(v_set1(3.0f), v_sub(d1, d2), s_); \
    r4 = v_fma(v_set1(-2.0f), s_, v_sub(d4, d2)); \
    r3 = s_; \
} while (0)
/* A^T of one 5-vector (p = m1 + m2, q = m1 - m2). */
#define W42_OUT(m0, m1, m2, m3, m4, y0, y1, y2, y3) do { \
    V p_ = v_add(m1, m2), q_ = v_sub(m1, m2); \
    y0 = v_add(v_add(m0, p_), m3); \
    y1 = v_fma(v_set1(2.0f), m3, q_); \
    y2 = v_fma(v_set1(4.0f), m3, p_); \
    y3 = v_fma(v_set1(8.0f), m3, v_add(q_, m4)); \
} while (0)

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

#define MSG_SIMD_BODY "winograd_simd.h"
#include "simd_instances.h"

#if defined(MSG_X86)
/* The input transforms once more, storing bf16 V (winograd_simd.h). */
#define MSG_SIMD MSG_ISA_AVX512
#define MSG_WINO_BF16 1
#include "winograd_simd.h"
#undef MSG_WINO_BF16
#undef MSG_SIMD
#endif

/* The vector bodies take c % VL == 0 (channels of the image they read or write). */
void msg_wino_input(int isa, const float *x, int h, int w, int c, int tr0, int tr1, float *v, long stride) {
    float zeros[c > 0 ? c : 1];
    memset(zeros, 0, sizeof(float) * (c > 0 ? c : 1));
    MSG_DISPATCH(isa, c % L == 0, wino_input, (x, h, w, c, tr0, tr1, v, stride, zeros));
    wino_input_c(x, h, w, c, tr0, tr1, v, stride, zeros);
}

void msg_wino_output(int isa, const float *m, long stride, int h, int w, int c, int tr0, int tr1, float *y) {
    MSG_DISPATCH(isa, c % L == 0, wino_output, (m, stride, h, w, c, tr0, tr1, y));
    wino_output_c(m, stride, h, w, c, tr0, tr1, y);
}

void msg_wino22_input(int isa, const float *x, int h, int w, int c, int tr0, int tr1, int a, int b, float *v, long stride) {
    float zeros[c > 0 ? c : 1];
    memset(zeros, 0, sizeof(float) * (c > 0 ? c : 1));
    MSG_DISPATCH(isa, c % L == 0, wino22_input, (x, h, w, c, tr0, tr1, a, b, v, stride, zeros));
    wino22_input_c(x, h, w, c, tr0, tr1, a, b, v, stride, zeros);
}

void msg_wino22_output(int isa, const float *m, long stride, int h, int w, int c, int tr0, int tr1, int a, int b, float *y) {
    MSG_DISPATCH(isa, c % L == 0, wino22_output, (m, stride, h, w, c, tr0, tr1, a, b, y));
    wino22_output_c(m, stride, h, w, c, tr0, tr1, a, b, y);
}

void msg_wino43_input(int isa, const float *x, int h, int w, int c, int tr0, int tr1, float *v, long stride) {
    float zeros[c > 0 ? c : 1];
    memset(zeros, 0, sizeof(float) * (c > 0 ? c : 1));
    MSG_DISPATCH(isa, c % L == 0, wino43_input, (x, h, w, c, tr0, tr1, v, stride, zeros));
    wino_large_input_c(x, h, w, c, tr0, tr1, 0, 0, 6, &W43_BT[0][0], v, stride, zeros);
}

void msg_wino43_output(int isa, const float *m, long stride, int h, int w, int c, int tr0, int tr1, float *y) {
    MSG_DISPATCH(isa, c % L == 0, wino43_output, (m, stride, h, w, c, tr0, tr1, y));
    wino_large_output_c(m, stride, h, w, c, tr0, tr1, 0, 0, 0, 6, &W43_AT[0][0], y);
}

void msg_wino42_input(int isa, const float *x, int h, int w, int c, int tr0, int tr1, int a, int b, float *v, long stride) {
    float zeros[c > 0 ? c : 1];
    memset(zeros, 0, sizeof(float) * (c > 0 ? c : 1));
    MSG_DISPATCH(isa, c % L == 0, wino42_input, (x, h, w, c, tr0, tr1, a, b, v, stride, zeros));
    wino_large_input_c(x, h, w, c, tr0, tr1, a, b, 5, &W42_BT[0][0], v, stride, zeros);
}

void msg_wino42_output(int isa, const float *m, long stride, int h, int w, int c, int tr0, int tr1, int a, int b, float *y) {
    MSG_DISPATCH(isa, c % L == 0, wino42_output, (m, stride, h, w, c, tr0, tr1, a, b, y));
    wino_large_output_c(m, stride, h, w, c, tr0, tr1, 1, a, b, 5, &W42_AT[0][0], y);
}

/* ------------------------------------------------------------------------ */
/* bf16 V: the input transforms storing V rounded to bf16, for the bf16      */
/* GEMMs (msg_wgemm_bf16). The vector bodies (AVX-512 with AVX512-BF16,      */
/* c % 16 == 0) round each transformed vector as they store it; elsewhere    */
/* the float32 transform runs into a temporary and is rounded after: the     */
/* same values either way (round(transform) with the ISA's float32 body).    */

typedef void (*wino_f32_input)(int isa, const float *x, int h, int w, int c, int tr0, int tr1, int a, int b, float *v, long stride);
static void wino_input_any(int isa, const float *x, int h, int w, int c, int tr0, int tr1, int a, int b, float *v, long stride) {
    (void)a; (void)b; msg_wino_input(isa, x, h, w, c, tr0, tr1, v, stride);
}
static void wino43_input_any(int isa, const float *x, int h, int w, int c, int tr0, int tr1, int a, int b, float *v, long stride) {
    (void)a; (void)b; msg_wino43_input(isa, x, h, w, c, tr0, tr1, v, stride);
}

/* Fallback: float32 planes of `positions` x tiles x c into a temporary, rounded plane by plane. */
static int wino_bf16_fallback(wino_f32_input fn, int isa, const float *x, int h, int w, int c, int tr0, int tr1, int a, int b,
                              int tile, int positions, uint16_t *v, long stride) {
    long tiles = (long)(tr1 - tr0) * ((w + tile - 1) / tile), n = tiles * c;
    float *tmp = malloc(sizeof(float) * (size_t)(n * positions > 0 ? n * positions : 1));
    if (!tmp) return -1;
    fn(isa, x, h, w, c, tr0, tr1, a, b, tmp, n);
    for (int xi = 0; xi < positions; xi++) msg_f32_to_bf16(isa, tmp + xi * n, n, v + xi * stride);
    free(tmp);
    return 0;
}

/* In a public bf16 transform: runs the vector body `call` (which may use
 * `zeros`, c zero floats) and returns 0 when the bf16 vector path applies. */
#if defined(MSG_X86)
#define BF16_VECTOR_INPUT(call) do { \
    if (msg_bf16_vector(isa) && c % 16 == 0) { \
        float zeros[c > 0 ? c : 1]; \
        memset(zeros, 0, sizeof(float) * (c > 0 ? c : 1)); \
        call; \
        return 0; \
    } } while (0)
#else
#define BF16_VECTOR_INPUT(call) do { } while (0)
#endif

int msg_wino_input_bf16(int isa, const float *x, int h, int w, int c, int tr0, int tr1, uint16_t *v, long stride) {
    BF16_VECTOR_INPUT(wino_input_avx512_bf16(x, h, w, c, tr0, tr1, v, stride, zeros));
    return wino_bf16_fallback(wino_input_any, isa, x, h, w, c, tr0, tr1, 0, 0, 2, 16, v, stride);
}

int msg_wino22_input_bf16(int isa, const float *x, int h, int w, int c, int tr0, int tr1, int a, int b, uint16_t *v, long stride) {
    BF16_VECTOR_INPUT(wino22_input_avx512_bf16(x, h, w, c, tr0, tr1, a, b, v, stride, zeros));
    return wino_bf16_fallback(msg_wino22_input, isa, x, h, w, c, tr0, tr1, a, b, 2, 9, v, stride);
}

int msg_wino43_input_bf16(int isa, const float *x, int h, int w, int c, int tr0, int tr1, uint16_t *v, long stride) {
    BF16_VECTOR_INPUT(wino43_input_avx512_bf16(x, h, w, c, tr0, tr1, v, stride, zeros));
    return wino_bf16_fallback(wino43_input_any, isa, x, h, w, c, tr0, tr1, 0, 0, 4, 36, v, stride);
}

int msg_wino42_input_bf16(int isa, const float *x, int h, int w, int c, int tr0, int tr1, int a, int b, uint16_t *v, long stride) {
    BF16_VECTOR_INPUT(wino42_input_avx512_bf16(x, h, w, c, tr0, tr1, a, b, v, stride, zeros));
    return wino_bf16_fallback(msg_wino42_input, isa, x, h, w, c, tr0, tr1, a, b, 4, 25, v, stride);
}
