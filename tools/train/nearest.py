"""Nearest training images of generated samples, by pixel L2 at 64x64 -> PNG figure.

Each row: the sample (rendered by msg-gen and read from its .npy, or by the
training generator from the same file with --torch), then its k nearest
training faces (mirror images included) from the 64x64 cache. Pixel distance
only: a perceptual feature distance needs a pretrained extractor (e.g.
Inception or VGG weights from torchvision), and those downloads need the
internet, which these machines do not have. Distances are RMS in [0, 255].
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "reference"))


def to_u8(x):
    return np.floor(np.clip((x + 1) * 127.5 + 0.5, 0, 255)).astype(np.uint8)


def render(weights, seeds, msg_gen, use_torch):
    if use_torch:
        from models import generator_from_file_config
        from safetensors_io import load_file
        t, meta, _ = load_file(weights, as_float32=True)
        G = generator_from_file_config(meta["msg-gen.family"], json.loads(meta["msg-gen.config"]))
        G.load_tensors(t)
        with torch.no_grad():
            z = G.seed_latents(seeds)
            out = G(z) if meta["msg-gen.family"] == "msg-progan" else G(z, noise="const")
        return out[-1].numpy()
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([msg_gen, "--weights", weights, "--seeds", ",".join(map(str, seeds)), "--format", "npy",
                        "--out", d, "--quiet"], check=True, stdout=subprocess.DEVNULL)
        files = {f.split("-")[0]: f for f in os.listdir(d)}
        return np.stack([np.load(os.path.join(d, files[f"seed{s}"])) for s in seeds])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("weights")
    ap.add_argument("--seeds", default="0,1,2,3,42,1234")
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--cache", default=os.path.join(HERE, "cache", "utkface-64.npy"))
    ap.add_argument("--msg-gen", default=os.path.join(HERE, "..", "..", ".build", "release", "msg-gen"))
    ap.add_argument("--torch", action="store_true", help="render with the training generator instead of msg-gen")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    seeds = [int(s) for s in a.seeds.split(",")]
    fake = render(a.weights, seeds, a.msg_gen, a.torch)  # [S, 3, R, R] in [-1, 1]
    fake_u8 = to_u8(fake).transpose(0, 2, 3, 1)
    f = torch.from_numpy(fake_u8).permute(0, 3, 1, 2).float()
    if f.shape[-1] != 64:
        f = F.interpolate(f, size=(64, 64), mode="area")
    data = np.load(a.cache)  # [N, 64, 64, 3]
    assert data.shape[1] == 64, "nearest.py compares at 64x64: prepare.py --res 64"
    real = torch.from_numpy(data).permute(0, 3, 1, 2).float()
    real = torch.cat([real, real.flip(3)])  # training used mirror augmentation
    fv, rv = f.reshape(len(f), -1), real.reshape(len(real), -1)
    d2 = (fv.pow(2).sum(1, keepdim=True) - 2 * fv @ rv.T + rv.pow(2).sum(1)[None]).clamp_min(0)
    dist, idx = d2.topk(a.k, dim=1, largest=False)
    rms = (dist / fv.shape[1]).sqrt()
    S, P, pad = len(seeds), 64, 4
    W, H = (a.k + 1) * (P + pad) + pad + 20, S * (P + 16 + pad) + pad
    sheet = Image.new("RGB", (W, H), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    for i, s in enumerate(seeds):
        y = pad + i * (P + 16 + pad)
        sheet.paste(Image.fromarray(f[i].permute(1, 2, 0).byte().numpy()), (pad, y))
        draw.text((pad, y + P + 2), f"seed {s}", fill=(0, 0, 0))
        for j in range(a.k):
            n = int(idx[i, j])
            img = real[n].permute(1, 2, 0).byte().numpy()
            x = pad + (j + 1) * (P + pad) + 20
            sheet.paste(Image.fromarray(img), (x, y))
            draw.text((x, y + P + 2), f"{float(rms[i, j]):.1f}", fill=(0, 0, 0))
        print(f"seed {s}: nearest RMS distances " + " ".join(f"{float(v):.1f}" for v in rms[i]))
    sheet.save(a.out)
    print(a.out)


if __name__ == "__main__":
    main()
