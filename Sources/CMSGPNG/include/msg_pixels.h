#ifndef MSG_PIXELS_H
#define MSG_PIXELS_H
/*
 * Raw generator output to 8-bit RGB, the rule of SEMANTICS.md "Output
 * pixels" (upstream's numpy/TF float32 arithmetic):
 *   u8 = floor(clamp((x + 1) * 127.5 + 0.5, 0, 255)), NaN -> 0,
 * multiply and add rounded separately (no FMA). The vectorisable twin of
 * MSGImage's PixelMapping.toUInt8, which tests hold it to value by value.
 */
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* n pixels from three planes (r, g, b: n floats each) to interleaved RGB
 * bytes (rgb: 3 n bytes). */
void msg_planes_to_rgb8(const float *r, const float *g, const float *b, size_t n, uint8_t *rgb);

#ifdef __cplusplus
}
#endif
#endif
