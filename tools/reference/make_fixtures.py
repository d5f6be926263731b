"""Regenerate the golden fixtures in Tests/MSGGenTests/Fixtures/.

Usage (from the repository root):  python3 tools/reference/make_fixtures.py [progan] [stylegan] [flags]
(default: all three groups; "flags" = the non-default StyleGAN config models)

Deterministic: model weights come from numpy Generators seeded with constants
written below; latents/noise follow the project's seed rules (see progan.py,
stylegan.py). Every model file has a companion <name>.expected.safetensors with
the reference outputs computed in float64 from the exact stored weight values
(after F16/BF16 rounding) and written as F32.
"""

import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import progan  # noqa: E402
import safetensors_io as st  # noqa: E402
import stylegan  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT_DIR = os.path.join(ROOT, "Tests", "MSGGenTests", "Fixtures")

PROGAN_MODELS = [
    # name, depth, latent_size, dtype, seeds, weight-generator seed
    ("progan-d1-l8", 1, 8, "F32", [0, 1, 42, 4294967295], 1001),
    ("progan-d3-l16", 3, 16, "F32", [0, 1, 42, 4294967295], 1003),
    ("progan-d5-l24", 5, 24, "F16", [0, 1, 42, 4294967295], 1005),
    ("progan-d6-l32", 6, 32, "BF16", [42], 1006),
]


def f32(a):
    return np.asarray(a, dtype=np.float64).astype(np.float32)


def make_progan(name, depth, L, dtype, seeds, gseed):
    rng = np.random.default_rng(gseed)
    weights = {}
    for tname, shape in progan.tensor_shapes(depth, L).items():
        if tname.endswith(".bias"):
            a = rng.normal(0.0, 0.2, size=shape)  # nonzero so the bias path is tested
        else:
            a = rng.normal(0.0, 1.0, size=shape)  # upstream init: N(0, 1), scaled at run time
        weights[tname] = st.round_to_dtype(f32(a), dtype)
    config = {"depth": depth, "latent_size": L, "use_eql": True}
    meta = {
        "msg-gen.format": "1",
        "msg-gen.family": "msg-progan",
        "msg-gen.config": json.dumps(config, separators=(",", ":")),
        "msg-gen.name": name,
    }
    st.save_file(os.path.join(OUT_DIR, f"{name}.safetensors"), weights, meta, default_dtype=dtype)

    # Reference from what a reader gets back from the file.
    loaded, _, _ = st.load_file(os.path.join(OUT_DIR, f"{name}.safetensors"))
    for k in weights:
        assert np.array_equal(loaded[k], weights[k]), k
    expected = {}
    for s in seeds:
        z = progan.latent(s, L)
        expected[f"z/seed{s}"] = f32(z)
        outs = progan.forward(loaded, depth, L, z)
        assert len(outs) == depth
        for o in outs:
            R = o.shape[-1]
            assert o.shape == (3, R, R) and np.all(np.isfinite(o))
            expected[f"out/seed{s}/{R}"] = f32(o)
    st.save_file(
        os.path.join(OUT_DIR, f"{name}.expected.safetensors"),
        expected,
        {"seeds": json.dumps(seeds)},
    )


# ---------------------------------------------------------------- msg-stylegan
def C(id, seed, psi, cutoff, noise, noise_seed=None):
    return {"id": id, "seed": seed, "psi": psi, "cutoff": cutoff, "noise": noise, "noise_seed": noise_seed}


def M(id, row, col, layers, psi=1.0, cutoff=8):
    return {"id": id, "row_seed": row, "col_seed": col, "layers": layers, "psi": psi, "cutoff": cutoff, "noise": "const"}


STYLEGAN_MODELS = [
    dict(
        name="stylegan-32",
        dtype="F32",
        gseed=2032,
        # latent != mapping_fmaps != dlatent so transposed/misrouted shapes fail loudly;
        # default 8 mapping layers; channels 8,8,8,4; 8 layers (cutoff 8 = all of them).
        config=dict(resolution=32, latent_size=24, dlatent_size=16, mapping_layers=8, mapping_fmaps=20,
                    fmap_base=64, fmap_max=8, fused_scale=False),
        cases=[
            C("s0-psi1-const", 0, 1.0, 8, "const"),
            C("s42-psi0.7-c8-const", 42, 0.7, 8, "const"),
            C("s4294967295-psi0.7-c3-random-t7", 4294967295, 0.7, 3, "random", 7),
            C("s1-psi1-none", 1, 1.0, 8, "none"),
        ],
        mix_cases=[
            M("r42-c1-coarse", 42, 1, [0, 1, 2, 3]),
            M("r0-c4294967295-l1_4_6-psi0.7-c8", 0, 4294967295, [1, 4, 6], psi=0.7, cutoff=8),
        ],
    ),
    dict(
        name="stylegan-64-fused",
        dtype="BF16",
        gseed=2064,
        # fused_scale true: every up-conv (8 ... 64) is the transposed-conv form. 10 layers:
        # the fine mix swaps layers 8, 9, and cutoff 8 leaves exactly those untruncated.
        config=dict(resolution=64, latent_size=16, dlatent_size=16, mapping_layers=4, mapping_fmaps=16,
                    fmap_base=128, fmap_max=8, fused_scale=True),
        cases=[],
        mix_cases=[M("r1-c42-fine-psi0.7-c8", 1, 42, [8, 9], psi=0.7, cutoff=8)],
    ),
    dict(
        name="stylegan-128-auto",
        dtype="F16",
        gseed=2128,
        # fused_scale "auto": 8 ... 64 plain nearest+conv, 128 fused. F16 storage keeps the size down.
        config=dict(resolution=128, latent_size=16, dlatent_size=16, mapping_layers=4, mapping_fmaps=16,
                    fmap_base=256, fmap_max=4, fused_scale="auto"),
        cases=[C("s42-psi0.7-c8-const", 42, 0.7, 8, "const")],
        mix_cases=[],
    ),
]


# Non-default config flags (README: every flag of FORMAT.md honoured), each model
# turning several off at once; the reference implements them (stylegan.py).
FLAG_MODELS = [
    dict(
        name="stylegan-16-flags-a",
        dtype="F32",
        gseed=2016,
        # use_wscale false (runtime coefficient lrmul alone), pixel norm on, no blur.
        config=dict(resolution=16, latent_size=12, dlatent_size=10, mapping_layers=3, mapping_fmaps=14,
                    fmap_base=64, fmap_max=8, fused_scale=False, use_wscale=False, use_pixel_norm=True,
                    blur_filter=None),
        cases=[
            C("s3-default", 3, None, None, "const"),
            C("s42-psi0.5-c2-random-t1", 42, 0.5, 2, "random", 1),
        ],
        mix_cases=[M("r3-c42-l1_5", 3, 42, [1, 5])],
    ),
    dict(
        name="stylegan-16-flags-b",
        dtype="F32",
        gseed=2017,
        # no noise inputs, no instance norm, no styles (w never reaches synthesis),
        # fused up-convs, an asymmetric 3-tap blur.
        config=dict(resolution=16, latent_size=12, dlatent_size=10, mapping_layers=2, mapping_fmaps=10,
                    fmap_base=64, fmap_max=8, fused_scale=True, use_noise=False, use_instance_norm=False,
                    use_styles=False, blur_filter=[1, 3, 2]),
        cases=[C("s3-psi1", 3, 1.0, 8, "const"), C("s7-psi0.7-c8", 7, 0.7, 8, "none")],
        mix_cases=[],
    ),
]


def stylegan_weights(cfg, dtype, gseed):
    rng = np.random.default_rng(gseed)
    lrmul = cfg["mapping_lrmul"]
    W = {}
    for name, shape in stylegan.tensor_shapes(cfg).items():
        if not cfg["use_wscale"] and name.endswith("weight") and not name.endswith("Noise/weight"):
            # upstream init without wscale: std he_std / lrmul (gain sqrt 2, 1 for StyleMod / to-RGB)
            fan_in = int(np.prod(shape[:-1]))
            gain = 1.0 if ("StyleMod" in name or "ToRGB" in name) else np.sqrt(2.0)
            mul = lrmul if name.startswith("G_mapping/") else 1.0
            a = rng.normal(0.0, gain / np.sqrt(fan_in) / mul, size=shape)
        elif name.startswith("G_mapping/") and name.endswith("/weight"):
            a = rng.normal(0.0, 1.0 / lrmul, size=shape)  # upstream init std 1/lrmul
        elif name.startswith("G_mapping/"):
            a = rng.normal(0.0, 0.2 / lrmul, size=shape)  # bias, used * lrmul
        elif name.startswith("G_synthesis/noise"):
            a = rng.normal(0.0, 1.0, size=shape)  # stored noise, N(0, 1) as upstream
        elif name.endswith("Const/const"):
            a = rng.normal(0.0, 1.0, size=shape)
        elif name.endswith("Noise/weight"):
            a = rng.normal(0.0, 0.5, size=shape)
        elif name == "dlatent_avg":
            a = rng.normal(0.0, 0.5, size=shape)
        elif name.endswith("bias"):
            a = rng.normal(0.0, 0.2, size=shape)
        else:  # conv, StyleMod, ToRGB weights: N(0, 1), scaled at run time
            a = rng.normal(0.0, 1.0, size=shape)
        W[name] = st.round_to_dtype(f32(a), dtype)
    return W


def make_stylegan(name, dtype, gseed, config, cases, mix_cases):
    cfg = stylegan.full_config(config)
    W = stylegan_weights(cfg, dtype, gseed)
    meta = {
        "msg-gen.format": "1",
        "msg-gen.family": "msg-stylegan",
        "msg-gen.config": json.dumps(cfg, separators=(",", ":")),
        "msg-gen.name": name,
    }
    path = os.path.join(OUT_DIR, f"{name}.safetensors")
    st.save_file(path, W, meta, default_dtype=dtype)
    loaded, _, _ = st.load_file(path)
    for k in W:
        assert np.array_equal(loaded[k], W[k]), k

    exp = {}
    for c in cases:
        w, outs = stylegan.render(loaded, cfg, c["seed"], c["psi"], c["cutoff"], c["noise"], c["noise_seed"])
        exp[f"w/{c['id']}"] = f32(w)
        for o in outs:
            assert np.all(np.isfinite(o))
            exp[f"out/{c['id']}/{o.shape[-1]}"] = f32(o)
    for m in mix_cases:
        _, outs = stylegan.mix(loaded, cfg, m["row_seed"], m["col_seed"], m["layers"], m["psi"], m["cutoff"])
        for o in outs:
            assert np.all(np.isfinite(o))
            exp[f"mix/{m['id']}/{o.shape[-1]}"] = f32(o)
    st.save_file(
        os.path.join(OUT_DIR, f"{name}.expected.safetensors"),
        exp,
        {"cases": json.dumps(cases), "mix_cases": json.dumps(mix_cases)},
    )


def main(which=("progan", "stylegan", "flags")):
    os.makedirs(OUT_DIR, exist_ok=True)
    if "progan" in which:
        for m in PROGAN_MODELS:
            make_progan(*m)
            print("wrote", m[0])
    if "stylegan" in which:
        for m in STYLEGAN_MODELS:
            make_stylegan(**m)
            print("wrote", m["name"])
    if "flags" in which:
        for m in FLAG_MODELS:
            make_stylegan(**m)
            print("wrote", m["name"])
    total = sum(os.path.getsize(os.path.join(OUT_DIR, f)) for f in os.listdir(OUT_DIR))
    print(f"Fixtures total: {total} bytes")


if __name__ == "__main__":
    main(tuple(sys.argv[1:]) or ("progan", "stylegan", "flags"))
