"""Write a small msg-stylegan-tf / StyleGAN v1 network pickle for the importer tests.

Usage (from the repository root; Python 3 + numpy only, no TensorFlow):

    python3 tools/upstream/make_tf_pickle_fixture.py

A `(G, D, Gs)` tuple of `dnnlib.tflib.network.Network` objects pickled the
way StyleGAN v1's `Network.__getstate__` does (state version 3: version,
name, static_kwargs, components, build_module_src, build_func_name,
variables), with protocol 4 and numpy arrays under the `numpy.core` module
path that 2019 files carry (numpy >= 2 writes `numpy._core`; the pickler
below writes the old path). Gs's variables are the golden fixture
Tests/MSGGenTests/Fixtures/stylegan-32.safetensors, so an imported Gs must
render its expected outputs. G shares Gs's arrays (small file); D is a stub.
`build_module_src` is source that would raise if anyone executed it.
Output: Tests/MSGGenTests/Fixtures/upstream/stylegan-32.pkl

Also a snapshot saved mid progressive growing: the same networks with
Gs's `lod` and `G_synthesis/lod` at 1.5 (upstream/stylegan-32-lod1.5.pkl),
and upstream/stylegan-32-lod1.5.expected.safetensors: for every case of the
golden stylegan-32 fixture, the float64 reference's full-resolution output at
that lod (tools/reference/stylegan.py progressive_output, the rule of
StyleGAN v1's G_synthesis), `out/<case id>/32`.
"""

import io
import json
import os
import pickle
import sys
import types

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "reference"))
import safetensors_io as st  # noqa: E402
import stylegan  # noqa: E402

FIXTURES = os.path.join(ROOT, "Tests", "MSGGenTests", "Fixtures")
OUT = os.path.join(FIXTURES, "upstream", "stylegan-32.pkl")

# A stand-in for dnnlib.tflib.network with the same module path and class name.
for mod in ["dnnlib", "dnnlib.tflib", "dnnlib.tflib.network"]:
    sys.modules.setdefault(mod, types.ModuleType(mod))


class Network:
    """Holds exactly what StyleGAN v1's Network.__getstate__ returns (version 3)."""

    def __init__(self, name, static_kwargs, components, func_name, variables):
        self.state = {
            "version": 3,
            "name": name,
            "static_kwargs": dict(static_kwargs),
            "components": dict(components),
            "build_module_src": "raise RuntimeError('msg-gen must never execute build_module_src')\n",
            "build_func_name": func_name,
            "variables": list(variables),
        }

    def __getstate__(self):
        return self.state


Network.__module__ = "dnnlib.tflib.network"
sys.modules["dnnlib.tflib.network"].Network = Network


class OldNumpyPickler(pickle._Pickler):
    """Pure-Python pickler that names numpy's internals as numpy 1.x did (numpy.core.*)."""

    def save_global(self, obj, name=None):
        module = getattr(obj, "__module__", None)
        qualname = name or getattr(obj, "__qualname__", obj.__name__)
        if module and module.startswith("numpy._core"):
            self.save("numpy.core" + module[len("numpy._core"):])
            self.save(qualname)
            self.write(pickle.STACK_GLOBAL)
            self.memoize(obj)
        else:
            super().save_global(obj, name)

    dispatch = dict(pickle._Pickler.dispatch)


def gan_tuple(arrays, config, lod=0.0):
    """(G, D, Gs) for FORMAT.md-named float32 arrays and their msg-gen config;
    `lod`: the progressive-growing level G_style and G_synthesis hold."""

    def scope(prefix):
        names = sorted(k[len(prefix):] for k in arrays if k.startswith(prefix))
        return [(n, arrays[prefix + n]) for n in names]

    # Static kwargs as train.py passes them to G_style; blur_filter as a list, as upstream writes it.
    kwargs = dict(num_channels=3, label_size=0, structure="auto", **config)
    lod = np.float32(lod).reshape(())
    num_layers = 2 * int(np.log2(config["resolution"])) - 2
    mapping = Network("G_mapping", dict(kwargs, dlatent_broadcast=num_layers), {},
                      "training.networks_stylegan.G_mapping", scope("G_mapping/"))
    synthesis = Network("G_synthesis", dict(kwargs), {}, "training.networks_stylegan.G_synthesis",
                        [("lod", np.array(lod))] + scope("G_synthesis/"))
    own = [("lod", np.array(lod)), ("dlatent_avg", arrays["dlatent_avg"])]
    gs = Network("Gs", kwargs, {"mapping": mapping, "synthesis": synthesis},
                 "training.networks_stylegan.G_style", own)
    g = Network("G", kwargs, {"mapping": mapping, "synthesis": synthesis},
                "training.networks_stylegan.G_style", own)
    d = Network("D", dict(num_channels=3, resolution=config["resolution"], label_size=0), {},
                "training.networks_stylegan.D_basic",
                [("FromRGB_lod0/weight", np.zeros((1, 1, 3, 4), np.float32))])
    return (g, d, gs)


def dumps(obj):
    buf = io.BytesIO()
    OldNumpyPickler(buf, protocol=4).dump(obj)
    return buf.getvalue()


def main():
    tensors, meta, _ = st.load_file(os.path.join(FIXTURES, "stylegan-32.safetensors"))
    config = json.loads(meta["msg-gen.config"])
    arrays = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()}
    data = dumps(gan_tuple(arrays, config))
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "wb") as f:
        f.write(data)
    print(f"{OUT}: {len(data)} bytes")

    # Mid progressive growing: lod 1.5 (between the 8x8 and 16x16 outputs of the 32 px model).
    lod = 1.5
    lod_out = os.path.join(os.path.dirname(OUT), "stylegan-32-lod1.5.pkl")
    with open(lod_out, "wb") as f:
        f.write(dumps(gan_tuple(arrays, config, lod=lod)))
    print(f"{lod_out}: {os.path.getsize(lod_out)} bytes")
    _, emeta, _ = st.load_file(os.path.join(FIXTURES, "stylegan-32.expected.safetensors"))
    cases = json.loads(emeta["cases"])
    cfg = stylegan.full_config(config)
    R = cfg["resolution"]
    expected = {}
    for c in cases:
        _, outs = stylegan.render(tensors, cfg, c["seed"], c["psi"], c["cutoff"], c["noise"], c["noise_seed"])
        expected[f"out/{c['id']}/{R}"] = np.float32(stylegan.progressive_output(outs, cfg, lod))
    exp_path = os.path.join(os.path.dirname(OUT), "stylegan-32-lod1.5.expected.safetensors")
    st.save_file(exp_path, expected, {"cases": json.dumps(cases), "lod": str(lod)})
    print(f"{exp_path}: {os.path.getsize(exp_path)} bytes")

    # Hostile: 20 levels of networks whose 3 components are one shared network
    # (3^20 paths through a small DAG; a reader must not walk it path by path).
    net = Network("leaf", {}, {}, "f", [])
    for i in range(20):
        net = Network(f"n{i}", {}, {"a": net, "b": net, "c": net}, "f", [])
    shared = os.path.join(os.path.dirname(OUT), "shared-components.pkl")
    with open(shared, "wb") as f:
        f.write(dumps((net, net, net)))
    print(f"{shared}: {os.path.getsize(shared)} bytes")


if __name__ == "__main__":
    main()
