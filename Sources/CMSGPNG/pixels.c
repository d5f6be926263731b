/* Float planes -> 8-bit RGB (msg_pixels.h). Written so the compiler
 * vectorises it: branch-free selects, and the multiply and the add in
 * separate statements so -ffp-contract cannot fuse them into an FMA (the
 * rule rounds after each, as numpy does). */
#include "msg_pixels.h"

/* And no contraction whatever flags the target is built with. */
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

static inline uint8_t to_u8(float x) {
    float scaled = (x + 1.0f) * 127.5f;
    float shifted = scaled + 0.5f;
    /* NaN fails every comparison: the first select maps it to 0. */
    float lo = shifted > 0.0f ? shifted : 0.0f;
    float clamped = lo < 255.0f ? lo : 255.0f;
    return (uint8_t)(int32_t)clamped;   /* truncation = floor for clamped >= 0 */
}

void msg_planes_to_rgb8(const float *r, const float *g, const float *b, size_t n, uint8_t *rgb) {
    for (size_t i = 0; i < n; i++) {
        rgb[3 * i] = to_u8(r[i]);
        rgb[3 * i + 1] = to_u8(g[i]);
        rgb[3 * i + 2] = to_u8(b[i]);
    }
}
