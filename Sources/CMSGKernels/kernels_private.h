#ifndef MSG_KERNELS_PRIVATE_H
#define MSG_KERNELS_PRIVATE_H
/* What the kernel files share: the public header, libm, and the x86 intrinsics
 * (MSG_X86 where the AVX-512 bodies can be compiled). Not part of the API. */
#include "msg_kernels.h"
#include <math.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define MSG_X86 1
#endif

#endif
