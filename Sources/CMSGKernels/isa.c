/* Which instruction set the kernels run with, detected once from the CPU. */
#include "kernels_private.h"

static int isa = -1;

int msg_kernels_isa(void) {
    if (isa < 0) {
#ifdef MSG_X86
        __builtin_cpu_init();
        isa = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma") ? 2 : 0;
#else
        isa = 0;
#endif
    }
    return isa;
}
