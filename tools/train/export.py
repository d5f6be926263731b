"""Checkpoint -> msg-gen weights file (../shared/FORMAT.md), the EMA generator.

A plain copy of the generator's tensors under their FORMAT.md names (the
equalized-lr weights are stored unscaled in training, as upstream stores
them), F16 by default to keep the file small, with the metadata the format
asks for: family, config, name, dataset, license, source (recipe, images seen,
wall time, hardware).
"""
import argparse
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
from models import generator_from_file_config  # noqa: E402
from safetensors_io import save_file  # noqa: E402

LICENSE = "non-commercial research only (UTKFace terms); the images' copyright belongs to their owners"


def dataset_text(res):
    return ("UTKFace crop_part1, 9,780 aligned 200x200 face crops (Zhang, Song, Qi, CVPR 2017), "
            f"resized to {res}x{res}")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("checkpoint", help="tools/train/runs/<name>/checkpoint.pt")
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", default=None, help="msg-gen.name (default: faces-<family>-<res>)")
    ap.add_argument("--dtype", choices=["F16", "F32", "BF16"], default="F16")
    ap.add_argument("--psi", type=float, default=None, help="override the stored truncation psi (stylegan)")
    ap.add_argument("--cutoff", type=int, default=None)
    a = ap.parse_args()
    ck = torch.load(a.checkpoint, map_location="cpu", weights_only=False)
    family, cfg, args = ck["family"], dict(ck["config"]), ck["args"]
    if family == "msg-stylegan":
        if a.psi is not None:
            cfg["truncation_psi"] = a.psi
        if a.cutoff is not None:
            cfg["truncation_cutoff"] = a.cutoff
    G = generator_from_file_config(family, cfg)
    G.load_state_dict(ck["G_ema"])
    tensors = G.export_tensors()
    res = G.resolution
    short = "progan" if family == "msg-progan" else "stylegan"
    init = args.get("init_from")
    start = (f"continued with msg-gen tools/train from the generator of {init['name']} ({init['file']}; a fresh "
             f"discriminator and optimisers). Its own recipe: [{init['source']}] This run: " if init else
             "trained from scratch with msg-gen tools/train: ")
    recipe = (f"MSG-GAN recipe, {start}{family} generator; "
              f"multi-scale discriminator on every scale (phi_cat combine, MinibatchStdDev); "
              f"loss {args['loss']}" + (f" (R1 gamma {args['r1_gamma']})" if args['loss'] == 'ns-r1' else "") +
              f"; Adam lr {args['lr']} betas (0, 0.99), batch {args['batch']}; mirror"
              + (f" + DiffAugment {args['augment']}" if args['augment'] else "")
              + (f"; style mixing p={args['mix_prob']}" if family == "msg-stylegan" else "")
              + f"; EMA generator (half-life {args['ema_kimg']} kimg). "
              f"{ck['nimg']:,} real images shown ({ck['nimg'] / 1000:.1f} kimg) in {ck['wall_s'] / 60:.1f} min "
              f"on {ck.get('device', 'cpu')}" + (" (bf16 autocast)" if args.get("bf16") else "") + ".")
    meta = {
        "msg-gen.format": "1",
        "msg-gen.family": family,
        "msg-gen.config": json.dumps(cfg, sort_keys=True),
        "msg-gen.name": a.name or f"faces-{short}-{res}",
        "msg-gen.dataset": dataset_text(res),
        "msg-gen.license": LICENSE,
        "msg-gen.source": recipe,
    }
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    save_file(a.out, tensors, metadata=meta, default_dtype=a.dtype)
    n = sum(v.size for v in tensors.values())
    print(f"{a.out}: {family} {res}px, {n:,} values as {a.dtype}, {os.path.getsize(a.out) / 1e6:.2f} MB")
    print(recipe)


if __name__ == "__main__":
    main()
