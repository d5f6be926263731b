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

/* ------------------------------------------------------------------------ */
/* bf16 twin: products of bf16 V and U summed in float32 (VDPBF16PS).        */

/* U packed for msg_wgemm_bf16: column blocks of 32 as msg_wgemm_pack (the
 * last 16 wide when cout % 32 == 16); within a block of width wd, ci pairs
 * k: [cin / 2][wd][2], element (k, j, e) = bf16(u[2k + e][co0 + j]).
 * cin is even. */
void msg_wgemm_pack_bf16(const float *u, int cin, int cout, uint16_t *packed) {
    for (int cb = 0; cb * 32 < cout; cb++) {
        int co0 = 32 * cb, wd = cout - co0 < 32 ? cout - co0 : 32;
        uint16_t *dst = packed + (long)cb * cin * 32;
        for (int k = 0; k < cin / 2; k++)
            for (int j = 0; j < wd; j++)
                for (int e = 0; e < 2; e++)
                    dst[((long)k * wd + j) * 2 + e] = msg_bf16_round(u[(long)(2 * k + e) * cout + co0 + j]);
    }
}

/* One term pair as VDPBF16PS adds it (Intel SDM: the odd product, then the
 * even one, each added with one rounding; bf16 x bf16 products are exact in
 * float32). The portable twin of the vector bodies. */
static inline float dp_pair(float acc, uint16_t a0, uint16_t a1, uint16_t b0, uint16_t b1) {
    acc += msg_bf16_float(a1) * msg_bf16_float(b1);
    acc += msg_bf16_float(a0) * msg_bf16_float(b0);
    return acc;
}

static void wgemm_bf16_c(const uint16_t *v, int tiles, int cin, const uint16_t *packed, int cout, int cb0, int cb1, float *m) {
    for (int cb = cb0; cb < cb1; cb++) {
        int co0 = 32 * cb, wd = cout - co0 < 32 ? cout - co0 : 32;
        const uint16_t *u = packed + (long)cb * cin * 32;
        for (int t = 0; t < tiles; t++) {
            float acc[32] = {0};
            const uint16_t *vt = v + (long)t * cin;
            for (int k = 0; k < cin / 2; k++)
                for (int j = 0; j < wd; j++) {
                    const uint16_t *up = u + ((long)k * wd + j) * 2;
                    acc[j] = dp_pair(acc[j], up[0], up[1], vt[2 * k], vt[2 * k + 1]);
                }
            for (int j = 0; j < wd; j++) m[(long)t * cout + co0 + j] = acc[j];
        }
    }
}

#if defined(MSG_X86)
#define BF16_TGT __attribute__((target("avx512f,avx512bf16,fma")))
/* R tiles x NV vectors of 16 channels (R * NV <= 28 accumulators). */
BF16_TGT static inline __attribute__((always_inline))
void wgemm_bf16_block(const uint16_t *v, int cin, const uint16_t *u, int wd, float *m, int cout, const int R, const int NV) {
    __m512 acc[14][2];
    for (int r = 0; r < R; r++) for (int j = 0; j < NV; j++) acc[r][j] = _mm512_setzero_ps();
    for (int k = 0; k < cin / 2; k++) {
        __m512bh uv[2];
        for (int j = 0; j < NV; j++) uv[j] = (__m512bh)_mm512_loadu_si512(u + ((long)k * wd + 16 * j) * 2);
        for (int r = 0; r < R; r++) {
            int32_t pair;
            memcpy(&pair, v + (long)r * cin + 2 * k, 4);
            __m512bh s = (__m512bh)_mm512_set1_epi32(pair);
            for (int j = 0; j < NV; j++) acc[r][j] = _mm512_dpbf16_ps(acc[r][j], uv[j], s);
        }
    }
    for (int r = 0; r < R; r++) for (int j = 0; j < NV; j++) _mm512_storeu_ps(m + (long)r * cout + 16 * j, acc[r][j]);
}

BF16_TGT static inline __attribute__((always_inline))
void wgemm_bf16_tiles(const uint16_t *v, int tiles, int cin, const uint16_t *u, int wd, float *m, int cout, const int NV) {
    int t = 0;
    for (; t + 14 <= tiles; t += 14) wgemm_bf16_block(v + (long)t * cin, cin, u, wd, m + (long)t * cout, cout, 14, NV);
    const uint16_t *vt = v + (long)t * cin;
    float *mt = m + (long)t * cout;
#define WGB_REST(R_) case R_: wgemm_bf16_block(vt, cin, u, wd, mt, cout, R_, NV); break;
    switch (tiles - t) {
    WGB_REST(1) WGB_REST(2) WGB_REST(3) WGB_REST(4) WGB_REST(5) WGB_REST(6) WGB_REST(7)
    WGB_REST(8) WGB_REST(9) WGB_REST(10) WGB_REST(11) WGB_REST(12) WGB_REST(13)
    default: break;
    }
#undef WGB_REST
}

BF16_TGT static void wgemm_bf16_avx512(const uint16_t *v, int tiles, int cin, const uint16_t *packed, int cout, int cb0, int cb1, float *m) {
    for (int cb = cb0; cb < cb1; cb++) {
        int co0 = 32 * cb, wd = cout - co0 < 32 ? cout - co0 : 32;
        const uint16_t *u = packed + (long)cb * cin * 32;
        if (wd == 32) wgemm_bf16_tiles(v, tiles, cin, u, 32, m + co0, cout, 2);
        else wgemm_bf16_tiles(v, tiles, cin, u, 16, m + co0, cout, 1);
    }
}
#endif

void msg_wgemm_bf16(int isa, const uint16_t *v, int tiles, int cin, const uint16_t *packed, int cout, int cb0, int cb1, float *m) {
#if defined(MSG_X86)
    if (msg_bf16_vector(isa) && cout % 16 == 0 && cin % 2 == 0) { wgemm_bf16_avx512(v, tiles, cin, packed, cout, cb0, cb1, m); return; }
#endif
    wgemm_bf16_c(v, tiles, cin, packed, cout, cb0, cb1, m);
}
