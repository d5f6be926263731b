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


if __name__ == "__main__":
    test_safetensors()
    test_conv()
    test_phase_identity()
    test_progan_fixtures()
    if os.path.exists(os.path.join(HERE, "stylegan.py")):
        import stylegan_selftest

        stylegan_selftest.run(check, rng, FIX)
    print(f"\n{len(failures)} failure(s)")
    sys.exit(1 if failures else 0)
