/* Microbenchmark of the Winograd input transforms on each vector ISA, outside
 * the engine: one image of H x H x C (NHWC), all of its tiles into V planes
 * `tiles * C + PAD` floats apart (the engine's plane stride; Winograd.planePad).
 * Shows what the plane stride does to the transforms (issue 20: L1 set
 * conflicts between the planes made AVX2 2.5-3x slower than AVX-512).
 *
 *   swift build -c release --product msg-gen
 *   cc -O2 -I Sources/CMSGKernels/include tools/bench/wino_transforms.c \
 *      .build/release/CMSGKernels.build/*.o -lm -o /tmp/wino_transforms
 *   /tmp/wino_transforms H C PAD      e.g. 32 512 0, then 32 512 48
 *
 * Prints microseconds per call of each transform (F(2x2, 2x2) up-conv phase,
 * F(4x4, 3x3), F(4x4, 2x2) phase) for AVX-512 and AVX2 (where the CPU has them). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "msg_kernels.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: %s H C PAD\n", argv[0]); return 2; }
    int h = atoi(argv[1]), c = atoi(argv[2]);
    long pad = atol(argv[3]);
    if (h < 1 || c < 1 || c % 16 || pad < 0) { fprintf(stderr, "H >= 1, C a multiple of 16, PAD >= 0\n"); return 2; }
    float *x = aligned_alloc(64, sizeof(float) * ((long)h * h * c + 16));
    for (long i = 0; i < (long)h * h * c; i++) x[i] = (float)(i % 7) * 0.1f;
    long tiles2 = (long)((h + 1) / 2) * ((h + 1) / 2), tiles4 = (long)((h + 3) / 4) * ((h + 3) / 4);
    long stride2 = tiles2 * c + pad, stride4 = tiles4 * c + pad;
    float *v2 = aligned_alloc(64, sizeof(float) * (9 * stride2 + 16));
    float *v4 = aligned_alloc(64, sizeof(float) * (36 * stride4 + 16));
    for (int isa = MSG_ISA_AVX512; isa >= MSG_ISA_AVX2; isa--) {
        if (!msg_kernels_isa_supported(isa)) continue;
        int reps = 200000000 / (h * h * c) + 1;
        double t = now();
        for (int r = 0; r < reps; r++) msg_wino22_input(isa, x, h, h, c, 0, (h + 1) / 2, 0, 0, v2, stride2);
        double t22 = (now() - t) / reps;
        t = now();
        for (int r = 0; r < reps; r++) msg_wino43_input(isa, x, h, h, c, 0, (h + 3) / 4, v4, stride4);
        double t43 = (now() - t) / reps;
        t = now();
        for (int r = 0; r < reps; r++) msg_wino42_input(isa, x, h, h, c, 0, (h + 3) / 4, 0, 0, v4, stride4);
        double t42 = (now() - t) / reps;
        printf("%s H %d C %d pad %ld: wino22_input %.1f us  wino43_input %.1f us  wino42_input %.1f us\n",
               isa == MSG_ISA_AVX512 ? "avx512" : "avx2  ", h, c, pad, t22 * 1e6, t43 * 1e6, t42 * 1e6);
    }
    return 0;
}
