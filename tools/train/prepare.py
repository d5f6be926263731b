"""Face cache for training: the UTKFace crop_part1 tar -> tools/train/cache/utkface-R.npy.

Reads the tar straight from ../shared/data (nothing is extracted into the repo),
center-crops each 200x200 face to a square and resizes it to R x R with a
Lanczos filter. The cache is a uint8 array [N, R, R, 3], files in sorted name
order. tools/train/cache/ is git-ignored: the images' terms (non-commercial
research only, copyright with the owners) forbid committing them.
"""
import argparse
import io
import os
import tarfile
import time

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_TAR = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "data", "utkface-crop-part1.tar"))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tar", default=DEFAULT_TAR)
    ap.add_argument("--res", type=int, default=64, choices=[32, 64, 128, 256])
    ap.add_argument("--crop", type=float, default=1.0,
                    help="fraction of the shorter side kept by the center crop (1.0 = the whole aligned crop)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    out = args.out or os.path.join(HERE, "cache", f"utkface-{args.res}.npy")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    t0 = time.time()
    imgs, names, skipped = [], [], 0
    with tarfile.open(args.tar) as tf:
        members = sorted((m for m in tf.getmembers() if m.isfile() and m.name.lower().endswith((".jpg", ".jpeg", ".png"))),
                         key=lambda m: m.name)
        for m in members:
            try:
                im = Image.open(io.BytesIO(tf.extractfile(m).read())).convert("RGB")
            except Exception:
                skipped += 1
                continue
            w, h = im.size
            s = int(round(min(w, h) * args.crop))
            l, t = (w - s) // 2, (h - s) // 2
            im = im.crop((l, t, l + s, t + s)).resize((args.res, args.res), Image.LANCZOS)
            imgs.append(np.asarray(im, dtype=np.uint8))
            names.append(os.path.basename(m.name))
    arr = np.stack(imgs)
    tmp = out + ".tmp.npy"
    np.save(tmp, arr)
    os.replace(tmp, out)
    with open(out[:-4] + ".names.txt", "w") as f:
        f.write("\n".join(names) + "\n")
    print(f"{out}: {arr.shape} uint8 from {len(members)} files ({skipped} unreadable) in {time.time() - t0:.1f}s")


if __name__ == "__main__":
    main()
