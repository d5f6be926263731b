/* Conv epilogue (bias, LReLU, PixelNorm) fused with the to-RGB projection:
 * a portable body and an AVX-512 one. */
#include "kernels_private.h"

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
