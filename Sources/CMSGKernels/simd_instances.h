/* Compiles the body file MSG_SIMD_BODY (a "*_simd.h" name) once for each
 * vector ISA this build targets: AVX-512 and AVX2+FMA on x86-64, NEON on arm64. */
#if defined(MSG_X86)
#define MSG_SIMD MSG_ISA_AVX512
#include MSG_SIMD_BODY
#undef MSG_SIMD
#define MSG_SIMD MSG_ISA_AVX2
#include MSG_SIMD_BODY
#undef MSG_SIMD
#elif defined(MSG_ARM64)
#define MSG_SIMD MSG_ISA_NEON
#include MSG_SIMD_BODY
#undef MSG_SIMD
#endif
#undef MSG_SIMD_BODY
