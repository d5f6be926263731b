/* Vector body of the conv epilogue (epilogue.c), compiled once per ISA
 * (simd.h); c is a multiple of VL. */
#include "simd.h"

/* One pixel's row: bias + LReLU in place; returns the VL-lane partial sums of squares. */
TGT static inline V FN(epi_act)(float *row, int c, const float *bias, V vs) {
    V ss = v_zero();
    for (int ch = 0; ch < c; ch += VL) {
        V v = v_add(v_load(row + ch), v_load(bias + ch));
        v = v_lrelu(v, vs);
        v_store(row + ch, v);
        ss = v_fma(v, v, ss);
    }
    return ss;
}

/* One pixel's row scaled by s in place (when norm), with its to-RGB partial sums. */
TGT static inline void FN(epi_scale_rgb)(float *row, int c, V s, int norm, const float *wr, const float *wg,
                                 const float *wb, V *ar, V *ag, V *ab) {
    V r = v_zero(), g = v_zero(), b = v_zero();
    for (int ch = 0; ch < c; ch += VL) {
        V v = v_mul(v_load(row + ch), s);
        if (norm) v_store(row + ch, v);
        if (wr) {
            r = v_fma(v, v_load(wr + ch), r);
            g = v_fma(v, v_load(wg + ch), g);
            b = v_fma(v, v_load(wb + ch), b);
        }
    }
    *ar = r; *ag = g; *ab = b;
}

/* Pixels in groups of VL: each pixel's channels stay vectors (c is a multiple
 * of VL); the per-pixel sums (PixelNorm's mean square, the three to-RGB dots)
 * of the group are reduced together (v_sum_lanes), and the group's VL PixelNorm
 * scales computed as one vector. The last < VL pixels reduce one by one. */
TGT static void FN(epilogue)(float *rows, int pixels, int c, const float *bias, float slope, float eps,
                      const float *wr, const float *wg, const float *wb, float rb, float gb, float bb,
                      float *r_out, float *g_out, float *b_out) {
    const V vs = v_set1(slope), one = v_set1(1.0f);
    const int norm = eps >= 0;
    int p = 0;
    for (; p + VL <= pixels; p += VL) {
        float *grp = rows + (long)p * c;
        V ar[VL], ag[VL], ab[VL];   /* ar: first each pixel's squares, then its red dot */
        for (int k = 0; k < VL; k++) ar[k] = FN(epi_act)(grp + (long)k * c, c, bias, vs);
        if (!norm && !wr) continue;
        float sc[VL];
        V scale = one;
        if (norm) scale = v_div(one, v_sqrt(v_add(v_div(v_sum_lanes(ar), v_set1((float)c)), v_set1(eps))));
        v_store(sc, scale);
        for (int k = 0; k < VL; k++)
            FN(epi_scale_rgb)(grp + (long)k * c, c, v_set1(sc[k]), norm, wr, wg, wb, &ar[k], &ag[k], &ab[k]);
        if (wr) {
            v_store(r_out + p, v_add(v_set1(rb), v_sum_lanes(ar)));
            v_store(g_out + p, v_add(v_set1(gb), v_sum_lanes(ag)));
            v_store(b_out + p, v_add(v_set1(bb), v_sum_lanes(ab)));
        }
    }
    for (; p < pixels; p++) {
        float *row = rows + (long)p * c;
        V ss = FN(epi_act)(row, c, bias, vs);
        if (!norm && !wr) continue;
        float s = norm ? 1.0f / sqrtf(v_reduce(ss) / (float)c + eps) : 1.0f;
        V ar, ag, ab;
        FN(epi_scale_rgb)(row, c, v_set1(s), norm, wr, wg, wb, &ar, &ag, &ab);
        if (wr) {
            r_out[p] = rb + v_reduce(ar);
            g_out[p] = gb + v_reduce(ag);
            b_out[p] = bb + v_reduce(ab);
        }
    }
}
