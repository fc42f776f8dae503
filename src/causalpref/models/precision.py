"""Training precisions: fp32, or bf16 matrix products under CPU autocast with fp32 weights."""

from __future__ import annotations

from pathlib import Path

import torch

PRECISIONS = ("fp32", "bf16")
BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


def autocast(precision: str):
    """The autocast context of a precision: bf16 matrix products (fp32 accumulation), or none."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision={precision!r}: expected one of {PRECISIONS}")
    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16")


def native_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether this CPU has bf16 instructions (AVX512-BF16 or AMX); elsewhere bf16 is emulated
    and slower than fp32. False where it cannot be told (no /proc/cpuinfo)."""
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        return False
    for line in text.splitlines():
        if line.startswith("flags"):
            return any(flag in line.split() for flag in BF16_CPU_FLAGS)
    return False


def resolve_precision(precision: str) -> str:
    """`auto` becomes bf16 on CPUs with bf16 instructions and fp32 elsewhere."""
    if precision == "auto":
        return "bf16" if native_bf16() else "fp32"
    if precision not in PRECISIONS:
        raise ValueError(f"precision={precision!r}: expected 'auto' or one of {PRECISIONS}")
    return precision
