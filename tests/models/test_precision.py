"""Precision names, autocast and the CPU check behind `precision="auto"`."""

import pytest
import torch

from causalpref.models.precision import autocast, native_bf16, resolve_precision


def cpuinfo(tmp_path, flags):
    path = tmp_path / "cpuinfo"
    path.write_text(f"processor\t: 0\nmodel name\t: test\nflags\t\t: {flags}\n\n")
    return path


def test_bf16_flags_are_read_from_cpuinfo(tmp_path):
    assert native_bf16(cpuinfo(tmp_path, "fpu sse avx2 avx512f avx512_bf16 avx512_vnni"))
    assert native_bf16(cpuinfo(tmp_path, "fpu avx2 amx_bf16 amx_tile"))
    assert not native_bf16(cpuinfo(tmp_path, "fpu sse avx2 avx512f avx512_vnni"))
    assert not native_bf16(tmp_path / "missing")


def test_auto_resolves_to_a_concrete_precision_and_bad_names_fail():
    assert resolve_precision("auto") in {"fp32", "bf16"}
    assert resolve_precision("fp32") == "fp32"
    with pytest.raises(ValueError, match="precision='half'"):
        resolve_precision("half")
    with pytest.raises(ValueError, match="precision='auto'"):
        autocast("auto")  # nets take a resolved precision only


def test_autocast_runs_products_in_bf16_only_when_asked():
    x, w = torch.randn(4, 8), torch.randn(8, 3)
    with autocast("bf16"):
        assert (x @ w).dtype == torch.bfloat16
    with autocast("fp32"):
        assert (x @ w).dtype == torch.float32
