"""PyTorch CPU baselines of both families, written the way the upstream code
runs them (eager ops, equalized-lr scales applied to the weights at run time,
nearest upsampling materialised, StyleGAN's fused up-conv as a stride-2
transposed conv). They load the same msg-gen weights files as msg-gen, and
compare.py checks them against the golden fixtures before timing them.
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "reference"))
from safetensors_io import load_file  # noqa: E402


def load(path):
    tensors, meta, _ = load_file(path, as_float32=True)
    return {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in tensors.items()}, meta


def lrelu(x):
    return F.leaky_relu(x, 0.2)


class ProGAN(torch.nn.Module):
    """BMSG-GAN Generator (use_eql=True)."""

    def __init__(self, W, cfg):
        super().__init__()
        self.W, self.depth, self.L = W, cfg["depth"], cfg["latent_size"]

    def forward(self, z):
        W, L = self.W, self.L
        y = z.view(z.shape[0], L, 1, 1)
        y = lrelu(F.conv_transpose2d(y, W["layers.0.conv_1.weight"] * math.sqrt(2 / L), W["layers.0.conv_1.bias"]))
        y = self.pn(lrelu(self.conv(y, "layers.0.conv_2")))
        outs = [self.rgb(y, 0)]
        for i in range(1, self.depth):
            y = F.interpolate(y, scale_factor=2)
            y = self.pn(lrelu(self.conv(y, f"layers.{i}.conv_1")))
            y = self.pn(lrelu(self.conv(y, f"layers.{i}.conv_2")))
            outs.append(self.rgb(y, i))
        return outs

    def conv(self, y, p):
        w = self.W[p + ".weight"]
        return F.conv2d(y, w * math.sqrt(2 / (w.shape[1] * 9)), self.W[p + ".bias"], padding=1)

    def rgb(self, y, i):
        w = self.W[f"rgb_converters.{i}.weight"]
        return F.conv2d(y, w * math.sqrt(2 / w.shape[1]), self.W[f"rgb_converters.{i}.bias"])

    @staticmethod
    def pn(x):
        return x / (x.pow(2).mean(dim=1, keepdim=True) + 1e-8).sqrt()

    def latents(self, seeds):
        zs = []
        for s in seeds:
            z = np.random.RandomState(s).randn(self.L)
            zs.append(z / np.linalg.norm(z) * np.sqrt(self.L))
        return torch.from_numpy(np.array(zs, dtype=np.float32))


class StyleGAN(torch.nn.Module):
    """msg-stylegan-tf G_style (const noise, truncation as configured)."""

    def __init__(self, W, cfg):
        super().__init__()
        self.W, self.cfg = W, cfg
        self.R = cfg["resolution"]
        self.k = int(math.log2(self.R))
        self.nl = 2 * self.k - 2
        f = torch.tensor([1.0, 2.0, 1.0])
        self.blur_k = (f[:, None] * f[None, :]) / 16

    def nf(self, stage):
        c = self.cfg
        return min(int(c["fmap_base"] / (2.0 ** (stage * c["fmap_decay"]))), c["fmap_max"])

    def forward(self, z, psi=None, cutoff=None):
        W, cfg = self.W, self.cfg
        lr = cfg["mapping_lrmul"]
        x = z * torch.rsqrt(z.pow(2).mean(dim=1, keepdim=True) + 1e-8)
        for k in range(cfg["mapping_layers"]):
            w = W[f"G_mapping/Dense{k}/weight"]
            x = lrelu(x @ (w * (math.sqrt(2 / w.shape[0]) * lr)) + W[f"G_mapping/Dense{k}/bias"] * lr)
        w = x[:, None, :].repeat(1, self.nl, 1)
        psi = cfg.get("truncation_psi") if psi is None else psi
        cutoff = cfg.get("truncation_cutoff") if cutoff is None else cutoff
        if psi is not None and psi != 1:
            avg = W["dlatent_avg"]
            coefs = torch.tensor([psi if l < cutoff else 1.0 for l in range(self.nl)])[None, :, None]
            w = avg + (w - avg) * coefs
        N = z.shape[0]
        x = W["G_synthesis/4x4/Const/const"].repeat(N, 1, 1, 1)
        x = self.epilogue(x, "G_synthesis/4x4/Const", w[:, 0], 0)
        x = self.epilogue(self.conv(x, "G_synthesis/4x4/Conv"), "G_synthesis/4x4/Conv", w[:, 1], 1)
        outs = [self.rgb(x, 2)]
        for res in range(3, self.k + 1):
            r = 2 ** res
            p = f"G_synthesis/{r}x{r}/"
            x = self.upconv(x, p + "Conv0_up", r)
            x = self.blur(x)
            x = self.epilogue(x, p + "Conv0_up", w[:, res * 2 - 4], res * 2 - 4)
            x = self.epilogue(self.conv(x, p + "Conv1"), p + "Conv1", w[:, res * 2 - 3], res * 2 - 3)
            outs.append(self.rgb(x, res))
        return outs

    def weight(self, p, gain=math.sqrt(2)):
        w = self.W[p + "/weight"]  # [kh, kw, in, out]
        fan_in = w.shape[0] * w.shape[1] * w.shape[2]
        return (w * (gain / math.sqrt(fan_in))).permute(3, 2, 0, 1)  # -> [out, in, kh, kw]

    def conv(self, x, p):
        return F.conv2d(x, self.weight(p), padding=1)

    def upconv(self, x, p, r):
        w = self.weight(p)
        fs = self.cfg["fused_scale"]
        if fs is True or (fs == "auto" and r >= 128):
            # upstream: pad the kernel and sum 4 shifted copies, stride-2 transposed conv
            wt = w.permute(1, 0, 2, 3)  # [in, out, 3, 3]
            wp = F.pad(wt, (1, 1, 1, 1))
            k4 = wp[:, :, 1:, 1:] + wp[:, :, :-1, 1:] + wp[:, :, 1:, :-1] + wp[:, :, :-1, :-1]
            return F.conv_transpose2d(x, k4, stride=2, padding=1)
        return F.conv2d(F.interpolate(x, scale_factor=2), w, padding=1)

    def blur(self, x):
        C = x.shape[1]
        return F.conv2d(x, self.blur_k.to(x.dtype).view(1, 1, 3, 3).repeat(C, 1, 1, 1), padding=1, groups=C)

    def epilogue(self, x, p, w_l, l):
        W = self.W
        C = x.shape[1]
        x = x + W[f"G_synthesis/noise{l}"] * W[p + "/Noise/weight"].view(1, C, 1, 1)
        x = lrelu(x + W[p + "/bias"].view(1, C, 1, 1))
        x = x - x.mean(dim=(2, 3), keepdim=True)
        x = x * torch.rsqrt(x.pow(2).mean(dim=(2, 3), keepdim=True) + 1e-8)
        sw = W[p + "/StyleMod/weight"]
        s = w_l @ (sw * (1 / math.sqrt(sw.shape[0]))) + W[p + "/StyleMod/bias"]
        return x * (s[:, :C, None, None] + 1) + s[:, C:, None, None]

    def rgb(self, x, res):
        lod = self.k - res
        w = self.W[f"G_synthesis/ToRGB_lod{lod}/weight"]
        return F.conv2d(x, (w * (1 / math.sqrt(w.shape[2]))).permute(3, 2, 0, 1), self.W[f"G_synthesis/ToRGB_lod{lod}/bias"].view(3))

    def latents(self, seeds):
        return torch.from_numpy(np.array([np.random.RandomState(s).randn(self.cfg["latent_size"]) for s in seeds], dtype=np.float32))


def build(path):
    W, meta = load(path)
    cfg = json.loads(meta["msg-gen.config"])
    if meta["msg-gen.family"] == "msg-progan":
        return ProGAN(W, cfg)
    full = dict(latent_size=512, dlatent_size=512, mapping_layers=8, mapping_fmaps=512, mapping_lrmul=0.01,
                fmap_base=8192, fmap_decay=1.0, fmap_max=512, fused_scale="auto", truncation_psi=0.7, truncation_cutoff=8)
    full.update(cfg)
    return StyleGAN(W, full)
