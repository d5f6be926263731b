"""Reference forward pass of MSG-StyleGAN (msg-stylegan-tf `G_style`), numpy float64.

Reproduces akanimax/msg-stylegan-tf training/networks_stylegan.py (G_style,
G_mapping, G_synthesis) for configs with const_input_layer = true,
nonlinearity lrelu, label_size 0, any of use_wscale, use_noise,
use_instance_norm, use_styles, use_pixel_norm, and blur_filter [a, b, c] or
none (null / []). Written to be read, not to be fast.

Non-default flags, as upstream's get_weight / layer_epilogue:
  use_wscale=false: runtime coefficient lrmul alone (no gain / sqrt(fan_in)); the
      mapping keeps lrmul = mapping_lrmul on weights and biases.
  use_noise=false: no noise inputs, no Noise/weight tensors.
  use_pixel_norm=true: pixel norm over channels after the LReLU, before instance norm.
  use_instance_norm=false / use_styles=false: that step is skipped (no StyleMod tensors).
  blur_filter: the normalised outer product f f^T / sum(f)^2; none: no blur.

Weights are the FORMAT.md tensors (TF layouts), as float32 values (F16/BF16
already widened); every computation here is float64.

Latents
  z for seed s = np.random.RandomState(s).randn(latent_size) (float64), rounded
  to float32 (what the engine feeds the network).

Mapping (G_mapping)
  x = z * rsqrt(mean(z^2) + 1e-8)
  for k in 0..mapping_layers-1:
      x = lrelu(x @ (Dense{k}/weight * sqrt(2)/sqrt(fan_in) * lrmul) + Dense{k}/bias * lrmul)
  w = x broadcast to [num_layers, dlatent_size], num_layers = 2*log2(resolution) - 2.

Truncation (G_style): for layer index l < cutoff: w[l] = avg + (w[l] - avg) * psi,
  avg = dlatent_avg. psi / cutoff None: the config's truncation_psi / _cutoff (which
  may themselves be None: no truncation); psi 1 or cutoff <= 0: no truncation.

Synthesis (G_synthesis): see `synthesize`.

Noise modes
  "const":  the stored G_synthesis/noise{l} tensors (upstream randomize_noise=False).
  "none":   no noise is added (the Noise/weight term is skipped).
  "random": the project's rule. For an image rendered from latent seed s with
            noise seed t, ONE generator rs = np.random.RandomState([t, s])
            (numpy's init_by_array seeding of MT19937 with the key [t, s]) draws,
            for layers l = 0, 1, ..., num_layers-1 in that order,
            rs.randn(r_l * r_l) reshaped to [1, 1, r_l, r_l], r_l = 2^(l//2 + 2),
            each rounded to float32.

Style mixing (upstream draw_style_mixing_figure): map the row seed and the
column seed to w (truncation only if asked), take the row's w, replace the
listed layer indices with the column's w, synthesise with const noise.
"""

import numpy as np

LRELU_SLOPE = 0.2
EPS = 1e-8

DEFAULTS = {
    "resolution": 1024,
    "latent_size": 512,
    "dlatent_size": 512,
    "mapping_layers": 8,
    "mapping_fmaps": 512,
    "mapping_lrmul": 0.01,
    "fmap_base": 8192,
    "fmap_decay": 1.0,
    "fmap_max": 512,
    "use_wscale": True,
    "use_noise": True,
    "use_instance_norm": True,
    "use_pixel_norm": False,
    "use_styles": True,
    "const_input_layer": True,
    "blur_filter": [1, 2, 1],
    "fused_scale": "auto",
    "truncation_psi": 0.7,
    "truncation_cutoff": 8,
}


def full_config(cfg):
    c = dict(DEFAULTS)
    c.update(cfg)
    assert c["const_input_layer"] is True, "reference supports only const_input_layer=true"
    for k in ("use_wscale", "use_noise", "use_instance_norm", "use_styles", "use_pixel_norm"):
        assert c[k] in (True, False), k
    bf = c["blur_filter"]
    assert bf is None or len(bf) in (0, 3), "reference supports 3-tap blur filters or none"
    return c


def coef(cfg, gain, fan_in, lrmul=1.0):
    """Upstream get_weight's runtime coefficient."""
    return gain / np.sqrt(fan_in) * lrmul if cfg["use_wscale"] else lrmul


def log2_res(cfg):
    r = cfg["resolution"]
    k = int(np.log2(r))
    assert 2**k == r and r >= 4
    return k


def num_layers(cfg):
    return 2 * log2_res(cfg) - 2


def nf(cfg, stage):
    # upstream: min(int(fmap_base / (2.0 ** (stage * fmap_decay))), fmap_max)
    return min(int(cfg["fmap_base"] / (2.0 ** (stage * cfg["fmap_decay"]))), cfg["fmap_max"])


def is_fused(cfg, r):
    """Whether the up-conv producing resolution r is fused (upstream: auto <=> 2 * in_res >= 128)."""
    fs = cfg["fused_scale"]
    if fs == "auto":
        return r >= 128
    assert fs in (True, False)
    return fs


def noise_res(l):
    return 2 ** (l // 2 + 2)


# ---------------------------------------------------------------- seeds / noise
def latent(seed, latent_size):
    z = np.random.RandomState(seed).randn(latent_size)
    return z.astype(np.float32).astype(np.float64)


def random_noise(cfg, latent_seed, noise_seed):
    rs = np.random.RandomState([noise_seed, latent_seed])
    out = []
    for l in range(num_layers(cfg)):
        r = noise_res(l)
        out.append(rs.randn(r * r).reshape(1, 1, r, r).astype(np.float32).astype(np.float64))
    return out


def noise_inputs(W, cfg, mode, latent_seed=None, noise_seed=None):
    """List of [1,1,r,r] noise tensors per layer, or None for mode 'none'."""
    if mode == "none" or not cfg["use_noise"]:
        return None
    if mode == "const":
        return [np.asarray(W[f"G_synthesis/noise{l}"], np.float64) for l in range(num_layers(cfg))]
    if mode == "random":
        return random_noise(cfg, latent_seed, noise_seed)
    raise ValueError(mode)


# ---------------------------------------------------------------- primitive ops
def lrelu(x):
    return np.where(x >= 0, x, LRELU_SLOPE * x)


def upscale2d(x):
    # x: [C, H, W] -> [C, 2H, 2W] nearest (upstream tf.tile form): out[c, y, x] = in[c, y//2, x//2]
    C, H, W = x.shape
    out = np.empty((C, 2 * H, 2 * W))
    for dy in range(2):
        for dx in range(2):
            out[:, dy::2, dx::2] = x
    return out


def conv2d_hwio_same(x, w):
    """tf.nn.conv2d NCHW, stride 1, 'SAME' (odd kernel: zero pad k//2), cross-correlation.

    x: [Cin, H, W]; w: [kh, kw, Cin, Cout] (already scaled) -> [Cout, H, W]
    y[o, i, j] = sum_{a, d, c} w[a, d, c, o] * xp[c, i + a, j + d]
    """
    Cin, H, Wd = x.shape
    kh, kw, Cin2, Cout = w.shape
    assert Cin == Cin2 and kh % 2 == 1 and kw % 2 == 1
    ph, pw = kh // 2, kw // 2
    xp = np.zeros((Cin, H + 2 * ph, Wd + 2 * pw))
    xp[:, ph : ph + H, pw : pw + Wd] = x
    y = np.zeros((Cout, H, Wd))
    for a in range(kh):
        for d in range(kw):
            y += np.einsum("co,chw->ohw", w[a, d], xp[:, a : a + H, d : d + Wd])
    return y


def fused_upconv_kernel(w):
    """Upstream fused kernel: w [3, 3, in, out] (scaled) -> transpose to [3, 3, out, in],
    zero-pad to [5, 5, out, in], and sum the four shifted 4x4 windows -> [4, 4, out, in]."""
    wt = np.transpose(w, (0, 1, 3, 2))
    p = np.zeros((5, 5) + wt.shape[2:])
    p[1:4, 1:4] = wt
    return p[1:, 1:] + p[:-1, 1:] + p[1:, :-1] + p[:-1, :-1]


def conv2d_transpose_stride2_same(x, k4):
    """tf.nn.conv2d_transpose(x, k4, output [Cout, 2H, 2W], strides 2, 'SAME'), NCHW.

    x: [Cin, H, W]; k4: [4, 4, Cout, Cin] -> [Cout, 2H, 2W]
    It is the adjoint of conv2d(stride 2, 'SAME') from [2H, 2W] to [H, W] with a 4x4
    kernel: TF pads that conv by total 2 (= (H-1)*2 + 4 - 2H), 1 before. So the forward
    conv reads output-space position 2i + a - 1 for tap a, and the transpose scatters:
        y[o, 2i + a - 1, 2j + d - 1] += k4[a, d, o, c] * x[c, i, j]   (dropped if outside)
    """
    Cin, H, Wd = x.shape
    kh, kw, Cout, Cin2 = k4.shape
    assert (kh, kw) == (4, 4) and Cin == Cin2
    # Scatter into a buffer with one extra row/column each side, then crop.
    ybuf = np.zeros((Cout, 2 * H + 2, 2 * Wd + 2))
    for a in range(4):
        for d in range(4):
            contrib = np.einsum("oc,chw->ohw", k4[a, d], x)  # [Cout, H, W]
            # output position 2i + a - 1 -> buffer index 2i + a
            ybuf[:, a : a + 2 * H : 2, d : d + 2 * Wd : 2] += contrib
    return ybuf[:, 1 : 2 * H + 1, 1 : 2 * Wd + 1]


def upscale_conv(x, w, fused):
    """'upscale2d_conv2d' of upstream. w: [3, 3, in, out] already scaled."""
    if fused:
        return conv2d_transpose_stride2_same(x, fused_upconv_kernel(w))
    return conv2d_hwio_same(upscale2d(x), w)


def blur2d(x, taps=(1.0, 2.0, 1.0)):
    """f f^T / sum, depthwise, 'SAME' zero padding (upstream _blur2d, flip=False;
    [1,2,1] is symmetric so correlation == convolution)."""
    f = np.outer(np.asarray(taps, np.float64), np.asarray(taps, np.float64))
    f /= f.sum()
    C, H, Wd = x.shape
    xp = np.zeros((C, H + 2, Wd + 2))
    xp[:, 1 : H + 1, 1 : Wd + 1] = x
    y = np.zeros_like(x)
    for a in range(3):
        for d in range(3):
            y += f[a, d] * xp[:, a : a + H, d : d + Wd]
    return y


def instance_norm(x):
    x = x - x.mean(axis=(1, 2), keepdims=True)
    return x * (1.0 / np.sqrt(np.mean(x * x, axis=(1, 2), keepdims=True) + EPS))


# ---------------------------------------------------------------- networks
def mapping(W, cfg, z):
    """z: [latent_size] -> w: [dlatent_size] (before broadcast)."""
    lrmul = cfg["mapping_lrmul"]
    x = z * (1.0 / np.sqrt(np.mean(z * z) + EPS))
    for k in range(cfg["mapping_layers"]):
        w = np.asarray(W[f"G_mapping/Dense{k}/weight"], np.float64)
        b = np.asarray(W[f"G_mapping/Dense{k}/bias"], np.float64)
        x = lrelu(x @ (w * coef(cfg, np.sqrt(2.0), w.shape[0], lrmul)) + b * lrmul)
    return x


def truncate(w, avg, psi, cutoff):
    """w: [num_layers, D]. Upstream G_style: lerp(avg, w, psi) for layer < cutoff."""
    w = w.copy()
    if psi is None or psi == 1 or cutoff is None or cutoff <= 0:
        return w
    for l in range(min(cutoff, w.shape[0])):
        w[l] = avg + (w[l] - avg) * psi
    return w


def dlatents(W, cfg, seed, psi, cutoff):
    """seed -> w [num_layers, D] after broadcast and truncation. psi / cutoff None:
    the model's own truncation_psi / truncation_cutoff (G_style's defaults)."""
    psi = cfg["truncation_psi"] if psi is None else psi
    cutoff = cfg["truncation_cutoff"] if cutoff is None else cutoff
    z = latent(seed, cfg["latent_size"])
    w = np.tile(mapping(W, cfg, z)[None, :], (num_layers(cfg), 1))
    return truncate(w, np.asarray(W["dlatent_avg"], np.float64), psi, cutoff)


def pixel_norm(x):
    """Over channels: x / sqrt(mean_c(x^2) + 1e-8). x: [C, H, W]."""
    return x * (1.0 / np.sqrt(np.mean(x * x, axis=0, keepdims=True) + EPS))


def epilogue(W, cfg, scope, x, w_l, noise):
    """Upstream layer_epilogue: noise -> bias -> lrelu -> [pixel norm] -> instance norm
    -> style mod, each step only when its flag is on.
    x: [C, H, W]; w_l: [D]; noise: [1, 1, H, W] or None."""
    C = x.shape[0]
    p = f"G_synthesis/{scope}/"
    if noise is not None and cfg["use_noise"]:
        nw = np.asarray(W[p + "Noise/weight"], np.float64)
        x = x + noise[0] * nw[:, None, None]
    x = x + np.asarray(W[p + "bias"], np.float64)[:, None, None]
    x = lrelu(x)
    if cfg["use_pixel_norm"]:
        x = pixel_norm(x)
    if cfg["use_instance_norm"]:
        x = instance_norm(x)
    if not cfg["use_styles"]:
        return x
    sw = np.asarray(W[p + "StyleMod/weight"], np.float64)  # [D, 2C]
    sb = np.asarray(W[p + "StyleMod/bias"], np.float64)
    s = w_l @ (sw * coef(cfg, 1.0, sw.shape[0])) + sb  # dense gain 1, lrmul 1
    return x * (s[:C] + 1.0)[:, None, None] + s[C:][:, None, None]


def conv3(W, cfg, scope, x):
    w = np.asarray(W[f"G_synthesis/{scope}/weight"], np.float64)
    return conv2d_hwio_same(x, w * coef(cfg, np.sqrt(2.0), np.prod(w.shape[:-1])))


def to_rgb(W, cfg, res_log2, x):
    lod = log2_res(cfg) - res_log2
    w = np.asarray(W[f"G_synthesis/ToRGB_lod{lod}/weight"], np.float64)  # [1, 1, C, 3]
    b = np.asarray(W[f"G_synthesis/ToRGB_lod{lod}/bias"], np.float64)
    w = w * coef(cfg, 1.0, w.shape[2])  # gain 1
    return np.einsum("co,chw->ohw", w[0, 0], x) + b[:, None, None]


def synthesize(W, cfg, w, noise, fused_override=None):
    """w: [num_layers, D]; noise: list of [1,1,r,r] or None. Returns [3, r, r] for r = 4..R.

    4x4:   const -> epilogue(0); conv 3x3 -> epilogue(1)
    r=2^k: up-conv (fused or not) -> blur -> epilogue(2k-4); conv 3x3 -> epilogue(2k-3)
    to-RGB (ToRGB_lod{log2 R - k}) after every resolution; nothing else applied.
    fused_override: None, or a function r -> bool (used by the self-test)."""
    nz = (lambda l: None) if noise is None else (lambda l: noise[l])
    taps = cfg["blur_filter"]
    x = np.asarray(W["G_synthesis/4x4/Const/const"], np.float64)[0]
    x = epilogue(W, cfg, "4x4/Const", x, w[0], nz(0))
    x = epilogue(W, cfg, "4x4/Conv", conv3(W, cfg, "4x4/Conv", x), w[1], nz(1))
    outs = [to_rgb(W, cfg, 2, x)]
    for k in range(3, log2_res(cfg) + 1):
        r = 2**k
        s = f"{r}x{r}"
        wu = np.asarray(W[f"G_synthesis/{s}/Conv0_up/weight"], np.float64)
        wu = wu * coef(cfg, np.sqrt(2.0), np.prod(wu.shape[:-1]))
        fused = is_fused(cfg, r) if fused_override is None else fused_override(r)
        x = upscale_conv(x, wu, fused)
        if taps:
            x = blur2d(x, taps)
        x = epilogue(W, cfg, f"{s}/Conv0_up", x, w[2 * k - 4], nz(2 * k - 4))
        x = epilogue(W, cfg, f"{s}/Conv1", conv3(W, cfg, f"{s}/Conv1", x), w[2 * k - 3], nz(2 * k - 3))
        outs.append(to_rgb(W, cfg, k, x))
    return outs


def progressive_output(outs, cfg, lod):
    """The full-resolution image StyleGAN v1's G_synthesis returns when its
    `lod` variable is `lod` (structure 'recursive', what Gs.run builds; 'linear'
    agrees to float rounding for 0 <= lod <= log2(R) - 2). outs: to-RGB outputs [3, r, r] for
    r = 4..R (synthesize's list). Written from networks_stylegan.py's grow():

        grow(x, res, lod):  y = block(res, x)
            lod_in < lod (and lod > 0): grow(y, res + 1, lod - 1)
            lod_in > lod: upscale2d(lerp(torgb(res, y), upscale2d(torgb(res - 1, x)), lod_in - lod), 2**lod)
            else:         upscale2d(torgb(res, y), 2**lod)

    lerp(a, b, t) = a + (b - a) * t (tflib.lerp, unclipped), upscale2d nearest."""
    R2 = log2_res(cfg)
    lod = float(lod)
    for res in range(3, R2 + 1):
        level = R2 - res
        if lod < level and level > 0:
            continue
        a = outs[res - 2]
        if lod > level:
            b = upscale2d(outs[res - 3])
            img = a + (b - a) * (lod - level)
        else:
            img = a
        for _ in range(level):
            img = upscale2d(img)
        return img
    raise AssertionError("unreachable: the loop returns at res = log2(R)")


def render(W, cfg, seed, psi, cutoff, noise_mode, noise_seed=None):
    """-> (w [num_layers, D], outputs)."""
    w = dlatents(W, cfg, seed, psi, cutoff)
    return w, synthesize(W, cfg, w, noise_inputs(W, cfg, noise_mode, seed, noise_seed))


def mix(W, cfg, row_seed, col_seed, layers, psi=None, cutoff=None):
    """psi None: no truncation (the figure maps without it unless asked)."""
    psi = 1.0 if psi is None else psi
    w = dlatents(W, cfg, row_seed, psi, cutoff)
    wc = dlatents(W, cfg, col_seed, psi, cutoff)
    for l in layers:
        w[l] = wc[l]
    return w, synthesize(W, cfg, w, noise_inputs(W, cfg, "const"))


def tensor_shapes(cfg):
    """name -> shape for a Gs of this config (FORMAT.md table)."""
    s = {}
    L, D, F = cfg["latent_size"], cfg["dlatent_size"], cfg["mapping_fmaps"]
    n = cfg["mapping_layers"]
    for k in range(n):
        fin = L if k == 0 else F
        fout = D if k == n - 1 else F
        s[f"G_mapping/Dense{k}/weight"] = (fin, fout)
        s[f"G_mapping/Dense{k}/bias"] = (fout,)
    for l in range(num_layers(cfg) if cfg["use_noise"] else 0):
        r = noise_res(l)
        s[f"G_synthesis/noise{l}"] = (1, 1, r, r)

    def layer(scope, C, w_shape):
        p = f"G_synthesis/{scope}/"
        if w_shape is not None:
            s[p + "weight"] = w_shape
        if cfg["use_noise"]:
            s[p + "Noise/weight"] = (C,)
        s[p + "bias"] = (C,)
        if cfg["use_styles"]:
            s[p + "StyleMod/weight"] = (D, 2 * C)
            s[p + "StyleMod/bias"] = (2 * C,)

    c1 = nf(cfg, 1)
    s["G_synthesis/4x4/Const/const"] = (1, c1, 4, 4)
    layer("4x4/Const", c1, None)
    layer("4x4/Conv", c1, (3, 3, c1, c1))
    prev = c1
    R2 = log2_res(cfg)
    for k in range(3, R2 + 1):
        r, c = 2**k, nf(cfg, k - 1)
        layer(f"{r}x{r}/Conv0_up", c, (3, 3, prev, c))
        layer(f"{r}x{r}/Conv1", c, (3, 3, c, c))
        prev = c
    for k in range(2, R2 + 1):
        c = nf(cfg, 1) if k == 2 else nf(cfg, k - 1)
        s[f"G_synthesis/ToRGB_lod{R2 - k}/weight"] = (1, 1, c, 3)
        s[f"G_synthesis/ToRGB_lod{R2 - k}/bias"] = (3,)
    s["dlatent_avg"] = (D,)
    return s
