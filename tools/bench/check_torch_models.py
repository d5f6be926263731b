"""The PyTorch baselines against the golden fixtures (so the timed model is the real one)."""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from torch_models import build, load  # noqa: E402

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "MSGGenTests", "Fixtures")


def main():
    worst = 0.0
    for name in ["progan-d3-l16", "progan-d5-l24", "stylegan-32", "stylegan-64-fused", "stylegan-128-auto"]:
        m = build(os.path.join(FIX, name + ".safetensors"))
        E, meta = load(os.path.join(FIX, name + ".expected.safetensors"))
        if name.startswith("progan"):
            cases = [(s, f"out/seed{s}", None, None) for s in json.loads(meta["seeds"])]
        else:
            cases = [(c["seed"], f"out/{c['id']}", c["psi"], c["cutoff"]) for c in json.loads(meta["cases"]) if c["noise"] == "const"]
        for seed, key, psi, cutoff in cases:
            with torch.inference_mode():
                z = m.latents([seed])
                outs = m(z) if name.startswith("progan") else m(z, psi, cutoff)
            for o in outs:
                r = o.shape[-1]
                want = E[f"{key}/{r}"].numpy()
                err = float(np.max(np.abs(o[0].numpy() - want) / (1 + np.abs(want))))
                worst = max(worst, err)
                assert err < 2e-4, (name, key, r, err)
    print(f"torch baselines match the golden fixtures (worst relative error {worst:.2e})")


if __name__ == "__main__":
    main()
