#include "msg_png.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* MARK: - Error plumbing */

typedef struct {
    char *err;
    size_t capacity;
    int has_error;
} msg_png_context;

static void copy_message(msg_png_context *ctx, const char *prefix, const char *message) {
    if (ctx == NULL || ctx->err == NULL || ctx->capacity == 0) return;
    snprintf(ctx->err, ctx->capacity, "%s%s", prefix, message ? message : "(no message)");
}

/* libpng must not return from an error callback: longjmp to the setjmp in
 * the caller below. */
static void on_error(png_structp png, png_const_charp message) {
    msg_png_context *ctx = (msg_png_context *)png_get_error_ptr(png);
    copy_message(ctx, "libpng: ", message);
    if (ctx) ctx->has_error = 1;
    png_longjmp(png, 1);
}

/* Warnings are kept (the first one) so that a later failure without its own
 * message still says something; they never fail a call. */
static void on_warning(png_structp png, png_const_charp message) {
    msg_png_context *ctx = (msg_png_context *)png_get_error_ptr(png);
    if (ctx && !ctx->has_error && ctx->err && ctx->capacity && ctx->err[0] == '\0')
        copy_message(ctx, "libpng warning: ", message);
}

static void set_error(char *err, size_t capacity, const char *message) {
    if (err && capacity) snprintf(err, capacity, "%s", message);
}

/* MARK: - Encoding */

typedef struct {
    uint8_t *data;
    size_t size;
    size_t capacity;
    msg_png_sink sink;   /* NULL: everything stays in data */
    void *sink_context;
    size_t sent;         /* bytes already handed to the sink */
} growable_buffer;

static int flush_to_sink(growable_buffer *buffer) {
    if (buffer->size == 0) return 0;
    if (buffer->sink(buffer->sink_context, buffer->data, buffer->size) != 0) return 1;
    buffer->sent += buffer->size;
    buffer->size = 0;
    return 0;
}

static void write_to_buffer(png_structp png, png_bytep bytes, png_size_t length) {
    growable_buffer *buffer = (growable_buffer *)png_get_io_ptr(png);
    if (buffer->sink && buffer->size > 0 && buffer->size + length > MSG_PNG_SINK_CHUNK) {
        if (flush_to_sink(buffer) != 0) png_error(png, "output sink failed");
    }
    if (length > SIZE_MAX - buffer->size) png_error(png, "output too large");
    size_t needed = buffer->size + length;
    if (needed > buffer->capacity) {
        size_t capacity = buffer->capacity ? buffer->capacity : 4096;
        while (capacity < needed) {
            if (capacity > SIZE_MAX / 2) { capacity = needed; break; }
            capacity *= 2;
        }
        uint8_t *grown = (uint8_t *)realloc(buffer->data, capacity);
        if (grown == NULL) png_error(png, "out of memory growing the output buffer");
        buffer->data = grown;
        buffer->capacity = capacity;
    }
    memcpy(buffer->data + buffer->size, bytes, length);
    buffer->size = needed;
}

static void flush_buffer(png_structp png) { (void)png; }

/* MARK: - Row-by-row encoding */

struct msg_png_writer {
    msg_png_context ctx;
    growable_buffer buffer;
    png_structp png;
    png_infop info;
    uint32_t width, height, written;
    int failed;
};

void msg_png_writer_free(msg_png_writer *w) {
    if (w == NULL) return;
    if (w->png) png_destroy_write_struct(&w->png, w->info ? &w->info : NULL);
    free(w->buffer.data);
    free(w);
}

void msg_png_writer_set_sink(msg_png_writer *w, msg_png_sink sink, void *context) {
    if (w == NULL) return;
    w->buffer.sink = sink;
    w->buffer.sink_context = context;
}

/* Each entry point below owns its setjmp: libpng longjmps only into a frame
 * that is still live. */
static int writer_failed(msg_png_writer *w, char *err, size_t cap, const char *fallback) {
    w->failed = 1;
    if (!w->ctx.has_error) set_error(err, cap, fallback);
    return 1;
}

int msg_png_writer_create(uint32_t width, uint32_t height,
                          const msg_png_text *texts, size_t text_count,
                          int compression_level, int filters, int zlib_strategy,
                          msg_png_writer **writer, char *err, size_t err_capacity) {
    if (err && err_capacity) err[0] = '\0';
    *writer = NULL;
    if (width == 0 || height == 0 || width > PNG_USER_WIDTH_MAX || height > PNG_USER_HEIGHT_MAX) {
        set_error(err, err_capacity, "image dimensions out of range for PNG");
        return 1;
    }
    if (compression_level < Z_NO_COMPRESSION || compression_level > Z_BEST_COMPRESSION) {
        set_error(err, err_capacity, "compression level must be 0...9");
        return 1;
    }
    if ((filters & ~PNG_ALL_FILTERS) != 0) {
        set_error(err, err_capacity, "unknown PNG filter bits");
        return 1;
    }
    if (zlib_strategy != Z_DEFAULT_STRATEGY && zlib_strategy != Z_FILTERED && zlib_strategy != Z_RLE
        && zlib_strategy != Z_HUFFMAN_ONLY) {
        set_error(err, err_capacity, "zlib strategy must be default, filtered, Huffman-only or RLE");
        return 1;
    }
    if (text_count > (size_t)INT32_MAX) {
        set_error(err, err_capacity, "too many text chunks");
        return 1;
    }
    msg_png_writer *w = (msg_png_writer *)calloc(1, sizeof(msg_png_writer));
    png_textp chunks = text_count ? (png_textp)calloc(text_count, sizeof(png_text)) : NULL;
    if (w == NULL || (text_count && chunks == NULL)) {
        free(w);
        free(chunks);
        set_error(err, err_capacity, "out of memory");
        return 1;
    }
    w->ctx.err = err;
    w->ctx.capacity = err_capacity;
    w->width = width;
    w->height = height;
    w->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &w->ctx, on_error, on_warning);
    w->info = w->png ? png_create_info_struct(w->png) : NULL;
    if (w->png == NULL || w->info == NULL) {
        msg_png_writer_free(w);
        free(chunks);
        set_error(err, err_capacity, "libpng: could not create the write structures");
        return 1;
    }
    if (setjmp(png_jmpbuf(w->png))) {
        free(chunks);
        writer_failed(w, err, err_capacity, "libpng: encoding failed");
        msg_png_writer_free(w);
        return 1;
    }
    png_set_write_fn(w->png, &w->buffer, write_to_buffer, flush_buffer);
    png_set_compression_level(w->png, compression_level);
    png_set_compression_strategy(w->png, zlib_strategy);
    if (filters) png_set_filter(w->png, PNG_FILTER_TYPE_BASE, filters);
    png_set_IHDR(w->png, w->info, width, height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    for (size_t i = 0; i < text_count; i++) {
        chunks[i].key = (png_charp)texts[i].key;
        chunks[i].text = (png_charp)texts[i].value;
        chunks[i].text_length = strlen(texts[i].value);
        chunks[i].compression = texts[i].is_utf8 ? PNG_ITXT_COMPRESSION_NONE : PNG_TEXT_COMPRESSION_NONE;
    }
    if (text_count) png_set_text(w->png, w->info, chunks, (int)text_count);
    png_write_info(w->png, w->info);
    free(chunks);   /* png_set_text copied the strings */
    w->ctx.err = NULL;   /* later calls point it at their own buffer */
    w->ctx.capacity = 0;
    *writer = w;
    return 0;
}

int msg_png_writer_rows(msg_png_writer *w, const uint8_t *rows, uint32_t count, size_t stride,
                        char *err, size_t err_capacity) {
    if (err && err_capacity) err[0] = '\0';
    if (w == NULL || w->failed) { set_error(err, err_capacity, "PNG writer already failed"); return 1; }
    if (count > w->height - w->written) { set_error(err, err_capacity, "more rows than the image height"); return 1; }
    w->ctx.err = err;
    w->ctx.capacity = err_capacity;
    w->ctx.has_error = 0;
    if (setjmp(png_jmpbuf(w->png))) return writer_failed(w, err, err_capacity, "libpng: encoding failed");
    for (uint32_t i = 0; i < count; i++) png_write_row(w->png, (png_const_bytep)(rows + (size_t)i * stride));
    w->written += count;
    w->ctx.err = NULL;
    w->ctx.capacity = 0;
    return 0;
}

int msg_png_writer_finish(msg_png_writer *w, uint8_t **out, size_t *out_size, char *err, size_t err_capacity) {
    if (err && err_capacity) err[0] = '\0';
    *out = NULL;
    *out_size = 0;
    if (w == NULL || w->failed) { set_error(err, err_capacity, "PNG writer already failed"); return 1; }
    if (w->written != w->height) { set_error(err, err_capacity, "PNG finished before its last row"); return 1; }
    w->ctx.err = err;
    w->ctx.capacity = err_capacity;
    w->ctx.has_error = 0;
    if (setjmp(png_jmpbuf(w->png))) return writer_failed(w, err, err_capacity, "libpng: encoding failed");
    png_write_end(w->png, w->info);
    if (w->buffer.sink) {
        if (flush_to_sink(&w->buffer) != 0) {
            w->failed = 1;
            set_error(err, err_capacity, "output sink failed");
            return 1;
        }
        *out_size = w->buffer.sent;
        w->ctx.err = NULL;
        w->ctx.capacity = 0;
        return 0;
    }
    *out = w->buffer.data;
    *out_size = w->buffer.size;
    w->buffer.data = NULL;
    w->buffer.size = w->buffer.capacity = 0;
    w->ctx.err = NULL;
    w->ctx.capacity = 0;
    return 0;
}

/* MARK: - Decoding */

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t offset;
} memory_reader;

static void read_from_memory(png_structp png, png_bytep bytes, png_size_t length) {
    memory_reader *reader = (memory_reader *)png_get_io_ptr(png);
    if (length > reader->size - reader->offset) png_error(png, "truncated PNG data");
    memcpy(bytes, reader->data + reader->offset, length);
    reader->offset += length;
}

/* State that changes after setjmp, on the heap (see encode_session). */
typedef struct {
    msg_png_context ctx;
    memory_reader reader;
    png_bytep *rows;
    uint8_t *pixels;
    uint8_t *texts;
} decode_session;

int msg_png_decode_rgb8(const uint8_t *data, size_t size, uint32_t max_dimension,
                        uint8_t **pixels, uint32_t *width, uint32_t *height,
                        uint8_t **texts, size_t *texts_size, size_t *text_count,
                        char *err, size_t err_capacity) {
    if (err && err_capacity) err[0] = '\0';
    *pixels = NULL;
    *texts = NULL;
    *texts_size = 0;
    *text_count = 0;
    *width = 0;
    *height = 0;
    if (size < 8 || png_sig_cmp((png_const_bytep)data, 0, 8) != 0) {
        set_error(err, err_capacity, "not a PNG (bad signature)");
        return 1;
    }

    decode_session *session = (decode_session *)calloc(1, sizeof(decode_session));
    if (session == NULL) {
        set_error(err, err_capacity, "out of memory");
        return 1;
    }
    session->ctx.err = err;
    session->ctx.capacity = err_capacity;
    session->reader.data = data;
    session->reader.size = size;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &session->ctx, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (png == NULL || info == NULL) {
        png_destroy_read_struct(png ? &png : NULL, NULL, NULL);
        free(session);
        set_error(err, err_capacity, "libpng: could not create the read structures");
        return 1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        if (!session->ctx.has_error) set_error(err, err_capacity, "libpng: decoding failed");
        free(session->rows);
        free(session->pixels);
        free(session->texts);
        free(session);
        return 1;
    }

    png_set_read_fn(png, &session->reader, read_from_memory);
    png_set_user_limits(png, max_dimension, max_dimension);
    png_read_info(png, info);

    png_uint_32 w = 0, h = 0;
    int bit_depth = 0, color_type = 0, interlace = 0;
    png_get_IHDR(png, info, &w, &h, &bit_depth, &color_type, &interlace, NULL, NULL);
    if (bit_depth != 8 || color_type != PNG_COLOR_TYPE_RGB) {
        char message[160];
        snprintf(message, sizeof message,
                 "unsupported PNG format: bit depth %d, color type %d (only 8-bit RGB, color type 2, is read)",
                 bit_depth, color_type);
        png_error(png, message);
    }
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_error(png, "unsupported PNG format: RGB with tRNS transparency");
    if (interlace != PNG_INTERLACE_NONE) png_set_interlace_handling(png);
    png_read_update_info(png, info);

    size_t stride = (size_t)w * 3;
    if (png_get_rowbytes(png, info) != stride) png_error(png, "unexpected row size");
    if (h != 0 && stride > SIZE_MAX / h) png_error(png, "image too large");
    session->pixels = (uint8_t *)malloc(stride * h);
    session->rows = (png_bytep *)malloc(sizeof(png_bytep) * h);
    if (session->pixels == NULL || session->rows == NULL) png_error(png, "out of memory for the image");
    for (png_uint_32 y = 0; y < h; y++) session->rows[y] = session->pixels + (size_t)y * stride;
    png_read_image(png, session->rows);
    png_read_end(png, info);

    /* Text chunks before and after the image data both end up in info. */
    png_textp chunks = NULL;
    int count = png_get_text(png, info, &chunks, NULL);
    size_t total = 0;
    for (int i = 0; i < count; i++) {
        size_t length = chunks[i].compression >= PNG_ITXT_COMPRESSION_NONE ? chunks[i].itxt_length : chunks[i].text_length;
        total += 1 + strlen(chunks[i].key) + 1 + length + 1;
    }
    if (count > 0) {
        session->texts = (uint8_t *)malloc(total);
        if (session->texts == NULL) png_error(png, "out of memory for text chunks");
        uint8_t *cursor = session->texts;
        for (int i = 0; i < count; i++) {
            int utf8 = chunks[i].compression >= PNG_ITXT_COMPRESSION_NONE;
            size_t length = utf8 ? chunks[i].itxt_length : chunks[i].text_length;
            size_t key_length = strlen(chunks[i].key);
            *cursor++ = (uint8_t)utf8;
            memcpy(cursor, chunks[i].key, key_length + 1);
            cursor += key_length + 1;
            if (length) memcpy(cursor, chunks[i].text, length);
            cursor += length;
            *cursor++ = 0;
        }
    }

    png_destroy_read_struct(&png, &info, NULL);
    free(session->rows);
    *pixels = session->pixels;
    *width = w;
    *height = h;
    *texts = session->texts;
    free(session);
    *texts_size = total;
    *text_count = count > 0 ? (size_t)count : 0;
    if (err && err_capacity) err[0] = '\0';
    return 0;
}

void msg_png_free(void *pointer) { free(pointer); }
