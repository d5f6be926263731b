#!/usr/bin/env python3
"""Writes Tests/MSGImageTests/Fixtures/: what numpy says for MSGImage's tests.

    python3 tools/make_image_fixtures.py

pixel_inputs_f32.bin / pixel_expected_u8.bin
    float32 inputs (little-endian) and numpy's 8-bit mapping of them, the
    upstream rule computed on a float32 array (SEMANTICS.md, "Output pixels"):
    np.floor(np.clip((x + 1) * 127.5 + 0.5, 0, 255)).astype(np.uint8).
    Inputs: -1, 0, 1, the exact rounding boundary of every level with its
    float32 neighbours, huge values, +-inf, and uniform draws in [-1.5, 1.5].
    (NaN is excluded: numpy's cast of NaN to uint8 is undefined; the Swift
    rule maps it to 0 and the test says so separately.)
tensor_2x3x4.npy, vector_5.npy, scalar.npy
    np.save of small float32 arrays, which NPY.encode must reproduce byte for byte.
png_*.png
    PNGs written here by hand (struct + zlib, no libpng) so PNG.decode is
    checked against an independent writer: 8-bit RGB with tEXt, zTXt and
    iTXt chunks, and formats decode must refuse (gray, RGBA, 16-bit RGB).
"""
import os
import struct
import zlib
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "MSGImageTests", "Fixtures")


def pixel_inputs():
    values = [-1.0, 0.0, -0.0, 1.0, 0.5, -0.5, 1.5, -1.5, 3e38, -3e38, np.inf, -np.inf,
              np.finfo(np.float32).tiny, -np.finfo(np.float32).tiny]
    x = list(np.array(values, dtype=np.float32))
    for level in range(257):
        # (x + 1) * 127.5 + 0.5 == level  <=>  x = (level - 0.5) / 127.5 - 1
        b = np.float32((level - 0.5) / 127.5 - 1.0)
        up, down = b, b
        x.append(b)
        for _ in range(3):
            up = np.nextafter(up, np.float32(np.inf))
            down = np.nextafter(down, np.float32(-np.inf))
            x += [up, down]
    for v in (np.float32(-1), np.float32(1)):
        n = v
        for _ in range(3):
            n = np.nextafter(n, np.float32(np.inf))
            x.append(n)
        n = v
        for _ in range(3):
            n = np.nextafter(n, np.float32(-np.inf))
            x.append(n)
    rs = np.random.RandomState(2024)
    x += list(rs.uniform(-1.5, 1.5, size=2000).astype(np.float32))
    return np.array(x, dtype="<f4")


def png(width, height, bit_depth, color_type, raw_rows, chunks=()):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    idat = zlib.compress(b"".join(b"\x00" + row for row in raw_rows))
    body = chunk(b"IHDR", ihdr)
    for kind, data in chunks:
        body += chunk(kind, data)
    body += chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def write_pngs():
    rgb_rows = [bytes([255, 0, 0, 0, 255, 0]), bytes([0, 0, 255, 10, 20, 30])]
    text_chunks = [
        (b"tEXt", b"seed\x0042"),
        (b"tEXt", "Comment\0caf\u00e9".encode("latin-1")),
        (b"zTXt", b"model\x00\x00" + zlib.compress(b"msg-stylegan 256")),
        (b"iTXt", b"prompt\x00\x00\x00\x00\x00" + "\u732b \u2192 \U0001F408".encode("utf-8")),
    ]
    files = {
        "png_rgb_2x2_text.png": png(2, 2, 8, 2, rgb_rows, text_chunks),
        "png_gray_2x2.png": png(2, 2, 8, 0, [bytes([0, 255]), bytes([128, 64])]),
        "png_rgba_1x1.png": png(1, 1, 8, 6, [bytes([1, 2, 3, 4])]),
        "png_rgb16_1x1.png": png(1, 1, 16, 2, [bytes([0, 1, 0, 2, 0, 3])]),
    }
    for name, data in files.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


def main():
    os.makedirs(OUT, exist_ok=True)
    x = pixel_inputs()
    with np.errstate(over="ignore", invalid="ignore"):
        y = np.floor(np.clip((x + 1) * 127.5 + 0.5, 0, 255))
    assert y.dtype == np.float32, y.dtype  # the rule is evaluated in float32
    u8 = y.astype(np.uint8)
    x.tofile(os.path.join(OUT, "pixel_inputs_f32.bin"))
    u8.tofile(os.path.join(OUT, "pixel_expected_u8.bin"))

    tensor = (np.arange(24, dtype=np.float32).reshape(2, 3, 4) * np.float32(0.25) - np.float32(3))
    tensor[0, 0, 1] = -0.0
    tensor[1, 2, 3] = np.float32(1e-40)  # a subnormal survives the round trip
    np.save(os.path.join(OUT, "tensor_2x3x4.npy"), tensor)
    np.save(os.path.join(OUT, "vector_5.npy"), np.array([1, -2, 3.5, np.inf, -np.inf], dtype=np.float32))
    np.save(os.path.join(OUT, "scalar.npy"), np.float32(7.5))
    write_pngs()


if __name__ == "__main__":
    main()
