#!/usr/bin/env python3
"""How far `--precision bf16` moves a model's pictures from float32 (issue 19's
accuracy goal: 8-bit values within 2 levels for at least 99.9%, never more than 8).

    python3 tools/bench/bf16_accuracy.py weights/faces-stylegan-64.safetensors ... [--seeds 0-499]
    python3 tools/bench/bf16_accuracy.py FILE --twin         # on a CPU without AVX512-BF16
    python3 tools/bench/bf16_accuracy.py FILE --emulate      # an estimate without msg-gen's kernels

Default: msg-gen renders the seeds twice (`--format npy --scales all`, float32
and `--precision bf16`, StyleGAN at `--psi 1`), and every value of every scale
is mapped to 8 bits as msg-gen's pictures are (PixelMapping: floor((x + 1) *
127.5 + 0.5), clamped) and compared. Prints one line per file: the share of
values within 2 levels, the worst difference, the count above 8, and the raw
output's relative RMS difference.

--twin (for CPUs without AVX512-BF16, where msg-gen refuses bf16): runs
msg-gen with MSG_GEN_BF16_TWIN=1, so its bf16 layers run on the kernels'
portable twins (the products and float32 sums of VDPBF16PS in scalar C; bit
for bit the vector bodies' results but for the input-stationary direct
kernel's summation order). Same layers, same rounding: the figure to trust
where the instruction is missing.

--emulate: the training code's generator (tools/train/models.py, which matches msg-gen within
2e-4) in float32, once as is and once with every 3x3 / 4x4 convolution's input
and weights rounded to bf16 (to nearest even) and summed in float32, which is
what VDPBF16PS computes for a direct convolution (transposed convolutions
of every size likewise). It is an estimate, not msg-gen's bf16 path:
msg-gen's Winograd layers round their transformed inputs instead, and keep
the F(4x4, .) layers under 64 input channels in float32. Needs torch.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "train"))
sys.path.insert(0, os.path.join(ROOT, "tools", "reference"))


def seed_list(spec):
    """'0-499' or '1,5,10-19' -> [int]; argparse error on anything else."""
    out = []
    try:
        for part in spec.split(","):
            a, sep, b = part.partition("-")
            lo, hi = int(a), int(b) if sep else int(a)
            if not 0 <= lo <= hi < 2 ** 32:
                raise ValueError
            out += range(lo, hi + 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"seeds: expected e.g. 0-499 or 1,5,10-19 (ascending ranges of 0 ... 2^32-1), got {spec!r}")
    return out


def to_uint8(x):
    """msg-gen's PixelMapping.toUInt8, in float32 with separate multiply and add."""
    x = np.asarray(x, dtype=np.float32)
    s = (x + np.float32(1)) * np.float32(127.5)
    s = s + np.float32(0.5)
    s = np.nan_to_num(s, nan=0.0)
    return np.floor(np.clip(s, 0, 255)).astype(np.int32)


def render_msg_gen(msg_gen, weights, seeds, family, precision, out, twin=False):
    cmd = [msg_gen, "--weights", weights, "--seeds", ",".join(map(str, seeds)), "--format", "npy",
           "--scales", "all", "--out", out, "--precision", precision, "--quiet"]
    if family == "msg-stylegan":
        cmd += ["--psi", "1"]
    env = dict(os.environ, MSG_GEN_BF16_TWIN="1") if twin else None
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)}: {r.stderr.strip()}" + ("\n(on a CPU without AVX512-BF16, --twin runs msg-gen's bf16 kernels' portable twins)"
                                                          if precision == "bf16" else ""))
    outs = []
    for s in seeds:
        files = sorted((f for f in os.listdir(out) if f.startswith(f"seed{s}-") and f.endswith(".npy")),
                       key=lambda f: int(f.split("-")[1].split("x")[0]))
        outs.append([np.load(os.path.join(out, f)) for f in files])
    return outs


def emulate(weights, seeds, family):
    import torch
    import torch.nn.functional as F
    from models import generator_from_file_config
    from safetensors_io import load_file
    tensors, meta, _ = load_file(weights, as_float32=True)
    G = generator_from_file_config(family, json.loads(meta["msg-gen.config"]))
    G.load_tensors(tensors)
    G.eval()
    conv2d, conv_t = F.conv2d, F.conv_transpose2d

    def bf16(t):
        return t.to(torch.bfloat16).to(torch.float32)

    def conv2d_bf16(x, w, *a, **k):   # 3x3 / 4x4 convolutions only: to-RGB (1x1) and the blur stay float32
        if w.shape[-1] >= 3 and k.get("groups", 1) == 1:
            return conv2d(bf16(x), bf16(w), *a, **k)
        return conv2d(x, w, *a, **k)

    def conv_t_bf16(x, w, *a, **k):
        return conv_t(bf16(x), bf16(w), *a, **k)

    kw = {} if family == "msg-progan" else {"noise": "const", "psi": 1.0}
    a, b = [], []
    with torch.no_grad():
        for i in range(0, len(seeds), 50):
            z = G.seed_latents(seeds[i:i + 50])
            a += list(zip(*[o.numpy() for o in G(z, **kw)]))
            F.conv2d, F.conv_transpose2d = conv2d_bf16, conv_t_bf16
            try:
                b += list(zip(*[o.numpy() for o in G(z, **kw)]))
            finally:
                F.conv2d, F.conv_transpose2d = conv2d, conv_t
    return a, b


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("weights", nargs="+")
    ap.add_argument("--seeds", default="0-499")
    ap.add_argument("--msg-gen", default=os.path.join(ROOT, ".build", "release", "msg-gen"))
    how_ = ap.add_mutually_exclusive_group()
    how_.add_argument("--twin", action="store_true", help="msg-gen's bf16 on its kernels' portable twins (MSG_GEN_BF16_TWIN=1; any CPU)")
    how_.add_argument("--emulate", action="store_true", help="estimate with bf16-rounded PyTorch convolutions (no msg-gen)")
    a = ap.parse_args()
    try:
        seeds = seed_list(a.seeds)
    except argparse.ArgumentTypeError as e:
        ap.error(str(e))
    for w in a.weights:
        from safetensors_io import load_file
        _, meta, _ = load_file(w, as_float32=True)
        family = meta["msg-gen.family"]
        if a.emulate:
            ref, got = emulate(w, seeds, family)
            how = "emulated (PyTorch, bf16-rounded convolutions)"
        else:
            with tempfile.TemporaryDirectory() as d32, tempfile.TemporaryDirectory() as d16:
                got = render_msg_gen(a.msg_gen, w, seeds, family, "bf16", d16, twin=a.twin)   # first: fails fast where bf16 is refused
                ref = render_msg_gen(a.msg_gen, w, seeds, family, "fp32", d32)
            how = "msg-gen --precision bf16" + (" on the portable twins" if a.twin else "")
        diffs, num, den = [], 0.0, 0.0
        for r_img, g_img in zip(ref, got):
            for x, y in zip(r_img, g_img):
                diffs.append(np.abs(to_uint8(x) - to_uint8(y)).ravel())
                num += float(np.sum((x.astype(np.float64) - y) ** 2))
                den += float(np.sum(x.astype(np.float64) ** 2))
        d = np.concatenate(diffs)
        print(f"{os.path.basename(w)} ({how}, seeds {a.seeds}): {100 * np.mean(d <= 2):.3f}% within 2 levels, "
              f"worst {int(d.max())}, {int(np.sum(d > 8))} above 8, raw relative RMS {np.sqrt(num / den):.2e}")


if __name__ == "__main__":
    main()
