#!/usr/bin/env python3
"""Writes Tests/MSGGenTests/Fixtures/rng/*.bin: NumPy legacy RandomState outputs
that RandomStateTests demand bit for bit (raw little-endian arrays).

    python3 tools/make_rng_fixtures.py

Files, for each seed s in SEEDS:
  seed{s}_uint32.bin         uint32[2000]  raw MT19937 outputs after RandomState(s)
  seed{s}_randn.bin          float64[2000] RandomState(s).randn(2000)
  seed{s}_random_sample.bin  float64[1000] RandomState(s).random_sample(1000)
plus
  key_7_42_randn.bin         float64[1000] RandomState([7, 42]).randn(1000)
  seed42_interleaved.bin     float64[16]   one RandomState(42): randn(3), randn(4),
                                           random_sample(2), randn(1), randn(1), randn(5)
"""
import os
import numpy as np

SEEDS = [0, 1, 42, 123456789, 4294967295]
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "MSGGenTests", "Fixtures", "rng")


def mt_outputs(state_key, n):
    """Pure-Python MT19937 from a freshly seeded state (pos == 624), tempered outputs."""
    mt = [int(v) for v in state_key]
    out = []
    pos = 624
    for _ in range(n):
        if pos >= 624:
            for i in range(624):
                y = (mt[i] & 0x80000000) | (mt[(i + 1) % 624] & 0x7FFFFFFF)
                mt[i] = mt[(i + 397) % 624] ^ (y >> 1) ^ (0x9908B0DF if y & 1 else 0)
            pos = 0
        y = mt[pos]
        pos += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C5680
        y ^= (y << 15) & 0xEFC60000
        y ^= y >> 18
        out.append(y)
    return np.array(out, dtype="<u4")


def save(name, array, dtype):
    array = np.ascontiguousarray(array, dtype=dtype)
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(array.tobytes())


def main():
    os.makedirs(OUT, exist_ok=True)
    for s in SEEDS:
        rs = np.random.RandomState(s)
        state = rs.get_state()
        assert state[2] == 624, state[2]
        raw = mt_outputs(state[1], 2000)
        # Cross-check the derivation against numpy itself: a full-range uint32
        # randint returns the raw stream unchanged.
        drawn = np.random.RandomState(s).randint(0, 2**32, size=2000, dtype=np.uint32)
        assert np.array_equal(raw, drawn), f"raw stream mismatch for seed {s}"
        save(f"seed{s}_uint32.bin", raw, "<u4")
        save(f"seed{s}_randn.bin", np.random.RandomState(s).randn(2000), "<f8")
        save(f"seed{s}_random_sample.bin", np.random.RandomState(s).random_sample(1000), "<f8")

    save("key_7_42_randn.bin", np.random.RandomState([7, 42]).randn(1000), "<f8")

    rs = np.random.RandomState(42)
    parts = [rs.randn(3), rs.randn(4), rs.random_sample(2), rs.randn(1), rs.randn(1), rs.randn(5)]
    save("seed42_interleaved.bin", np.concatenate(parts), "<f8")


if __name__ == "__main__":
    main()
