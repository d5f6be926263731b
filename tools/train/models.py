"""Trainable generators of both msg-gen families and the multi-scale discriminator.

The generators hold their parameters *unscaled* (equalized learning rate: the
runtime coefficient is applied in forward), named and laid out exactly as
../shared/FORMAT.md, so exporting is a plain copy of the state. Their forward
math is ../shared/SEMANTICS.md's; test_models.py checks it against msg-gen's
golden fixtures.
"""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def lrelu(x):
    return F.leaky_relu(x, 0.2)


def pixel_norm(x, dim=1):
    return x * torch.rsqrt(x.pow(2).mean(dim=dim, keepdim=True) + 1e-8)


# ---------------------------------------------------------------- MSG-ProGAN

class EqConv(nn.Module):
    """Equalized-lr conv (or the 4x4 ConvTranspose2d of block 0), BMSG-GAN layout."""

    def __init__(self, cin, cout, k, transpose=False, pad=0):
        super().__init__()
        shape = (cin, cout, k, k) if transpose else (cout, cin, k, k)
        self.weight = nn.Parameter(torch.randn(shape))
        self.bias = nn.Parameter(torch.zeros(cout))
        self.transpose, self.pad = transpose, pad
        fan_in = cin if transpose else cin * k * k
        self.scale = math.sqrt(2) / math.sqrt(fan_in)

    def forward(self, x):
        if self.transpose:
            return F.conv_transpose2d(x, self.weight * self.scale, self.bias)
        return F.conv2d(x, self.weight * self.scale, self.bias, padding=self.pad)


class ProGANBlock(nn.Module):
    def __init__(self, cin, cout, initial):
        super().__init__()
        self.initial = initial
        if initial:
            self.conv_1 = EqConv(cin, cout, 4, transpose=True)
        else:
            self.conv_1 = EqConv(cin, cout, 3, pad=1)
        self.conv_2 = EqConv(cout, cout, 3, pad=1)

    def forward(self, x):
        if self.initial:
            y = lrelu(self.conv_1(x.view(x.shape[0], -1, 1, 1)))
            return pixel_norm(lrelu(self.conv_2(y)))
        y = F.interpolate(x, scale_factor=2)
        y = pixel_norm(lrelu(self.conv_1(y)))
        return pixel_norm(lrelu(self.conv_2(y)))


def progan_channels(depth, L):
    return [L if i <= 3 else L // 2 ** (i - 3) for i in range(depth)]


class ProGANGenerator(nn.Module):
    """BMSG-GAN Generator(depth, latent_size, use_eql=True). Outputs 4 ... 2^(depth+1)."""

    family = "msg-progan"

    def __init__(self, depth=5, latent_size=128):
        super().__init__()
        assert depth >= 1 and latent_size % 2 ** max(depth - 4, 0) == 0, "latent size must halve cleanly"
        self.depth, self.latent_size = depth, latent_size
        C = progan_channels(depth, latent_size)
        self.channels = C
        self.layers = nn.ModuleList([ProGANBlock(latent_size, latent_size, True)] +
                                    [ProGANBlock(C[i - 1], C[i], False) for i in range(1, depth)])
        self.rgb_converters = nn.ModuleList([EqConv(C[i], 3, 1) for i in range(depth)])

    @property
    def resolution(self):
        return 2 ** (self.depth + 1)

    def config(self):
        return {"depth": self.depth, "latent_size": self.latent_size, "use_eql": True}

    @staticmethod
    def from_config(cfg):
        return ProGANGenerator(cfg["depth"], cfg["latent_size"])

    def sample_z(self, n, generator=None, device="cpu"):
        z = torch.randn(n, self.latent_size, generator=generator, device=device)
        return z / z.norm(dim=1, keepdim=True) * math.sqrt(self.latent_size)

    def seed_latents(self, seeds):
        zs = []
        for s in seeds:
            z = np.random.RandomState(s).randn(self.latent_size)
            zs.append(z / np.linalg.norm(z) * np.sqrt(self.latent_size))
        return torch.from_numpy(np.array(zs, dtype=np.float32))

    def forward(self, z, **_):
        outs, y = [], z
        for block, rgb in zip(self.layers, self.rgb_converters):
            y = block(y)
            outs.append(rgb(y))
        return outs

    def export_tensors(self):
        return {k: v.detach().cpu().float().numpy() for k, v in self.state_dict().items()}

    def load_tensors(self, tensors):
        self.load_state_dict({k: torch.as_tensor(np.asarray(v, dtype=np.float32)) for k, v in tensors.items()})


# ---------------------------------------------------------------- MSG-StyleGAN

STYLEGAN_DEFAULTS = dict(resolution=64, latent_size=512, dlatent_size=512, mapping_layers=8, mapping_fmaps=512,
                         mapping_lrmul=0.01, fmap_base=8192, fmap_decay=1.0, fmap_max=512, use_wscale=True,
                         use_noise=True, use_instance_norm=True, use_pixel_norm=False, use_styles=True,
                         const_input_layer=True, blur_filter=[1, 2, 1], fused_scale="auto",
                         truncation_psi=0.7, truncation_cutoff=8)


class StyleGANGenerator(nn.Module):
    """msg-stylegan-tf G_style (G_mapping + G_synthesis with a to-RGB at every resolution).

    Parameters live in a flat dict keyed by the TF variable names of FORMAT.md
    ('/' is stored as '.' is not allowed in parameter names, so we map '/' -> '|').
    """

    family = "msg-stylegan"

    def __init__(self, **cfg):
        super().__init__()
        c = dict(STYLEGAN_DEFAULTS)
        c.update(cfg)
        for k in ("use_wscale", "use_noise", "use_instance_norm", "use_styles", "const_input_layer"):
            assert c[k] is True, f"this trainer supports only {k}=true"
        assert not c["use_pixel_norm"] and list(c["blur_filter"]) == [1, 2, 1]
        self.cfg = c
        self.R = c["resolution"]
        self.k = int(math.log2(self.R))
        self.num_layers = 2 * self.k - 2
        self.params = nn.ParameterDict()
        self.bufs = {}
        lr = c["mapping_lrmul"]
        fin = c["latent_size"]
        for i in range(c["mapping_layers"]):
            fout = c["dlatent_size"] if i == c["mapping_layers"] - 1 else c["mapping_fmaps"]
            self._p(f"G_mapping/Dense{i}/weight", torch.randn(fin, fout) / lr)
            self._p(f"G_mapping/Dense{i}/bias", torch.zeros(fout))
            fin = fout
        self._b("dlatent_avg", torch.zeros(c["dlatent_size"]))
        for l in range(self.num_layers):
            r = 2 ** (l // 2 + 2)
            self._b(f"G_synthesis/noise{l}", torch.randn(1, 1, r, r))
        D = c["dlatent_size"]
        C4 = self.nf(1)
        self._p("G_synthesis/4x4/Const/const", torch.ones(1, C4, 4, 4))
        self._epi_params("G_synthesis/4x4/Const", C4, D)
        self._p("G_synthesis/4x4/Conv/weight", torch.randn(3, 3, C4, C4))
        self._epi_params("G_synthesis/4x4/Conv", C4, D)
        cin = C4
        for res in range(3, self.k + 1):
            r, C = 2 ** res, self.nf(res - 1)
            p = f"G_synthesis/{r}x{r}/"
            self._p(p + "Conv0_up/weight", torch.randn(3, 3, cin, C))
            self._epi_params(p + "Conv0_up", C, D)
            self._p(p + "Conv1/weight", torch.randn(3, 3, C, C))
            self._epi_params(p + "Conv1", C, D)
            cin = C
        for res in range(2, self.k + 1):
            C = self.nf(res - 1)
            self._p(f"G_synthesis/ToRGB_lod{self.k - res}/weight", torch.randn(1, 1, C, 3))
            self._p(f"G_synthesis/ToRGB_lod{self.k - res}/bias", torch.zeros(3))
        f = torch.tensor([1.0, 2.0, 1.0])
        self.register_buffer("blur_k", ((f[:, None] * f[None, :]) / 16).view(1, 1, 3, 3), persistent=False)

    # -- parameter bookkeeping
    @staticmethod
    def key(name):
        return name.replace("/", "|")

    def _p(self, name, t):
        self.params[self.key(name)] = nn.Parameter(t)

    def _b(self, name, t):
        self.register_buffer(self.key(name).replace("|", "__"), t)
        self.bufs[name] = self.key(name).replace("|", "__")

    def _epi_params(self, p, C, D):
        self._p(p + "/Noise/weight", torch.zeros(C))
        self._p(p + "/bias", torch.zeros(C))
        self._p(p + "/StyleMod/weight", torch.randn(D, 2 * C))
        self._p(p + "/StyleMod/bias", torch.zeros(2 * C))

    def P(self, name):
        return self.params[self.key(name)]

    def B(self, name):
        return getattr(self, self.bufs[name])

    def nf(self, stage):
        c = self.cfg
        return min(int(c["fmap_base"] / (2.0 ** (stage * c["fmap_decay"]))), c["fmap_max"])

    @property
    def resolution(self):
        return self.R

    @property
    def latent_size(self):
        return self.cfg["latent_size"]

    def config(self):
        return dict(self.cfg)

    @staticmethod
    def from_config(cfg):
        return StyleGANGenerator(**cfg)

    def sample_z(self, n, generator=None, device="cpu"):
        return torch.randn(n, self.cfg["latent_size"], generator=generator, device=device)

    def seed_latents(self, seeds):
        return torch.from_numpy(np.array([np.random.RandomState(s).randn(self.cfg["latent_size"]) for s in seeds],
                                         dtype=np.float32))

    # -- forward
    def mapping(self, z):
        c = self.cfg
        lr = c["mapping_lrmul"]
        x = pixel_norm(z)
        for i in range(c["mapping_layers"]):
            w = self.P(f"G_mapping/Dense{i}/weight")
            x = lrelu(x @ (w * (math.sqrt(2) / math.sqrt(w.shape[0]) * lr)) + self.P(f"G_mapping/Dense{i}/bias") * lr)
        return x

    def forward(self, z, psi=None, cutoff=None, noise="const", mix_prob=0.0, track_avg=False, z2=None):
        """One image per resolution (4 ... R). Training: noise='random', mix_prob=0.9, track_avg=True, psi=1."""
        nl = self.num_layers
        w0 = self.mapping(z)
        if track_avg:
            with torch.no_grad():
                avg = self.B("dlatent_avg")
                avg.copy_(w0.detach().mean(0).lerp(avg, 0.995))
        w = w0[:, None, :].expand(-1, nl, -1)
        if mix_prob > 0:
            if z2 is None:
                z2 = torch.randn_like(z)
            w2 = self.mapping(z2)[:, None, :].expand(-1, nl, -1)
            cut = int(torch.randint(1, nl, ()).item()) if torch.rand(()).item() < mix_prob else nl
            idx = torch.arange(nl, device=z.device)[None, :, None]
            w = torch.where(idx < cut, w, w2)
        psi = self.cfg["truncation_psi"] if psi is None else psi
        cutoff = self.cfg["truncation_cutoff"] if cutoff is None else cutoff
        if psi is not None and psi != 1:
            avg = self.B("dlatent_avg")
            coefs = torch.tensor([psi if l < cutoff else 1.0 for l in range(nl)], device=z.device)[None, :, None]
            w = avg + (w - avg) * coefs
        N = z.shape[0]
        x = self.P("G_synthesis/4x4/Const/const").expand(N, -1, -1, -1)
        x = self.epilogue(x, "G_synthesis/4x4/Const", w[:, 0], 0, noise)
        x = self.epilogue(self.conv(x, "G_synthesis/4x4/Conv"), "G_synthesis/4x4/Conv", w[:, 1], 1, noise)
        outs = [self.rgb(x, 2)]
        for res in range(3, self.k + 1):
            r = 2 ** res
            p = f"G_synthesis/{r}x{r}/"
            x = self.blur(self.upconv(x, p + "Conv0_up", r))
            x = self.epilogue(x, p + "Conv0_up", w[:, 2 * res - 4], 2 * res - 4, noise)
            x = self.epilogue(self.conv(x, p + "Conv1"), p + "Conv1", w[:, 2 * res - 3], 2 * res - 3, noise)
            outs.append(self.rgb(x, res))
        return outs

    def weight(self, p, gain=math.sqrt(2)):
        w = self.P(p + "/weight")  # [kh, kw, in, out]
        fan_in = w.shape[0] * w.shape[1] * w.shape[2]
        return (w * (gain / math.sqrt(fan_in))).permute(3, 2, 0, 1)

    def conv(self, x, p):
        return F.conv2d(x, self.weight(p), padding=1)

    def upconv(self, x, p, r):
        w = self.weight(p)
        fs = self.cfg["fused_scale"]
        if fs is True or (fs == "auto" and r >= 128):
            # upstream's fused form: padded kernel, 4 shifted copies summed, stride-2 transposed conv
            wp = F.pad(w.permute(1, 0, 2, 3), (1, 1, 1, 1))
            k4 = wp[:, :, 1:, 1:] + wp[:, :, :-1, 1:] + wp[:, :, 1:, :-1] + wp[:, :, :-1, :-1]
            return F.conv_transpose2d(x, k4, stride=2, padding=1)
        return F.conv2d(F.interpolate(x, scale_factor=2), w, padding=1)

    def blur(self, x):
        C = x.shape[1]
        return F.conv2d(x, self.blur_k.to(x.dtype).expand(C, 1, 3, 3), padding=1, groups=C)

    def epilogue(self, x, p, w_l, l, noise):
        C = x.shape[1]
        if noise == "const":
            x = x + self.B(f"G_synthesis/noise{l}") * self.P(p + "/Noise/weight").view(1, C, 1, 1)
        elif noise == "random":
            n = torch.randn(x.shape[0], 1, x.shape[2], x.shape[3], device=x.device, dtype=x.dtype)
            x = x + n * self.P(p + "/Noise/weight").view(1, C, 1, 1)
        x = lrelu(x + self.P(p + "/bias").view(1, C, 1, 1))
        x = x - x.mean(dim=(2, 3), keepdim=True)
        x = x * torch.rsqrt(x.pow(2).mean(dim=(2, 3), keepdim=True) + 1e-8)
        sw = self.P(p + "/StyleMod/weight")
        s = w_l @ (sw * (1 / math.sqrt(sw.shape[0]))) + self.P(p + "/StyleMod/bias")
        return x * (s[:, :C, None, None] + 1) + s[:, C:, None, None]

    def rgb(self, x, res):
        lod = self.k - res
        w = self.P(f"G_synthesis/ToRGB_lod{lod}/weight")
        return F.conv2d(x, (w * (1 / math.sqrt(w.shape[2]))).permute(3, 2, 0, 1), self.P(f"G_synthesis/ToRGB_lod{lod}/bias"))

    # -- export / import (FORMAT.md names)
    def export_tensors(self):
        out = {k.replace("|", "/"): v.detach().cpu().float().numpy() for k, v in self.params.items()}
        for name in self.bufs:
            out[name] = self.B(name).detach().cpu().float().numpy()
        return out

    def load_tensors(self, tensors):
        names = set(self.export_tensors())
        extra = set(tensors) - names - {"G_synthesis/lod", "lod"}  # progressive-growing levels, not weights
        missing = names - set(tensors)
        assert not missing and not extra, (sorted(missing)[:5], sorted(extra)[:5])
        with torch.no_grad():
            for name in names:
                t = torch.as_tensor(np.asarray(tensors[name], dtype=np.float32))
                dst = self.B(name) if name in self.bufs else self.P(name)
                assert dst.shape == t.shape, (name, dst.shape, t.shape)
                dst.copy_(t)


def generator_from_file_config(family, cfg):
    return ProGANGenerator.from_config(cfg) if family == "msg-progan" else StyleGANGenerator.from_config(cfg)


# ---------------------------------------------------------------- MSG discriminator

class EqConvD(nn.Module):
    def __init__(self, cin, cout, k, pad=0, gain=math.sqrt(2)):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(cout, cin, k, k))
        self.bias = nn.Parameter(torch.zeros(cout))
        self.scale, self.pad = gain / math.sqrt(cin * k * k), pad

    def forward(self, x):
        return F.conv2d(x, self.weight * self.scale, self.bias, padding=self.pad)


def minibatch_stddev(x, group=4):
    """ProGAN's MinibatchStdDev: std over groups of the batch, averaged to one extra feature map."""
    N, C, H, W = x.shape
    g = min(group, N)
    while N % g:
        g -= 1
    y = x.view(g, -1, C, H, W)
    y = (y - y.mean(0)).pow(2).mean(0).add(1e-8).sqrt().mean(dim=(1, 2, 3))  # [N/g]
    y = y.view(-1, 1, 1, 1).repeat(g, 1, H, W)
    return torch.cat([x, y], 1)


class MSGDiscriminator(nn.Module):
    """MSG-GAN discriminator: every generator scale enters the block of its resolution.

    The combine function is the paper's phi_cat as BMSG-GAN implements it: the
    scale's image goes through a 1x1 from-RGB conv, and the result is
    concatenated to the activations coming down from the finer block.
    Widths: Cd(r) = min(2 * fmap_base / r, fmap_max) features at resolution r;
    from-RGB gives max(Cd(r) // 2, 8) features.
    """

    def __init__(self, resolution, fmap_base=2048, fmap_max=256, mbstd_group=4):
        super().__init__()
        self.k = int(math.log2(resolution))
        self.mbstd_group = mbstd_group
        cd = lambda r: int(min(2 * fmap_base // r, fmap_max))
        crgb = lambda r: max(cd(r) // 2, 8)
        self.fromrgb = nn.ModuleList()
        self.blocks = nn.ModuleList()
        # resolutions from R down to 8: block r maps (features at r) -> (features at r/2)
        cin_prev = 0
        for res in range(self.k, 2, -1):
            r = 2 ** res
            self.fromrgb.append(EqConvD(3, crgb(r), 1))
            cin = crgb(r) + cin_prev
            self.blocks.append(nn.ModuleList([EqConvD(cin, cd(r), 3, 1), EqConvD(cd(r), cd(r // 2), 3, 1)]))
            cin_prev = cd(r // 2)
        self.fromrgb.append(EqConvD(3, crgb(4), 1))
        c4 = cd(4)
        cin = crgb(4) + cin_prev + 1
        self.final_conv = EqConvD(cin, c4, 3, 1)
        self.final_dense = EqConvD(c4, c4, 4)  # 4x4 valid conv == dense over 4x4x C
        self.out = EqConvD(c4, 1, 1, gain=1.0)

    def forward(self, images):
        """images: list of [N, 3, r, r], r = 4 ... R (the generator's output order)."""
        imgs = list(reversed(images))  # R first
        y = None
        for i, res in enumerate(range(self.k, 2, -1)):
            f = self.fromrgb[i](imgs[i])
            y = f if y is None else torch.cat([f, y], 1)
            c1, c2 = self.blocks[i]
            y = F.avg_pool2d(lrelu(c2(lrelu(c1(y)))), 2)
        f = self.fromrgb[-1](imgs[-1])
        y = f if y is None else torch.cat([f, y], 1)
        y = minibatch_stddev(y, self.mbstd_group)
        y = lrelu(self.final_conv(y))
        y = lrelu(self.final_dense(y))
        return self.out(y).view(-1)
