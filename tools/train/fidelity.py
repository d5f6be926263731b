"""End-to-end check: msg-gen renders an exported file as the training code's generator does.

Loads the weights file into the trainable generator (models.py, the same class
that trained it), renders seeds with numpy RandomState latents (SEMANTICS.md;
progan on the hypersphere, stylegan with the file's truncation and const
noise), runs `msg-gen --format npy --scales all` on the same file and seeds,
and compares every scale with the golden tests' measure
max |a - b| / (1 + |b|). Exit status 1 above the tolerance.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
from models import generator_from_file_config  # noqa: E402
from safetensors_io import load_file  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("weights")
    ap.add_argument("--msg-gen", default=os.path.join(HERE, "..", "..", ".build", "release", "msg-gen"))
    ap.add_argument("--seeds", default="0,1,42,1234")
    ap.add_argument("--tol", type=float, default=2e-4)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    seeds = [int(s) for s in a.seeds.split(",")]
    tensors, meta, _ = load_file(a.weights, as_float32=True)
    family = meta["msg-gen.family"]
    G = generator_from_file_config(family, json.loads(meta["msg-gen.config"]))
    G.load_tensors(tensors)
    G.eval()
    worst = 0.0
    with tempfile.TemporaryDirectory() as out:
        cmd = [a.msg_gen, "--weights", a.weights, "--seeds", a.seeds, "--format", "npy", "--scales", "all",
               "--out", out, "--threads", str(a.threads), "--quiet"]
        subprocess.run(cmd, check=True)
        G.double()  # the reference in float64, so the error measured is msg-gen's
        with torch.no_grad():
            z = G.seed_latents(seeds).double()
            outs = G(z) if family == "msg-progan" else G(z, noise="const")
        for i, s in enumerate(seeds):
            errs = []
            for o in outs:
                r = o.shape[-1]
                got = np.load(os.path.join(out, f"seed{s}-{r}x{r}.npy"))
                want = o[i].numpy()
                e = float(np.max(np.abs(got - want) / (1 + np.abs(want))))
                errs.append(f"{r}:{e:.1e}")
                worst = max(worst, e)
            print(f"seed {s}: " + " ".join(errs))
    ok = worst < a.tol
    print(f"{os.path.basename(a.weights)} ({family}): worst relative error {worst:.2e} "
          f"{'<' if ok else '>='} {a.tol:g}: {'OK' if ok else 'FAIL'}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
