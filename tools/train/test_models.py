"""Our trainable generators against msg-gen's golden fixtures (relative error < 2e-4)."""
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
from models import generator_from_file_config  # noqa: E402
from safetensors_io import load_file  # noqa: E402

FIX = os.path.join(HERE, "..", "..", "Tests", "MSGGenTests", "Fixtures")


def load_generator(path):
    tensors, meta, _ = load_file(path, as_float32=True)
    g = generator_from_file_config(meta["msg-gen.family"], json.loads(meta["msg-gen.config"]))
    g.load_tensors(tensors)
    return g.eval(), meta


def main():
    torch.set_num_threads(1)
    worst, n = 0.0, 0
    for name in ["progan-d1-l8", "progan-d3-l16", "progan-d5-l24", "progan-d6-l32",
                 "stylegan-32", "stylegan-64-fused", "stylegan-128-auto"]:
        path = os.path.join(FIX, name + ".safetensors")
        if not os.path.exists(path):
            continue
        g, _ = load_generator(path)
        E, meta, _ = load_file(os.path.join(FIX, name + ".expected.safetensors"), as_float32=True)
        if name.startswith("progan"):
            cases = [(s, f"out/seed{s}", None, None) for s in json.loads(meta["seeds"])]
        else:
            cases = [(c["seed"], f"out/{c['id']}", c["psi"], c["cutoff"])
                     for c in json.loads(meta["cases"]) if c["noise"] == "const"]
        for seed, key, psi, cutoff in cases:
            with torch.no_grad():
                z = g.seed_latents([seed])
                outs = g(z) if name.startswith("progan") else g(z, psi=psi, cutoff=cutoff, noise="const")
            for o in outs:
                r = o.shape[-1]
                want = E[f"{key}/{r}"]
                err = float(np.max(np.abs(o[0].numpy() - want) / (1 + np.abs(want))))
                worst, n = max(worst, err), n + 1
                assert err < 2e-4, (name, key, r, err)
    print(f"trainable generators match msg-gen's golden fixtures: {n} outputs, worst relative error {worst:.2e}")


if __name__ == "__main__":
    main()
