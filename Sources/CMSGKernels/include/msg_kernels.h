#ifndef MSG_KERNELS_H
#define MSG_KERNELS_H
/* Hand-vectorised kernels for the layers where GEMM is the wrong tool
 * (high-resolution convolutions with few channels, StyleGAN's blur and
 * epilogues) and for Winograd convolution. Each has a portable C body and
 * vector bodies (AVX-512, AVX2+FMA on x86-64; NEON on arm64) written once in
 * the *_simd.h files; all are checked against the slow Swift twins in
 * MSGKernels/Reference.swift and against each other (tools/neon/).
 *
 * Every kernel takes the instruction set to run with as its first argument
 * (`isa`, one of MSG_ISA_*; normally msg_kernels_isa()): tests run each path
 * side by side. An ISA this CPU cannot run, or a shape a vector body does not
 * take (e.g. channels not a multiple of its vector width), runs the portable body. */

#include <stdint.h>

#define MSG_ISA_PORTABLE 0
#define MSG_ISA_AVX2 1     /* x86-64-v3: AVX2 + FMA, 8 floats per vector */
#define MSG_ISA_AVX512 2   /* AVX-512F, 16 floats per vector */
#define MSG_ISA_NEON 3     /* arm64 Advanced SIMD, 4 floats per vector */

/* The ISA in use: MSG_GEN_ISA (avx512 | avx2 | neon | portable) when set to
 * one this CPU runs, else the best it runs. Read once. */
int msg_kernels_isa(void);
/* The best ISA this CPU runs. */
int msg_kernels_isa_best(void);
/* 1 when this CPU (and this build) runs `isa`, else 0. */
int msg_kernels_isa_supported(int isa);
/* MSG_ISA_* for a name ("avx512", "avx2", "neon", "portable"; any case), -1
 * for NULL or any other name. */
int msg_kernels_isa_parse(const char *name);
/* The name of an ISA, as msg_kernels_isa_parse reads it. */
const char *msg_kernels_isa_name(int isa);

/* *counter += 1, atomically (relaxed); returns the value before. The work
 * queue of MSGKernels.Workers (Swift's Atomic needs macOS 15). */
long msg_next_item(long *counter);

/* Direct cross-correlation on an NHWC image x [h, w, cin] with packed weights
 * wt [kh * kw * cin, cout] (row (ty * kw + tx) * cin + ci): for output pixels
 * (y, xo), y in [r0, r1), xo in [0, w), writes y_out[((y - r0) * w + xo) * cout + co]
 * = sum over taps of x[y + oy + ty, xo + ox + tx, ci] * wt[...] (zero outside). */
void msg_conv_direct(int isa, const float *x, int h, int w, int cin,
                     const float *wt, int kh, int kw, int oy, int ox, int cout,
                     int r0, int r1, float *y_out);

/* 1 when msg_conv_direct runs this shape (kh x kw kernel, cin -> cout) with
 * its input-stationary blocks (AVX-512 only) for `isa` on this machine, else 0. */
int msg_conv_direct_stationary(int isa, int kh, int kw, int cin, int cout);

/* 3x3 depthwise blur with the separable filter (f0, f1, f2) per axis, zero
 * padding, of rows [r0, r1) of src [h, w, c] into the same rows of dst. */
void msg_blur3(int isa, const float *src, float *dst, int h, int w, int c, int r0, int r1,
               float f0, float f1, float f2);

/* Winograd F(2x2, 3x3), NHWC, pad 1. Tiles are 2x2 output blocks, tilesX = ceil(w / 2).
 * Input transform of tile rows [tr0, tr1) of x [h, w, c]: tile t (counted from
 * (tr0, 0)) of position xi = 4 * row + col of B^T d B goes to v + xi * stride + t * c. */
void msg_wino_input(int isa, const float *x, int h, int w, int c, int tr0, int tr1, float *v, long stride);
/* Output transform (A^T m A) of tile rows [tr0, tr1), read as the input writes
 * them, into the output rows [2 tr0, min(2 tr1, h)) of y [h, w, c] (outputs
 * past the image edge are dropped). */
void msg_wino_output(int isa, const float *m, long stride, int h, int w, int c, int tr0, int tr1, float *y);

/* Winograd F(2x2, 2x2) for one phase (a, b) of a nearest-x2 up-conv, whose
 * low-resolution output (y, x) reads input (y + a - 1 + dy, x + b - 1 + dx).
 * Tiles are 2x2 blocks of that grid, tilesX = ceil(w / 2); 9 positions.
 * Input: tile rows [tr0, tr1) of x [h, w, c] -> v + xi * stride + t * c. */
void msg_wino22_input(int isa, const float *x, int h, int w, int c, int tr0, int tr1, int a, int b, float *v, long stride);
/* Output: m -> the phase's pixels (2 y + a, 2 x + b) of the up-sampled image y [2h, 2w, c]. */
void msg_wino22_output(int isa, const float *m, long stride, int h, int w, int c, int tr0, int tr1, int a, int b, float *y);

/* Winograd F(4x4, 2x2) for one phase (a, b) of an up-conv: as msg_wino22_*,
 * with 4x4 blocks of the phase's grid (tilesX = ceil(w / 4)), 25 positions. */
void msg_wino42_input(int isa, const float *x, int h, int w, int c, int tr0, int tr1, int a, int b, float *v, long stride);
void msg_wino42_output(int isa, const float *m, long stride, int h, int w, int c, int tr0, int tr1, int a, int b, float *y);

/* Winograd F(4x4, 3x3), NHWC, pad 1: tiles of 4x4 outputs, tilesX = ceil(w / 4),
 * 36 positions (6x6 patch); otherwise as msg_wino_input / msg_wino_output. */
void msg_wino43_input(int isa, const float *x, int h, int w, int c, int tr0, int tr1, float *v, long stride);
void msg_wino43_output(int isa, const float *m, long stride, int h, int w, int c, int tr0, int tr1, float *y);

/* The GEMM of one transformed position, m [tiles, cout] = v [tiles, cin] x u [cin, cout],
 * with u packed once (msg_wgemm_pack, cin * cout floats) into column blocks
 * of 32 (the last one narrower when cout % 32 != 0; the vector bodies need
 * cout to be a multiple of their vector width, others take the portable one); computes the
 * column blocks [cb0, cb1) only, so threads can share one band. */
void msg_wgemm_pack(const float *u, int cin, int cout, float *packed);
void msg_wgemm(int isa, const float *v, int tiles, int cin, const float *packed, int cout, int cb0, int cb1, float *m);

/* StyleGAN epilogue pass 1 on `pixels` rows of c channels, in place:
 * v = lrelu(v + noise[p] * nw[ch] + bias[ch]) (noise/nw may be NULL), and
 * stats[ch] += v, stats[c + ch] += v * v in double, summed pixel by pixel. */
void msg_style_pass1(int isa, float *rows, int pixels, int c, const float *noise, const float *nw,
                     const float *bias, float slope, double *stats);
/* Pass 2: rows = rows * scale[ch] + shift[ch]. */
void msg_style_affine(int isa, float *rows, int pixels, int c, const float *scale, const float *shift);

/* Conv epilogue on `pixels` rows of c channels, in place: v = act(v + bias)
 * (slope 1 = linear), then PixelNorm v / sqrt(mean(v^2) + eps) when eps >= 0;
 * then, when wr is not NULL, the to-RGB projection of each finished row:
 * r[p] = rb + sum v * wr (likewise g, b), written to three planar outputs. */
void msg_epilogue(int isa, float *rows, int pixels, int c, const float *bias, float slope, float eps,
                  const float *wr, const float *wg, const float *wb, float rb, float gb, float bb,
                  float *r_out, float *g_out, float *b_out);

/* ---- bf16 (`--precision bf16`) -------------------------------------------
 * bf16 values are uint16_t: the upper half of an IEEE float. The bf16 kernels
 * multiply bf16 inputs and weights and sum in float32 as AVX512-BF16's
 * VDPBF16PS does (per pair of terms: the odd product, then the even one, one
 * rounding each); their vector bodies run for MSG_ISA_AVX512 on a CPU with
 * AVX512-BF16, their portable twins (same sums, same order) otherwise. Every
 * bf16 kernel needs an even cin. */

/* 1 when this CPU (and this build) runs VDPBF16PS (AVX512-BF16), else 0. */
int msg_kernels_bf16_supported(void);
/* dst[i] = src[i] rounded to bf16 (to nearest, ties to even). */
void msg_f32_to_bf16(int isa, const float *src, long n, uint16_t *dst);

/* msg_wgemm with bf16 v [tiles, cin] and U packed by msg_wgemm_pack_bf16
 * (cin * cout values: column blocks as msg_wgemm_pack, ci pairs interleaved
 * within each: [cin / 2][width][2]); m stays float32. */
void msg_wgemm_pack_bf16(const float *u, int cin, int cout, uint16_t *packed);
void msg_wgemm_bf16(int isa, const uint16_t *v, int tiles, int cin, const uint16_t *packed, int cout, int cb0, int cb1, float *m);

/* The Winograd input transforms with V stored as bf16 (each value the float32
 * transform's, rounded); same arguments as their float32 twins, v and stride
 * in bf16 values. Return 0, or -1 when the temporary of the slow path (CPUs
 * without AVX512-BF16, or c % 16 != 0) cannot be allocated. */
int msg_wino_input_bf16(int isa, const float *x, int h, int w, int c, int tr0, int tr1, uint16_t *v, long stride);
int msg_wino22_input_bf16(int isa, const float *x, int h, int w, int c, int tr0, int tr1, int a, int b, uint16_t *v, long stride);
int msg_wino43_input_bf16(int isa, const float *x, int h, int w, int c, int tr0, int tr1, uint16_t *v, long stride);
int msg_wino42_input_bf16(int isa, const float *x, int h, int w, int c, int tr0, int tr1, int a, int b, uint16_t *v, long stride);

/* msg_conv_direct with bf16 input rows and weights: x holds image rows
 * [row0, row0 + n) (row iy at x + (iy - row0) * w * cin; only the rows the
 * output rows [r0, r1) read are touched), wt is msg_conv_direct's layout
 * packed by msg_conv_direct_pack_bf16 ([taps][cin / 2][cout][2]). */
void msg_conv_direct_pack_bf16(const float *wt, int taps, int cin, int cout, uint16_t *packed);
void msg_conv_direct_bf16(int isa, const uint16_t *x, int row0, int h, int w, int cin, const uint16_t *wt, int kh, int kw,
                          int oy, int ox, int cout, int r0, int r1, float *out);

#endif
