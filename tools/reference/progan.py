"""Reference forward pass of the MSG-ProGAN generator (BMSG-GAN `Generator`, use_eql=True).

Plain numpy, float64, written for reading rather than speed. It reproduces
akanimax/BMSG-GAN sourcecode/MSG_GAN/GAN.py `Generator.forward` and the blocks
of sourcecode/MSG_GAN/CustomLayers.py:

  GenInitialBlock:     z [L] -> ConvTranspose2d 4x4 (stride 1, no pad) -> LReLU(0.2)
                       -> conv 3x3 pad 1 -> LReLU(0.2) -> PixelNorm
  GenGeneralConvBlock: nearest x2 -> conv 3x3 -> LReLU -> PixelNorm
                       -> conv 3x3 -> LReLU -> PixelNorm
  after every block:   1x1 to-RGB conv (+ bias), no activation.

Equalized learning rate: each weight is multiplied at run time by
sqrt(2)/sqrt(fan_in), fan_in = in_channels*kh*kw for Conv2d (to-RGB included)
and in_channels for the ConvTranspose2d (`_equalized_deconv2d`). Biases are
used as stored.

Latent for seed s: numpy RandomState(s).randn(L) in float64, put on the
hypersphere z / ||z|| * sqrt(L), then rounded to float32 (what the engine feeds
the network) and computed on in float64.
"""

import numpy as np

LRELU_SLOPE = 0.2
PIXELNORM_EPS = 1e-8


def channels(depth, latent_size):
    """C_i for i = 0..depth-1 (FORMAT.md): L for i <= 3, L / 2^(i-3) after."""
    return [latent_size if i <= 3 else latent_size // (2 ** (i - 3)) for i in range(depth)]


def latent(seed, latent_size):
    """float32 latent fed to the network for `seed` (returned as float64 values)."""
    z = np.random.RandomState(seed).randn(latent_size)  # float64
    z = z / np.linalg.norm(z) * np.sqrt(latent_size)
    return z.astype(np.float32).astype(np.float64)


def lrelu(x):
    return np.where(x >= 0, x, LRELU_SLOPE * x)


def pixel_norm(x):
    # x: [C, H, W]; normalise each pixel's feature vector over channels.
    return x / np.sqrt(np.mean(x * x, axis=0, keepdims=True) + PIXELNORM_EPS)


def upsample_nearest2(x):
    # x: [C, H, W] -> [C, 2H, 2W]; out[c, y, x] = in[c, y//2, x//2] (F.interpolate default mode).
    C, H, W = x.shape
    out = np.empty((C, 2 * H, 2 * W), dtype=x.dtype)
    for dy in range(2):
        for dx in range(2):
            out[:, dy::2, dx::2] = x
    return out


def conv2d_oihw(x, w, b, pad):
    """PyTorch conv2d (cross-correlation), stride 1.

    x: [Cin, H, W], w: [Cout, Cin, kh, kw] (already scaled), b: [Cout]
    -> [Cout, H + 2*pad - kh + 1, W + 2*pad - kw + 1]
    y[o, i, j] = b[o] + sum_{c, a, d} w[o, c, a, d] * xp[c, i + a, j + d]
    """
    Cin, H, W = x.shape
    Cout, Cin2, kh, kw = w.shape
    assert Cin == Cin2
    xp = np.zeros((Cin, H + 2 * pad, W + 2 * pad), dtype=np.float64)
    xp[:, pad : pad + H, pad : pad + W] = x
    Ho, Wo = H + 2 * pad - kh + 1, W + 2 * pad - kw + 1
    y = np.zeros((Cout, Ho, Wo), dtype=np.float64)
    for a in range(kh):
        for d in range(kw):
            y += np.einsum("oc,chw->ohw", w[:, :, a, d], xp[:, a : a + Ho, d : d + Wo])
    return y + b[:, None, None]


def deconv4x4_from_vector(z, w, b):
    """ConvTranspose2d 4x4, stride 1, no padding, on a [L, 1, 1] input.

    z: [L], w: [L_in, C_out, 4, 4] (already scaled) -> [C_out, 4, 4]
    A transposed conv scatters z[i] * w[i, o, :, :] at offset (0, 0): no flip.
    """
    return np.einsum("i,iokl->okl", z, w) + b[:, None, None]


def forward(weights, depth, latent_size, z):
    """weights: name -> array (stored values; F16/BF16 already widened).
    z: [L] float64 (the float32 latent). Returns list of [3, R, R] float64, R = 4..2^(depth+1).
    """
    W = {k: np.asarray(v, dtype=np.float64) for k, v in weights.items()}
    L = latent_size
    C = channels(depth, L)
    outs = []

    # Block 0 (GenInitialBlock)
    w1 = W["layers.0.conv_1.weight"] * (np.sqrt(2.0) / np.sqrt(L))
    y = lrelu(deconv4x4_from_vector(z, w1, W["layers.0.conv_1.bias"]))
    w2 = W["layers.0.conv_2.weight"] * (np.sqrt(2.0) / np.sqrt(L * 9))
    y = pixel_norm(lrelu(conv2d_oihw(y, w2, W["layers.0.conv_2.bias"], pad=1)))
    outs.append(to_rgb(W, 0, y))

    # Blocks 1..depth-1 (GenGeneralConvBlock)
    for i in range(1, depth):
        y = upsample_nearest2(y)
        for k in (1, 2):
            w = W[f"layers.{i}.conv_{k}.weight"]
            cin = w.shape[1]
            assert w.shape[0] == C[i] and cin == (C[i - 1] if k == 1 else C[i])
            w = w * (np.sqrt(2.0) / np.sqrt(cin * 9))
            y = pixel_norm(lrelu(conv2d_oihw(y, w, W[f"layers.{i}.conv_{k}.bias"], pad=1)))
        outs.append(to_rgb(W, i, y))
    return outs


def to_rgb(W, i, y):
    w = W[f"rgb_converters.{i}.weight"]
    w = w * (np.sqrt(2.0) / np.sqrt(w.shape[1]))
    return conv2d_oihw(y, w, W[f"rgb_converters.{i}.bias"], pad=0)


def tensor_shapes(depth, latent_size):
    """name -> shape for a generator of this config (FORMAT.md table)."""
    L = latent_size
    C = channels(depth, L)
    s = {
        "layers.0.conv_1.weight": (L, L, 4, 4),
        "layers.0.conv_1.bias": (L,),
        "layers.0.conv_2.weight": (L, L, 3, 3),
        "layers.0.conv_2.bias": (L,),
    }
    for i in range(1, depth):
        s[f"layers.{i}.conv_1.weight"] = (C[i], C[i - 1], 3, 3)
        s[f"layers.{i}.conv_1.bias"] = (C[i],)
        s[f"layers.{i}.conv_2.weight"] = (C[i], C[i], 3, 3)
        s[f"layers.{i}.conv_2.bias"] = (C[i],)
    for i in range(depth):
        s[f"rgb_converters.{i}.weight"] = (3, C[i], 1, 1)
        s[f"rgb_converters.{i}.bias"] = (3,)
    return s
