"""Train an MSG-ProGAN or MSG-StyleGAN generator on the face cache (see README.md).

Recipe (MSG-GAN, Karnewar & Wang, CVPR 2020): the generator emits an image at
every resolution 4 ... R; the discriminator takes all of them, each scale
entering the block of its resolution through a 1x1 from-RGB conv whose output
is concatenated to the activations coming down (the paper's phi_cat combine,
as BMSG-GAN does), with MinibatchStdDev before the final block. Real images
are average-pooled to every scale. Loss: relativistic average hinge (the
BMSG-GAN default) or non-saturating logistic with lazy R1; Adam(0, 0.99) with
equalized learning rate; mirror augmentation; DiffAugment (color, translation,
cutout) applied with the same parameters to every scale of an image; an EMA
generator, the one exported.
"""
import argparse
import csv
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
from models import MSGDiscriminator, ProGANGenerator, StyleGANGenerator  # noqa: E402


# ---------------------------------------------------------------- augmentation

def multiscale(x, n):
    """[N,3,R,R] -> list of n images 4 ... R (average pooling, as BMSG-GAN)."""
    outs = [x]
    for _ in range(n - 1):
        outs.append(F.avg_pool2d(outs[-1], 2))
    return outs[::-1]


def _translate(x, sx, sy):
    N, C, H, W = x.shape
    gy = torch.arange(H, device=x.device)[None, :, None] - sy[:, None, None]
    gx = torch.arange(W, device=x.device)[None, None, :] - sx[:, None, None]
    valid = ((gy >= 0) & (gy < H) & (gx >= 0) & (gx < W)).to(x.dtype)
    idx = (gy.clamp(0, H - 1) * W + gx.clamp(0, W - 1)).view(N, 1, H * W).expand(N, C, H * W)
    return x.reshape(N, C, H * W).gather(2, idx).view(N, C, H, W) * valid[:, None]


def diff_augment(imgs, policy):
    """DiffAugment (Zhao et al. 2020) on a multi-scale batch: one draw per image, applied to all its scales."""
    if not policy:
        return imgs
    N, dev = imgs[0].shape[0], imgs[0].device
    out = list(imgs)
    if "color" in policy:
        b = torch.rand(N, 1, 1, 1, device=dev) - 0.5
        s = torch.rand(N, 1, 1, 1, device=dev) * 2
        c = torch.rand(N, 1, 1, 1, device=dev) + 0.5
        res = []
        for x in out:
            x = x + b
            m = x.mean(dim=1, keepdim=True)
            x = (x - m) * s + m
            m = x.mean(dim=(1, 2, 3), keepdim=True)
            res.append((x - m) * c + m)
        out = res
    if "translation" in policy:
        t = (torch.rand(2, N, device=dev) - 0.5) * 0.25  # up to 1/8 of the image each way
        out = [_translate(x, torch.round(t[0] * x.shape[3]).long(), torch.round(t[1] * x.shape[2]).long())
               if x.shape[-1] >= 8 else x for x in out]
    if "cutout" in policy:
        cxy = torch.rand(2, N, device=dev)
        res = []
        for x in out:
            r = x.shape[-1]
            p = (torch.arange(r, device=dev, dtype=x.dtype) + 0.5) / r
            my = ((p[None, :] - cxy[1][:, None]).abs() >= 0.25)
            mx = ((p[None, :] - cxy[0][:, None]).abs() >= 0.25)
            res.append(x * (my[:, :, None] | mx[:, None, :]).to(x.dtype)[:, None])
        out = res
    return out


# ---------------------------------------------------------------- losses

def d_loss_fn(kind, d_real, d_fake):
    if kind == "rahinge":
        return F.relu(1 - (d_real - d_fake.mean())).mean() + F.relu(1 + (d_fake - d_real.mean())).mean()
    return F.softplus(d_fake).mean() + F.softplus(-d_real).mean()


def g_loss_fn(kind, d_real, d_fake):
    if kind == "rahinge":
        return F.relu(1 + (d_real - d_fake.mean())).mean() + F.relu(1 - (d_fake - d_real.mean())).mean()
    return F.softplus(-d_fake).mean()


# ---------------------------------------------------------------- helpers

def build_generator(a):
    if a.family == "progan":
        return ProGANGenerator(depth=int(math.log2(a.res)) - 1, latent_size=a.latent)
    return StyleGANGenerator(resolution=a.res, latent_size=a.latent, dlatent_size=a.dlatent or a.latent,
                             mapping_layers=a.mapping_layers, mapping_fmaps=a.mapping_fmaps or a.latent,
                             mapping_lrmul=0.01, fmap_base=a.fmap_base, fmap_max=a.fmap_max,
                             truncation_psi=a.psi, truncation_cutoff=a.cutoff)


def default_d_widths(a, G):
    """D mirrors G's width: Cd(r) = the generator's channels at resolution r."""
    if a.family == "progan":
        L = G.latent_size
        return 16 * L, L  # Cd(r) = L up to 32x32, then halving: BMSG-GAN's D mirrors its G the same way
    return G.cfg["fmap_base"], G.cfg["fmap_max"]


def load_init_g(a):
    """Reads an exported file (FORMAT.md) for --init-g: sets the generator's architecture arguments from its
    `msg-gen.config`, records where the run started from (`a.init_from`: name and recipe, for export.py), and
    returns the tensors for `load_tensors`. Exits naming the problem if the file's family or resolution differ."""
    from safetensors_io import load_file
    tensors, meta, _ = load_file(a.init_g, as_float32=True)
    family = {"msg-progan": "progan", "msg-stylegan": "stylegan"}.get(meta.get("msg-gen.family"))
    if family != a.family:
        sys.exit(f"--init-g {a.init_g}: family {meta.get('msg-gen.family')!r}, --family is {a.family}")
    cfg = json.loads(meta["msg-gen.config"])
    if family == "progan":
        res, a.latent = 2 ** (cfg["depth"] + 1), cfg["latent_size"]
    else:
        res = cfg["resolution"]
        a.latent, a.dlatent, a.mapping_layers = cfg["latent_size"], cfg["dlatent_size"], cfg["mapping_layers"]
        a.mapping_fmaps, a.fmap_base, a.fmap_max = cfg["mapping_fmaps"], cfg["fmap_base"], cfg["fmap_max"]
        a.psi, a.cutoff = cfg["truncation_psi"], cfg["truncation_cutoff"]
    if res != a.res:
        sys.exit(f"--init-g {a.init_g}: {res}px, --res is {a.res}")
    a.init_from = {"file": os.path.basename(a.init_g), "name": meta.get("msg-gen.name", ""),
                   "source": meta.get("msg-gen.source", "")}
    return tensors


def save_grid(path, outs, nrow):
    from PIL import Image
    R = outs[-1].shape[-1]
    rows = []
    for o in outs:  # one band per scale, nearest-upscaled to R
        o = F.interpolate(o, size=(R, R), mode="nearest") if o.shape[-1] != R else o
        u8 = ((o.clamp(-1, 1) + 1) * 127.5 + 0.5).floor().clamp(0, 255).byte().permute(0, 2, 3, 1).cpu().numpy()
        rows.append(np.concatenate(list(u8[:nrow]), axis=1))
    Image.fromarray(np.concatenate(rows, axis=0)).save(path)


def atomic_save(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def parse():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", required=True, help="run name: tools/train/runs/<name>/")
    ap.add_argument("--family", choices=["progan", "stylegan"], default="stylegan")
    ap.add_argument("--res", type=int, default=64, choices=[32, 64, 128, 256])
    ap.add_argument("--data", default=None, help="default: tools/train/cache/utkface-<res>.npy")
    ap.add_argument("--latent", type=int, default=None, help="latent size (progan: also the width, C_i = L for i <= 3)")
    ap.add_argument("--dlatent", type=int, default=None, help="stylegan dlatent size (default = latent)")
    ap.add_argument("--mapping-layers", type=int, default=4)
    ap.add_argument("--mapping-fmaps", type=int, default=None, help="default = latent")
    ap.add_argument("--fmap-base", type=int, default=2048, help="stylegan: nf(stage) = min(base / 2^stage, max)")
    ap.add_argument("--fmap-max", type=int, default=128)
    ap.add_argument("--psi", type=float, default=0.7, help="stylegan truncation psi stored in the config")
    ap.add_argument("--cutoff", type=int, default=8)
    ap.add_argument("--d-fmap-base", type=int, default=None, help="D width: Cd(r) = min(2*base/r, max); default mirrors G")
    ap.add_argument("--d-fmap-max", type=int, default=None)
    ap.add_argument("--loss", choices=["rahinge", "ns-r1"], default="rahinge")
    ap.add_argument("--r1-gamma", type=float, default=1.0)
    ap.add_argument("--r1-every", type=int, default=4, help="lazy R1 (ns-r1 only)")
    ap.add_argument("--lr", type=float, default=0.003)
    ap.add_argument("--lr-d", type=float, default=None)
    ap.add_argument("--mix-prob", type=float, default=0.9, help="stylegan style-mixing regularisation")
    ap.add_argument("--augment", default="color,translation", help="DiffAugment policy ('' = none); e.g. color,translation,cutout")
    ap.add_argument("--no-mirror", action="store_true")
    ap.add_argument("--ema-kimg", type=float, default=10.0, help="EMA half-life in thousands of images")
    ap.add_argument("--ema-rampup", type=float, default=0.05, help="half-life <= this x images seen (early training)")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--bf16", action="store_true",
                    help="CPU: bf16 autocast for G and D forward/backward (weights, Adam state and EMA stay fp32); "
                         "pays off on CPUs with AVX512-BF16 or AMX")
    ap.add_argument("--channels-last", action="store_true", help="NHWC memory format for both networks")
    ap.add_argument("--kimg", type=float, default=1000.0, help="stop at this many thousand real images shown (total)")
    ap.add_argument("--minutes", type=float, default=None, help="stop after this many minutes of this invocation")
    ap.add_argument("--ckpt-minutes", type=float, default=5.0)
    ap.add_argument("--sample-minutes", type=float, default=10.0)
    ap.add_argument("--log-every", type=int, default=20, help="iterations per CSV row")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--resume", action="store_true", help="continue runs/<name>/checkpoint.pt (architecture from there)")
    ap.add_argument("--d-warmup-kimg", type=float, default=0.0,
                    help="with --init-g: train only the discriminator for this many thousand images first (the "
                         "generator and its EMA stay as loaded), so a fresh D does not shock a trained G")
    ap.add_argument("--init-g", default=None, metavar="FILE",
                    help="warm start: generator and EMA generator from an exported msg-gen file (architecture "
                         "from its config; the discriminator and optimisers start fresh)")
    return ap.parse_args()


def main():
    a = parse()
    if a.threads:
        torch.set_num_threads(a.threads)
    dev = torch.device("cuda" if (a.device == "auto" and torch.cuda.is_available()) else
                       ("cpu" if a.device == "auto" else a.device))
    if dev.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    run = os.path.join(HERE, "runs", a.name)
    os.makedirs(run, exist_ok=True)
    ckpt_path = os.path.join(run, "checkpoint.pt")
    ck = None
    if a.resume:
        ck = torch.load(ckpt_path, map_location="cpu", weights_only=False)
        keep = {k: getattr(a, k) for k in ("kimg", "minutes", "ckpt_minutes", "sample_minutes", "threads",
                                           "device", "resume", "log_every", "data", "bf16", "channels_last")}
        a.__dict__.update(ck["args"])
        a.__dict__.update(keep)
    elif os.path.exists(ckpt_path):
        sys.exit(f"{ckpt_path} exists: pass --resume to continue it, or choose another --name")
    init = None
    if a.init_g and not a.resume:
        init = load_init_g(a)
    if a.latent is None:
        a.latent = 128
    torch.manual_seed(a.seed)
    np.random.seed(a.seed)

    G = build_generator(a).to(dev)
    if a.d_fmap_base is None or a.d_fmap_max is None:
        b, m = default_d_widths(a, G)
        a.d_fmap_base, a.d_fmap_max = a.d_fmap_base or b, a.d_fmap_max or m
    D = MSGDiscriminator(a.res, a.d_fmap_base, a.d_fmap_max).to(dev)
    G_ema = build_generator(a).to(dev).eval()
    if init is not None:
        G.load_tensors(init)
    G_ema.load_state_dict(G.state_dict())
    for p in G_ema.parameters():
        p.requires_grad_(False)
    if a.channels_last:
        G, D = G.to(memory_format=torch.channels_last), D.to(memory_format=torch.channels_last)
    # bf16 autocast: matmuls and convs in bf16 with fp32 accumulation; parameters, optimiser state, losses and
    # the EMA generator stay fp32 (the exported file is the fp32 EMA generator rounded to F16, as before).
    amp = torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=a.bf16)
    opt_g = torch.optim.Adam(G.parameters(), lr=a.lr, betas=(0.0, 0.99), eps=1e-8)
    opt_d = torch.optim.Adam(D.parameters(), lr=a.lr_d or a.lr, betas=(0.0, 0.99), eps=1e-8)
    nimg, wall0, it = 0, 0.0, 0
    if ck:
        G.load_state_dict(ck["G"]); D.load_state_dict(ck["D"]); G_ema.load_state_dict(ck["G_ema"])
        opt_g.load_state_dict(ck["opt_g"]); opt_d.load_state_dict(ck["opt_d"])
        nimg, wall0, it = ck["nimg"], ck["wall_s"], ck["it"]
        torch.set_rng_state(ck["rng"])
    with open(os.path.join(run, "args.json"), "w") as f:
        json.dump(vars(a), f, indent=1)

    data_path = a.data or os.path.join(HERE, "cache", f"utkface-{a.res}.npy")
    data = torch.from_numpy(np.load(data_path)).permute(0, 3, 1, 2).contiguous().to(dev)  # uint8 [N,3,R,R]
    assert data.shape[-1] == a.res, f"{data_path} is {data.shape[-1]}px, --res is {a.res}"
    nscales = int(math.log2(a.res)) - 1
    n_g = sum(p.numel() for p in G.parameters())
    n_d = sum(p.numel() for p in D.parameters())
    print(f"{a.name}: {G.family} {a.res}px, G {n_g / 1e6:.2f}M params, D {n_d / 1e6:.2f}M, "
          f"{len(data)} images, batch {a.batch}, {dev}, {torch.get_num_threads()} threads, from {nimg / 1000:.1f} kimg",
          flush=True)
    style = a.family == "stylegan"
    sample_z = G.seed_latents(list(range(16))).to(dev)

    log_path = os.path.join(run, "log.csv")
    new_log = not os.path.exists(log_path)
    logf = open(log_path, "a", newline="")
    log = csv.writer(logf)
    if new_log:
        log.writerow(["it", "kimg", "wall_s", "img_per_s", "d_loss", "g_loss", "r1", "d_real", "d_fake", "device"])

    def real_batch():
        idx = torch.randint(0, len(data), (a.batch,), device=dev)
        x = data[idx].float() / 127.5 - 1
        if not a.no_mirror:
            flip = torch.rand(a.batch, device=dev) < 0.5
            x = torch.where(flip[:, None, None, None], x.flip(3), x)
        return multiscale(x, nscales)

    def gen(n, train):
        z = G.sample_z(n, device=dev)
        if style:
            return G(z, psi=1, noise="random", mix_prob=a.mix_prob, track_avg=train)
        return G(z)

    def checkpoint():
        atomic_save({"args": vars(a), "G": G.state_dict(), "D": D.state_dict(), "G_ema": G_ema.state_dict(),
                     "opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(), "nimg": nimg,
                     "wall_s": wall0 + time.time() - t_start, "it": it, "rng": torch.get_rng_state(),
                     "device": str(dev) if dev.type == "cpu" else torch.cuda.get_device_name(dev),
                     "family": G.family, "config": G.config()}, ckpt_path)

    def samples():
        with torch.no_grad():
            outs = G_ema(sample_z, psi=1, noise="const") if style else G_ema(sample_z)
        save_grid(os.path.join(run, f"samples-{nimg // 1000:06d}kimg.png"), outs, 8)

    t_start = time.time()
    t_ckpt = t_sample = t_log = t_start
    acc = {"d": 0.0, "g": 0.0, "r1": 0.0, "dr": 0.0, "df": 0.0, "n": 0}
    nimg_log = nimg
    total = a.kimg * 1000
    while nimg < total:
        if a.minutes is not None and time.time() - t_start > a.minutes * 60:
            break
        # ---- D step
        G.requires_grad_(False); D.requires_grad_(True)
        reals = real_batch()
        with torch.no_grad(), amp:
            fakes = [f.float() for f in gen(a.batch, False)]
        do_r1 = a.loss == "ns-r1" and a.r1_gamma > 0 and it % a.r1_every == 0
        if do_r1:
            reals = [x.detach().requires_grad_(True) for x in reals]
        with amp:
            d_real = D(diff_augment(reals, a.augment)).float()
            d_fake = D(diff_augment(fakes, a.augment)).float()
        loss_d = d_loss_fn(a.loss, d_real, d_fake)
        r1 = torch.zeros(())
        if do_r1:
            grads = torch.autograd.grad(d_real.sum(), reals, create_graph=True)
            r1 = sum(g.pow(2).sum(dim=(1, 2, 3)) for g in grads).mean()
            loss_d = loss_d + r1 * (a.r1_gamma / 2) * a.r1_every
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        if nimg < a.d_warmup_kimg * 1000:   # D warm-up: no G step, no EMA update
            nimg += a.batch
            it += 1
            acc["d"] += loss_d.item(); acc["r1"] += float(r1)
            acc["dr"] += d_real.mean().item(); acc["df"] += d_fake.mean().item(); acc["n"] += 1
            if it % a.log_every == 0:
                print(f"it {it} kimg {nimg / 1000:.2f} D warm-up: D {acc['d'] / acc['n']:.3f}", flush=True)
                acc = {k: 0.0 for k in acc}; acc["n"] = 0
            continue
        # ---- G step
        G.requires_grad_(True); D.requires_grad_(False)
        with amp:
            fakes = gen(a.batch, True)
            d_fake_g = D(diff_augment(fakes, a.augment)).float()
        if a.loss == "rahinge":
            with torch.no_grad(), amp:
                d_real_g = D(diff_augment(real_batch(), a.augment)).float()
        else:
            d_real_g = None
        loss_g = g_loss_fn(a.loss, d_real_g, d_fake_g)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        # ---- EMA
        nimg += a.batch
        it += 1
        ema_nimg = a.ema_kimg * 1000
        if a.ema_rampup:
            ema_nimg = min(ema_nimg, nimg * a.ema_rampup)
        beta = 0.5 ** (a.batch / max(ema_nimg, 1e-8))
        with torch.no_grad():
            for pe, p in zip(G_ema.parameters(), G.parameters()):
                pe.lerp_(p, 1 - beta)
            for be, b in zip(G_ema.buffers(), G.buffers()):
                be.copy_(b)
        acc["d"] += loss_d.item(); acc["g"] += loss_g.item(); acc["r1"] += float(r1)
        acc["dr"] += d_real.mean().item(); acc["df"] += d_fake.mean().item(); acc["n"] += 1
        now = time.time()
        if it % a.log_every == 0 or nimg >= total:
            n = acc["n"]
            ips = (nimg - nimg_log) / max(now - t_log, 1e-9)
            wall = wall0 + now - t_start
            log.writerow([it, f"{nimg / 1000:.3f}", f"{wall:.1f}", f"{ips:.1f}", f"{acc['d'] / n:.4f}",
                          f"{acc['g'] / n:.4f}", f"{acc['r1'] / n:.4f}", f"{acc['dr'] / n:.4f}", f"{acc['df'] / n:.4f}",
                          dev.type])
            logf.flush()
            print(f"it {it} kimg {nimg / 1000:.2f} wall {wall / 60:.1f}min {ips:.1f} img/s "
                  f"D {acc['d'] / n:.3f} G {acc['g'] / n:.3f}", flush=True)
            acc = {k: 0.0 for k in acc}
            acc["n"] = 0
            nimg_log, t_log = nimg, now
        if now - t_sample > a.sample_minutes * 60:
            samples(); t_sample = now
        if now - t_ckpt > a.ckpt_minutes * 60:
            checkpoint(); t_ckpt = now
    checkpoint()
    samples()
    logf.close()
    print(f"{a.name}: stopped at {nimg / 1000:.2f} kimg, {(wall0 + time.time() - t_start) / 60:.1f} min total; "
          f"checkpoint {ckpt_path}", flush=True)


if __name__ == "__main__":
    main()
