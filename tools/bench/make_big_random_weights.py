#!/usr/bin/env python3
"""Write random weights of the upstream 1024 px shapes, F32, for memory and
time measurements (README "Memory"; tools/bench/memory.sh):

    DIR/progan-1024.safetensors    MSG-ProGAN, depth 9, latent 512 (BMSG-GAN's 1024 px model)
    DIR/stylegan-1024.safetensors  MSG-StyleGAN, msg-stylegan-tf defaults at 1024 px

    python3 tools/bench/make_big_random_weights.py DIR

Random pictures (noise); only the shapes matter.
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "reference"))
import progan  # noqa: E402
import stylegan  # noqa: E402
import safetensors_io as st  # noqa: E402
from make_fixtures import stylegan_weights  # noqa: E402


def main(out):
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(1024)
    depth, latent = 9, 512
    tensors = {name: (rng.standard_normal(shape) * (0.1 if name.endswith(".bias") else 1.0)).astype(np.float32)
               for name, shape in progan.tensor_shapes(depth, latent).items()}
    st.save_file(os.path.join(out, "progan-1024.safetensors"), tensors, default_dtype="F32", metadata={
        "msg-gen.format": "1", "msg-gen.family": "msg-progan",
        "msg-gen.config": json.dumps({"depth": depth, "latent_size": latent, "use_eql": True}),
        "msg-gen.name": "progan-1024", "msg-gen.source": "random (tools/bench/make_big_random_weights.py)",
    })
    cfg = stylegan.full_config(dict(resolution=1024))
    st.save_file(os.path.join(out, "stylegan-1024.safetensors"), stylegan_weights(cfg, "F32", 1024), default_dtype="F32",
                 metadata={"msg-gen.format": "1", "msg-gen.family": "msg-stylegan",
                           "msg-gen.config": json.dumps(cfg, separators=(",", ":")),
                           "msg-gen.name": "stylegan-1024",
                           "msg-gen.source": "random (tools/bench/make_big_random_weights.py)"})
    print(out)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/msg-gen-big")
