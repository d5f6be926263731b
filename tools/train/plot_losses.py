"""Loss curves from a run's log.csv (D and G loss, D's mean real/fake scores, throughput) -> PNG."""
import argparse
import csv
import os

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("logs", nargs="+", help="runs/<name>/log.csv or logs/<name>.csv (several: one column of plots each)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--smooth", type=int, default=10, help="moving average over this many rows")
    a = ap.parse_args()
    fig, axes = plt.subplots(2, len(a.logs), figsize=(6 * len(a.logs), 7), squeeze=False)

    def sm(v):
        k = max(1, min(a.smooth, len(v)))
        return [sum(v[max(0, i - k + 1):i + 1]) / len(v[max(0, i - k + 1):i + 1]) for i in range(len(v))]

    for j, path in enumerate(a.logs):
        rows = list(csv.DictReader(open(path)))
        kimg = [float(r["kimg"]) for r in rows]
        # runs/<name>/log.csv, or a committed copy logs/<name>.csv
        base = os.path.basename(path)
        name = os.path.basename(os.path.dirname(os.path.abspath(path))) if base == "log.csv" else base.removesuffix(".csv")
        ax = axes[0][j]
        ax.plot(kimg, sm([float(r["d_loss"]) for r in rows]), label="D loss")
        ax.plot(kimg, sm([float(r["g_loss"]) for r in rows]), label="G loss")
        if any(float(r["r1"]) for r in rows):
            ax.plot(kimg, sm([float(r["r1"]) for r in rows]), label="R1 penalty")
        wall = float(rows[-1]["wall_s"]) / 60 if rows else 0
        ax.set_title(f"{name}: {kimg[-1] if kimg else 0:.0f} kimg, {wall:.0f} min")
        ax.set_xlabel("thousands of real images shown")
        ax.legend()
        ax = axes[1][j]
        ax.plot(kimg, sm([float(r["d_real"]) for r in rows]), label="D(real) mean")
        ax.plot(kimg, sm([float(r["d_fake"]) for r in rows]), label="D(fake) mean")
        ax.set_xlabel("thousands of real images shown")
        ax.legend()
    fig.tight_layout()
    fig.savefig(a.out, dpi=80)
    print(a.out)


if __name__ == "__main__":
    main()
