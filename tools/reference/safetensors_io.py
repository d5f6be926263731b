"""Minimal safetensors reader/writer using numpy only.

File layout (safetensors spec): an 8-byte little-endian u64 N, then N bytes of
UTF-8 JSON header, then the raw little-endian tensor bytes. The header maps
each tensor name to {"dtype", "shape", "data_offsets": [begin, end]} (offsets
relative to the start of the data section) and may hold "__metadata__", a map
of string to string. We pad the header with spaces to a multiple of 8 bytes so
the data section is 8-byte aligned, and write tensors in sorted-name order with
no holes.

Supported dtypes: F32, F16, BF16 (BF16 is produced from float32 by
round-to-nearest-even on the top 16 bits, and read back by shifting into the
high half of a float32).
"""

import json
import struct

import numpy as np

__all__ = ["save_file", "load_file", "to_bf16_bits", "bf16_bits_to_f32", "round_to_dtype"]


def to_bf16_bits(a):
    """float32 array -> uint16 BF16 bit patterns, round to nearest even (no NaNs expected)."""
    bits = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    if np.any(~np.isfinite(np.asarray(a, dtype=np.float32))):
        raise ValueError("BF16 conversion here does not handle inf/NaN")
    lsb = (bits >> np.uint64(16)) & np.uint64(1)
    rounded = (bits + np.uint64(0x7FFF) + lsb) >> np.uint64(16)
    return rounded.astype(np.uint16)


def bf16_bits_to_f32(bits):
    """uint16 BF16 bit patterns -> float32 (exact)."""
    return (np.asarray(bits, dtype=np.uint16).astype(np.uint32) << np.uint32(16)).view(np.float32)


def round_to_dtype(a, dtype):
    """The float32 values a tensor has after being stored as `dtype` and read back."""
    a = np.asarray(a, dtype=np.float32)
    if dtype == "F32":
        return a.copy()
    if dtype == "F16":
        return a.astype(np.float16).astype(np.float32)
    if dtype == "BF16":
        return bf16_bits_to_f32(to_bf16_bits(a)).reshape(a.shape)
    raise ValueError(f"unsupported dtype {dtype}")


def _encode(a, dtype):
    a = np.asarray(a)
    if dtype == "F32":
        return np.ascontiguousarray(a, dtype="<f4").tobytes()
    if dtype == "F16":
        return np.ascontiguousarray(a.astype(np.float32).astype("<f2")).tobytes()
    if dtype == "BF16":
        return np.ascontiguousarray(to_bf16_bits(a).reshape(a.shape), dtype="<u2").tobytes()
    raise ValueError(f"unsupported dtype {dtype}")


def save_file(path, tensors, metadata=None, dtypes=None, default_dtype="F32"):
    """Write `tensors` (name -> array) to `path`.

    dtypes: optional name -> "F32" | "F16" | "BF16"; others use default_dtype.
    metadata: optional dict of str -> str.
    """
    dtypes = dtypes or {}
    header = {}
    if metadata:
        for k, v in metadata.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise TypeError("metadata must map str to str")
        header["__metadata__"] = dict(metadata)
    blobs = []
    offset = 0
    for name in sorted(tensors):
        a = np.asarray(tensors[name])
        dt = dtypes.get(name, default_dtype)
        blob = _encode(a, dt)
        header[name] = {
            "dtype": dt,
            "shape": [int(d) for d in a.shape],
            "data_offsets": [offset, offset + len(blob)],
        }
        blobs.append(blob)
        offset += len(blob)
    hjson = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hjson += b" " * ((-len(hjson)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for b in blobs:
            f.write(b)


_ITEM = {"F32": 4, "F16": 2, "BF16": 2}


def load_file(path, as_float32=True):
    """Read a safetensors file. Returns (tensors, metadata, dtypes).

    Tensors come back as float32 arrays (F16/BF16 widened exactly) when
    as_float32, else in their stored numpy type (BF16 as uint16 bits).
    """
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError("file too short")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > len(raw) - 8:
        raise ValueError("header length beyond end of file")
    header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    data = raw[8 + n :]
    metadata = header.pop("__metadata__", {}) or {}
    tensors, dtypes = {}, {}
    spans = []
    for name, info in header.items():
        dt, shape, (b, e) = info["dtype"], info["shape"], info["data_offsets"]
        if dt not in _ITEM:
            raise ValueError(f"{name}: unsupported dtype {dt}")
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if e - b != count * _ITEM[dt] or not (0 <= b <= e <= len(data)):
            raise ValueError(f"{name}: bad data_offsets {b},{e} for shape {shape} {dt}")
        spans.append((b, e))
        buf = data[b:e]
        if dt == "F32":
            a = np.frombuffer(buf, dtype="<f4").reshape(shape)
        elif dt == "F16":
            a = np.frombuffer(buf, dtype="<f2").reshape(shape)
            if as_float32:
                a = a.astype(np.float32)
        else:
            a = np.frombuffer(buf, dtype="<u2").reshape(shape)
            if as_float32:
                a = bf16_bits_to_f32(a).reshape(shape)
        tensors[name] = np.array(a)
        dtypes[name] = dt
    spans.sort()
    pos = 0
    for b, e in spans:
        if b != pos:
            raise ValueError("hole or overlap in data section")
        pos = e
    if pos != len(data):
        raise ValueError("trailing bytes after data section")
    return tensors, metadata, dtypes
