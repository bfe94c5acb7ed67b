"""Reference hashes for Tests/FormatsTests/ActivationQuantizerTests.swift from auto-round's own
activation quantize-dequantize functions (the ones its inference modules call).

Run with the auto-round venv (see /work/shared/INTEROP.md; auto-round 0.16.1, torch 2.15.0, CPU):
    V/bin/python scripts/interop.d/activation_reference.py
Rebuilds the seeded matrices exactly as the Swift test does (SplitMix64, exact fp32 arithmetic) and
prints, per seed, the FNV-1a hash of the input and of each scheme's output (zeros hashed as +0).
"""
import numpy as np
import struct
import torch
from auto_round.data_type.nvfp import calculate_gparam
from auto_round.data_type.utils import get_quant_func
from auto_round.experimental.qmodules.nvfp4 import _nv_fp4_with_static_gs

MASK = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.state = seed

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def unit_float(self):
        return np.float32(self.next() >> 40) * np.float32(2.0**-24)


def seeded_matrix(seed, rows, cols):
    """Row r: k = next() % 21 - 14; (2u - 1) * 2^k, times 37 when next() % 61 == 0; row 1's first 128 zero."""
    rng = SplitMix64(seed)
    out = np.zeros((rows, cols), dtype=np.float32)
    for r in range(rows):
        k = int(rng.next() % 21) - 14
        for c in range(cols):
            x = (np.float32(2) * rng.unit_float() - np.float32(1)) * np.float32(2.0**k)
            if rng.next() % 61 == 0:
                x = x * np.float32(37)
            if r == 1 and c < 128:
                x = np.float32(0)
            out[r, c] = x
    return out


def fnv(a):
    """FNV-1a 64 over the little-endian Float bit patterns, -0 hashed as +0 (auto-round's
    straight-through forms return +0 where AutoScheme keeps the sign of a zero result)."""
    h = 0xCBF29CE484222325
    a = np.where(a == 0, np.float32(0), a).astype(np.float32)
    for w in np.ascontiguousarray(a).view(np.uint32).ravel():
        for b in struct.pack("<I", int(w)):
            h = ((h ^ b) * 0x100000001B3) & MASK
    return h


def main():
    for seed in (1, 2):
        x = seeded_matrix(seed, 16, 256)
        t = torch.from_numpy(x.copy())
        print(f"seed {seed}: input {fnv(x):#x} amax {float(np.abs(x).max())!r}")
        mx, dt = get_quant_func("mx_fp", 4, True, disable_opt_rtn=True)
        print(f"  mxfp4 {fnv(mx(t.clone(), bits=4, group_size=32, data_type=dt)[0].numpy()):#x}")
        f8, dt = get_quant_func("fp", 8, True, disable_opt_rtn=True)
        print(f"  fp8 {fnv(f8(t.clone(), bits=8, group_size=128, data_type=dt)[0].numpy()):#x}")
        gs = calculate_gparam(torch.tensor(float(np.abs(x).max()) * 0.5, dtype=torch.float32), 16)
        nv = _nv_fp4_with_static_gs(t.clone(), gs.reshape(1).to(torch.float32), 4, 16)[0].numpy()
        print(f"  nvfp4 global {float(gs)!r} {fnv(nv):#x}")


if __name__ == "__main__":
    main()
