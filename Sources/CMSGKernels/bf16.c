/* bfloat16 support shared by the bf16 kernels (wgemm.c, conv_direct.c):
 * run-time detection of AVX512-BF16, and float -> bf16 rounding (to nearest,
 * ties to even, as VCVTNEPS2BF16 rounds). bf16 is the upper half of an IEEE
 * float: 8 exponent bits, 7 stored mantissa bits (relative step 2^-8). */
#include "kernels_private.h"

int msg_kernels_bf16_supported(void) {
    static volatile int ok = -1;
    if (ok < 0) {
        int v = 0;
#if defined(MSG_X86)
        __builtin_cpu_init();
        v = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("fma");
#endif
        ok = v;
    }
    return ok;
}

int msg_bf16_vector(int isa) { return isa == MSG_ISA_AVX512 && msg_kernels_bf16_supported(); }

#if defined(MSG_X86)
__attribute__((target("avx512f,avx512bf16,avx512vl")))
static void f32_to_bf16_avx512(const float *src, long n, uint16_t *dst) {
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256bh b = _mm512_cvtneps_pbh(_mm512_loadu_ps(src + i));
        _mm256_storeu_si256((__m256i *)(dst + i), (__m256i)b);
    }
    for (; i < n; i++) dst[i] = msg_bf16_round(src[i]);
}
#endif

void msg_f32_to_bf16(int isa, const float *src, long n, uint16_t *dst) {
#if defined(MSG_X86)
    if (msg_bf16_vector(isa)) { f32_to_bf16_avx512(src, n, dst); return; }
#endif
    for (long i = 0; i < n; i++) dst[i] = msg_bf16_round(src[i]);
}
