#!/usr/bin/env python3
"""How much bf16 rounding of the transformed input V and weights U costs each
Winograd variant, against float64 direct convolution (DESIGN.md "bf16"):
relative RMS and worst error of one layer's outputs, random input and weights,
Toom-Cook matrices built from the interpolation points msg-gen uses.

    python3 tools/reference/winograd_bf16_error.py [--cin 256] [--cout 32]

Measured (cin 256): F(2x2, 3x3) 0.4%, F(4x4, 3x3) 1.5% RMS; direct bf16 (inputs
and weights rounded, float64 sums) 0.2%. Why `--precision bf16` keeps
F(4x4, .) on few channels in float32 (ConvLayer.bf16Eligible).
"""
import argparse

import numpy as np


def bf16(a):
    """Round float32 to bf16 (nearest, ties to even), returned as float32."""
    u = np.asarray(a, np.float32).view(np.uint32).astype(np.uint64)
    r = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16) << 16
    return r.astype(np.uint32).view(np.float32)


def toom_cook(points, m, r):
    """A^T (m x n), G (n x r), B^T (n x n) for F(m, r) on `points` plus infinity."""
    n = m + r - 1
    at = np.zeros((m, n))
    g = np.zeros((n, r))
    bt = np.zeros((n, n))
    for j, p in enumerate(points):
        at[:, j] = [p ** k for k in range(m)]
        nj = np.prod([p - q for q in points if q != p])
        g[j, :] = [p ** k / nj for k in range(r)]
        mj = np.poly1d([1.0])
        for q in points:
            if q != p:
                mj = mj * np.poly1d([1, -q])
        c = mj.coeffs[::-1]
        bt[j, :len(c)] = c
    at[m - 1, n - 1] = 1
    g[n - 1, r - 1] = 1
    mx = np.poly1d([1.0])
    for p in points:
        mx = mx * np.poly1d([1, -p])
    c = mx.coeffs[::-1]
    bt[n - 1, :len(c)] = c
    return at, g, bt


def winograd_error(m, points, cin, cout, rng):
    r = 3
    n = m + r - 1
    at, g, bt = toom_cook(points, m, r)
    d = rng.standard_normal((cin, n, n))
    w = rng.standard_normal((cout, cin, 3, 3)) / np.sqrt(9 * cin)
    ref = np.zeros((cout, m, m))
    for i in range(m):
        for j in range(m):
            ref[:, i, j] = np.einsum("oikl,ikl->o", w, d[:, i:i + 3, j:j + 3])
    u = bf16(np.einsum("ak,oikl,bl->oiab", g, w, g)).astype(np.float64)
    v = bf16(np.einsum("ak,ikl,bl->iab", bt, d, bt)).astype(np.float64)
    y = np.einsum("ka,oab,lb->okl", at, np.einsum("oiab,iab->oab", u, v), at)
    e = np.abs(y - ref)
    return np.sqrt((e ** 2).mean() / (ref ** 2).mean()), e.max() / np.abs(ref).max()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cin", type=int, default=256)
    ap.add_argument("--cout", type=int, default=32)
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    for name, m, pts in (("F(2x2, 3x3)", 2, [0, 1, -1]), ("F(4x4, 3x3)", 4, [0, -1, 1, 0.5, -2])):
        rms, worst = winograd_error(m, pts, a.cin, a.cout, rng)
        print(f"{name} bf16 V and U: relative RMS {rms:.4f}, worst {worst:.4f} of the peak")
    x = rng.standard_normal((a.cin, 9))
    w = rng.standard_normal((a.cin, 9, a.cout))
    ref = np.einsum("ik,iko->o", x, w)
    y = np.einsum("ik,iko->o", bf16(x).astype(np.float64), bf16(w).astype(np.float64))
    print(f"direct bf16 inputs and weights: relative RMS {np.sqrt(((y - ref) ** 2).mean() / (ref ** 2).mean()):.4f}")


if __name__ == "__main__":
    main()
