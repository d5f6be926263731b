"""Write the fuzz seeds under tools/fuzz/corpus/<target>/ (small valid files of each kind).

Usage (from the repository root; needs PyTorch for the torch seeds):

    python3 tools/fuzz/make_seeds.py
    python3 tools/fuzz/make_seeds.py --torch-zip-only   # FuzzTorchZip seeds from the committed FuzzZip seed; no PyTorch

Seeds are tiny *valid* models so that mutations start from inputs that reach
every stage (container, pickle, importer, config and tensor-set checks):
a depth-1 latent-2 MSG-ProGAN in both torch.save containers (and a deflated
re-zip), a 4 px MSG-StyleGAN TF pickle, and safetensors files of both families.
FuzzTorchZip takes a structured input (Sources/FuzzTorchZip: an options byte,
then data.pkl and each storage separated by b"\\0MSG"), made from the torch zip seed.
libFuzzer adds what it finds to the same folders; tools/fuzz.sh runs them.
"""

import collections
import io
import json
import os
import sys
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "reference"))
sys.path.insert(0, os.path.join(ROOT, "tools", "upstream"))
import safetensors_io as st  # noqa: E402
import make_tf_pickle_fixture as tfp  # noqa: E402

CORPUS = os.path.join(HERE, "corpus")
rng = np.random.default_rng(7)


def write(target, name, data):
    os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
    with open(os.path.join(CORPUS, target, name), "wb") as f:
        f.write(data)


def progan_tiny():
    l = 2
    shapes = {"layers.0.conv_1.weight": (l, l, 4, 4), "layers.0.conv_1.bias": (l,),
              "layers.0.conv_2.weight": (l, l, 3, 3), "layers.0.conv_2.bias": (l,),
              "rgb_converters.0.weight": (3, l, 1, 1), "rgb_converters.0.bias": (3,)}
    return {k: rng.standard_normal(s).astype(np.float32) for k, s in shapes.items()}, {"depth": 1, "latent_size": l}


def stylegan_tiny():
    c = dict(resolution=4, latent_size=2, dlatent_size=2, mapping_layers=1, mapping_fmaps=2,
             fmap_base=4, fmap_max=2, fused_scale=False)
    shapes = {"G_mapping/Dense0/weight": (2, 2), "G_mapping/Dense0/bias": (2,), "dlatent_avg": (2,),
              "G_synthesis/noise0": (1, 1, 4, 4), "G_synthesis/noise1": (1, 1, 4, 4),
              "G_synthesis/4x4/Const/const": (1, 2, 4, 4), "G_synthesis/4x4/Conv/weight": (3, 3, 2, 2),
              "G_synthesis/ToRGB_lod0/weight": (1, 1, 2, 3), "G_synthesis/ToRGB_lod0/bias": (3,)}
    for s in ["G_synthesis/4x4/Const", "G_synthesis/4x4/Conv"]:
        shapes.update({s + "/Noise/weight": (2,), s + "/bias": (2,), s + "/StyleMod/weight": (2, 4),
                       s + "/StyleMod/bias": (4,)})
    return {k: rng.standard_normal(s).astype(np.float32) for k, s in shapes.items()}, c


def torch_bytes(sd, legacy):
    import torch
    buf = io.BytesIO()
    torch.save(sd, buf, _use_new_zipfile_serialization=not legacy)
    return buf.getvalue()


SEPARATOR = b"\0MSG"


def torch_zip_seeds(zipped):
    """FuzzTorchZip inputs: the seed's data.pkl and storages under each option set."""
    with zipfile.ZipFile(io.BytesIO(zipped)) as z:
        pkl = [n for n in z.namelist() if n.endswith("/data.pkl")][0]
        prefix = pkl[: -len("data.pkl")]
        keys = sorted((n[len(prefix) + 5:] for n in z.namelist() if n.startswith(prefix + "data/")), key=int)
        assert keys == [str(k) for k in range(len(keys))], keys
        sections = [z.read(pkl)] + [z.read(prefix + "data/" + k) for k in keys]
    assert not any(SEPARATOR in s for s in sections)
    body = SEPARATOR.join(sections)
    for options, name in [(0, "stored"), (3, "deflated"), (8, "byteorder"), (4, "shared-entries"), (2 | 16, "repeated-storages")]:
        data = body
        if options & 16:
            # Each storage section starts with its repeat count byte (r + 1) * 256.
            data = SEPARATOR.join([sections[0]] + [b"\x00" + s for s in sections[1:]])
        write("FuzzTorchZip", "progan-d1-l2-%s.bin" % name, bytes([options]) + data)


def main():
    if "--torch-zip-only" in sys.argv:
        with open(os.path.join(CORPUS, "FuzzZip", "progan-d1-l2.pth"), "rb") as f:
            torch_zip_seeds(f.read())
        return
    import torch
    pro, pro_config = progan_tiny()
    sd = collections.OrderedDict((k, torch.from_numpy(v)) for k, v in pro.items())
    zipped = torch_bytes(sd, legacy=False)
    write("FuzzZip", "progan-d1-l2.pth", zipped)
    torch_zip_seeds(zipped)
    # The same archive with every member deflated (exercises inflate).
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(zipped)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
    write("FuzzZip", "progan-d1-l2-deflated.pth", out.getvalue())
    legacy = torch_bytes(sd, legacy=True)
    write("FuzzPickle", "progan-d1-l2-legacy.pth", legacy)
    with zipfile.ZipFile(io.BytesIO(zipped)) as z:
        write("FuzzPickle", "progan-d1-l2-data.pkl", z.read("archive/data.pkl" if "archive/data.pkl" in z.namelist()
                                                         else [n for n in z.namelist() if n.endswith("/data.pkl")][0]))

    sty, sty_config = stylegan_tiny()
    write("FuzzPickle", "stylegan-4.pkl", tfp.dumps(tfp.gan_tuple(sty, sty_config)))

    for name, tensors, family, config in [("progan-d1-l2", pro, "msg-progan", pro_config),
                                          ("stylegan-4", sty, "msg-stylegan", sty_config)]:
        path = os.path.join(CORPUS, "FuzzSafetensors", name + ".safetensors")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        st.save_file(path, tensors, {"msg-gen.format": "1", "msg-gen.family": family,
                                     "msg-gen.config": json.dumps(config)})
    for target in sorted(os.listdir(CORPUS)):
        for f in sorted(os.listdir(os.path.join(CORPUS, target))):
            print(target, f, os.path.getsize(os.path.join(CORPUS, target, f)))


if __name__ == "__main__":
    main()
