/* The GEMM of one Winograd position with weights packed once into column
 * blocks of 32 (msg_wgemm_pack): a portable body and an AVX-512 one. */
#include "kernels_private.h"

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
    if (msg_kernels_isa() == 2 && cout % 16 == 0) { wgemm_avx512(v, tiles, cin, packed, cout, cb0, cb1, m); return; }
#endif
    wgemm_c(v, tiles, cin, packed, cout, cb0, cb1, m);
}
