/* Slow-twin check of every vector body of Sources/CMSGKernels against the
 * portable C body, for each vector ISA the machine runs (NEON under qemu on
 * an x86 host; AVX2 and AVX-512 natively). Built and run by tools/neon/check.sh.
 *
 * Each case fills its inputs with a fixed pseudo-random sequence, runs one
 * kernel with MSG_ISA_PORTABLE and with the vector ISA, and compares every
 * output: max |vector - portable| <= tol * max(1, max |portable|), tol per
 * kernel below (fused multiply-adds and other summation orders only).
 * Exit status 0 when all pass; one line per failing case. */
#include "msg_kernels.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long long rng = 88172645463325252ull;
static float uniform(void) {   /* xorshift64, values in [-1, 1) */
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    return (float)((rng >> 11) % 2000000) / 1000000.0f - 1.0f;
}
static float *fill(long n) {
    float *p = malloc(sizeof(float) * (n > 0 ? n : 1));
    for (long i = 0; i < n; i++) p[i] = uniform();
    return p;
}
static float *zeros(long n) { return calloc(n > 0 ? n : 1, sizeof(float)); }

static int cases, failures;
static double worst[16];   /* worst relative error per kernel family */
enum { K_CONV, K_BLUR, K_WINO, K_WGEMM, K_STYLE, K_EPI, K_COUNT };
static const char *family[K_COUNT] = {"conv_direct", "blur3", "winograd transforms", "wgemm", "style passes", "epilogue"};

static void compare(int kernel, const char *what, const float *want, const float *got, long n, double tol) {
    double scale = 1, err = 0;
    for (long i = 0; i < n; i++) if (fabs(want[i]) > scale) scale = fabs(want[i]);
    for (long i = 0; i < n; i++) {
        double d = fabs((double)want[i] - (double)got[i]);
        if (!(d <= err)) err = d;   /* NaN counts as a failure */
    }
    cases++;
    if (err / scale > worst[kernel]) worst[kernel] = err / scale;
    if (!(err <= tol * scale)) {
        failures++;
        printf("FAIL %s: max abs error %g (scale %g, tol %g)\n", what, err, scale, tol);
    }
}

static void check_conv(int isa) {
    static const int cins[] = {1, 3, 16, 32, 64}, couts[] = {16, 32, 48, 64, 8}, sizes[] = {1, 4, 13, 19};
    for (unsigned a = 0; a < 5; a++) for (unsigned b = 0; b < 5; b++) for (unsigned s = 0; s < 4; s++)
        for (int k = 2; k <= 3; k++) for (int off = -1; off <= (k == 2 ? 0 : -1); off++) {
            int cin = cins[a], cout = couts[b], h = sizes[s], w = sizes[(s + 1) % 4];
            float *x = fill((long)h * w * cin), *wt = fill((long)k * k * cin * cout);
            int r0 = h > 2 ? 1 : 0, r1 = h;
            long n = (long)(r1 - r0) * w * cout;
            float *want = zeros(n), *got = zeros(n);
            msg_conv_direct(MSG_ISA_PORTABLE, x, h, w, cin, wt, k, k, off, off, cout, r0, r1, want);
            msg_conv_direct(isa, x, h, w, cin, wt, k, k, off, off, cout, r0, r1, got);
            char what[160];
            snprintf(what, sizeof what, "%s conv_direct %dx%d cin %d cout %d %dx%d rows [%d, %d) offset %d",
                     msg_kernels_isa_name(isa), k, k, cin, cout, h, w, r0, r1, off);
            compare(K_CONV, what, want, got, n, 1e-5);
            free(x); free(wt); free(want); free(got);
        }
}

static void check_blur(int isa) {
    static const int cs[] = {3, 4, 8, 16, 48}, sizes[] = {1, 2, 7, 16};
    for (unsigned a = 0; a < 5; a++) for (unsigned s = 0; s < 4; s++) {
        int c = cs[a], h = sizes[s], w = sizes[(s + 2) % 4];
        float *x = fill((long)h * w * c);
        long n = (long)h * w * c;
        float *want = zeros(n), *got = zeros(n);
        msg_blur3(MSG_ISA_PORTABLE, x, want, h, w, c, 0, h, 0.25f, 0.5f, 0.25f);
        msg_blur3(isa, x, got, h, w, c, 0, h, 0.25f, 0.5f, 0.25f);
        char what[120];
        snprintf(what, sizeof what, "%s blur3 c %d %dx%d", msg_kernels_isa_name(isa), c, h, w);
        compare(K_BLUR, what, want, got, n, 1e-6);
        free(x); free(want); free(got);
    }
}

/* Input and output transforms of the four Winograd variants over a band of tile rows. */
static void check_winograd(int isa) {
    static const int cs[] = {3, 4, 8, 16, 32}, sizes[] = {1, 4, 5, 9, 17};
    for (unsigned a = 0; a < 5; a++) for (unsigned s = 0; s < 5; s++) for (int variant = 0; variant < 4; variant++)
        for (int phase = 0; phase < (variant == 1 || variant == 2 ? 4 : 1); phase++) {
            int c = cs[a], h = sizes[s], w = sizes[(s + 3) % 5], pa = phase >> 1, pb = phase & 1;
            int m = variant >= 2 ? 4 : 2;                  /* output tile size */
            int npos = variant == 0 ? 16 : variant == 1 ? 9 : variant == 2 ? 25 : 36;
            int tilesX = (w + m - 1) / m, tilesY = (h + m - 1) / m;
            int tr0 = tilesY > 1 ? 1 : 0, tr1 = tilesY;
            long tiles = (long)(tr1 - tr0) * tilesX, stride = tiles * c;
            float *x = fill((long)h * w * c);
            float *want = zeros(stride * npos), *got = zeros(stride * npos);
            const char *names[] = {"F(2x2,3x3)", "F(2x2,2x2)", "F(4x4,2x2)", "F(4x4,3x3)"};
            char what[160];
            switch (variant) {
            case 0: msg_wino_input(MSG_ISA_PORTABLE, x, h, w, c, tr0, tr1, want, stride);
                    msg_wino_input(isa, x, h, w, c, tr0, tr1, got, stride); break;
            case 1: msg_wino22_input(MSG_ISA_PORTABLE, x, h, w, c, tr0, tr1, pa, pb, want, stride);
                    msg_wino22_input(isa, x, h, w, c, tr0, tr1, pa, pb, got, stride); break;
            case 2: msg_wino42_input(MSG_ISA_PORTABLE, x, h, w, c, tr0, tr1, pa, pb, want, stride);
                    msg_wino42_input(isa, x, h, w, c, tr0, tr1, pa, pb, got, stride); break;
            default: msg_wino43_input(MSG_ISA_PORTABLE, x, h, w, c, tr0, tr1, want, stride);
                     msg_wino43_input(isa, x, h, w, c, tr0, tr1, got, stride); break;
            }
            snprintf(what, sizeof what, "%s %s input c %d %dx%d phase (%d, %d)", msg_kernels_isa_name(isa), names[variant], c, h, w, pa, pb);
            compare(K_WINO, what, want, got, stride * npos, 1e-6);
            /* output transform of the (vector) transformed planes */
            int up = variant == 1 || variant == 2;
            long ny = up ? 4L * h * w * c : (long)h * w * c;
            float *ywant = zeros(ny), *ygot = zeros(ny);
            switch (variant) {
            case 0: msg_wino_output(MSG_ISA_PORTABLE, got, stride, h, w, c, tr0, tr1, ywant);
                    msg_wino_output(isa, got, stride, h, w, c, tr0, tr1, ygot); break;
            case 1: msg_wino22_output(MSG_ISA_PORTABLE, got, stride, h, w, c, tr0, tr1, pa, pb, ywant);
                    msg_wino22_output(isa, got, stride, h, w, c, tr0, tr1, pa, pb, ygot); break;
            case 2: msg_wino42_output(MSG_ISA_PORTABLE, got, stride, h, w, c, tr0, tr1, pa, pb, ywant);
                    msg_wino42_output(isa, got, stride, h, w, c, tr0, tr1, pa, pb, ygot); break;
            default: msg_wino43_output(MSG_ISA_PORTABLE, got, stride, h, w, c, tr0, tr1, ywant);
                     msg_wino43_output(isa, got, stride, h, w, c, tr0, tr1, ygot); break;
            }
            snprintf(what, sizeof what, "%s %s output c %d %dx%d phase (%d, %d)", msg_kernels_isa_name(isa), names[variant], c, h, w, pa, pb);
            compare(K_WINO, what, ywant, ygot, ny, 1e-6);
            free(x); free(want); free(got); free(ywant); free(ygot);
        }
}

static void check_wgemm(int isa) {
    static const int tiles_[] = {1, 5, 13, 14, 15, 29}, cins[] = {1, 16, 64}, couts[] = {4, 8, 16, 24, 48, 64, 96};
    for (unsigned a = 0; a < 6; a++) for (unsigned b = 0; b < 3; b++) for (unsigned d = 0; d < 7; d++) {
        int tiles = tiles_[a], cin = cins[b], cout = couts[d], blocks = (cout + 31) / 32;
        float *v = fill((long)tiles * cin), *u = fill((long)cin * cout), *packed = zeros((long)cin * blocks * 32);
        msg_wgemm_pack(u, cin, cout, packed);
        long n = (long)tiles * cout;
        float *want = zeros(n), *got = zeros(n);
        int cb0 = blocks > 1 ? 1 : 0;
        msg_wgemm(MSG_ISA_PORTABLE, v, tiles, cin, packed, cout, cb0, blocks, want);
        msg_wgemm(isa, v, tiles, cin, packed, cout, cb0, blocks, got);
        char what[120];
        snprintf(what, sizeof what, "%s wgemm tiles %d cin %d cout %d blocks [%d, %d)", msg_kernels_isa_name(isa), tiles, cin, cout, cb0, blocks);
        compare(K_WGEMM, what, want, got, n, 1e-5);
        free(v); free(u); free(packed); free(want); free(got);
    }
}

static void check_style(int isa) {
    static const int cs[] = {3, 16, 40, 512}, pixels_[] = {1, 7, 33};
    for (unsigned a = 0; a < 4; a++) for (unsigned b = 0; b < 3; b++) for (int withNoise = 0; withNoise < 2; withNoise++) {
        int c = cs[a], pixels = pixels_[b];
        long n = (long)pixels * c;
        float *rows = fill(n), *noise = fill(pixels), *nw = fill(c), *bias = fill(c), *scale = fill(c), *shift = fill(c);
        float *want = malloc(sizeof(float) * n), *got = malloc(sizeof(float) * n);
        memcpy(want, rows, sizeof(float) * n); memcpy(got, rows, sizeof(float) * n);
        double *sw = calloc(2 * c, sizeof(double)), *sg = calloc(2 * c, sizeof(double));
        msg_style_pass1(MSG_ISA_PORTABLE, want, pixels, c, withNoise ? noise : NULL, withNoise ? nw : NULL, bias, 0.2f, sw);
        msg_style_pass1(isa, got, pixels, c, withNoise ? noise : NULL, withNoise ? nw : NULL, bias, 0.2f, sg);
        char what[120];
        snprintf(what, sizeof what, "%s style pass1 c %d pixels %d noise %d", msg_kernels_isa_name(isa), c, pixels, withNoise);
        compare(K_STYLE, what, want, got, n, 1e-6);
        float stw[2 * 512], stg[2 * 512];
        for (int i = 0; i < 2 * c; i++) { stw[i] = (float)sw[i]; stg[i] = (float)sg[i]; }
        snprintf(what, sizeof what, "%s style pass1 statistics c %d pixels %d noise %d", msg_kernels_isa_name(isa), c, pixels, withNoise);
        compare(K_STYLE, what, stw, stg, 2 * c, 1e-6);
        msg_style_affine(MSG_ISA_PORTABLE, want, pixels, c, scale, shift);
        msg_style_affine(isa, got, pixels, c, scale, shift);
        snprintf(what, sizeof what, "%s style affine c %d pixels %d", msg_kernels_isa_name(isa), c, pixels);
        compare(K_STYLE, what, want, got, n, 1e-6);
        free(rows); free(noise); free(nw); free(bias); free(scale); free(shift); free(want); free(got); free(sw); free(sg);
    }
}

static void check_epilogue(int isa) {
    static const int cs[] = {4, 8, 16, 48, 512}, pixels_[] = {1, 15, 16, 17, 40};
    for (unsigned a = 0; a < 5; a++) for (unsigned b = 0; b < 5; b++) for (int mode = 0; mode < 4; mode++) {
        int c = cs[a], pixels = pixels_[b], norm = mode & 1, rgb = mode >> 1;
        long n = (long)pixels * c;
        float *rows = fill(n), *bias = fill(c), *wr = fill(c), *wg = fill(c), *wb = fill(c);
        float *want = malloc(sizeof(float) * n), *got = malloc(sizeof(float) * n);
        memcpy(want, rows, sizeof(float) * n); memcpy(got, rows, sizeof(float) * n);
        float *rgbw = zeros(3L * pixels), *rgbg = zeros(3L * pixels);
        float eps = norm ? 1e-8f : -1.0f, slope = mode == 2 ? 1.0f : 0.2f;
        msg_epilogue(MSG_ISA_PORTABLE, want, pixels, c, bias, slope, eps, rgb ? wr : NULL, wg, wb, 0.1f, 0.2f, 0.3f,
                     rgbw, rgbw + pixels, rgbw + 2 * pixels);
        msg_epilogue(isa, got, pixels, c, bias, slope, eps, rgb ? wr : NULL, wg, wb, 0.1f, 0.2f, 0.3f,
                     rgbg, rgbg + pixels, rgbg + 2 * pixels);
        char what[120];
        snprintf(what, sizeof what, "%s epilogue c %d pixels %d norm %d rgb %d", msg_kernels_isa_name(isa), c, pixels, norm, rgb);
        compare(K_EPI, what, want, got, n, 1e-5);
        if (rgb) compare(K_EPI, what, rgbw, rgbg, 3L * pixels, 1e-5);
        free(rows); free(bias); free(wr); free(wg); free(wb); free(want); free(got); free(rgbw); free(rgbg);
    }
}

int main(int argc, char **argv) {
    int isas[] = {MSG_ISA_AVX512, MSG_ISA_AVX2, MSG_ISA_NEON}, ran = 0;
    for (int i = 0; i < 3; i++) {
        int isa = isas[i];
        if (argc > 1 && msg_kernels_isa_parse(argv[1]) != isa) continue;
        if (!msg_kernels_isa_supported(isa)) continue;
        ran++;
        memset(worst, 0, sizeof worst);
        check_conv(isa); check_blur(isa); check_winograd(isa); check_wgemm(isa); check_style(isa); check_epilogue(isa);
        printf("%s vs portable, worst error relative to the output's magnitude:", msg_kernels_isa_name(isa));
        for (int k = 0; k < K_COUNT; k++) printf(" %s %.2g%s", family[k], worst[k], k + 1 < K_COUNT ? "," : "\n");
    }
    if (!ran) { printf("no vector ISA to check on this machine\n"); return 1; }
    printf("%d cases, %d failures\n", cases, failures);
    return failures ? 1 : 0;
}
