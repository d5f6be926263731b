#!/usr/bin/env python3
"""Per-layer profile of msg-gen against what each layer needs and what the
machine can do (issue 19): runs `msg-gen bench --profile` (fastest pass per
layer) and tools/bench/fma_peak.c, and prints for each conv layer

    path          the kernel msg-gen chose (bench labels: gemm, direct, F(4x4,3x3), ...; bf16)
    direct GF     2 x outputs x 9 x cin x cout (a 3x3 conv at the output resolution)
    done GF       multiply-adds the chosen algorithm performs x 2 (Winograd: fewer)
    ms            fastest pass, conv + its epilogue (+ to-RGB, blur, styles' passes)
    % ceiling     done GF / ms against the FMA ceiling of the layer's precision
    MB            compulsory traffic: input + output activations + the kept weights
    mem ms        MB at the measured triad bandwidth
    x bound       ms / max(done GF at the ceiling, mem ms): how far from the tighter bound

    python3 tools/bench/layer_table.py [--models stylegan-1024 progan-1024] [--precision fp32 bf16]
                                       [--msg-gen .build/release/msg-gen] [--iterations 5]

Shapes are those of bench's random models (BMSG-GAN depth/latent, msg-stylegan-tf
defaults); the epilogue passes' own traffic (StyleGAN's instance norm and style
pass, the blur) is not in MB, so StyleGAN layers sit further from the bound.
"""
import argparse
import json
import math
import os
import re
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))

# multiply-adds per output pixel and (ci, co) pair, and kept weight planes, per path
PLAIN = {"gemm": (9, 9), "direct": (9, 9), "F(2x2,3x3)": (16 / 4, 16), "F(4x4,3x3)": (36 / 16, 36)}
UP = {"gemm": (4, 16), "direct": (4, 16), "F(2x2,2x2)": (9 / 4, 36), "F(4x4,2x2)": (25 / 16, 100)}


def channels(model, r):
    if model.startswith("progan"):
        block = int(math.log2(r)) - 2
        return 512 if block <= 3 else 512 >> (block - 3)
    return min(int(8192 / 2 ** (math.log2(r) - 1)), 512)


def ceiling_of_machine():
    exe = os.path.join(tempfile.gettempdir(), "msg-gen-fma-peak")
    cc = "clang" if subprocess.call(["sh", "-c", "command -v clang >/dev/null"]) == 0 else "cc"
    subprocess.check_call([cc, "-O2", "-pthread", os.path.join(HERE, "fma_peak.c"), "-o", exe])
    return json.loads(subprocess.check_output([exe, "2"], text=True))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", nargs="+", default=["stylegan-1024", "progan-1024"])
    ap.add_argument("--precision", nargs="+", default=["fp32", "bf16"])
    ap.add_argument("--msg-gen", default=os.path.join(ROOT, ".build", "release", "msg-gen"))
    ap.add_argument("--iterations", type=int, default=5)
    a = ap.parse_args()
    ceil = ceiling_of_machine()
    bw = ceil["triad-GBps"]
    print(f"ceilings (fma_peak.c, 2 threads): fp32 FMA {ceil.get('fp32-avx512') or ceil.get('fp32-avx2')} GFLOP/s, "
          f"bf16 {ceil.get('bf16-avx512', '-')} GFLOP/s, triad {bw} GB/s")
    for model in a.models:
        for prec in a.precision:
            out = subprocess.check_output([a.msg_gen, "bench", "--models", model, "--batches", "1", "--iterations", str(a.iterations),
                                           "--no-peak", "--profile", "--precision", prec], text=True)
            total = re.search(r"^\S+\s+1\s+([0-9.]+)\s+([0-9.]+)", out, re.M)
            print(f"\n{model} {prec}: {total.group(1)} ms/img (min {total.group(2)})")
            print(f"{'layer':<28} {'path':<16} {'direct GF':>9} {'done GF':>8} {'ms':>7} {'% ceiling':>9} {'MB':>7} {'mem ms':>7} {'x bound':>7}")
            for line in out.splitlines():
                m = re.match(r"\s+(\d+)x\d+ (.*?) \[(.*?)\]\s+[0-9.]+ ms/img \(min\s+([0-9.]+)\)", line)
                if not m:
                    continue
                r, what, path, ms = int(m.group(1)), m.group(2), m.group(3), float(m.group(4))
                up = "up" in what
                bf16 = path.endswith(" bf16")
                kernel = path.replace(" bf16", "")
                cout = channels(model, r)
                cin = channels(model, r // 2) if up else cout
                if model.startswith("progan") and r == 4:
                    cin = cout = 512
                per, planes = (UP if up else PLAIN)[kernel]
                direct = 2 * r * r * 9 * cin * cout / 1e9
                done = 2 * r * r * per * cin * cout / 1e9
                top = ceil.get("bf16-avx512") if bf16 else (ceil.get("fp32-avx512") or ceil.get("fp32-avx2"))
                hin = r // 2 if up else r
                mb = (hin * hin * cin * 4 + r * r * cout * 4 + planes * cin * cout * (2 if bf16 else 4)) / 1e6
                mem_ms = mb / bw
                bound = max(done / top * 1000, mem_ms)
                print(f"{str(r) + 'x' + str(r) + ' ' + what:<28} {path:<16} {direct:>9.2f} {done:>8.2f} {ms:>7.2f} "
                      f"{100 * done / (ms / 1000) / top:>8.0f}% {mb:>7.1f} {mem_ms:>7.2f} {ms / bound:>6.1f}x")


if __name__ == "__main__":
    main()
