/* Which instruction set the kernels run with: the best this CPU runs, or the
 * one MSG_GEN_ISA names (avx512, avx2, neon, portable) when it can run it. */
#include "kernels_private.h"
#include <stdlib.h>
#include <strings.h>

int msg_kernels_isa_parse(const char *name) {
    if (!name) return -1;
    if (!strcasecmp(name, "avx512")) return MSG_ISA_AVX512;
    if (!strcasecmp(name, "avx2")) return MSG_ISA_AVX2;
    if (!strcasecmp(name, "neon")) return MSG_ISA_NEON;
    if (!strcasecmp(name, "portable")) return MSG_ISA_PORTABLE;
    return -1;
}

const char *msg_kernels_isa_name(int isa) {
    switch (isa) {
    case MSG_ISA_AVX512: return "avx512";
    case MSG_ISA_AVX2: return "avx2";
    case MSG_ISA_NEON: return "neon";
    default: return "portable";
    }
}

/* Bit i set: this CPU (and this build) runs ISA i. Computed once; threads that
 * race compute the same value. */
static int supported_mask(void) {
    static volatile int mask = -1;
    if (mask < 0) {
        int m = 1 << MSG_ISA_PORTABLE;
#if defined(MSG_X86)
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) m |= 1 << MSG_ISA_AVX2;
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma")) m |= 1 << MSG_ISA_AVX512;
#elif defined(MSG_ARM64)
        m |= 1 << MSG_ISA_NEON;
#endif
        mask = m;
    }
    return mask;
}

int msg_kernels_isa_supported(int isa) {
    return isa >= 0 && isa <= MSG_ISA_NEON && (supported_mask() >> isa & 1);
}

int msg_isa_checked(int isa) { return msg_kernels_isa_supported(isa) ? isa : MSG_ISA_PORTABLE; }

int msg_kernels_isa_best(void) {
    if (msg_kernels_isa_supported(MSG_ISA_AVX512)) return MSG_ISA_AVX512;
    if (msg_kernels_isa_supported(MSG_ISA_AVX2)) return MSG_ISA_AVX2;
    if (msg_kernels_isa_supported(MSG_ISA_NEON)) return MSG_ISA_NEON;
    return MSG_ISA_PORTABLE;
}

int msg_kernels_isa(void) {
    static volatile int isa = -1;
    if (isa < 0) {
        int asked = msg_kernels_isa_parse(getenv("MSG_GEN_ISA"));
        isa = asked >= 0 && msg_kernels_isa_supported(asked) ? asked : msg_kernels_isa_best();
    }
    return isa;
}

long msg_next_item(long *counter) { return __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED); }
