#ifndef MSG_PNG_H
#define MSG_PNG_H
/*
 * The only place msg-gen talks to libpng. libpng reports errors by longjmp,
 * so every setjmp lives here in C; Swift sees plain return codes and a
 * message copied into a caller-supplied buffer.
 */
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One text chunk to write. key and value are NUL-terminated byte strings:
 * Latin-1 for tEXt (is_utf8 == 0), UTF-8 for an uncompressed iTXt (is_utf8 != 0). */
typedef struct msg_png_text {
    const char *key;
    const char *value;
    int is_utf8;
} msg_png_text;

/* Encodes 8-bit RGB pixels (row-major, HWC, width * 3 bytes a row) as a
 * non-interlaced PNG into a malloc'd buffer (*out, *out_size; free it with
 * msg_png_free). compression_level is a zlib level 0...9.
 * Returns 0 on success; otherwise nonzero with a message in err. */
int msg_png_encode_rgb8(const uint8_t *pixels, uint32_t width, uint32_t height,
                        const msg_png_text *texts, size_t text_count,
                        int compression_level,
                        uint8_t **out, size_t *out_size,
                        char *err, size_t err_capacity);

/* Decodes an 8-bit RGB PNG (interlaced or not) from memory.
 * *pixels: malloc'd width * height * 3 bytes.
 * *texts: malloc'd blob of text_count records, each
 *   [is_utf8 byte] key NUL value NUL
 *   (tEXt/zTXt values are Latin-1, iTXt UTF-8). NULL when text_count is 0.
 * max_dimension bounds width and height before anything is allocated.
 * Returns 0 on success; otherwise nonzero with a message in err (nothing to free). */
int msg_png_decode_rgb8(const uint8_t *data, size_t size, uint32_t max_dimension,
                        uint8_t **pixels, uint32_t *width, uint32_t *height,
                        uint8_t **texts, size_t *texts_size, size_t *text_count,
                        char *err, size_t err_capacity);

/* Frees a buffer returned by this module. */
void msg_png_free(void *pointer);

#ifdef __cplusplus
}
#endif
#endif
