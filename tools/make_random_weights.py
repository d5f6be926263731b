#!/usr/bin/env python3
"""Write weights/random-progan-128.safetensors: a randomly initialised
MSG-ProGAN (depth 6 -> 128 px, latent 128), F16, so the pipeline runs before
trained face models ship. Its pictures are noise.

    python3 tools/make_random_weights.py
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "reference"))
from progan import tensor_shapes  # noqa: E402
from safetensors_io import save_file  # noqa: E402

DEPTH, LATENT = 6, 128


def main():
    rng = np.random.default_rng(20261123)
    tensors = {}
    for name, shape in tensor_shapes(DEPTH, LATENT).items():
        # Upstream init: weights N(0, 1) (equalized lr scales them at run time), biases 0;
        # small random biases here so the colours are not all grey.
        scale = 0.1 if name.endswith(".bias") else 1.0
        tensors[name] = (rng.standard_normal(shape) * scale).astype(np.float32)
    root = os.path.join(os.path.dirname(__file__), "..", "weights")
    path = os.path.join(root, "random-progan-128.safetensors")
    save_file(path, tensors, default_dtype="F16", metadata={
        "msg-gen.format": "1",
        "msg-gen.family": "msg-progan",
        "msg-gen.config": json.dumps({"depth": DEPTH, "latent_size": LATENT, "use_eql": True}),
        "msg-gen.name": "random-progan-128",
        "msg-gen.source": "random initialisation by tools/make_random_weights.py; untrained: renders noise",
        "msg-gen.license": "CC0: random numbers",
    })
    print(path)


if __name__ == "__main__":
    main()
