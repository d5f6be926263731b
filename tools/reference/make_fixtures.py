"""Regenerate the golden fixtures in Tests/MSGGenTests/Fixtures/.

Usage (from the repository root):  python3 tools/reference/make_fixtures.py

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


def main(which=("progan", "stylegan")):
    os.makedirs(OUT_DIR, exist_ok=True)
    if "progan" in which:
        for m in PROGAN_MODELS:
            make_progan(*m)
            print("wrote", m[0])
    if "stylegan" in which:
        import stylegan_fixtures

        stylegan_fixtures.make_all(OUT_DIR)
    total = sum(os.path.getsize(os.path.join(OUT_DIR, f)) for f in os.listdir(OUT_DIR))
    print(f"Fixtures total: {total} bytes")


if __name__ == "__main__":
    main(tuple(sys.argv[1:]) or ("progan", "stylegan"))
