"""Write small BMSG-GAN-style torch.save checkpoints for the importer tests.

Usage (from the repository root; needs PyTorch, a CPU wheel is enough):

    python3 tools/upstream/make_torch_fixtures.py

The generator weights are the golden fixtures' (Tests/MSGGenTests/Fixtures/
progan-*.safetensors), so an imported file must render exactly the expected
outputs already committed there. Written with torch.save itself, as BMSG-GAN's
training loop does (`torch.save(self.gen.state_dict(), ...)`), in both
containers: the zip format (torch >= 1.6) and the legacy stream
(`_use_new_zipfile_serialization=False`, the 2019 format). Files go to
Tests/MSGGenTests/Fixtures/upstream/.
"""

import collections
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "reference"))
import safetensors_io as st  # noqa: E402

FIXTURES = os.path.join(ROOT, "Tests", "MSGGenTests", "Fixtures")
OUT = os.path.join(FIXTURES, "upstream")


def state_dict(model, prefix=""):
    """The generator's state_dict (an OrderedDict of tensors), keys in BMSG-GAN's order."""
    tensors, _, _ = st.load_file(os.path.join(FIXTURES, model + ".safetensors"))

    def order(name):
        # layers.{i}.* before rgb_converters.{i}.*, weight before bias, as nn.Module registers them.
        parts = name.split(".")
        return (parts[0] != "layers", int(parts[1]), parts[2:-1], parts[-1] != "weight")

    sd = collections.OrderedDict()
    for name in sorted(tensors, key=order):
        sd[prefix + name] = torch.from_numpy(np.ascontiguousarray(tensors[name], dtype=np.float32))
    return sd


def save(obj, name, legacy=False):
    path = os.path.join(OUT, name)
    torch.save(obj, path, _use_new_zipfile_serialization=not legacy)
    print(f"{path}: {os.path.getsize(path)} bytes")


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    # Both torch.save containers of the same generator (4/8/16 px).
    save(state_dict("progan-d3-l16"), "GAN_GEN_3.pth")
    save(state_dict("progan-d3-l16"), "GAN_GEN_3-legacy.pth", legacy=True)
    # The exponential-moving-average copy BMSG-GAN also saves.
    save(state_dict("progan-d1-l8"), "GAN_GEN_SHADOW_1.pth")
    # Trained under nn.DataParallel: every key starts with "module.".
    save(state_dict("progan-d1-l8", prefix="module."), "GAN_GEN_1-dataparallel.pth", legacy=True)

    # Things a user may point at by mistake: a discriminator and an optimizer.
    dis = collections.OrderedDict(
        (k, torch.zeros(s)) for k, s in [
            ("rgb_to_features.0.weight", (4, 3, 1, 1)), ("rgb_to_features.0.bias", (4,)),
            ("final_block.conv_1.weight", (4, 5, 3, 3)), ("final_block.conv_1.bias", (4,)),
        ])
    save(dis, "GAN_DIS_1.pth")
    p = torch.nn.Parameter(torch.ones(3))
    opt = torch.optim.Adam([p], lr=0.001, betas=(0.0, 0.99))
    p.sum().backward()
    opt.step()
    save(opt.state_dict(), "GAN_GEN_OPTIM_1.pth")


if __name__ == "__main__":
    main()
