#ifndef MSG_KERNELS_PRIVATE_H
#define MSG_KERNELS_PRIVATE_H
/* What the kernel files share: the public header, libm, the intrinsics of the
 * vector ISAs this build can compile (MSG_X86: AVX-512 and AVX2+FMA bodies
 * behind per-function target attributes; MSG_ARM64: NEON), and the run-time
 * dispatch. Not part of the API. */
#include "msg_kernels.h"
#include <math.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define MSG_X86 1
#elif defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>
#define MSG_ARM64 1
#endif
#include <stdint.h>

/* float -> bf16, to nearest with ties to even (VCVTNEPS2BF16's rounding);
 * NaN stays NaN (quieted). */
static inline uint16_t msg_bf16_round(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40);
    u += 0x7fffu + ((u >> 16) & 1);
    return (uint16_t)(u >> 16);
}
/* bf16 -> float (exact). */
static inline float msg_bf16_float(uint16_t b) {
    uint32_t u = (uint32_t)b << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}
/* 1 when the bf16 kernels' vector bodies run for `isa` (AVX-512 on a CPU with
 * AVX512-BF16), else 0 (their portable twins run). */
int msg_bf16_vector(int isa);

/* `isa` when this CPU runs it, else MSG_ISA_PORTABLE (never an instruction
 * the machine lacks, whatever a caller passes). */
int msg_isa_checked(int isa);

/* Floats per vector of a vector ISA. */
static inline int msg_isa_lanes(int isa) {
    return isa == MSG_ISA_AVX512 ? 16 : isa == MSG_ISA_AVX2 ? 8 : 4;
}

/* In a public entry point: calls fn_<isa> args and returns when `isa` is a
 * vector ISA this CPU runs and `ok` holds; `ok` may use L, the ISA's floats
 * per vector (e.g. c % L == 0). Otherwise falls through to the portable body. */
#if defined(MSG_X86)
#define MSG_DISPATCH(isa, ok, fn, args) do { \
    int L = msg_isa_lanes(isa); (void)L; \
    switch (msg_isa_checked(isa)) { \
    case MSG_ISA_AVX512: if (ok) { fn##_avx512 args; return; } break; \
    case MSG_ISA_AVX2: if (ok) { fn##_avx2 args; return; } break; \
    default: break; } } while (0)
#elif defined(MSG_ARM64)
#define MSG_DISPATCH(isa, ok, fn, args) do { \
    int L = msg_isa_lanes(isa); (void)L; \
    if (msg_isa_checked(isa) == MSG_ISA_NEON && (ok)) { fn##_neon args; return; } } while (0)
#else
#define MSG_DISPATCH(isa, ok, fn, args) do { (void)(isa); } while (0)
#endif

#endif
