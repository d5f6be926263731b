/* One vector vocabulary for the kernel bodies in *_simd.h, which are written
 * once and compiled once per instruction set: a family file defines MSG_SIMD
 * (MSG_ISA_AVX512, MSG_ISA_AVX2 or MSG_ISA_NEON) and includes its body file,
 * which includes this header first (it may be included again for the next
 * ISA: every name is undefined before it is defined).
 *
 *   V             a vector of VL floats (16 on AVX-512, 8 on AVX2, 4 on NEON)
 *   V_REGS        vector registers the block sizes may plan for
 *   TGT           attributes of every function of a body (the ISA's target)
 *   FN(name)      name_avx512 / name_avx2 / name_neon
 *   v_load/v_store (unaligned), v_set1, v_zero, v_add, v_sub, v_mul, v_div, v_sqrt
 *   v_fma(a, b, c)  a * b + c, one rounding
 *   v_lrelu(v, s)   v < 0 ? v * s : v (lane by lane)
 *   v_reduce(v)     the sum of v's lanes, as a float
 *   v_sum_lanes(a)  for V a[VL]: lane i = the sum of a[i]'s lanes (a tree of
 *                   pairwise adds; other order than v_reduce, same terms)
 */
#include "kernels_private.h"

#undef V
#undef VL
#undef V_REGS
#undef TGT
#undef FN
#undef FN_SUFFIX
#undef v_load
#undef v_store
#undef v_set1
#undef v_zero
#undef v_add
#undef v_sub
#undef v_mul
#undef v_div
#undef v_sqrt
#undef v_fma
#undef v_lrelu
#undef v_reduce
#undef v_sum_lanes

#define FN_CAT_(a, b) a##_##b
#define FN_CAT(a, b) FN_CAT_(a, b)
#define FN(name) FN_CAT(name, FN_SUFFIX)

#if MSG_SIMD == MSG_ISA_AVX512
#define V __m512
#define VL 16
#define V_REGS 32
#define FN_SUFFIX avx512
#define TGT __attribute__((target("avx512f,fma")))
#define v_load _mm512_loadu_ps
#define v_store _mm512_storeu_ps
#define v_set1 _mm512_set1_ps
#define v_zero _mm512_setzero_ps
#define v_add _mm512_add_ps
#define v_sub _mm512_sub_ps
#define v_mul _mm512_mul_ps
#define v_div _mm512_div_ps
#define v_sqrt _mm512_sqrt_ps
#define v_fma _mm512_fmadd_ps
#define v_lrelu(v, s) _mm512_mask_mul_ps((v), _mm512_cmp_ps_mask((v), _mm512_setzero_ps(), _CMP_LT_OQ), (v), (s))
#define v_reduce _mm512_reduce_add_ps
#define v_sum_lanes sum_lanes_avx512
#ifndef MSG_SUM_LANES_AVX512
#define MSG_SUM_LANES_AVX512
/* A tree of two-input permutes that halves the partial sums per vector at
 * each level (45 ops for 16 sums instead of 16 separate reductions). */
__attribute__((target("avx512f,fma")))
static inline __m512 sum_lanes_avx512(const __m512 *a) {
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
#endif

#elif MSG_SIMD == MSG_ISA_AVX2
#define V __m256
#define VL 8
#define V_REGS 16
#define FN_SUFFIX avx2
#define TGT __attribute__((target("avx2,fma")))
#define v_load _mm256_loadu_ps
#define v_store _mm256_storeu_ps
#define v_set1 _mm256_set1_ps
#define v_zero _mm256_setzero_ps
#define v_add _mm256_add_ps
#define v_sub _mm256_sub_ps
#define v_mul _mm256_mul_ps
#define v_div _mm256_div_ps
#define v_sqrt _mm256_sqrt_ps
#define v_fma _mm256_fmadd_ps
#define v_lrelu(v, s) _mm256_blendv_ps((v), _mm256_mul_ps((v), (s)), _mm256_cmp_ps((v), _mm256_setzero_ps(), _CMP_LT_OQ))
#define v_reduce reduce_avx2
#define v_sum_lanes sum_lanes_avx2
#ifndef MSG_SUM_LANES_AVX2
#define MSG_SUM_LANES_AVX2
__attribute__((target("avx2,fma")))
static inline float reduce_avx2(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
/* Horizontal adds pair the vectors' neighbouring lanes twice (within each
 * 128-bit half), then the two halves are added across. */
__attribute__((target("avx2,fma")))
static inline __m256 sum_lanes_avx2(const __m256 *a) {
    __m256 t0 = _mm256_hadd_ps(a[0], a[1]), t1 = _mm256_hadd_ps(a[2], a[3]);
    __m256 t2 = _mm256_hadd_ps(a[4], a[5]), t3 = _mm256_hadd_ps(a[6], a[7]);
    __m256 u0 = _mm256_hadd_ps(t0, t1), u1 = _mm256_hadd_ps(t2, t3);   /* half k: a0..a3 (a4..a7) partials */
    return _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u0, u1, 0x31));
}
#endif

#elif MSG_SIMD == MSG_ISA_NEON
#define V float32x4_t
#define VL 4
#define V_REGS 32
#define FN_SUFFIX neon
#define TGT
#define v_load vld1q_f32
#define v_store vst1q_f32
#define v_set1 vdupq_n_f32
#define v_zero() vdupq_n_f32(0.0f)
#define v_add vaddq_f32
#define v_sub vsubq_f32
#define v_mul vmulq_f32
#define v_div vdivq_f32
#define v_sqrt vsqrtq_f32
#define v_fma(a, b, c) vfmaq_f32((c), (a), (b))
#define v_lrelu(v, s) vbslq_f32(vcltq_f32((v), vdupq_n_f32(0.0f)), vmulq_f32((v), (s)), (v))
#define v_reduce vaddvq_f32
#define v_sum_lanes sum_lanes_neon
#ifndef MSG_SUM_LANES_NEON
#define MSG_SUM_LANES_NEON
static inline float32x4_t sum_lanes_neon(const float32x4_t *a) {
    return vpaddq_f32(vpaddq_f32(a[0], a[1]), vpaddq_f32(a[2], a[3]));
}
#endif

#else
#error "MSG_SIMD must name a vector ISA"
#endif
