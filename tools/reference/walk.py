"""Latent walks in float64 numpy: the rules msg-gen's LatentWalk / RandomWalk follow.

linear(a, b, t)  = (1 - t) a + t b
slerp(a, b, t)   = sin((1-t) W)/sin W a + sin(t W)/sin W b, W = arccos(clip(a/|a| . b/|b|, -1, 1));
                   linear when W < 1e-8
walk frame i     = keyframe i // N (exact) when i % N == 0, else interp(key[j], key[j+1 mod K], (i % N) / N)
random_walk      = msg-stylegan-tf latent_space_interpolation_video.py: RandomState(seed).randn(frames, L),
                   scipy.ndimage.gaussian_filter(., [sigma, 0], mode="wrap"), rows scaled to norm sqrt(L)
"""

import numpy as np


def linear(a, b, t):
    return (1.0 - t) * a + t * b


def slerp(a, b, t):
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        return linear(a, b, t)
    omega = np.arccos(np.clip(np.dot(a / na, b / nb), -1.0, 1.0))
    if omega < 1e-8:
        return linear(a, b, t)
    so = np.sin(omega)
    return np.sin((1.0 - t) * omega) / so * a + np.sin(t * omega) / so * b


def walk_vector(keys, n, i, rule, loop=False):
    """Frame i of a walk through `keys` (list of float64 vectors), n frames per segment."""
    k = len(keys)
    count = k * n if loop else (k - 1) * n + 1
    assert 0 <= i < count
    j, step = divmod(i, n)
    if step == 0:
        return keys[j % k]
    f = linear if rule == "linear" else slerp
    return f(keys[j], keys[(j + 1) % k], step / n)


def random_walk(seed, frames, latent_size, sigma):
    from scipy.ndimage import gaussian_filter

    z = np.random.RandomState(seed).randn(frames, latent_size)
    z = gaussian_filter(z, [sigma, 0], mode="wrap")
    return z / np.linalg.norm(z, axis=-1, keepdims=True) * np.sqrt(latent_size)
