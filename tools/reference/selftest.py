"""Self-test of the reference code: python3 tools/reference/selftest.py

Checks
  * safetensors round trip (F32/F16/BF16, metadata, header padding);
  * the einsum convolutions against naive scalar loops;
  * upsample+conv == per-phase 2x2 conv on the low-res input (the Swift engine's form);
  * stylegan fused transposed conv (scatter-add) == nearest upsample + correlation
    with the spatially flipped 3x3 kernel (SEMANTICS.md's claim), and != unflipped;
  * the committed fixtures reproduce from the reference and are finite, not constant.
"""

import json
import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import progan  # noqa: E402
import safetensors_io as st  # noqa: E402
import stylegan  # noqa: E402

FIX = os.path.join(HERE, "..", "..", "Tests", "MSGGenTests", "Fixtures")
rng = np.random.default_rng(12345)
failures = []


def check(name, ok, detail=""):
    print(("ok    " if ok else "FAIL  ") + name + (f"  ({detail})" if detail else ""))
    if not ok:
        failures.append(name)


# ---------------------------------------------------------------- safetensors
def test_safetensors():
    t = {
        "a": rng.normal(size=(3, 5)).astype(np.float32),
        "b/c": rng.normal(size=(7,)).astype(np.float32),
        "h": rng.normal(size=(2, 3, 4)).astype(np.float32),
        "z": np.float32(rng.normal(size=(1, 1, 1, 1))),
    }
    dt = {"h": "F16", "b/c": "BF16"}
    meta = {"k": "v", "json": json.dumps({"x": [1, 2]})}
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "t.safetensors")
        st.save_file(p, t, meta, dtypes=dt)
        raw = open(p, "rb").read()
        n = int.from_bytes(raw[:8], "little")
        check("safetensors header multiple of 8", n % 8 == 0, f"n={n}")
        back, m2, d2 = st.load_file(p)
    check("safetensors metadata", m2 == meta)
    check("safetensors dtypes", d2 == {"a": "F32", "b/c": "BF16", "h": "F16", "z": "F32"})
    for k in t:
        exp = st.round_to_dtype(t[k], d2[k])
        check(f"safetensors round trip {k}", back[k].shape == t[k].shape and np.array_equal(back[k], exp))
    # BF16 rounding: ties to even, and a known bit pattern.
    x = np.array([1.0, 1.00390625, 1.01171875, -2.5, 3.1415927], dtype=np.float32)
    bits = st.to_bf16_bits(x)
    check("bf16 rounding", list(bits) == [0x3F80, 0x3F80, 0x3F82, 0xC020, 0x4049], str([hex(b) for b in bits]))


# ---------------------------------------------------------------- convolutions
def naive_conv_oihw(x, w, b, pad):
    Cin, H, W = x.shape
    Cout, _, kh, kw = w.shape
    Ho, Wo = H + 2 * pad - kh + 1, W + 2 * pad - kw + 1
    y = np.zeros((Cout, Ho, Wo))
    for o in range(Cout):
        for i in range(Ho):
            for j in range(Wo):
                s = b[o]
                for c in range(Cin):
                    for a in range(kh):
                        for d in range(kw):
                            yy, xx = i + a - pad, j + d - pad
                            if 0 <= yy < H and 0 <= xx < W:
                                s += w[o, c, a, d] * x[c, yy, xx]
                y[o, i, j] = s
    return y


def test_conv():
    for (cin, cout, H, k, pad) in [(1, 1, 1, 3, 1), (3, 2, 5, 3, 1), (4, 3, 4, 1, 0), (2, 5, 6, 3, 1)]:
        x = rng.normal(size=(cin, H, H))
        w = rng.normal(size=(cout, cin, k, k))
        b = rng.normal(size=cout)
        e = np.max(np.abs(progan.conv2d_oihw(x, w, b, pad) - naive_conv_oihw(x, w, b, pad)))
        check(f"conv2d_oihw vs loops cin={cin} cout={cout} H={H} k={k}", e < 1e-12, f"max err {e:.1e}")
    # transposed 4x4 from a vector vs the definition y[o, a, b] = sum_i z[i] w[i, o, a, b] + bias
    z = rng.normal(size=5)
    w = rng.normal(size=(5, 3, 4, 4))
    b = rng.normal(size=3)
    y = progan.deconv4x4_from_vector(z, w, b)
    ref = np.zeros((3, 4, 4))
    for o in range(3):
        for a in range(4):
            for d in range(4):
                ref[o, a, d] = b[o] + sum(z[i] * w[i, o, a, d] for i in range(5))
    check("deconv4x4_from_vector vs loops", np.max(np.abs(y - ref)) < 1e-12)


def test_phase_identity():
    """nearest-up x2 then 3x3 conv (pad 1) == for each output phase (a, b) a 2x2 conv of the
    low-res input. Row phase a = 0 (even rows 2i): taps k=0 reads low row i-1, k=1,2 read row i,
    so the collapsed taps are [w0, w1 + w2] over rows (i-1, i). Phase a = 1 (odd rows 2i+1):
    k=0,1 read row i, k=2 reads row i+1: [w0 + w1, w2] over rows (i, i+1). Same for columns."""
    collapse = {0: [[0], [1, 2]], 1: [[0, 1], [2]]}  # phase -> kernel taps summed into tap 0 / 1
    offset = {0: -1, 1: 0}  # low-res row of tap 0
    for cin, cout, H in [(1, 1, 1), (3, 2, 4), (5, 4, 7)]:
        x = rng.normal(size=(cin, H, H))
        w = rng.normal(size=(cout, cin, 3, 3))
        b = rng.normal(size=cout)
        full = progan.conv2d_oihw(progan.upsample_nearest2(x), w, b, pad=1)
        err = 0.0
        for pa in (0, 1):
            for pb in (0, 1):
                k2 = np.zeros((cout, cin, 2, 2))
                for ta in range(2):
                    for tb in range(2):
                        for ka in collapse[pa][ta]:
                            for kb in collapse[pb][tb]:
                                k2[:, :, ta, tb] += w[:, :, ka, kb]
                # 2x2 correlation over low-res rows i + offset + ta, zero outside.
                xp = np.zeros((cin, H + 2, H + 2))
                xp[:, 1 : H + 1, 1 : H + 1] = x
                y = np.zeros((cout, H, H)) + b[:, None, None]
                for ta in range(2):
                    for tb in range(2):
                        r0, c0 = 1 + offset[pa] + ta, 1 + offset[pb] + tb
                        y += np.einsum("oc,chw->ohw", k2[:, :, ta, tb], xp[:, r0 : r0 + H, c0 : c0 + H])
                err = max(err, np.max(np.abs(y - full[:, pa::2, pb::2])))
        check(f"upsample+conv == per-phase 2x2 conv (cin={cin}, cout={cout}, H={H})", err < 1e-12, f"max err {err:.1e}")


def test_progan_fixtures():
    for name in ["progan-d1-l8", "progan-d3-l16", "progan-d5-l24", "progan-d6-l32"]:
        w, meta, _ = st.load_file(os.path.join(FIX, f"{name}.safetensors"))
        exp, emeta, _ = st.load_file(os.path.join(FIX, f"{name}.expected.safetensors"))
        cfg = json.loads(meta["msg-gen.config"])
        seeds = json.loads(emeta["seeds"])
        err = 0.0
        for s in seeds:
            z = progan.latent(s, cfg["latent_size"])
            check(f"{name} z seed {s}", np.array_equal(exp[f"z/seed{s}"], z.astype(np.float32)))
            for o in progan.forward(w, cfg["depth"], cfg["latent_size"], z):
                R = o.shape[-1]
                e = exp[f"out/seed{s}/{R}"]
                err = max(err, float(np.max(np.abs(e - o))))
                ok = np.all(np.isfinite(e)) and float(e.std()) > 1e-3
                if not ok:
                    check(f"{name} seed {s} R {R} finite & not constant", False)
        check(f"{name} fixture reproduces", err < 1e-5, f"max err vs f32 {err:.1e}")


# ---------------------------------------------------------------- stylegan
def naive_conv2d_stride2_same_4x4(y, k4):
    """tf.nn.conv2d(y, k4, strides 2, 'SAME') for y [Co, 2H, 2W], k4 [4, 4, Co, Ci] -> [Ci, H, W].
    TF SAME: out = ceil(2H / 2) = H, pad_total = (H-1)*2 + 4 - 2H = 2, pad_before = 1."""
    Co, H2, W2 = y.shape
    Ci = k4.shape[3]
    H, W = H2 // 2, W2 // 2
    out = np.zeros((Ci, H, W))
    for c in range(Ci):
        for i in range(H):
            for j in range(W):
                s = 0.0
                for a in range(4):
                    for d in range(4):
                        yy, xx = 2 * i + a - 1, 2 * j + d - 1
                        if 0 <= yy < H2 and 0 <= xx < W2:
                            s += np.dot(k4[a, d, :, c], y[:, yy, xx])
                out[c, i, j] = s
    return out


def test_fused_identity():
    for cin, cout, H in [(1, 1, 1), (2, 3, 2), (4, 3, 5), (3, 2, 8)]:
        x = rng.normal(size=(cin, H, H))
        w = rng.normal(size=(3, 3, cin, cout))  # TF [kh, kw, in, out], asymmetric
        k4 = stylegan.fused_upconv_kernel(w)
        fused = stylegan.conv2d_transpose_stride2_same(x, k4)
        # 1) the scatter-add is the adjoint of TF's stride-2 SAME conv (TF's definition of conv2d_transpose)
        yr = rng.normal(size=(cout, 2 * H, 2 * H))
        lhs = float(np.sum(naive_conv2d_stride2_same_4x4(yr, k4) * x))
        rhs = float(np.sum(yr * fused))
        check(f"conv2d_transpose is adjoint of stride-2 SAME conv (cin={cin}, cout={cout}, H={H})",
              abs(lhs - rhs) < 1e-10 * max(1.0, abs(lhs)), f"{lhs:.6f} vs {rhs:.6f}")
        # 2) SEMANTICS.md: fused == nearest upsample + correlation with the kernel flipped in both axes
        flipped = stylegan.conv2d_hwio_same(stylegan.upscale2d(x), w[::-1, ::-1])
        e = float(np.max(np.abs(fused - flipped)))
        check(f"fused == nearest + flipped 3x3 (cin={cin}, cout={cout}, H={H})", e < 1e-12, f"max err {e:.1e}")
        if H > 1:
            unflipped = stylegan.conv2d_hwio_same(stylegan.upscale2d(x), w)
            e2 = float(np.max(np.abs(fused - unflipped)))
            check(f"fused != nearest + unflipped 3x3 (H={H})", e2 > 1e-3, f"max diff {e2:.2f}")


def test_blur_and_norm():
    x = rng.normal(size=(2, 5, 5))
    y = stylegan.blur2d(x)
    ref = np.zeros_like(x)
    f = np.array([1.0, 2.0, 1.0])
    for c in range(2):
        for i in range(5):
            for j in range(5):
                ref[c, i, j] = sum(f[a] * f[d] / 16.0 * x[c, i + a - 1, j + d - 1]
                                   for a in range(3) for d in range(3)
                                   if 0 <= i + a - 1 < 5 and 0 <= j + d - 1 < 5)
    check("blur2d vs loops", np.max(np.abs(y - ref)) < 1e-14)
    n = stylegan.instance_norm(x)
    check("instance_norm mean 0 / rms 1",
          np.max(np.abs(n.mean(axis=(1, 2)))) < 1e-12 and np.max(np.abs(np.sqrt((n * n).mean(axis=(1, 2))) - 1)) < 1e-6)


def test_stylegan_fixtures():
    for name in ["stylegan-32", "stylegan-64-fused", "stylegan-128-auto", "stylegan-16-flags-a", "stylegan-16-flags-b"]:
        W, meta, _ = st.load_file(os.path.join(FIX, f"{name}.safetensors"))
        exp, emeta, _ = st.load_file(os.path.join(FIX, f"{name}.expected.safetensors"))
        cfg = stylegan.full_config(json.loads(meta["msg-gen.config"]))
        check(f"{name} tensor set matches config",
              {k: tuple(v.shape) for k, v in W.items()} == stylegan.tensor_shapes(cfg))
        err, bad = 0.0, []
        R = cfg["resolution"]
        for c in json.loads(emeta["cases"]):
            w, outs = stylegan.render(W, cfg, c["seed"], c["psi"], c["cutoff"], c["noise"], c["noise_seed"])
            err = max(err, float(np.max(np.abs(exp[f"w/{c['id']}"] - w))))
            for o in outs:
                e = exp[f"out/{c['id']}/{o.shape[-1]}"]
                err = max(err, float(np.max(np.abs(e - o))))
                if not (np.all(np.isfinite(e)) and e.std() > 1e-3):
                    bad.append(f"out/{c['id']}/{o.shape[-1]}")
            # the same image with the fused up-convs replaced by nearest + flipped kernel
            if any(stylegan.is_fused(cfg, 2**k) for k in range(3, stylegan.log2_res(cfg) + 1)):
                alt = synth_flipped(W, cfg, w, stylegan.noise_inputs(W, cfg, c["noise"], c["seed"], c["noise_seed"]))
                ealt = max(float(np.max(np.abs(a - o))) for a, o in zip(alt, outs))
                check(f"{name} {c['id']}: fused path == nearest + flipped kernel end to end", ealt < 1e-9, f"{ealt:.1e}")
                noflip = synth_flipped(W, cfg, w, stylegan.noise_inputs(W, cfg, c["noise"], c["seed"], c["noise_seed"]), flip=False)
                d = float(np.max(np.abs(noflip[-1] - outs[-1])))
                check(f"{name} {c['id']}: NOT flipping would change the {R} px output", d > 1e-2, f"max diff {d:.2f}")
        for m in json.loads(emeta["mix_cases"]):
            _, outs = stylegan.mix(W, cfg, m["row_seed"], m["col_seed"], m["layers"], m["psi"], m["cutoff"])
            for o in outs:
                e = exp[f"mix/{m['id']}/{o.shape[-1]}"]
                err = max(err, float(np.max(np.abs(e - o))))
                if not (np.all(np.isfinite(e)) and e.std() > 1e-3):
                    bad.append(f"mix/{m['id']}/{o.shape[-1]}")
            if any(stylegan.is_fused(cfg, 2**k) for k in range(3, stylegan.log2_res(cfg) + 1)):
                wm, _ = stylegan.mix(W, cfg, m["row_seed"], m["col_seed"], m["layers"], m["psi"], m["cutoff"])
                nz = stylegan.noise_inputs(W, cfg, "const")
                alt = synth_flipped(W, cfg, wm, nz)
                ealt = max(float(np.max(np.abs(a - o))) for a, o in zip(alt, outs))
                check(f"{name} mix {m['id']}: fused path == nearest + flipped kernel end to end", ealt < 1e-9, f"{ealt:.1e}")
                d = float(np.max(np.abs(synth_flipped(W, cfg, wm, nz, flip=False)[-1] - outs[-1])))
                check(f"{name} mix {m['id']}: NOT flipping would change the {R} px output", d > 1e-2, f"max diff {d:.2f}")
            # mixing must matter at the top resolution
            _, plain = stylegan.mix(W, cfg, m["row_seed"], m["col_seed"], [], m["psi"], m["cutoff"])
            check(f"{name} mix {m['id']} differs from unmixed row", float(np.max(np.abs(plain[-1] - outs[-1]))) > 1e-3)
        check(f"{name} fixture reproduces", err < 1e-5, f"max err vs f32 {err:.1e}")
        check(f"{name} outputs finite and not constant", not bad, ", ".join(bad))


def test_flag_paths():
    """The non-default config flags, checked by identities independent of the code paths."""
    base = stylegan.full_config({"resolution": 8, "latent_size": 6, "dlatent_size": 5, "mapping_layers": 2,
                                 "mapping_fmaps": 7, "fmap_base": 16, "fmap_max": 4})
    rng = np.random.default_rng(5)
    W = {k: rng.normal(0.0, 1.0, size=v) for k, v in stylegan.tensor_shapes(base).items()}
    w = stylegan.dlatents(W, base, 3, 1.0, 8)
    nz = stylegan.noise_inputs(W, base, "const")
    ref = stylegan.synthesize(W, base, w, nz)
    # use_wscale=false with every weight pre-multiplied by gain / sqrt(fan_in) == use_wscale=true
    off = dict(base, use_wscale=False)
    W2 = dict(W)
    for k, v in W.items():
        if k.endswith("weight") and not k.endswith("Noise/weight"):
            gain = 1.0 if ("StyleMod" in k or "ToRGB" in k) else np.sqrt(2.0)
            W2[k] = v * (gain / np.sqrt(np.prod(v.shape[:-1])))
    w2 = stylegan.dlatents(W2, off, 3, 1.0, 8)
    check("use_wscale=false: mapping keeps lrmul, drops gain/sqrt(fan_in)", np.max(np.abs(w2 - w)) < 1e-12)
    out2 = stylegan.synthesize(W2, off, w2, nz)
    check("use_wscale=false: synthesis == wscale with pre-scaled weights",
          max(float(np.max(np.abs(a - b))) for a, b in zip(out2, ref)) < 1e-9)
    # pixel norm vs loops
    x = rng.normal(size=(3, 2, 2))
    pn = stylegan.pixel_norm(x)
    loop = np.array([[[x[c, i, j] / np.sqrt(sum(x[k, i, j] ** 2 for k in range(3)) / 3 + 1e-8)
                       for j in range(2)] for i in range(2)] for c in range(3)])
    check("pixel_norm vs loops", np.max(np.abs(pn - loop)) < 1e-12)
    # every flag changes the output (each step is really taken or skipped)
    for flag, value in [("use_noise", False), ("use_instance_norm", False), ("use_pixel_norm", True),
                        ("use_styles", False), ("blur_filter", None)]:
        cfg = dict(base, **{flag: value})
        Wf = {k: W[k] for k in stylegan.tensor_shapes(cfg)}
        out = stylegan.synthesize(Wf, cfg, w, stylegan.noise_inputs(Wf, cfg, "const"))
        check(f"{flag}={value} changes the output", float(np.max(np.abs(out[-1] - ref[-1]))) > 1e-3)


def synth_flipped(W, cfg, w, noise, flip=True):
    """synthesize() with every fused up-conv computed as nearest upsample + (flipped) 3x3 correlation."""
    orig = stylegan.upscale_conv

    def alt(x, wk, fused):
        if fused:
            return stylegan.conv2d_hwio_same(stylegan.upscale2d(x), wk[::-1, ::-1] if flip else wk)
        return orig(x, wk, fused)

    stylegan.upscale_conv = alt
    try:
        return stylegan.synthesize(W, cfg, w, noise)
    finally:
        stylegan.upscale_conv = orig


def test_noise_rule():
    cfg = stylegan.full_config({"resolution": 8})
    n = stylegan.random_noise(cfg, 4294967295, 7)
    rs = np.random.RandomState([7, 4294967295])
    a = rs.randn(16)
    check("random noise layer 0 = RandomState([t, s]).randn(16)", np.array_equal(n[0].ravel(), a.astype(np.float32)))
    check("random noise layer 1 continues the same stream", np.array_equal(n[1].ravel(), rs.randn(16).astype(np.float32)))
    check("random noise shapes", [x.shape for x in n] == [(1, 1, 4, 4)] * 2 + [(1, 1, 8, 8)] * 2)


def linear_structure_output(outs, R2, lod):
    """StyleGAN v1's 'linear' G_synthesis, written out independently of
    progressive_output: images_out = torgb(2); for each res, upscale it and
    lerp_clip(torgb(res), images_out, lod - (R2 - res))."""
    img = outs[0]
    for res in range(3, R2 + 1):
        up = stylegan.upscale2d(img)
        t = min(max(lod - (R2 - res), 0.0), 1.0)
        img = outs[res - 2] + (up - outs[res - 2]) * t
    return img


def test_progressive_lod():
    cfg = stylegan.full_config({"resolution": 32})
    rng = np.random.default_rng(5)
    outs = [rng.normal(size=(3, r, r)) for r in (4, 8, 16, 32)]
    for lod in [0.0, 0.25, 1.0, 1.5, 2.0, 2.75, 3.0]:
        a = stylegan.progressive_output(outs, cfg, lod)
        b = linear_structure_output(outs, 5, lod)
        check(f"progressive_output (recursive) = linear structure at lod {lod}", np.max(np.abs(a - b)) < 1e-12)
    check("lod 0 is the finished network's output", np.array_equal(stylegan.progressive_output(outs, cfg, 0), outs[3]))


if __name__ == "__main__":
    test_safetensors()
    test_conv()
    test_phase_identity()
    test_progan_fixtures()
    test_blur_and_norm()
    test_fused_identity()
    test_noise_rule()
    test_progressive_lod()
    test_flag_paths()
    test_stylegan_fixtures()
    print(f"\n{len(failures)} failure(s)")
    sys.exit(1 if failures else 0)
