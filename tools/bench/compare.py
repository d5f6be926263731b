#!/usr/bin/env python3
"""msg-gen vs PyTorch CPU eager, same random weights files, interleaved runs.

    python3 tools/bench/compare.py [--models progan-128 ...] [--rounds 3] [--iters 5]
                                   [--msg-gen .build/release/msg-gen] [--plot docs/bench.png]
                                   [--isa avx2 [avx512 portable ...]]

Sets up PyTorch (CPU wheel) when missing, writes random models of the
upstream shapes, checks the PyTorch modules against the golden fixtures,
then alternates msg-gen and PyTorch runs of each model (batch 1, 2 threads,
channels_last) and prints ms/img, the ratio, effective GFLOP/s (direct-conv
FLOPs / time), percent of the measured SGEMM peak, and peak RSS of each.

--isa runs as on a CPU without the wider units: msg-gen with MSG_GEN_ISA set
to the first ISA named (its kernels and, for avx2, OpenBLAS's Haswell core)
and PyTorch limited the same way (ISA_LIMITS: oneDNN's ONEDNN_MAX_CPU_ISA and
ATen's ATEN_CPU_CAPABILITY, set before torch loads). Further ISAs add
msg-gen columns from the same interleaved rounds (e.g. its own AVX-512 speed).
ONNX Runtime has no such switch and is left out under --isa.
"""
import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(HERE, "..", "reference"))

# Environment that holds PyTorch to an ISA (None: as it chooses).
ISA_LIMITS = {
    "avx512": None,
    "avx2": {"ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2"},
    "portable": {"ONEDNN_MAX_CPU_ISA": "SSE41", "ATEN_CPU_CAPABILITY": "default"},
    "neon": None,
}

MODELS = {
    "progan-128": ("progan", {"depth": 6, "latent_size": 512}),
    "progan-256": ("progan", {"depth": 7, "latent_size": 512}),
    "progan-1024": ("progan", {"depth": 9, "latent_size": 512}),
    "stylegan-256": ("stylegan", {"resolution": 256}),
    "stylegan-1024": ("stylegan", {"resolution": 1024}),
}


def ensure_packages(want_onnx):
    """Installs the CPU PyTorch wheel (and ONNX Runtime + onnx when ONNX rows are asked for) when missing."""
    wanted = [("torch", "torch==2.13.0+cpu")]
    if want_onnx:
        wanted += [("onnxruntime", "onnxruntime==1.32.0"), ("onnx", "onnx==1.23.2")]
    import importlib.util
    missing = [spec for mod, spec in wanted if importlib.util.find_spec(mod) is None]
    if missing:
        subprocess.check_call([sys.executable, "-m", "pip", "install", "-q"] + missing)


def write_model(name, path):
    import numpy as np
    from safetensors_io import save_file
    family, cfg = MODELS[name]
    rng = np.random.default_rng(1)
    if family == "progan":
        import progan
        shapes = progan.tensor_shapes(cfg["depth"], cfg["latent_size"])
        meta_cfg = dict(cfg, use_eql=True)
    else:
        import stylegan
        full = stylegan.full_config(cfg)
        shapes = stylegan.tensor_shapes(full)
        meta_cfg = full
    tensors = {}
    for k, shape in shapes.items():
        scale = 100.0 if (k.startswith("G_mapping/") and k.endswith("/weight")) else (0.1 if "bias" in k or k == "dlatent_avg" else 1.0)
        tensors[k] = (rng.standard_normal(shape, dtype=np.float32) * scale)
    save_file(path, tensors, metadata={"msg-gen.format": "1", "msg-gen.family": "msg-" + family,
                                       "msg-gen.config": json.dumps(meta_cfg), "msg-gen.name": name})


def torch_worker(path, iters, batch, channels_last):
    """Runs in a child process: prints one JSON line."""
    import torch
    sys.path.insert(0, HERE)
    from torch_models import build
    torch.set_num_threads(2)
    m = build(path)
    if channels_last:
        m.W = {k: (v.contiguous(memory_format=torch.channels_last) if v.dim() == 4 else v) for k, v in m.W.items()}
    z = m.latents(list(range(batch)))
    times = []
    with torch.inference_mode():
        m(z)
        for _ in range(iters):
            t0 = time.perf_counter()
            m(z)
            times.append((time.perf_counter() - t0) * 1000 / batch)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"ms": statistics.median(times), "min": min(times), "rss": rss, "torch": torch.__version__}))


def onnx_worker(path, iters, batch):
    """Child process: export the PyTorch module to ONNX, time ONNX Runtime (2 threads)."""
    import warnings
    import numpy as np
    import torch
    import onnxruntime as ort
    sys.path.insert(0, HERE)
    from torch_models import build
    warnings.filterwarnings("ignore")
    m = build(path)
    z = m.latents(list(range(batch)))
    onnx_path = path + ".onnx"
    with torch.inference_mode():
        torch.onnx.export(m, (z,), onnx_path, dynamo=False, opset_version=17)
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(onnx_path, so, providers=["CPUExecutionProvider"])
    feed = {sess.get_inputs()[0].name: z.numpy()}
    with torch.inference_mode():
        want = m(z)[-1].numpy()
    got = sess.run(None, feed)[-1]
    assert np.max(np.abs(got - want) / (1 + np.abs(want))) < 1e-3, "ONNX Runtime disagrees with PyTorch"
    times = []
    for _ in range(iters):
        t0 = time.perf_counter()
        sess.run(None, feed)
        times.append((time.perf_counter() - t0) * 1000 / batch)
    os.remove(onnx_path)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"ms": statistics.median(times), "min": min(times), "rss": rss, "ort": ort.__version__}))


def run_msg_gen(binary, path, iters, batch, want_peak, isa=None):
    args = [binary, "bench", "--weights", path, "--batches", str(batch), "--iterations", str(iters), "--threads", "2"]
    if not want_peak:
        args.append("--no-peak")
    # msg-gen picks its OpenBLAS core itself, as for a user who never heard of
    # OPENBLAS_CORETYPE (a value inherited from this shell would override it).
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "MSG_GEN_ISA")}
    if isa:
        env["MSG_GEN_ISA"] = isa
    out = subprocess.check_output(args, text=True, env=env)
    lines = out.strip().splitlines()
    peak = None
    m = re.search(r"sgemm peak: ([0-9.]+)", out)
    if m:
        peak = float(m.group(1))
    row = lines[-1].split()
    return {"ms": float(row[2]), "min": float(row[3]), "gflop": float(row[4]), "rss": float(row[-1]),
            "machine": lines[0], "peak": peak}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", nargs="+", default=list(MODELS))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--msg-gen", default=os.path.join(ROOT, ".build", "release", "msg-gen"))
    ap.add_argument("--plot", default=None)
    ap.add_argument("--json", default=None)
    ap.add_argument("--torch-worker", nargs=3, metavar=("FILE", "ITERS", "BATCH"))
    ap.add_argument("--no-channels-last", action="store_true")
    ap.add_argument("--onnx-worker", nargs=3, metavar=("FILE", "ITERS", "BATCH"))
    ap.add_argument("--onnx", nargs="*", default=["progan-128", "progan-256"],
                    help="models also timed with ONNX Runtime (exported from the PyTorch module)")
    ap.add_argument("--isa", nargs="+", choices=list(ISA_LIMITS), default=None,
                    help="msg-gen path (MSG_GEN_ISA) compared with PyTorch limited alike; more names add msg-gen columns")
    a = ap.parse_args()
    isa = a.isa[0] if a.isa else None
    extra_isas = a.isa[1:] if a.isa else []
    torch_env = dict(os.environ, **(ISA_LIMITS.get(isa) or {}))
    if isa:
        a.onnx = []
    if a.torch_worker:
        torch_worker(a.torch_worker[0], int(a.torch_worker[1]), int(a.torch_worker[2]), not a.no_channels_last)
        return
    if a.onnx_worker:
        onnx_worker(a.onnx_worker[0], int(a.onnx_worker[1]), int(a.onnx_worker[2]))
        return
    ensure_packages(any(m in a.onnx for m in a.models))
    subprocess.check_call([sys.executable, os.path.join(HERE, "check_torch_models.py")])
    if not os.path.exists(a.msg_gen):
        subprocess.check_call(["swift", "build", "-c", "release", "--product", "msg-gen"], cwd=ROOT)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        peak, machine = None, None
        for name in a.models:
            path = os.path.join(tmp, name + ".safetensors")
            write_model(name, path)
            ours, theirs, onnx, extra = [], [], [], {x: [] for x in extra_isas}
            for r in range(a.rounds):
                g = run_msg_gen(a.msg_gen, path, a.iters, a.batch, peak is None, isa)
                peak = peak or g["peak"]
                machine = g["machine"]
                ours.append(g)
                t = json.loads(subprocess.check_output([sys.executable, __file__, "--torch-worker", path, str(a.iters), str(a.batch)]
                                                      + (["--no-channels-last"] if a.no_channels_last else []), text=True, env=torch_env))
                theirs.append(t)
                for x in extra_isas:
                    extra[x].append(run_msg_gen(a.msg_gen, path, a.iters, a.batch, False, x))
                if name in a.onnx:
                    onnx.append(json.loads(subprocess.check_output([sys.executable, __file__, "--onnx-worker", path, str(a.iters), str(a.batch)], text=True)))
            gf = ours[0]["gflop"]
            row = {"model": name, "gflop": gf,
                   "ours_ms": statistics.median(x["ms"] for x in ours), "torch_ms": statistics.median(x["ms"] for x in theirs),
                   "ours_rss": max(x["rss"] for x in ours), "torch_rss": max(x["rss"] for x in theirs), "torch": theirs[0]["torch"],
                   "onnx_ms": statistics.median(x["ms"] for x in onnx) if onnx else None,
                   "isa": isa, "extra_ms": {x: statistics.median(y["ms"] for y in v) for x, v in extra.items()}}
            results.append(row)
            os.remove(path)
        print(machine)
        print(f"sgemm peak: {peak:.1f} GFLOP/s; batch {a.batch}; medians of {a.rounds} interleaved rounds x {a.iters} iterations")
        print(f"{'model':<15} {'GFLOP/img':>9} {'msg-gen ms':>11} {'torch ms':>9} {'speed-up':>8} {'msg-gen GFLOP/s':>15} {'%peak':>6} "
              f"{'torch GFLOP/s':>13} {'%peak':>6} {'msg-gen RSS MB':>14} {'torch RSS MB':>12} {'ORT ms':>8} {'vs ORT':>7}")
        for r in results:
            go, gt = r["gflop"] * 1000 / r["ours_ms"], r["gflop"] * 1000 / r["torch_ms"]
            print(f"{r['model']:<15} {r['gflop']:>9.1f} {r['ours_ms']:>11.1f} {r['torch_ms']:>9.1f} {r['torch_ms'] / r['ours_ms']:>7.2f}x "
                  f"{go:>15.1f} {100 * go / peak:>5.0f}% {gt:>13.1f} {100 * gt / peak:>5.0f}% {r['ours_rss']:>14.0f} {r['torch_rss']:>12.0f} "
                  + (f"{r['onnx_ms']:>8.1f} {r['onnx_ms'] / r['ours_ms']:>6.2f}x" if r["onnx_ms"] else f"{'-':>8} {'-':>7}"))
        print(f"(torch {results[0]['torch']}, channels_last={not a.no_channels_last}, 2 threads"
              + (f"; msg-gen MSG_GEN_ISA={isa}, torch {ISA_LIMITS[isa]}" if isa else "") + ")")
        for x in extra_isas:
            print(f"msg-gen MSG_GEN_ISA={x}, same rounds: " + ", ".join(
                f"{r['model']} {r['extra_ms'][x]:.1f} ms ({isa} at {r['extra_ms'][x] / r['ours_ms']:.2f}x its speed)" for r in results))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"machine": machine, "peak": peak, "results": results}, f, indent=1)
    if a.plot:
        plot(results, a.plot)


def plot(results, path):
    try:
        import matplotlib
    except ImportError:
        subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", "matplotlib"])
        import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for fam, marker in (("progan", "o"), ("stylegan", "s")):
        rows = [r for r in results if r["model"].startswith(fam)]
        if not rows:
            continue
        res = [int(r["model"].split("-")[1]) for r in rows]
        ax.plot(res, [r["ours_ms"] for r in rows], marker=marker, label=f"msg-gen, MSG-{'ProGAN' if fam == 'progan' else 'StyleGAN'}")
        ax.plot(res, [r["torch_ms"] for r in rows], marker=marker, linestyle="--", label=f"PyTorch eager, MSG-{'ProGAN' if fam == 'progan' else 'StyleGAN'}")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("output resolution (px)")
    ax.set_ylabel("ms per image (batch 1, 2 threads)")
    ax.set_title("msg-gen vs PyTorch CPU, random weights of the upstream shapes")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print("plot:", path)


if __name__ == "__main__":
    main()
