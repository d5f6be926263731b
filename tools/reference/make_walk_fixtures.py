"""Regenerate Tests/MSGGenTests/Fixtures/walk.json, walk.expected.safetensors and latents-stylegan-32.npz.

Usage (from the repository root):  python3 tools/reference/make_walk_fixtures.py
Needs numpy and scipy (the random walk is scipy.ndimage.gaussian_filter, as upstream).

walk.json: float64 latent vectors (printed with repr, so they read back exactly) for
interpolation and random-walk cases. walk.expected.safetensors: float64 reference
renders (stored F32) of intermediate walk frames through the golden fixture models.
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
import walk  # noqa: E402

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT_DIR = os.path.join(ROOT, "Tests", "MSGGenTests", "Fixtures")


def draw(seed, n):
    return np.random.RandomState(seed).randn(n)


def f32(a):
    return np.asarray(a, dtype=np.float64).astype(np.float32)


def vec(a):
    return [float(x) for x in a]


# Interpolation cases: (id, seed a, seed b, L, rule, t); plus hand-made vectors.
INTERP = [
    ("lin-42-1-t0.25", 42, 1, 24, "linear", 0.25),
    ("slerp-42-1-t0.25", 42, 1, 24, "slerp", 0.25),
    ("slerp-0-4294967295-t0.7", 0, 4294967295, 16, "slerp", 0.7),
    ("slerp-7-8-t0.5", 7, 8, 512, "slerp", 0.5),
]

RANDOM_WALKS = [
    # id, seed, frames, L, sigma (frames)
    ("rw-5-12x8-s2.5", 5, 12, 8, 2.5),
    ("rw-5-12x8-s4", 5, 12, 8, 4.0),  # radius 16 > 12 frames: the wrap goes round more than once
    ("rw-3-7x4-s0", 3, 7, 4, 0.0),
    ("rw-9-30x24-s1", 9, 30, 24, 1.0),
]

# Rendered frames. StyleGAN walks through stylegan-32 keyframes [42, 1], N = 4.
STYLE_FRAMES = [
    # id, space, rule, frame, psi, cutoff
    ("z-slerp-f1-psi0.7-c8", "z", "slerp", 1, 0.7, 8),
    ("z-linear-f2-psi1", "z", "linear", 2, 1.0, 8),
    ("w-linear-f3-psi1", "w", "linear", 3, 1.0, 8),
    ("w-linear-f1-psi0.7-c3", "w", "linear", 1, 0.7, 3),
]
STYLE_KEYS, STYLE_N = [42, 1], 4
PROGAN_FRAMES = [("z-slerp-f3", "slerp", 3), ("z-linear-f2", "linear", 2)]
PROGAN_KEYS, PROGAN_N = [0, 42], 4


def main():
    doc = {"interp": [], "random_walks": [], "special": []}
    for cid, sa, sb, L, rule, t in INTERP:
        a, b = draw(sa, L), draw(sb, L)
        f = walk.linear if rule == "linear" else walk.slerp
        doc["interp"].append({"id": cid, "a": sa, "b": sb, "latent_size": L, "rule": rule, "t": t, "z": vec(f(a, b, t))})
    # Parallel vectors (angle 0): slerp falls back to linear; opposite ones are exactly pi apart.
    a = draw(11, 6)
    doc["special"].append({"id": "parallel", "a": vec(a), "b": vec(2 * a), "t": 0.3, "rule": "slerp", "z": vec(walk.slerp(a, 2 * a, 0.3))})
    doc["special"].append({"id": "opposite-t0.5", "a": vec(a), "b": vec(-a), "t": 0.5, "rule": "linear", "z": vec(walk.linear(a, -a, 0.5))})
    for cid, seed, frames, L, sigma in RANDOM_WALKS:
        z = walk.random_walk(seed, frames, L, sigma)
        doc["random_walks"].append({"id": cid, "seed": seed, "frames": frames, "latent_size": L, "sigma": sigma,
                                    "z": [vec(r) for r in z]})

    exp = {}
    W, _, _ = st.load_file(os.path.join(OUT_DIR, "stylegan-32.safetensors"))
    cfg = json.loads(st.load_file(os.path.join(OUT_DIR, "stylegan-32.safetensors"))[1]["msg-gen.config"])
    cfg = stylegan.full_config(cfg)
    L = cfg["latent_size"]
    nl = stylegan.num_layers(cfg)
    avg = np.asarray(W["dlatent_avg"], np.float64)
    noise = stylegan.noise_inputs(W, cfg, "const")
    for cid, space, rule, frame, psi, cutoff in STYLE_FRAMES:
        zs = [draw(s, L) for s in STYLE_KEYS]
        if space == "z":
            z = walk.walk_vector(zs, STYLE_N, frame, rule)
            w = stylegan.mapping(W, cfg, z.astype(np.float32).astype(np.float64))
        else:
            ws = [stylegan.mapping(W, cfg, z.astype(np.float32).astype(np.float64)) for z in zs]
            w = walk.walk_vector(ws, STYLE_N, frame, rule)
        wl = stylegan.truncate(np.tile(w[None, :], (nl, 1)), avg, psi, cutoff)
        for o in stylegan.synthesize(W, cfg, wl, noise):
            assert np.all(np.isfinite(o))
            exp[f"stylegan-32/{cid}/{o.shape[-1]}"] = f32(o)

    P, meta, _ = st.load_file(os.path.join(OUT_DIR, "progan-d3-l16.safetensors"))
    pc = json.loads(meta["msg-gen.config"])
    depth, L = pc["depth"], pc["latent_size"]
    for cid, rule, frame in PROGAN_FRAMES:
        zs = [draw(s, L) for s in PROGAN_KEYS]
        z = walk.walk_vector(zs, PROGAN_N, frame, rule)
        z = (z / np.linalg.norm(z) * np.sqrt(L)).astype(np.float32).astype(np.float64)
        for o in progan.forward(P, depth, L, z):
            exp[f"progan-d3-l16/{cid}/{o.shape[-1]}"] = f32(o)

    doc["frames"] = {
        "stylegan-32": {"keys": STYLE_KEYS, "n": STYLE_N,
                        "cases": [dict(id=c[0], space=c[1], rule=c[2], frame=c[3], psi=c[4], cutoff=c[5]) for c in STYLE_FRAMES]},
        "progan-d3-l16": {"keys": PROGAN_KEYS, "n": PROGAN_N,
                          "cases": [dict(id=c[0], space="z", rule=c[1], frame=c[2]) for c in PROGAN_FRAMES]},
    }
    with open(os.path.join(OUT_DIR, "walk.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    st.save_file(os.path.join(OUT_DIR, "walk.expected.safetensors"), exp, {})
    print("wrote walk.json, walk.expected.safetensors:", len(exp), "tensors")

    # A file as numpy itself writes it (savez_compressed: deflated members): z float32 for
    # stylegan-32 seeds 42, 7 and w float64 [1, 8, 16] (stylegan2-ada's projected_w layout).
    z = np.stack([draw(s, 24) for s in (42, 7)]).astype(np.float32)
    w = np.random.RandomState(5).randn(1, 8, 16) * 0.5
    np.savez_compressed(os.path.join(OUT_DIR, "latents-stylegan-32.npz"), z=z, w=w)


if __name__ == "__main__":
    main()
