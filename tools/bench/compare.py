#!/usr/bin/env python3
"""msg-gen vs PyTorch CPU eager, ONNX Runtime and OpenVINO (fp32 and bf16),
same random weights files, interleaved runs.

    python3 tools/bench/compare.py [--models progan-128 ...] [--rounds 3] [--iters 5] [--batch 1 8]
                                   [--onnx MODEL ...] [--openvino MODEL ...] [--no-bf16]
                                   [--msg-gen .build/release/msg-gen] [--plot docs/bench.png]
                                   [--isa avx2 [avx512 portable ...]]

OpenVINO (2 inference threads, PERFORMANCE_HINT=LATENCY) runs the ONNX export
of the PyTorch module at INFERENCE_PRECISION_HINT f32 and, on CPUs with
AVX512-BF16, bf16; msg-gen runs --precision fp32 and bf16 beside it. Each bf16
engine's raw output is compared with float32 (relative RMS error of the
full-resolution output: OpenVINO bf16 against PyTorch, msg-gen bf16 against
msg-gen fp32 on seeds 0-1). The "% ceiling" columns divide effective GFLOP/s
(direct-convolution FLOPs / time) by the machine's FMA ceiling from
tools/bench/fma_peak.c (fp32 FMA for float32 engines, VDPBF16PS for bf16 ones).

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


def ensure_packages(want_onnx, want_openvino=False):
    """Installs the CPU PyTorch wheel (and ONNX Runtime + onnx, OpenVINO when their rows are asked for) when missing."""
    wanted = [("torch", "torch==2.13.0+cpu")]
    if want_onnx or want_openvino:
        wanted += [("onnxruntime", "onnxruntime==1.32.0"), ("onnx", "onnx==1.23.2")]
    if want_openvino:
        wanted += [("openvino", "openvino==2026.4.1")]
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


def openvino_worker(path, iters, batch, precision):
    """Child process: the PyTorch module exported to ONNX, compiled by OpenVINO
    (2 threads, latency hint) at `precision` (f32 or bf16); checked against
    PyTorch (f32 within 1e-3; bf16 reports its relative RMS error)."""
    import warnings
    import numpy as np
    import torch
    import openvino as ov
    sys.path.insert(0, HERE)
    from torch_models import build
    warnings.filterwarnings("ignore")
    m = build(path)
    z = m.latents(list(range(batch)))
    onnx_path = f"{path}.{precision}.onnx"
    with torch.inference_mode():
        torch.onnx.export(m, (z,), onnx_path, dynamo=False, opset_version=17)
        want = m(z)[-1].numpy()
    core = ov.Core()
    compiled = core.compile_model(onnx_path, "CPU", {"INFERENCE_NUM_THREADS": 2, "PERFORMANCE_HINT": "LATENCY",
                                                     "INFERENCE_PRECISION_HINT": precision})
    req = compiled.create_infer_request()
    out_port = compiled.outputs[-1]
    got = req.infer({0: z.numpy()})[out_port]
    rel = float(np.sqrt(((got - want) ** 2).sum() / (want ** 2).sum()))
    if precision == "f32":
        assert np.max(np.abs(got - want) / (1 + np.abs(want))) < 1e-3, "OpenVINO f32 disagrees with PyTorch"
    times = []
    for _ in range(iters):
        t0 = time.perf_counter()
        req.infer({0: z.numpy()})
        times.append((time.perf_counter() - t0) * 1000 / batch)
    os.remove(onnx_path)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"ms": statistics.median(times), "min": min(times), "rss": rss, "ov": ov.__version__, "rel": rel}))


def cpu_has_bf16():
    try:
        with open("/proc/cpuinfo") as f:
            return any(line.startswith("flags") and " avx512_bf16" in line for line in f)
    except OSError:
        return False


def fma_ceiling():
    """tools/bench/fma_peak.c built and run on 2 threads: {kind: GFLOP/s}."""
    exe = os.path.join(tempfile.gettempdir(), "msg-gen-fma-peak")
    cc = "clang" if subprocess.call(["sh", "-c", "command -v clang >/dev/null"]) == 0 else "cc"
    subprocess.check_call([cc, "-O2", "-pthread", os.path.join(HERE, "fma_peak.c"), "-o", exe])
    return json.loads(subprocess.check_output([exe, "2"], text=True))


def msg_gen_bf16_error(binary, path):
    """Relative RMS error of msg-gen --precision bf16's full-resolution output against fp32 (seeds 0-1)."""
    import glob
    import numpy as np
    with tempfile.TemporaryDirectory() as d:
        for prec in ("fp32", "bf16"):
            subprocess.check_call([binary, "render", "--weights", path, "--seeds", "0-1", "--format", "npy", "--scales", "max",
                                   "--out", os.path.join(d, prec), "--quiet", "--precision", prec, "--batch", "1"],
                                  stdout=subprocess.DEVNULL)
        num = den = 0.0
        for f in glob.glob(os.path.join(d, "fp32", "*.npy")):
            a = np.load(f).astype(np.float64)
            b = np.load(f.replace(os.path.join(d, "fp32"), os.path.join(d, "bf16"))).astype(np.float64)
            num += ((a - b) ** 2).sum(); den += (a ** 2).sum()
        return float(np.sqrt(num / den))


def run_msg_gen(binary, path, iters, batch, want_peak, isa=None, precision="fp32"):
    args = [binary, "bench", "--weights", path, "--batches", str(batch), "--iterations", str(iters), "--threads", "2",
            "--precision", precision]
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
    ap.add_argument("--batch", type=int, nargs="+", default=[1], help="batch sizes (ms per image of each)")
    ap.add_argument("--msg-gen", default=os.path.join(ROOT, ".build", "release", "msg-gen"))
    ap.add_argument("--plot", default=None)
    ap.add_argument("--json", default=None)
    ap.add_argument("--torch-worker", nargs=3, metavar=("FILE", "ITERS", "BATCH"))
    ap.add_argument("--no-channels-last", action="store_true")
    ap.add_argument("--onnx-worker", nargs=3, metavar=("FILE", "ITERS", "BATCH"))
    ap.add_argument("--onnx", nargs="*", default=["progan-128", "progan-256"],
                    help="models also timed with ONNX Runtime (exported from the PyTorch module)")
    ap.add_argument("--openvino", nargs="*", default=list(MODELS),
                    help="models also timed with OpenVINO f32 (and bf16 where the CPU has AVX512-BF16)")
    ap.add_argument("--openvino-worker", nargs=4, metavar=("FILE", "ITERS", "BATCH", "PRECISION"))
    ap.add_argument("--no-bf16", action="store_true", help="no bf16 columns (msg-gen --precision bf16, OpenVINO bf16)")
    ap.add_argument("--isa", nargs="+", choices=list(ISA_LIMITS), default=None,
                    help="msg-gen path (MSG_GEN_ISA) compared with PyTorch limited alike; more names add msg-gen columns")
    a = ap.parse_args()
    isa = a.isa[0] if a.isa else None
    extra_isas = a.isa[1:] if a.isa else []
    torch_env = dict(os.environ, **(ISA_LIMITS.get(isa) or {}))
    if isa:
        a.onnx = []
        a.openvino = []
    if a.openvino_worker:
        openvino_worker(a.openvino_worker[0], int(a.openvino_worker[1]), int(a.openvino_worker[2]), a.openvino_worker[3])
        return
    if a.torch_worker:
        torch_worker(a.torch_worker[0], int(a.torch_worker[1]), int(a.torch_worker[2]), not a.no_channels_last)
        return
    if a.onnx_worker:
        onnx_worker(a.onnx_worker[0], int(a.onnx_worker[1]), int(a.onnx_worker[2]))
        return
    bf16 = not a.no_bf16 and cpu_has_bf16() and not isa
    ensure_packages(any(m in a.onnx for m in a.models), any(m in a.openvino for m in a.models))
    subprocess.check_call([sys.executable, os.path.join(HERE, "check_torch_models.py")])
    if not os.path.exists(a.msg_gen):
        subprocess.check_call(["swift", "build", "-c", "release", "--product", "msg-gen"], cwd=ROOT)
    ceiling = fma_ceiling()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        peak, machine = None, None
        for name in a.models:
            path = os.path.join(tmp, name + ".safetensors")
            write_model(name, path)
            ov_precisions = (["f32", "bf16"] if bf16 else ["f32"]) if name in a.openvino else []
            rel = {"msg-gen bf16": msg_gen_bf16_error(a.msg_gen, path)} if bf16 else {}
            for batch in a.batch:
                runs = {}   # engine -> list of rounds
                for r in range(a.rounds):
                    g = run_msg_gen(a.msg_gen, path, a.iters, batch, peak is None, isa)
                    peak = peak or g["peak"]
                    machine = g["machine"]
                    runs.setdefault("msg-gen", []).append(g)
                    if bf16:
                        runs.setdefault("msg-gen bf16", []).append(run_msg_gen(a.msg_gen, path, a.iters, batch, False, isa, "bf16"))
                    runs.setdefault("torch", []).append(json.loads(subprocess.check_output(
                        [sys.executable, __file__, "--torch-worker", path, str(a.iters), str(batch)]
                        + (["--no-channels-last"] if a.no_channels_last else []), text=True, env=torch_env)))
                    for x in extra_isas:
                        runs.setdefault(f"msg-gen {x}", []).append(run_msg_gen(a.msg_gen, path, a.iters, batch, False, x))
                    if name in a.onnx:
                        runs.setdefault("ORT", []).append(json.loads(subprocess.check_output(
                            [sys.executable, __file__, "--onnx-worker", path, str(a.iters), str(batch)], text=True)))
                    for prec in ov_precisions:
                        o = json.loads(subprocess.check_output(
                            [sys.executable, __file__, "--openvino-worker", path, str(a.iters), str(batch), prec], text=True))
                        runs.setdefault(f"OV {prec}", []).append(o)
                        if prec == "bf16":
                            rel["OV bf16"] = o["rel"]
                gf = runs["msg-gen"][0]["gflop"]
                results.append({"model": name, "batch": batch, "gflop": gf, "rel": rel,
                                "ms": {e: statistics.median(x["ms"] for x in v) for e, v in runs.items()},
                                "rss": {e: max(x["rss"] for x in v) for e, v in runs.items()},
                                "torch": runs["torch"][0]["torch"], "isa": isa,
                                "ov": runs["OV f32"][0]["ov"] if "OV f32" in runs else None})
            os.remove(path)
        print(machine)
        print(f"FMA ceiling (tools/bench/fma_peak.c, 2 threads): " + ", ".join(f"{k} {v} " + ("GB/s" if k.endswith("GBps") else "GFLOP/s")
                                                                                   for k, v in ceiling.items() if k != "threads"))
        print(f"sgemm peak: {peak:.1f} GFLOP/s; medians of {a.rounds} interleaved rounds x {a.iters} iterations; ms per image")
        engines = [e for e in ["msg-gen", "msg-gen bf16", "torch", "ORT", "OV f32", "OV bf16"] + [f"msg-gen {x}" for x in extra_isas]
                   if any(e in r["ms"] for r in results)]
        fp32_ceiling = ceiling.get("fp32-avx512") or ceiling.get("fp32-avx2")
        print(f"{'model':<15} {'batch':>5} " + " ".join(f"{e:>13}" for e in engines) + "   peer / msg-gen (fp32; bf16 engines vs msg-gen bf16)")
        for r in results:
            cells = [f"{r['ms'][e]:>13.1f}" if e in r["ms"] else f"{'-':>13}" for e in engines]
            ratios = []
            for e in engines:
                if e in r["ms"] and not e.startswith("msg-gen"):
                    base = r["ms"]["msg-gen bf16"] if e.endswith("bf16") and "msg-gen bf16" in r["ms"] else r["ms"]["msg-gen"]
                    ratios.append(f"{e} {r['ms'][e] / base:.2f}x")
            if "msg-gen bf16" in r["ms"]:
                ratios.append(f"bf16/fp32 msg-gen {r['ms']['msg-gen'] / r['ms']['msg-gen bf16']:.2f}x")
            print(f"{r['model']:<15} {r['batch']:>5} " + " ".join(cells) + "   " + ", ".join(ratios))
        print(f"{'% FMA ceiling':<21} " + " ".join(f"{e:>13}" for e in engines))
        for r in results:
            cells = []
            for e in engines:
                if e not in r["ms"]:
                    cells.append(f"{'-':>13}"); continue
                top = ceiling.get("bf16-avx512") if e.endswith("bf16") else fp32_ceiling
                cells.append(f"{100 * r['gflop'] * 1000 / r['ms'][e] / top:>12.0f}%")
            print(f"{r['model']:<15} {r['batch']:>5} " + " ".join(cells))
        print(f"{'peak RSS MB':<21} " + " ".join(f"{e:>13}" for e in engines))
        for r in results:
            print(f"{r['model']:<15} {r['batch']:>5} " + " ".join(f"{r['rss'][e]:>13.0f}" if e in r["rss"] else f"{'-':>13}" for e in engines))
        if bf16:
            print("bf16 raw output, relative RMS error against float32: " + "; ".join(
                f"{name} " + ", ".join(f"{e} {v:.4f}" for e, v in next(r["rel"] for r in results if r["model"] == name).items())
                for name in dict.fromkeys(r["model"] for r in results)))
        for x in extra_isas:
            print(f"msg-gen MSG_GEN_ISA={x}, same rounds: " + ", ".join(
                f"{r['model']} b{r['batch']} {r['ms'][f'msg-gen {x}']:.1f} ms ({isa} at {r['ms'][f'msg-gen {x}'] / r['ms']['msg-gen']:.2f}x its speed)"
                for r in results))
        print(f"(torch {results[0]['torch']}, channels_last={not a.no_channels_last}, 2 threads"
              + (f"; OpenVINO {results[0]['ov']}" if results[0]["ov"] else "")
              + (f"; msg-gen MSG_GEN_ISA={isa}, torch {ISA_LIMITS[isa]}" if isa else "") + ")")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"machine": machine, "peak": peak, "ceiling": ceiling, "results": results}, f, indent=1)
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
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    rows1 = [r for r in results if r["batch"] == 1] or results
    styles = {"msg-gen": "-", "msg-gen bf16": "-", "torch": "--", "OV f32": ":", "OV bf16": ":"}
    names = {"msg-gen": "msg-gen fp32", "msg-gen bf16": "msg-gen bf16", "torch": "PyTorch eager", "OV f32": "OpenVINO fp32",
             "OV bf16": "OpenVINO bf16"}
    for fam, marker in (("progan", "o"), ("stylegan", "s")):
        rows = [r for r in rows1 if r["model"].startswith(fam)]
        if not rows:
            continue
        res = [int(r["model"].split("-")[1]) for r in rows]
        for e, ls in styles.items():
            if all(e in r["ms"] for r in rows):
                ax.plot(res, [r["ms"][e] for r in rows], marker=marker, linestyle=ls,
                        label=f"{names[e]}, MSG-{'ProGAN' if fam == 'progan' else 'StyleGAN'}")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("output resolution (px)")
    ax.set_yscale("log")
    ax.set_ylabel("ms per image (batch 1, 2 threads)")
    ax.set_title("msg-gen vs PyTorch and OpenVINO on the CPU, random weights of the upstream shapes", fontsize=9)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=6.5, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print("plot:", path)


if __name__ == "__main__":
    main()
