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

/* Row filters the encoder may choose among (PNG spec 9.2), as libpng's
 * PNG_FILTER_* bit mask: 0x08 none, 0x10 sub, 0x20 up, 0x40 average, 0x80 Paeth;
 * 0xF8 all five (libpng's adaptive choice per row). 0 takes libpng's default. */

/* An encoder that takes rows as they are ready (libpng's row API): create it
 * with the size, text and settings, write every row top to bottom in one or
 * more calls, then finish to get the PNG. Only the compressed output and one
 * row of filter state are held, never the whole picture.
 * Every call returns 0 on success, else nonzero with a message in err; after
 * a failure the writer only accepts msg_png_writer_free. */
typedef struct msg_png_writer msg_png_writer;

/* zlib_strategy: Z_DEFAULT_STRATEGY (0), Z_FILTERED (1), Z_HUFFMAN_ONLY (2), Z_RLE (3). */
int msg_png_writer_create(uint32_t width, uint32_t height,
                          const msg_png_text *texts, size_t text_count,
                          int compression_level, int filters, int zlib_strategy,
                          msg_png_writer **writer, char *err, size_t err_capacity);

/* `count` rows of width * 3 bytes each, `stride` bytes apart. */
int msg_png_writer_rows(msg_png_writer *writer, const uint8_t *rows, uint32_t count, size_t stride,
                        char *err, size_t err_capacity);

/* Where the PNG goes instead of memory: called with the next bytes of the
 * file, in order, in pieces of about MSG_PNG_SINK_CHUNK bytes; returns 0, or
 * nonzero to fail the writer (the call in progress then reports "output sink
 * failed"). Set it right after create (the header is passed on at the first
 * flush); finish then hands it the rest and returns out = NULL with out_size
 * the file's total size. Only one chunk of output is ever held. */
typedef int (*msg_png_sink)(void *context, const uint8_t *bytes, size_t size);
#define MSG_PNG_SINK_CHUNK (1u << 20)
void msg_png_writer_set_sink(msg_png_writer *writer, msg_png_sink sink, void *context);

/* After the last row: the PNG as a malloc'd buffer (free with msg_png_free),
 * or with a sink set, out NULL and the total bytes sent. */
int msg_png_writer_finish(msg_png_writer *writer, uint8_t **out, size_t *out_size,
                          char *err, size_t err_capacity);

/* Frees a writer in any state (NULL is fine). */
void msg_png_writer_free(msg_png_writer *writer);

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
