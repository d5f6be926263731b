/* Vector body of the Winograd GEMM (wgemm.c), compiled once per ISA (simd.h).
 * A 32-wide column block is cut into sub-blocks of WG_NV vectors; WG_R tiles
 * x WG_NV vectors of accumulators stay in registers: each U row is loaded
 * once per WG_R tiles, each v value broadcast once per U row. Accumulation
 * over ci runs in wgemm_c's order, one fused multiply-add per term, so every
 * ISA gives the same sums (and the portable body differs only by FMA rounding). */
#include "simd.h"

#undef WG_NV
#undef WG_R
#if VL == 16
#define WG_NV 2   /* the whole block: 28 accumulators + 2 U vectors of 32 registers */
#define WG_R 14
#elif VL == 8
#define WG_NV 2   /* 16 channels: 12 accumulators + 2 U vectors + a broadcast of 16 */
#define WG_R 6
#else
#define WG_NV 4   /* 16 channels: 24 accumulators + 4 U vectors + a broadcast of 32 */
#define WG_R 6
#endif

/* R tiles x NV vectors: m [R, NV * VL] (row stride cout) = v [R, cin] x u [cin, NV * VL] (row stride ldu). */
TGT static inline __attribute__((always_inline))
void FN(wgemm_block)(const float *v, int cin, const float *u, int ldu, float *m, int cout, const int R, const int NV) {
    V acc[WG_R][WG_NV];
    for (int r = 0; r < R; r++) for (int j = 0; j < NV; j++) acc[r][j] = v_zero();
    for (int ci = 0; ci < cin; ci++) {
        V uv[WG_NV];
        for (int j = 0; j < NV; j++) uv[j] = v_load(u + (long)ci * ldu + VL * j);
        for (int r = 0; r < R; r++) {
            V s = v_set1(v[(long)r * cin + ci]);
            for (int j = 0; j < NV; j++) acc[r][j] = v_fma(s, uv[j], acc[r][j]);
        }
    }
    for (int r = 0; r < R; r++) for (int j = 0; j < NV; j++) v_store(m + (long)r * cout + VL * j, acc[r][j]);
}

/* All tiles of one sub-block: blocks of WG_R, the rest in one block (R a constant in each case). */
TGT static inline __attribute__((always_inline))
void FN(wgemm_tiles)(const float *v, int tiles, int cin, const float *u, int ldu, float *m, int cout, const int NV) {
    int t = 0;
    for (; t + WG_R <= tiles; t += WG_R)
        FN(wgemm_block)(v + (long)t * cin, cin, u, ldu, m + (long)t * cout, cout, WG_R, NV);
    const float *vt = v + (long)t * cin;
    float *mt = m + (long)t * cout;
#define WG_REST(R_) case R_: if (R_ < WG_R) FN(wgemm_block)(vt, cin, u, ldu, mt, cout, R_ < WG_R ? R_ : 1, NV); break;
    switch (tiles - t) {
    WG_REST(1) WG_REST(2) WG_REST(3) WG_REST(4) WG_REST(5) WG_REST(6) WG_REST(7)
    WG_REST(8) WG_REST(9) WG_REST(10) WG_REST(11) WG_REST(12) WG_REST(13)
    default: break;
    }
#undef WG_REST
}

TGT static void FN(wgemm)(const float *v, int tiles, int cin, const float *packed, int cout, int cb0, int cb1, float *m) {
    for (int cb = cb0; cb < cb1; cb++) {
        int co0 = 32 * cb, wd = cout - co0 < 32 ? cout - co0 : 32;
        const float *u = packed + (long)cb * cin * 32;
        for (int off = 0; off < wd; off += WG_NV * VL) {
            int nv = (wd - off) / VL;
            const float *us = u + off;
            float *ms = m + co0 + off;
            if (nv >= WG_NV) FN(wgemm_tiles)(v, tiles, cin, us, wd, ms, cout, WG_NV);
            else if (nv == 1) FN(wgemm_tiles)(v, tiles, cin, us, wd, ms, cout, 1);
            else if (nv == 2) FN(wgemm_tiles)(v, tiles, cin, us, wd, ms, cout, 2 < WG_NV ? 2 : 1);
            else FN(wgemm_tiles)(v, tiles, cin, us, wd, ms, cout, 3 < WG_NV ? 3 : 1);
        }
    }
}
