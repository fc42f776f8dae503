"""The heap trimmer: glibc's malloc_trim, called at most once per interval."""

import platform

from causalpref.serve import memory
from causalpref.serve.memory import HeapTrimmer


def test_the_heap_is_trimmed_at_most_once_per_interval(monkeypatch):
    calls = []
    monkeypatch.setattr(memory, "_malloc_trim", lambda: calls.append)
    trimmer = HeapTrimmer(interval_s=3600)
    for _ in range(5):
        trimmer()
    assert calls == [0]
    every_time = HeapTrimmer(interval_s=0)
    for _ in range(3):
        every_time()
    assert calls == [0] * 4


def test_without_malloc_trim_nothing_happens(monkeypatch):
    monkeypatch.setattr(memory, "_malloc_trim", lambda: None)
    trimmer = HeapTrimmer()
    assert not trimmer.available
    trimmer()  # no error


def test_glibc_has_malloc_trim():
    if platform.libc_ver()[0] == "glibc":
        assert HeapTrimmer().available
