/* The GEMM of one Winograd position with weights packed once into column
 * blocks of 32 (msg_wgemm_pack): a portable body and vector ones (wgemm_simd.h). */
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

#define MSG_SIMD_BODY "wgemm_simd.h"
#include "simd_instances.h"

void msg_wgemm_pack(const float *u, int cin, int cout, float *packed) {
    for (int cb = 0; cb * 32 < cout; cb++) {
        int co0 = 32 * cb, wd = cout - co0 < 32 ? cout - co0 : 32;
        float *dst = packed + (long)cb * cin * 32;
        for (int ci = 0; ci < cin; ci++)
            for (int j = 0; j < wd; j++) dst[(long)ci * wd + j] = u[(long)ci * cout + co0 + j];
    }
}

void msg_wgemm(int isa, const float *v, int tiles, int cin, const float *packed, int cout, int cb0, int cb1, float *m) {
    MSG_DISPATCH(isa, cout % L == 0, wgemm, (v, tiles, cin, packed, cout, cb0, cb1, m));
    wgemm_c(v, tiles, cin, packed, cout, cb0, cb1, m);
}
